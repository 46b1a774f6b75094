"""The one error tree of avpipe.

Every failure that avpipe reports derives from :class:`AvpipeError`; third-party
errors are translated at the edge with ``raise ... from exc``::

    AvpipeError                      -- root; ``str(err)`` is one sentence for a user
    ├── BadInputError                -- the upload itself is at fault; retrying will not help
    │   ├── UnsupportedMediaError    -- not audio, video or a caption file we can read
    │   └── CaptionError             -- a caption file that cannot be parsed or converted
    ├── TransientError               -- the environment failed (killed worker, throttling); retry
    └── ConfigurationError           -- the operator must fix a setting or template
        └── UnsupportedSettingError  -- a job template setting the chosen backend cannot honour

Each class carries ``category`` (``bad_input`` / ``transient`` / ``configuration``),
the value written to an asset manifest's ``error.category``.
"""

from __future__ import annotations


class AvpipeError(Exception):
    """Root of every error avpipe raises on purpose."""

    category = "bad_input"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class BadInputError(AvpipeError):
    """The uploaded file cannot be processed as it is."""

    category = "bad_input"


class UnsupportedMediaError(BadInputError):
    """The file is not audio, video or a supported caption format."""


class CaptionError(BadInputError):
    """A caption file that is malformed, empty, binary or otherwise unreadable."""


class TransientError(AvpipeError):
    """A failure of the environment rather than the input; the same work may succeed later."""

    category = "transient"


class UploadChangedError(TransientError):
    """The upload was rewritten while it was processed; its new version is processed next."""


class ConfigurationError(AvpipeError):
    """A setting, template or missing tool the operator has to fix."""

    category = "configuration"


class UnsupportedSettingError(ConfigurationError):
    """A MediaConvert setting in a job template that the chosen backend does not implement."""


def category_of(exc: BaseException) -> str:
    """The manifest category for any exception (unknown ones count as transient)."""
    if isinstance(exc, AvpipeError):
        return exc.category
    return "transient"
