"""Which MediaConvert settings the local ffmpeg backend implements.

The local backend executes the same job settings as MediaConvert, for the subset
avpipe's templates use. Anything outside that subset in a user's template is a
:class:`UnsupportedSettingError` naming the setting, never silently ignored.
"""

from __future__ import annotations

from typing import Any

from avpipe.errors import UnsupportedSettingError

ANY = object()  # accepted, and either implemented or without effect on a local file
_INT = (int,)
_NUM = (int, float)

_H264 = {
    "RateControlMode": {"QVBR", "VBR", "CBR"},
    "QvbrSettings": {"QvbrQualityLevel": _INT, "QvbrQualityLevelFineTune": _NUM},
    "Bitrate": _INT,
    "MaxBitrate": _INT,
    "HrdBufferSize": _INT,
    "CodecProfile": {"BASELINE", "MAIN", "HIGH"},
    "CodecLevel": {
        "AUTO", "LEVEL_1", "LEVEL_1_1", "LEVEL_1_2", "LEVEL_1_3", "LEVEL_2", "LEVEL_2_1", "LEVEL_2_2",
        "LEVEL_3", "LEVEL_3_1", "LEVEL_3_2", "LEVEL_4", "LEVEL_4_1", "LEVEL_4_2", "LEVEL_5", "LEVEL_5_1",
        "LEVEL_5_2",
    },
    "QualityTuningLevel": {"SINGLE_PASS", "SINGLE_PASS_HQ", "MULTI_PASS_HQ"},
    "GopSize": _NUM,
    "GopSizeUnits": {"SECONDS", "FRAMES"},
    "GopClosedCadence": _INT,
    "NumberBFramesBetweenReferenceFrames": _INT,
    "NumberReferenceFrames": _INT,
    "SceneChangeDetect": {"ENABLED", "DISABLED", "TRANSITION_DETECTION"},
    "FramerateControl": {"INITIALIZE_FROM_SOURCE", "SPECIFIED"},
    "FramerateConversionAlgorithm": {"DUPLICATE_DROP", "INTERPOLATE"},
    "FramerateNumerator": _INT,
    "FramerateDenominator": _INT,
    "ParControl": {"SPECIFIED", "INITIALIZE_FROM_SOURCE"},
    "ParNumerator": _INT,
    "ParDenominator": _INT,
    "EntropyEncoding": {"CABAC", "CAVLC"},
    "AdaptiveQuantization": {"OFF", "AUTO", "LOW", "MEDIUM", "HIGH", "HIGHER", "MAX"},
    "SpatialAdaptiveQuantization": {"ENABLED", "DISABLED"},
    "TemporalAdaptiveQuantization": {"ENABLED", "DISABLED"},
}
_VIDEO = {
    "Width": _INT,
    "Height": _INT,
    "ScalingBehavior": {"STRETCH_TO_OUTPUT", "DEFAULT"},
    "AntiAlias": {"ENABLED", "DISABLED"},
    "Sharpness": _INT,
    "AfdSignaling": {"NONE"},
    "RespondToAfd": {"NONE"},
    "VideoPreprocessors": {"Deinterlacer": {"Algorithm": {"INTERPOLATE"}, "Mode": {"ADAPTIVE", "DEINTERLACE"},
                                            "Control": {"NORMAL"}}},
    # PASSTHROUGH: the source's video stream as it is (the preview's remux; ``-c:v copy``)
    "CodecSettings": {"Codec": {"H_264", "PASSTHROUGH"}, "H264Settings": _H264, "PassthroughSettings": ANY},
}
_AUDIO = {
    "AudioSourceName": ANY,
    "LanguageCodeControl": {"FOLLOW_INPUT"},
    "CodecSettings": {
        "Codec": {"AAC", "MP3", "PASSTHROUGH"},  # PASSTHROUGH: the source's AAC track as it is (-c:a copy)
        "AacSettings": {
            "Bitrate": _INT,
            "CodingMode": {"CODING_MODE_1_0", "CODING_MODE_2_0"},
            "SampleRate": _INT,
            "CodecProfile": {"LC"},
            "RateControlMode": {"CBR"},
        },
        "Mp3Settings": {"Bitrate": _INT, "Channels": _INT, "RateControlMode": {"CBR", "VBR"},
                        "SampleRate": _INT, "VbrQuality": _INT},
    },
}
_OUTPUT = {
    "NameModifier": (str,),
    "Extension": (str,),
    "ContainerSettings": {
        "Container": {"MP4", "RAW", "CMFC"},
        "Mp4Settings": {"MoovPlacement": {"PROGRESSIVE_DOWNLOAD", "NORMAL"}},
        "CmfcSettings": {"AudioRenditionSets": (str,), "AudioGroupId": (str,),
                         "AudioTrackType": {"ALTERNATE_AUDIO_AUTO_SELECT_DEFAULT", "AUDIO_ONLY_VARIANT_STREAM"}},
    },
    "VideoDescription": _VIDEO,
    "AudioDescriptions": [_AUDIO],
    "CaptionDescriptions": [{  # CMAF group only: the WebVTT file as a subtitle rendition (see .cmaf)
        "CaptionSelectorName": (str,), "CustomLanguageCode": (str,), "LanguageDescription": (str,),
        "DestinationSettings": {"DestinationType": {"WEBVTT"}, "WebvttDestinationSettings": ANY},
    }],
}
SETTINGS_SPEC: dict[str, Any] = {
    "TimecodeConfig": ANY,
    "Inputs": [{
        "FileInput": (str,),
        "TimecodeSource": ANY,
        "VideoSelector": {"Rotate": {"AUTO"}},
        "AudioSelectors": {"*": {"DefaultSelection": {"DEFAULT", "NOT_DEFAULT"}, "SelectorType": {"TRACK"},
                                 "Tracks": [_INT]}},
        "CaptionSelectors": {"*": {"SourceSettings": {"SourceType": {"WEBVTT"},
                                                      "FileSourceSettings": {"SourceFile": (str,)}}}},
    }],
    "OutputGroups": [{
        "Name": ANY,
        "CustomName": ANY,
        "OutputGroupSettings": {
            "Type": {"FILE_GROUP_SETTINGS", "CMAF_GROUP_SETTINGS"},
            "FileGroupSettings": {"Destination": (str,)},
            "CmafGroupSettings": {  # packaged by ffmpeg's dash muxer from the same encodes (see .cmaf)
                "Destination": (str,), "SegmentControl": {"SINGLE_FILE"}, "SegmentLength": _INT,
                "SegmentLengthControl": {"GOP_MULTIPLE", "EXACT"}, "FragmentLength": _INT,
                "WriteHlsManifest": {"ENABLED"}, "WriteDashManifest": {"ENABLED", "DISABLED"},
                "CodecSpecification": {"RFC_6381"}, "StreamInfResolution": {"INCLUDE"},
                "ManifestDurationFormat": {"FLOATING_POINT", "INTEGER"}, "ClientCache": ANY,
            },
        },
        "Outputs": [_OUTPUT],
    }],
}


def check_supported(settings: dict[str, Any], spec: Any = None, path: str = "Settings") -> None:
    """Raise UnsupportedSettingError at the first setting the local backend cannot honour."""
    if spec is None:
        _check_captions_only_in_streams(settings)
    spec = SETTINGS_SPEC if spec is None else spec
    if spec is ANY:
        return
    if isinstance(spec, tuple):
        if not isinstance(settings, spec) or isinstance(settings, bool):
            raise _unsupported(path, settings)
    elif isinstance(spec, set):
        if settings not in spec:
            raise _unsupported(path, settings)
    elif isinstance(spec, list):
        if not isinstance(settings, list):
            raise _unsupported(path, settings)
        for index, item in enumerate(settings):
            check_supported(item, spec[0], f"{path}[{index}]")
    elif isinstance(spec, dict):
        if not isinstance(settings, dict):
            raise _unsupported(path, settings)
        for key, value in settings.items():
            child = spec.get(key, spec.get("*"))
            if child is None:
                raise UnsupportedSettingError(
                    f"The local ffmpeg backend does not implement the MediaConvert setting {path}.{key}; "
                    "remove it from the job template or use the mediaconvert backend."
                )
            check_supported(value, child, f"{path}.{key}")


def _check_captions_only_in_streams(settings: Any) -> None:
    """Caption outputs are implemented for the CMAF group (subtitle renditions), not as files."""
    groups = settings.get("OutputGroups") if isinstance(settings, dict) else None
    for number, group in enumerate(groups if isinstance(groups, list) else []):
        kind = (group.get("OutputGroupSettings") or {}).get("Type") if isinstance(group, dict) else None
        outputs = group.get("Outputs") if isinstance(group, dict) else None
        for index, output in enumerate(outputs if isinstance(outputs, list) else []):
            if isinstance(output, dict) and "CaptionDescriptions" in output and kind != "CMAF_GROUP_SETTINGS":
                raise UnsupportedSettingError(
                    f"The local ffmpeg backend does not implement the MediaConvert setting "
                    f"Settings.OutputGroups[{number}].Outputs[{index}].CaptionDescriptions outside a CMAF group; "
                    "remove it from the job template or use the mediaconvert backend.")


def _unsupported(path: str, value: Any) -> UnsupportedSettingError:
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return UnsupportedSettingError(
        f"The local ffmpeg backend does not support {path} = {shown}; "
        "change the job template or use the mediaconvert backend."
    )
