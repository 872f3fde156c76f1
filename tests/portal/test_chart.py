"""The units chart's geometry (pure) and the decision deadlines of the work queue."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from precert.participants.chart import HEIGHT, WIDTH, Chart, units_chart
from precert.policy.loader import default_policy_book
from precert.precerts.queue import deadline
from precert.rules.facts import Authorization

THERAPIES = [
    ("physical_therapy", "physical therapy"),
    ("chiropractic", "chiropractic"),
    ("acupuncture", "acupuncture"),
]
FIRST, LAST = date(2026, 1, 1), date(2026, 12, 31)
POLICY = default_policy_book().policies[-1]


def held(therapy: str, start: date, units: int, n: int = 0) -> Authorization:
    return Authorization(
        precert_id=f"PC-{therapy[:4].upper()}{n:06d}",
        therapy=therapy,
        start_date=start,
        end_date=start + timedelta(days=364),
        units=units,
    )


def chart(
    *authorizations: Authorization, limit: int = 120, today: date = date(2026, 3, 2)
) -> Chart:
    return units_chart(
        first=FIRST, last=LAST, limit=limit, therapies=THERAPIES, held=authorizations, today=today
    )


def points(polygon: str) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in (p.split(",") for p in polygon.split())]


YEAR = (
    held("physical_therapy", date(2026, 2, 1), 8, 1),
    held("chiropractic", date(2026, 5, 1), 20, 2),
    held("physical_therapy", date(2026, 6, 1), 10, 3),
    held("physical_therapy", date(2025, 12, 1), 50, 4),  # the year before: not counted
)


def test_each_band_totals_its_therapys_units_in_the_year() -> None:
    c = chart(*YEAR)
    assert [(b.key, b.label, b.units) for b in c.bands] == [
        ("physical_therapy", "physical therapy", 18),
        ("chiropractic", "chiropractic", 20),
        ("acupuncture", "acupuncture", 0),
    ]
    assert c.total == 38 and c.limit == 120
    assert len({b.colour for b in c.bands}) == 3


def test_the_description_states_every_figure() -> None:
    assert chart(*YEAR).description == (
        "Units authorized in the benefit year 2026-01-01 to 2026-12-31: physical therapy 18, "
        "chiropractic 20, acupuncture 0; 38 of the 120-unit limit, 82 remaining; 0 used on claims."
    )


def test_the_description_of_a_year_over_the_limit_says_none_remain() -> None:
    c = chart(held("physical_therapy", date(2026, 1, 5), 100), held("acupuncture", FIRST, 30))
    assert c.total == 130
    assert c.description.endswith("130 of the 120-unit limit, 0 remaining; 0 used on claims.")


@pytest.mark.parametrize("total", [0, 38, 120, 130])
def test_the_limit_line_lies_inside_the_plot_below_its_top(total: int) -> None:
    c = chart(held("physical_therapy", date(2026, 2, 1), total)) if total else chart()
    assert c.top < c.limit_y < c.bottom  # SVG y grows downwards: "below the top"
    assert (c.width, c.height) == (WIDTH, HEIGHT)
    top_tick = min(t.at for t in c.y_ticks)
    assert top_tick < c.limit_y  # the axis goes past the limit
    assert int(max(c.y_ticks, key=lambda t: t.at).label) == 0


def test_the_bands_stack_each_on_the_one_below() -> None:
    c = chart(*YEAR)
    floor_y = c.bottom
    below = None
    for band in c.bands:
        outline = points(band.points)
        half = len(outline) // 2
        ceiling, floor = outline[:half], list(reversed(outline[half:]))
        if below is None:
            assert {y for _, y in floor} == {floor_y}  # the first band stands on the axis
        else:
            assert floor == below  # the next band's floor is the previous band's ceiling
        assert ceiling[0][0] == c.left and ceiling[-1][0] == c.right
        assert all(cy <= fy for (_, cy), (_, fy) in zip(ceiling, floor, strict=True))
        below = ceiling
    assert below is not None
    # The top edge ends at the year's total: 38 units, in the plot's scale.
    y_of = {int(t.label): t.at for t in c.y_ticks}
    scale = (y_of[0] - min(y_of.values())) / max(y_of)
    assert below[-1][1] == pytest.approx(c.bottom - 38 * scale, abs=0.1)


def test_the_steps_come_where_each_authorization_starts() -> None:
    c = chart(*YEAR)
    outline = points(c.bands[0].points)
    ceiling = outline[: len(outline) // 2]
    day = (c.right - c.left) / 365
    steps = sorted({round(x, 1) for x, _ in ceiling} - {c.left, c.right})
    expected = [
        c.left + day * (d - FIRST).days
        for d in (date(2026, 2, 1), date(2026, 5, 1), date(2026, 6, 1))
    ]
    assert steps == pytest.approx(expected, abs=0.1)


def test_months_are_ticked_and_today_is_marked_only_within_the_year() -> None:
    c = chart(*YEAR)
    assert [t.label for t in c.x_ticks] == [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
    ]  # fmt: skip
    assert c.today_x is not None and c.left < c.today_x < c.right
    assert chart(*YEAR, today=date(2027, 1, 1)).today_x is None


def test_an_empty_year_has_flat_bands_on_the_axis() -> None:
    c = chart()
    assert c.total == 0 and all(b.units == 0 for b in c.bands)
    for band in c.bands:
        assert {y for _, y in points(band.points)} == {c.bottom}
    assert "0 of the 120-unit limit, 120 remaining" in c.description


# ---- decision deadlines -------------------------------------------------------------------

RECEIVED = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)


def test_an_expedited_request_is_due_within_72_hours() -> None:
    assert deadline(POLICY, "expedited", RECEIVED) == datetime(2026, 3, 5, 15, 30, tzinfo=UTC)


def test_a_standard_request_is_due_within_7_days() -> None:
    assert deadline(POLICY, "standard", RECEIVED) == datetime(2026, 3, 9, 15, 30, tzinfo=UTC)


def test_an_unknown_priority_gets_the_standard_time() -> None:
    assert deadline(POLICY, "whenever", RECEIVED) == RECEIVED + timedelta(days=7)


def test_the_used_line_climbs_by_the_units_used_on_each_date_of_service() -> None:
    used = [(date(2026, 3, 10), 5), (date(2026, 4, 1), 3), (date(2025, 12, 31), 9)]
    c = units_chart(
        first=FIRST,
        last=LAST,
        limit=120,
        therapies=THERAPIES,
        held=[held("physical_therapy", date(2026, 3, 2), 24)],
        today=date(2026, 3, 2),
        used=used,
    )
    assert c.used == 8  # the 9 units of the year before are not this year's
    assert c.description.endswith("24 of the 120-unit limit, 96 remaining; 8 used on claims.")
    line = points(c.used_points)
    heights = [c.bottom - y for _, y in line]
    assert heights[0] == 0 and heights[-1] > 0
    assert heights == sorted(heights)  # cumulative: never goes down
    assert line[-1][0] == c.right
