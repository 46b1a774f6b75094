"""Manifest.moved_to: what a transition records, with no store and no clock but the one given."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from avpipe.manifest.model import Manifest, Status, iso

START = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)


def _processing(kind: str, playable_at: str | None = None) -> Manifest:
    stamp = iso(START)
    return Manifest(name="talk", kind=kind, status=Status.PROCESSING, created_at=stamp, updated_at=stamp,
                    playable_at=playable_at)


@pytest.mark.parametrize("kind", ["video", "audio"])
def test_completing_without_a_preview_is_playable_from_the_same_stamp(kind: str) -> None:
    done = _processing(kind).moved_to(Status.COMPLETE, START + timedelta(seconds=3, microseconds=999), "done")
    assert done.completed_at is not None and done.playable_at == done.completed_at == done.updated_at


def test_completing_keeps_the_earlier_preview_stamp() -> None:
    early = iso(START + timedelta(seconds=1))
    done = _processing("video", early).moved_to(Status.COMPLETE, START + timedelta(seconds=9), "done")
    assert done.playable_at == early and done.completed_at != early


@pytest.mark.parametrize("kind", ["caption", "unsupported"])
def test_assets_without_media_are_never_playable(kind: str) -> None:
    done = _processing(kind).moved_to(Status.COMPLETE, START, "done")
    assert done.playable_at is None and done.completed_at == iso(START)


def test_failing_records_no_playable_stamp() -> None:
    failed = _processing("video").moved_to(Status.FAILED, START, "broken")
    assert failed.playable_at is None and failed.completed_at is None
