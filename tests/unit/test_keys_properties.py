"""Property tests: key decoding and checking never let anything but avpipe's own error out,
and whatever passes is a safe relative key."""

from __future__ import annotations

from urllib.parse import quote_plus

from hypothesis import given, settings
from hypothesis import strategies as st

from avpipe.aws.events import s3_objects
from avpipe.errors import AvpipeError
from avpipe.keys import AssetKeys, check_key
from avpipe.web.names import safe_upload_name

any_text = st.text(min_size=0, max_size=300)
path_like = st.lists(st.sampled_from(["..", ".", "", "a", "é", "b c", "\\", "\x00", "\n", "/", "~", "%2e%2e", "+"]),
                     max_size=12).map("/".join)


def s3_event(encoded_key: str) -> dict[str, object]:
    return {"Records": [{"eventName": "ObjectCreated:Put",
                         "s3": {"bucket": {"name": "b"}, "object": {"key": encoded_key, "size": 1}}}]}


@settings(max_examples=300)
@given(st.one_of(any_text, path_like))
def test_s3_keys_decode_to_what_was_uploaded(key: str) -> None:
    (obj,) = s3_objects(s3_event(quote_plus(key, safe="/")))  # how S3 encodes keys in notifications
    assert obj.key == key


@settings(max_examples=500)
@given(st.one_of(any_text, path_like))
def test_check_key_accepts_only_safe_relative_keys(key: str) -> None:
    try:
        checked = check_key(key)
    except AvpipeError:
        return
    parts = checked.split("/")
    assert not checked.startswith("/") and "\\" not in checked
    assert all(part not in ("", ".", "..") for part in parts)
    assert all(ord(ch) >= 32 and not 127 <= ord(ch) < 160 for ch in checked)


@settings(max_examples=500)
@given(st.one_of(any_text, path_like))
def test_asset_keys_raise_only_avpipe_errors_and_stay_inside_their_folders(name: str) -> None:
    try:
        keys = AssetKeys.for_input("inputs/" + name)
    except AvpipeError:
        return
    for key in (keys.original, keys.manifest, keys.thumbnail, keys.rendition("_720p"), keys.caption("fr")):
        check_key(key)
        assert ".." not in key.split("/")


@settings(max_examples=500)
@given(st.one_of(any_text, path_like))
def test_web_names_sanitise_to_valid_upload_keys(raw: str) -> None:
    try:
        name = safe_upload_name(raw)
    except AvpipeError:
        return
    keys = AssetKeys.for_input("inputs/" + name)  # never raises for a sanitised name
    assert not any(part.startswith(".") for part in name.split("/"))
    assert keys.input_key == "inputs/" + name
