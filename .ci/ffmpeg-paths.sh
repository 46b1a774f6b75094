# Helpers for .ci/run: a PATH without ffmpeg, and the distribution's own ffmpeg.

# PATH with every folder that holds ffmpeg/ffprobe/ffplay replaced by a folder of links to its
# other programs, so nothing else (python3, apt-get, chromium...) goes missing.
path_without_ffmpeg() {
    local farm out="" dir link name
    farm="$(mktemp -d)"
    IFS=: read -ra dirs <<< "$PATH"
    for dir in "${dirs[@]}"; do
        if [ -e "$dir/ffmpeg" ] || [ -e "$dir/ffprobe" ]; then
            link="$farm/$(printf '%s' "$dir" | tr / _)"
            mkdir -p "$link"
            for name in "$dir"/*; do
                case "${name##*/}" in ffmpeg|ffprobe|ffplay) ;; *) ln -s "$name" "$link/" ;; esac
            done
            dir="$link"
        fi
        out="${out:+$out:}$dir"
    done
    printf '%s\n' "$out"
}

# The path of the distribution's ffmpeg package binary (installed with apt-get when missing and
# possible); fails when there is none. dpkg-divert --truename finds it where a local diversion
# keeps it off PATH.
distribution_ffmpeg() {
    command -v dpkg >/dev/null || return 1
    if ! dpkg -s ffmpeg >/dev/null 2>&1; then
        [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || return 1
        echo "installing the distribution's ffmpeg with apt-get" >&2
        timeout 600 apt-get update -qq >&2 || return 1
        DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq ffmpeg >/dev/null || return 1
    fi
    local path="/usr/bin/ffmpeg"
    if command -v dpkg-divert >/dev/null; then path="$(dpkg-divert --truename /usr/bin/ffmpeg)"; fi
    [ -x "$path" ] && printf '%s\n' "$path"
}
