"""Caption file names in the public store: languages, ``und``, and other assets' names.

Attacks from issue 10, item 13: a multi-language caption file whose language track
lands on another asset's caption file, and a language code with a ``/``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import webvtt

from avpipe.config import Settings
from avpipe.manifest import Status
from avpipe.pipeline.local_runtime import LocalRuntime

pytestmark = pytest.mark.filterwarnings(
    "ignore:Call to deprecated method:DeprecationWarning:pycaption.*"
)

SRT = "1\n00:00:01,000 --> 00:00:02,000\n{text}\n"


def bilingual_dfxp(second: str = "fr") -> str:
    return (
        '<tt xmlns="http://www.w3.org/ns/ttml"><body>'
        '<div xml:lang="en"><p begin="1s" end="2s">hello</p></div>'
        f'<div xml:lang="{second}"><p begin="1s" end="2s">bonjour</p></div>'
        "</body></tt>"
    )


@pytest.fixture
def runtime(tmp_path: Path) -> LocalRuntime:
    return LocalRuntime.from_settings(Settings(data_dir=tmp_path / "data"))


def upload(runtime: LocalRuntime, tmp_path: Path, name: str, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "upload"
    path.write_text(text, encoding="utf-8")
    return runtime.process_key(runtime.submit_file(str(path), name=name))


def cue_texts(runtime: LocalRuntime, key: str) -> list[str]:
    return [c.text for c in webvtt.read(str(Path(runtime.public.url) / key))]


def test_a_language_track_does_not_overwrite_another_assets_captions(
    runtime: LocalRuntime, tmp_path: Path
) -> None:
    first = upload(runtime, tmp_path, "talk.fr.srt", SRT.format(text="the asset talk.fr"))
    assert first is not None and first.captions[0].key == "closed-caption/talk.fr.vtt"

    second = upload(runtime, tmp_path, "talk.dfxp", bilingual_dfxp())

    assert second is not None and second.status is Status.FAILED
    assert second.error is not None and second.error.reason == (
        "The captions would be published as closed-caption/talk.fr.vtt, which holds the captions "
        "of the asset talk.fr; rename one of the two uploads."
    )
    assert cue_texts(runtime, "closed-caption/talk.fr.vtt") == ["the asset talk.fr"]
    assert not (Path(runtime.public.url) / "closed-caption/talk.en.vtt").exists()


def test_a_single_track_does_not_overwrite_another_assets_language_track(
    runtime: LocalRuntime, tmp_path: Path
) -> None:
    first = upload(runtime, tmp_path, "talk.dfxp", bilingual_dfxp())
    assert first is not None and first.status is Status.COMPLETE
    assert sorted(c.key or "" for c in first.captions) == [
        "closed-caption/talk.en.vtt", "closed-caption/talk.fr.vtt"]

    second = upload(runtime, tmp_path, "talk.fr.srt", SRT.format(text="overwrite"))

    assert second is not None and second.status is Status.FAILED
    assert second.error is not None and "holds the captions of the asset talk;" in second.error.reason
    assert cue_texts(runtime, "closed-caption/talk.fr.vtt") == ["bonjour"]


def test_a_slash_in_a_language_code_makes_no_folder(runtime: LocalRuntime, tmp_path: Path) -> None:
    manifest = upload(runtime, tmp_path, "talk.dfxp", bilingual_dfxp("fr/../../json/evil"))

    assert manifest is not None and manifest.status is Status.FAILED
    assert manifest.error is not None and manifest.error.reason == (
        "The DFXP/TTML file declares a language that is not a valid BCP 47 language tag."
    )
    public = Path(runtime.public.url)
    assert not (public / "closed-caption").exists() or not any((public / "closed-caption").rglob("*"))
    assert not (public / "json" / "evil.vtt").exists()


def test_captions_without_a_language_are_und_and_keep_the_plain_name(
    runtime: LocalRuntime, tmp_path: Path
) -> None:
    single = upload(runtime, tmp_path, "plain.srt", SRT.format(text="hi"))
    assert single is not None
    assert [(c.key, c.language) for c in single.captions] == [("closed-caption/plain.vtt", "und")]

    mixed = upload(runtime, tmp_path, "mixed.dfxp", (
        '<tt xmlns="http://www.w3.org/ns/ttml"><body>'
        '<div><p begin="1s" end="2s">no language</p></div>'
        '<div xml:lang="de"><p begin="1s" end="2s">Deutsch</p></div></body></tt>'))
    assert mixed is not None
    assert sorted((c.key or "", c.language) for c in mixed.captions) == [
        ("closed-caption/mixed.de.vtt", "de"), ("closed-caption/mixed.und.vtt", "und")]
