"""Shared fixtures: the ffmpeg executable and lazily generated media clips."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from avpipe.ffmpeg import find_ffmpeg
from avpipe.ffmpeg.locate import wheel_ffmpeg

from hostile_corpus import Listener
from media import MediaLibrary


@pytest.fixture(scope="session")
def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary avpipe itself would use."""
    return find_ffmpeg()


@pytest.fixture(scope="session")
def media_ffmpeg() -> str:
    """The ffmpeg that makes test media: imageio-ffmpeg's recent build, whatever ffmpeg is on PATH.

    Test clips use options older builds lack (``-display_rotation`` needs 6.0), so they are made
    with the wheel's build; the pipeline under test still runs ``ffmpeg_exe``, which may be an
    older distribution ffmpeg (Debian 12's 5.1).
    """
    return wheel_ffmpeg()


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory, media_ffmpeg: str) -> MediaLibrary:
    """Small real clips, each made on first use: ``media.rotated``, ``media.get("mp3")``."""
    return MediaLibrary(tmp_path_factory.mktemp("media"), media_ffmpeg)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """The URL of a moto server (S3, SNS, SQS...) on 127.0.0.1, shared by the session."""
    from moto_server import running_moto_server

    with running_moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def listener() -> Iterator[Listener]:
    """A TCP listener on 127.0.0.1 counting connections: proof that nothing reached out."""
    server = Listener()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def _avpipe_logging_restored() -> Iterator[None]:
    """An in-process CLI run (or a fixture starting one) sets up avpipe's logging: WARNING, its own
    stderr handler, no propagation. Each test starts from the library default instead, so caplog
    sees avpipe's records whatever ran before."""
    import logging

    logger = logging.getLogger("avpipe")
    logger.setLevel(logging.NOTSET)
    logger.propagate = True
    logger.handlers[:] = [h for h in logger.handlers if type(h) is not logging.StreamHandler]
    yield
