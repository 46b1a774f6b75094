"""The web app in a real browser: upload through the page, watch the library, play the result.

One ``avpipe serve`` (in-process, 127.0.0.1, a free port, a temporary data folder) and
one headless Chromium serve the whole module; the tests run in order and build on each
other's uploads. Set ``AVPIPE_SCREENSHOT_DIR=docs/screenshots`` to refresh the README's
screenshots.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from avpipe.config import Settings
from avpipe.web.server import RunningApp, start
from avpipe.web.settings import WebSettings

from browser import ARGS, ensure_chromium
from media import MediaLibrary, make_av

playwright_api = pytest.importorskip("playwright.sync_api")

CHUNK = 64 * 1024
LIBRARY_TIMEOUT_MS = 90_000


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("serve"), workers=2)
    running = start(settings, WebSettings(chunk_bytes=CHUNK), host="127.0.0.1", port=0, poll_s=0.2)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, media: MediaLibrary, ffmpeg_exe: str) -> dict[str, Path]:
    """A 3 s 854x480 clip (two renditions: 360p and 480p) with captions of the same name, and more."""
    folder = tmp_path_factory.mktemp("upload")
    clip = make_av(ffmpeg_exe, folder / "clip.mp4", size="854x480", duration=3.0)
    captions = shutil.copy(media.srt, folder / "clip.srt")
    broken = shutil.copy(media.corrupt_mp4, folder / "broken.mp4")
    song = shutil.copy(media.wav, folder / "song.wav")
    return {"clip": clip, "captions": Path(captions), "broken": Path(broken), "song": Path(song)}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium = ensure_chromium()
    if chromium is None:
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            pytest.fail("Chromium could not be installed with apt-get.")
        pytest.skip("needs /usr/bin/chromium (apt-get install chromium, as root)")
    with playwright_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(chromium), args=ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    errors: list[str] = []
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.console_errors = errors
    yield tab
    context.close()


def shoot(page: Any, name: str, tmp_path: Path) -> Path:
    folder = Path(os.environ.get("AVPIPE_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert 0 < path.stat().st_size < 300 * 1024, f"{path} is too big for the docs"
    return path


def upload(page: Any, url: str, *paths: Path) -> None:
    page.goto(url + "/")
    page.locator("body[data-ready]").wait_for(state="attached")
    page.set_input_files("#files", [str(p) for p in paths])


def wait_for_card(page: Any, name: str, state: str, kind: str = "") -> Any:
    kind_is = f'[data-kind="{kind}"]' if kind else ""
    card = page.locator(f'article.card[data-name="{name}"][data-state="{state}"]{kind_is}')
    card.wait_for(timeout=LIBRARY_TIMEOUT_MS)
    return card


def test_upload_video_with_captions_and_play_it(served: RunningApp, files: dict[str, Path], page: Any,
                                                tmp_path: Path) -> None:
    upload(page, served.url, files["clip"], files["captions"])
    for name in ("clip.mp4", "clip.srt"):
        page.locator(f'#queue li[data-name="{name}"][data-state="done"]').wait_for()
        assert page.locator(f'#queue li[data-name="{name}"] .percent').inner_text() == "100 %"
    chunks = [chunk for (name, chunk) in served.app.uploads.received if name == "clip.mp4"]
    assert len(chunks) >= 3 and sorted(chunks) == list(range(len(chunks)))
    shoot(page, "upload", tmp_path)

    page.goto(served.url + "/library")
    card = wait_for_card(page, "clip", "complete", "video")  # the .srt alone may make a complete caption asset first
    assert card.locator("img").count() == 1  # the thumbnail
    # the .srt may be converted just after the video completes
    wait_until(lambda: served.app.library.asset("clip")["links"]["captions"], LIBRARY_TIMEOUT_MS / 1000)  # type: ignore[index]
    card.locator("a.title").click()
    page.wait_for_url(re.compile(r"/asset/clip$"))
    video = page.locator("video")
    video.wait_for()
    can_play = page.evaluate("""() => document.querySelector('video').canPlayType('video/mp4; codecs="avc1.64001f"')""")
    assert can_play in ("probably", "maybe"), "this Chromium cannot play H.264"
    hls = page.evaluate("() => document.createElement('video').canPlayType('application/vnd.apple.mpegurl')") != ""
    # the HLS master (automatic switching) where Chromium plays HLS itself, then the two MP4 renditions
    assert page.locator("#rendition option").count() == (3 if hls else 2)
    if hls:
        assert page.evaluate("() => document.querySelector('video').src").endswith("/clip.m3u8")
        assert page.locator('ul.links a[href$="/clip.mpd"]').count() == 1  # DASH linked for other players
        assert page.locator('ul.links a[href$=".cmfv"]').count() == 0  # segments are not listed one by one
    assert caption_cues(page) > 0
    playing_from = play(page, 0.0)
    page.select_option("#rendition", index=2 if hls else 1)
    page.wait_for_function("() => document.querySelector('video').src.includes('_360p.mp4')")
    play(page, playing_from)  # the switch keeps the position and playback goes on
    shoot(page, "asset", tmp_path)
    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, "asset-phone", tmp_path)
    assert page.console_errors == []


def caption_cues(page: Any) -> int:
    page.evaluate("() => { document.querySelector('video').textTracks[0].mode = 'showing'; }")
    page.wait_for_function("() => (document.querySelector('video').textTracks[0].cues || []).length > 0")
    return int(page.evaluate("() => document.querySelector('video').textTracks[0].cues.length"))


def play(page: Any, at_least: float) -> float:
    """Play muted until currentTime moves past ``at_least`` + 0.3 s; return where it got to."""
    page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; return v.play(); }")
    page.wait_for_function(f"() => document.querySelector('video').currentTime > {at_least + 0.3}")
    return float(page.evaluate("() => document.querySelector('video').currentTime"))


def test_corrupt_upload_fails_with_a_reason_and_can_be_retried(served: RunningApp, files: dict[str, Path],
                                                                page: Any, tmp_path: Path) -> None:
    upload(page, served.url, files["broken"])
    page.locator('#queue li[data-name="broken.mp4"][data-state="done"]').wait_for()
    page.goto(served.url + "/library")
    card = wait_for_card(page, "broken", "failed")
    assert "not audio, video or a caption file" in card.locator(".reason").inner_text()
    history = len(served.app.library.asset("broken")["history"])  # type: ignore[index]
    with page.expect_response(lambda r: r.url.endswith("/api/assets/broken/retry")) as answer:
        card.locator("button.retry").click()
    assert answer.value.status == 202
    wait_until(lambda: len(served.app.library.asset("broken")["history"]) > history)  # type: ignore[index]
    page.reload()
    card = wait_for_card(page, "broken", "failed")
    assert card.locator("button.retry").is_visible()
    shoot(page, "library", tmp_path)
    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, "library-phone", tmp_path)
    assert page.console_errors == []


def wait_until(condition: Any, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_an_interrupted_upload_resumes_without_resending_stored_chunks(served: RunningApp, files: dict[str, Path],
                                                                       page: Any) -> None:
    song = files["song"]
    chunks = -(-song.stat().st_size // CHUNK)
    assert chunks >= 4

    def cut_off(route: Any) -> None:
        body = route.request.post_data_buffer or b""
        match = re.search(rb'name="chunk"\r\n\r\n(\d+)', body)
        if match and int(match.group(1)) >= 2:
            route.abort()
        else:
            route.continue_()

    page.route("**/upload", cut_off)
    upload(page, served.url, song)
    row = page.locator('#queue li[data-name="song.wav"]')
    page.locator('#queue li[data-name="song.wav"][data-state="error"]').wait_for()
    assert row.locator("button.resume").is_visible()
    stored = served.app.uploads.status("song.wav")["stored"]
    assert stored == [0, 1]
    page.unroute("**/upload")
    page.console_errors.clear()  # the aborted requests were logged on purpose

    page.reload()  # as if the browser had been closed: choose the same file again
    page.locator("body[data-ready]").wait_for(state="attached")
    page.set_input_files("#files", str(song))
    page.locator('#queue li[data-name="song.wav"][data-state="done"]').wait_for()
    received = {chunk: n for (name, chunk), n in served.app.uploads.received.items() if name == "song.wav"}
    assert received == {i: 1 for i in range(chunks)}  # chunks 0 and 1 were not sent again
    resumed = page.locator('#queue li[data-name="song.wav"]').get_attribute("data-resumed")
    assert resumed == f"resuming: 2 of {chunks} chunks already stored"
    page.goto(served.url + "/library")
    wait_for_card(page, "song", "complete")
    assert page.console_errors == []


EVIL_DFXP = b"""<?xml version="1.0" encoding="UTF-8"?>
<tt xmlns="http://www.w3.org/ns/ttml" xml:lang="en">
  <body><div>
    <p begin="00:00:00.000" end="00:00:02.000">Hello</p>
    <p begin="00:00:02.000" end="00:00:04.000">World</p>
  </div></body>
  <html:script xmlns:html="http://www.w3.org/1999/xhtml">
    localStorage.setItem("pwned", localStorage.getItem("avpipe-token") || "no token");
    fetch("/api/assets?stolen=" + encodeURIComponent(localStorage.getItem("avpipe-token")));
  </html:script>
</tt>
"""


def test_an_uploaded_xml_with_script_cannot_run_in_the_app_origin(browser: Any, tmp_path: Path) -> None:
    """Issue 10 item 1: a DFXP caption (.xml) with an embedded XHTML script, uploaded and processed,
    then opened from the app's origin (framed and navigated to) must not run or read the token."""
    from avpipe.web.settings import WebSettings as Web

    from webclient import serve_app

    generator = serve_app(tmp_path, Web(serve_originals=True))
    api = next(generator)
    context = browser.new_context()
    try:
        assert api.post_chunk("evil.xml", EVIL_DFXP).status == 200
        manifest = api.runtime.process_key("inputs/evil.xml")
        assert manifest is not None and manifest.original, manifest
        original_url = f"{api.url}/files/{manifest.original}"
        assert api.request("GET", f"/files/{manifest.original}").body == EVIL_DFXP  # it is the stored upload
        page = context.new_page()
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(api.url + "/")
        page.evaluate("() => localStorage.setItem('avpipe-token', 'secret-in-storage')")
        page.evaluate("""(url) => new Promise(done => {
            const frame = document.createElement('iframe');
            frame.src = url; frame.onload = done; setTimeout(done, 3000);
            document.body.appendChild(frame); })""", original_url)
        with contextlib.suppress(playwright_api.Error):  # an attachment starts a download, not a page
            page.goto(original_url)
        page.wait_for_timeout(500)
        page.goto(api.url + "/")
        assert page.evaluate("() => localStorage.getItem('pwned')") is None
        assert not [url for url in requests if "stolen=" in url]
    finally:
        context.close()
        next(generator, None)


def test_the_library_pages_through_many_assets(browser: Any, tmp_path: Path) -> None:
    from test_asset_pages import fill

    from avpipe.web.settings import WebSettings as Web

    from webclient import serve_app

    generator = serve_app(tmp_path, Web())
    api = next(generator)
    context = browser.new_context()
    try:
        fill(api, 70)
        page = context.new_page()
        page.goto(api.url + "/library")
        page.locator("article.card").nth(59).wait_for()
        assert page.locator("article.card").count() == 60
        assert "the newest 60 of 70 shown" in page.locator("#summary").inner_text()
        assert page.locator("article.card").first.get_attribute("data-name") == "lecture-00069"
        page.locator("button.more").click()
        page.locator("article.card").nth(69).wait_for()
        assert page.locator("button.more").count() == 0
    finally:
        context.close()
        next(generator, None)


def test_an_asset_is_deleted_from_its_page_after_a_confirmation(browser: Any, tmp_path: Path) -> None:
    from test_asset_pages import fill

    from avpipe.web.settings import WebSettings as Web

    from webclient import serve_app

    generator = serve_app(tmp_path, Web())
    api = next(generator)
    context = browser.new_context()
    try:
        fill(api, 1)
        page = context.new_page()
        page.goto(api.url + "/asset/lecture-00000")
        dialogs: list[str] = []
        page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.locator("button.delete").click()
        page.wait_for_timeout(200)
        assert dialogs and "cannot be undone" in dialogs[0]
        assert api.request("GET", "/api/assets/lecture-00000").status == 200  # dismissed: nothing happened
        page.once("dialog", lambda dialog: dialog.accept())
        page.locator("button.delete").click()
        page.wait_for_url(re.compile(r"/library$"))
        assert api.request("GET", "/api/assets/lecture-00000").status == 404
    finally:
        context.close()
        next(generator, None)


def test_labels_are_edited_on_the_asset_page_and_shown_in_the_library(browser: Any, tmp_path: Path) -> None:
    from test_asset_pages import fill

    from avpipe.web.settings import WebSettings as Web

    from webclient import serve_app

    generator = serve_app(tmp_path, Web())
    api = next(generator)
    context = browser.new_context()
    try:
        fill(api, 1)
        page = context.new_page()
        page.goto(api.url + "/asset/lecture-00000")
        page.fill("form.edit input[name=title]", "Week 1: Introduction")
        page.fill("form.edit textarea[name=description]", "The first lecture.")
        page.fill("form.edit input[name=tags]", "intro, week 1")
        page.locator("form.edit button[type=submit]").click()
        page.locator("h1", has_text="Week 1: Introduction").wait_for()
        assert page.locator("p.description").inner_text() == "The first lecture."
        page.goto(api.url + "/library")
        card = page.locator('article.card[data-name="lecture-00000"]')
        assert card.locator("a.title").inner_text() == "Week 1: Introduction"
        assert card.locator(".tags").inner_text() == "intro · week 1"
    finally:
        context.close()
        next(generator, None)


def test_the_last_verification_is_marked_in_the_library_and_on_the_asset_page(browser: Any, tmp_path: Path) -> None:
    from dataclasses import replace

    from test_asset_pages import fill

    from avpipe.manifest import load_manifest, save_manifest
    from avpipe.manifest.model import Verification
    from avpipe.web.settings import WebSettings as Web

    from webclient import serve_app

    generator = serve_app(tmp_path, Web())
    api = next(generator)
    context = browser.new_context()
    try:
        fill(api, 3)
        marks = {"lecture-00001": Verification("2026-12-02T10:00:00Z", True, True, 4),
                 "lecture-00002": Verification("2026-12-02T10:00:00Z", False, False, 4,
                                               ("audiovideo/lecture-00002_720p.mp4 has changed (digest differs).",))}
        for name, check in marks.items():
            manifest = load_manifest(api.runtime.public, name)
            assert manifest is not None
            save_manifest(api.runtime.public, replace(manifest, verification=check))
        page = context.new_page()
        page.goto(api.url + "/library")
        page.locator('article.card[data-name="lecture-00002"] .verification').wait_for()
        assert page.locator('article.card[data-name="lecture-00000"] .verification').count() == 0  # none has run
        verified = page.locator('article.card[data-name="lecture-00001"] .verification.ok')
        assert verified.inner_text() == "verified + decoded"
        assert page.locator('article.card[data-name="lecture-00002"] .verification.failed').count() == 1
        page.goto(api.url + "/asset/lecture-00002")
        page.locator(".asset-head .verification.failed").wait_for()
        assert "lecture-00002_720p.mp4 has changed" in page.locator("ul.problems").inner_text()
    finally:
        context.close()
        next(generator, None)


def test_the_preview_plays_while_the_ladder_runs_then_the_stream_replaces_it(
        browser: Any, page: Any, tmp_path: Path, ffmpeg_exe: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The ladder's job is held back until the page has played the preview, so "while" is certain."""
    import threading

    from avpipe.transcode.local import LocalTranscoder

    ladder_may_run = threading.Event()
    real_submit = LocalTranscoder.submit

    def held_submit(self: LocalTranscoder, request: dict[str, Any]) -> str:
        if request["UserMetadata"].get("role") != "preview":
            ladder_may_run.wait(timeout=120)
        return real_submit(self, request)

    monkeypatch.setattr(LocalTranscoder, "submit", held_submit)
    clip = make_av(ffmpeg_exe, tmp_path / "talk.mp4", size="854x480", duration=6.0)
    running = start(Settings(data_dir=tmp_path / "data", workers=1), WebSettings(chunk_bytes=CHUNK),
                    host="127.0.0.1", port=0, poll_s=0.2)
    try:
        upload(page, running.url, clip)
        page.locator('#queue li[data-name="talk.mp4"][data-state="done"]').wait_for()
        page.goto(running.url + "/asset/talk")
        preview = page.locator("video.preview")
        preview.wait_for(timeout=LIBRARY_TIMEOUT_MS)
        assert page.locator(".badge").first.inner_text().lower().startswith("processing")
        src = page.evaluate("() => document.querySelector('video').src")
        assert src.endswith("/files/audiovideo/talk_preview.mp4")
        played = play(page, 0.0)  # the preview plays while the ladder has not even started
        asset = page.request.get(running.url + "/api/assets/talk").json()
        assert asset["state"] == "processing" and asset["playable_at"] and asset["preview"]["kind"] == "preview"

        ladder_may_run.set()
        page.locator("video:not(.preview)").wait_for(timeout=LIBRARY_TIMEOUT_MS)  # complete: the full player
        page.wait_for_function(f"() => document.querySelector('video').currentTime >= {played - 0.5}")  # went on
        assert "_preview" not in page.evaluate("() => document.querySelector('video').src")
        assert page.request.get(src).status == 404  # the preview is gone once the ladder is published
        assert [e for e in page.console_errors if "404" not in e] == []  # a request racing its removal may 404
    finally:
        ladder_may_run.set()
        running.stop()
