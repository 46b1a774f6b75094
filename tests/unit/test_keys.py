from __future__ import annotations

import pytest

from avpipe.errors import BadInputError
from avpipe.keys import AssetKeys, check_key, is_chunk, is_ignored


def test_asset_keys_keep_subfolders() -> None:
    keys = AssetKeys.for_input("inputs/course1/intro.mp4")
    assert keys.name == "course1/intro"
    assert keys.rendition("_720p") == "audiovideo/course1/intro_720p.mp4"
    assert keys.original == "original/course1/intro.mp4"
    assert keys.manifest == "json/course1/intro.json"
    assert keys.thumbnail == "thumbnail/course1/intro.jpg"
    assert keys.audio == "audiovideo/course1/intro.mp3"
    assert keys.caption() == "closed-caption/course1/intro.vtt"
    assert keys.caption("fr") == "closed-caption/course1/intro.fr.vtt"


def test_names_with_spaces_and_dots() -> None:
    keys = AssetKeys.for_input("inputs/My Holiday v1.2 é.mov")
    assert keys.name == "My Holiday v1.2 é"
    assert keys.original == "original/My Holiday v1.2 é.mov"


@pytest.mark.parametrize("key", ["a.mp4.CHUNK0", "inputs/x/y.mov.CHUNK12"])
def test_chunks(key: str) -> None:
    assert is_chunk(key) and is_ignored(key)


@pytest.mark.parametrize("key", ["inputs/.hidden.mp4", "inputs/folder/"])
def test_ignored(key: str) -> None:
    assert is_ignored(key)


@pytest.mark.parametrize("key", ["inputs/../etc/passwd", "/inputs/a.mp4", "inputs\\a.mp4", "inputs/a\x00.mp4",
                                 "inputs//a.mp4", "", "inputs/" + "x" * 1100])
def test_hostile_keys_rejected(key: str) -> None:
    with pytest.raises(BadInputError):
        check_key(key)


def test_only_inputs_are_processed() -> None:
    with pytest.raises(BadInputError, match="inputs/"):
        AssetKeys.for_input("elsewhere/a.mp4")


def test_nfc_and_nfd_twins_are_one_asset() -> None:
    import unicodedata

    nfd = AssetKeys.for_input("inputs/" + unicodedata.normalize("NFD", "Café/résumé.mp4"))
    nfc = AssetKeys.for_input("inputs/" + unicodedata.normalize("NFC", "Café/résumé.mp4"))
    assert nfd.name == nfc.name == unicodedata.normalize("NFC", "Café/résumé")
    assert nfd.original == nfc.original and nfd.input_key != nfc.input_key  # the upload keeps its own key


@pytest.mark.parametrize("name", ["invoice\u202eexe.mp4", "a\u2066b.mp4", "zero\u200bwidth.mp4", "bom\ufeff.mp4"])
def test_invisible_formatting_characters_are_refused(name: str) -> None:
    with pytest.raises(BadInputError, match="invisible"):
        AssetKeys.for_input("inputs/" + name)


def test_joiners_some_scripts_need_are_kept() -> None:
    assert AssetKeys.for_input("inputs/\u0928\u094d\u200d\u0928.mp4").name == "\u0928\u094d\u200d\u0928"


def test_names_are_bounded_before_any_file_is_made_from_them() -> None:
    assert AssetKeys.for_input("inputs/" + "x" * 196 + ".mp4").name == "x" * 196
    for long in ("x" * 244 + ".mp4", "folder" * 40 + "/a.mp4", "é" * 101 + ".mp4"):
        with pytest.raises(BadInputError, match="200 bytes"):
            AssetKeys.for_input("inputs/" + long)


def test_bytes_that_are_not_utf8_are_refused_not_raised_as_unicode_errors() -> None:
    key = "inputs/" + b"\xff\xfe.mp4".decode("utf-8", "surrogateescape")
    with pytest.raises(BadInputError):
        check_key(key)
