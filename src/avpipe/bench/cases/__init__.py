"""The benchmark cases, by number, in the order of the issue."""

from __future__ import annotations

from avpipe.bench.cases import captions, ladder, load, playable, quality, s3_analysis, s3_copy, s3_thumbnail, streaming
from avpipe.bench.cases.base import Case

CASES: dict[int, Case] = {c.number: c for c in (ladder.CASE, s3_analysis.CASE, s3_thumbnail.CASE,
                                                 s3_copy.CASE, captions.CASE, load.CASE,
                                                 streaming.CASE, quality.CASE, playable.CASE)}
