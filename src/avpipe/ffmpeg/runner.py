"""Run ffmpeg with an argument list, report progress, translate failures into avpipe errors.

Every run can carry a wall-clock budget (``timeout_s``): past it the process is killed
and the run fails as bad input, since the budget is derived from the media's checked
duration and only a runaway input outlasts it. A failure reason shown to users is one of
a few fixed sentences (:func:`explain`): never a server path or ffmpeg's own words; the
raw output goes to the log.
"""

from __future__ import annotations

import logging
import re
import signal
import subprocess
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from avpipe.errors import BadInputError, ConfigurationError, TransientError

log = logging.getLogger(__name__)

ProgressCallback = Callable[[float], None]
LineCallback = Callable[[str], None]

_STDERR_KEEP = 64 * 1024
# failures of the machine, not the input: retrying elsewhere or later may succeed
_ENVIRONMENT_FAILURES = ("No space left on device", "Cannot allocate memory", "Disk quota exceeded")
# What ffmpeg said -> the sentence a user sees (first match wins).
_REASONS = (
    (re.compile(r"moov atom not found", re.I), "the MP4/QuickTime index (moov atom) is missing; the upload may be "
                                               "incomplete."),
    (re.compile(r"not on (?:the )?whitelist|Invalid argument|Unknown input format", re.I),
     "ffmpeg does not read this kind of file."),
    (re.compile(r"Decoder .* not found|Unsupported codec|codec not currently supported|no decoder", re.I),
     "ffmpeg has no decoder for the file's audio or video codec."),
    (re.compile(r"Invalid data found|could not find codec parameters|error while decoding|corrupt", re.I),
     "the file's data is damaged or not a media format ffmpeg reads."),
    (re.compile(r"does not contain any stream|matches no streams|no streams", re.I),
     "the file has no audio or video stream ffmpeg could use."),
    (re.compile(r"Permission denied|No such file", re.I), "the file could not be opened."),
)
_GENERIC = "it exited with an error."


@dataclass(frozen=True)
class FfmpegResult:
    """What one ffmpeg process left behind."""

    returncode: int
    stderr_tail: str
    stderr_head: str = ""  # the first part too: ffmpeg describes its input there


class FfmpegRunner:
    """Runs one ffmpeg binary; injected wherever ffmpeg is needed so tests can swap it."""

    def __init__(self, executable: str, *, timeout_s: float | None = None) -> None:
        self.executable = executable
        self.timeout_s = timeout_s  # a machine-wide cap; a run's own budget is passed to run()

    def run(
        self,
        args: Sequence[str],
        *,
        duration_s: float | None = None,
        on_progress: ProgressCallback | None = None,
        timeout_s: float | None = None,
    ) -> FfmpegResult:
        """Run ``ffmpeg <args>``; raise an avpipe error unless it exits 0.

        ``args`` never pass through a shell. With ``on_progress`` and a known duration,
        ffmpeg's ``-progress`` output is turned into fractions between 0 and 1. Past
        ``timeout_s`` the run is stopped and fails as bad input (a runaway).
        """
        on_line = _progress_lines(duration_s, on_progress) if on_progress is not None else None
        result = self.inspect(args, on_line=on_line, timeout_s=timeout_s, progress=on_progress is not None)
        if result.returncode != 0:
            raise _failure(result)
        return result

    def inspect(
        self,
        args: Sequence[str],
        *,
        on_line: LineCallback | None = None,
        timeout_s: float | None = None,
        loglevel: str = "error",
        progress: bool = False,
    ) -> FfmpegResult:
        """Run ffmpeg and return its exit status and stderr whatever the status (stdout lines go
        to ``on_line``); only a start failure, a signal or the budget raise."""
        argv = [self.executable, "-nostdin", "-hide_banner", "-loglevel", loglevel]
        if progress:
            argv += ["-progress", "pipe:1", "-nostats"]
        argv += list(args)
        log.debug("ffmpeg %s", subprocess.list2cmdline(argv[1:]))
        try:
            proc = subprocess.Popen(  # noqa: S603 - an argument list, never a shell
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE if on_line is not None else subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                errors="replace",
            )
        except OSError as exc:
            raise ConfigurationError(f"ffmpeg could not be started: {exc.strerror}.") from exc
        budget = timeout_s if timeout_s is not None else self.timeout_s
        stderr, expired = _communicate(proc, on_line, budget)
        if expired:
            if timeout_s is not None:
                raise BadInputError(f"Processing ran past its time budget for this media ({budget:g} s) and was "
                                    "stopped; the file's timestamps or size do not match what it declares.")
            raise TransientError(f"ffmpeg ran longer than {budget:g} s and was stopped.")
        result = FfmpegResult(proc.returncode, stderr[-_STDERR_KEEP:], stderr[:_STDERR_KEEP])
        if proc.returncode < 0:
            raise _failure(result)
        return result


def _communicate(proc: subprocess.Popen[str], on_line: LineCallback | None,
                 budget: float | None) -> tuple[str, bool]:
    """Drain stderr (and feed stdout lines) until ffmpeg exits or ``budget`` seconds pass."""
    expired = threading.Event()

    def stop() -> None:
        expired.set()
        proc.kill()

    watchdog = threading.Timer(budget, stop) if budget is not None else None
    if watchdog is not None:
        watchdog.daemon = True
        watchdog.start()
    chunks: list[str] = []
    assert proc.stderr is not None
    stderr = proc.stderr
    drain = threading.Thread(target=lambda: chunks.append(stderr.read()), daemon=True)
    drain.start()
    try:
        if on_line is not None and proc.stdout is not None:
            for line in proc.stdout:
                on_line(line)
        proc.wait()
        drain.join()
    finally:
        if watchdog is not None:
            watchdog.cancel()
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
    return "".join(chunks), expired.is_set()


def _progress_lines(duration_s: float | None, on_progress: ProgressCallback) -> LineCallback:
    """Turn ``-progress`` key=value lines into fractions between 0 and 1."""

    def on_line(line: str) -> None:
        key, _, value = line.strip().partition("=")
        if key == "out_time_us" and duration_s and value.isdigit():
            on_progress(min(1.0, int(value) / 1e6 / duration_s))
        elif key == "progress" and value == "end":
            on_progress(1.0)

    return on_line


def _failure(result: FfmpegResult) -> Exception:
    """Classify a failed run: killed by a signal is transient, anything else is the input's fault."""
    code = result.returncode
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        return TransientError(f"ffmpeg was stopped by signal {name} before it finished.")
    log.warning("ffmpeg failed (exit %d): %s", code, result.stderr_tail[-2000:].strip())
    if any(marker in result.stderr_tail for marker in _ENVIRONMENT_FAILURES):
        marker = next(m for m in _ENVIRONMENT_FAILURES if m in result.stderr_tail)
        return TransientError(f"ffmpeg could not write its output: {marker}.")
    return BadInputError(f"ffmpeg could not process the file: {explain(result.stderr_tail)}")


def explain(stderr: str) -> str:
    """A fixed sentence for what went wrong, chosen from ffmpeg's error output (never quoting it)."""
    for pattern, reason in _REASONS:
        if pattern.search(stderr):
            return reason
    return _GENERIC
