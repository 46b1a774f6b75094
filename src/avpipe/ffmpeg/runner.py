"""Run ffmpeg with an argument list, report progress, translate failures into avpipe errors."""

from __future__ import annotations

import logging
import re
import signal
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from avpipe.errors import BadInputError, ConfigurationError, TransientError

log = logging.getLogger(__name__)

ProgressCallback = Callable[[float], None]

# Lines of ffmpeg's stderr that explain a failure better than its last line does.
_NOISE = re.compile(r"^(Conversion failed!|Exiting normally.*|\s*$)")
_STDERR_KEEP = 64 * 1024
# failures of the machine, not the input: retrying elsewhere or later may succeed
_ENVIRONMENT_FAILURES = ("No space left on device", "Cannot allocate memory", "Disk quota exceeded")


@dataclass(frozen=True)
class FfmpegResult:
    """What one ffmpeg process left behind."""

    returncode: int
    stderr_tail: str


class FfmpegRunner:
    """Runs one ffmpeg binary; injected wherever ffmpeg is needed so tests can swap it."""

    def __init__(self, executable: str, *, timeout_s: float | None = None) -> None:
        self.executable = executable
        self.timeout_s = timeout_s

    def run(
        self,
        args: Sequence[str],
        *,
        duration_s: float | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> FfmpegResult:
        """Run ``ffmpeg <args>``; raise an avpipe error unless it exits 0.

        ``args`` never pass through a shell. With ``on_progress`` and a known duration,
        ffmpeg's ``-progress`` output is turned into fractions between 0 and 1.
        """
        argv = [self.executable, "-nostdin", "-hide_banner", "-loglevel", "error"]
        if on_progress is not None:
            argv += ["-progress", "pipe:1", "-nostats"]
        argv += list(args)
        log.debug("ffmpeg %s", subprocess.list2cmdline(argv[1:]))
        try:
            proc = subprocess.Popen(  # noqa: S603 - an argument list, never a shell
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE if on_progress is not None else subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                errors="replace",
            )
        except OSError as exc:
            raise ConfigurationError(f"ffmpeg could not be started ({self.executable}): {exc.strerror}.") from exc
        stderr = self._communicate(proc, duration_s, on_progress)
        result = FfmpegResult(proc.returncode, stderr[-_STDERR_KEEP:])
        if proc.returncode != 0:
            raise _failure(result)
        return result

    def _communicate(
        self, proc: subprocess.Popen[str], duration_s: float | None, on_progress: ProgressCallback | None
    ) -> str:
        if on_progress is None:
            try:
                _, err = proc.communicate(timeout=self.timeout_s)
            except subprocess.TimeoutExpired as exc:
                proc.kill()
                proc.communicate()
                raise TransientError(f"ffmpeg ran longer than {self.timeout_s:g} s and was stopped.") from exc
            return err or ""
        return _follow_progress(proc, duration_s, on_progress)


def _follow_progress(proc: subprocess.Popen[str], duration_s: float | None, on_progress: ProgressCallback) -> str:
    """Read ``-progress`` key=value lines from stdout while stderr is drained in a thread."""
    import threading

    chunks: list[str] = []
    assert proc.stderr is not None and proc.stdout is not None
    drain = threading.Thread(target=lambda: chunks.append(proc.stderr.read() if proc.stderr else ""), daemon=True)
    drain.start()
    for line in proc.stdout:
        key, _, value = line.strip().partition("=")
        if key == "out_time_us" and duration_s and value.isdigit():
            on_progress(min(1.0, int(value) / 1e6 / duration_s))
        elif key == "progress" and value == "end":
            on_progress(1.0)
    proc.wait()
    drain.join()
    proc.stdout.close()
    proc.stderr.close()
    return "".join(chunks)


def _failure(result: FfmpegResult) -> Exception:
    """Classify a failed run: killed by a signal is transient, anything else is the input's fault."""
    code = result.returncode
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        return TransientError(f"ffmpeg was stopped by signal {name} before it finished.")
    reason = explain(result.stderr_tail)
    if any(marker in result.stderr_tail for marker in _ENVIRONMENT_FAILURES):
        return TransientError(f"ffmpeg could not write its output: {reason}")
    return BadInputError(f"ffmpeg could not process the file: {reason}")


def explain(stderr: str) -> str:
    """The most telling line of ffmpeg's error output, as one sentence."""
    lines = [ln.strip() for ln in stderr.splitlines() if not _NOISE.match(ln)]
    if not lines:
        return "it exited with an error and gave no reason."
    line = lines[0] if len(lines) == 1 else _pick(lines)
    line = line.rstrip(".")
    return (line[:300] + "…") if len(line) > 300 else line + "."


def _pick(lines: list[str]) -> str:
    for ln in lines:
        lowered = ln.lower()
        if "invalid data" in lowered or "no such file" in lowered or "does not contain" in lowered:
            return ln
    return lines[-1]
