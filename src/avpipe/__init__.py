"""avpipe: an audio/video processing pipeline, local with ffmpeg or on AWS with MediaConvert."""

from avpipe.errors import (
    AvpipeError,
    BadInputError,
    CaptionError,
    ConfigurationError,
    TransientError,
    UnsupportedMediaError,
    UnsupportedSettingError,
)

__version__ = "0.1.0"

__all__ = [
    "AvpipeError",
    "BadInputError",
    "CaptionError",
    "ConfigurationError",
    "TransientError",
    "UnsupportedMediaError",
    "UnsupportedSettingError",
    "__version__",
]
