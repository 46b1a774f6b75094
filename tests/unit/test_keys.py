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
