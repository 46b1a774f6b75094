"""The ladder planner: rung choice and exact sizes, including hypothesis properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from avpipe.errors import BadInputError
from avpipe.planning.ladder import MIN_SIDE, box, plan_ladder

DEFAULT = (360, 480, 720, 1080)


def sizes(w: int, h: int, rungs: tuple[int, ...] = DEFAULT) -> list[tuple[int, int, int]]:
    return [(r.rung, r.width, r.height) for r in plan_ladder(w, h, rungs)]


def test_boxes() -> None:
    assert box(360) == (640, 360)
    assert box(480) == (854, 480)
    assert box(1080, portrait=True) == (1080, 1920)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ((1920, 1080), [(360, 640, 360), (480, 854, 480), (720, 1280, 720), (1080, 1920, 1080)]),
        ((1280, 720), [(360, 640, 360), (480, 854, 480), (720, 1280, 720)]),
        ((720, 1280), [(360, 360, 640), (480, 480, 854), (720, 720, 1280)]),
        ((1024, 576), [(360, 640, 360), (480, 854, 480)]),  # anamorphic PAL 16:9 shown at 1024x576
        ((1440, 1080), [(360, 480, 360), (480, 640, 480), (720, 960, 720), (1080, 1440, 1080)]),
        ((1920, 800), [(360, 640, 266), (480, 854, 356), (720, 1280, 534), (1080, 1920, 800)]),
        ((3840, 2160), [(360, 640, 360), (480, 854, 480), (720, 1280, 720), (1080, 1920, 1080)]),
        ((853, 480), [(360, 640, 360), (480, 852, 480)]),  # never upscaled by rounding
    ],
)
def test_known_ladders(source: tuple[int, int], expected: list[tuple[int, int, int]]) -> None:
    assert sizes(*source) == expected


def test_source_below_every_rung_gets_one_rendition_named_by_short_side() -> None:
    assert sizes(256, 144) == [(144, 256, 144)]
    assert sizes(90, 160) == [(90, 90, 160)]
    assert sizes(161, 91) == [(90, 160, 90)]  # odd display sizes round down to even
    assert plan_ladder(256, 144, DEFAULT)[0].from_ladder is False


def test_optional_high_rungs() -> None:
    assert [r.rung for r in plan_ladder(3840, 2160, (360, 720, 1440, 2160))] == [360, 720, 1440, 2160]


def test_too_small_is_bad_input() -> None:
    with pytest.raises(BadInputError, match="at least 32x32"):
        plan_ladder(16, 16, DEFAULT)


dimension = st.integers(min_value=MIN_SIDE, max_value=8192)


@given(dimension, dimension, st.sets(st.sampled_from([360, 480, 720, 1080, 1440, 2160]), min_size=1))
def test_ladder_properties(width: int, height: int, rungs: set[int]) -> None:
    if max(width, height) / min(width, height) > 8:
        return  # extreme strips are checked separately below
    plan = plan_ladder(width, height, tuple(rungs))
    assert plan, "every source gets at least one rendition"
    for rendition in plan:
        assert rendition.width % 2 == 0 and rendition.height % 2 == 0, "even sizes"
        assert rendition.width <= width and rendition.height <= height, "never upscaled"
        box_w, box_h = box(rendition.rung, portrait=height > width) if rendition.from_ladder else (width, height)
        assert rendition.width <= box_w and rendition.height <= box_h, "fits its box"
        if min(rendition.width, rendition.height) >= 100:
            error = abs(rendition.width / rendition.height - width / height) / (width / height)
            assert error < 0.01, "display aspect kept within 1 %"
    rung_list = [r.rung for r in plan]
    assert rung_list == sorted(set(rung_list))


@given(dimension, dimension)
def test_strips_either_encode_or_fail_clearly(width: int, height: int) -> None:
    try:
        plan = plan_ladder(width, height, DEFAULT)
    except BadInputError:
        return
    assert all(min(r.width, r.height) >= MIN_SIDE for r in plan)
