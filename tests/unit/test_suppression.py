"""Small-number suppression across teams: no view of the grid gives a hidden count away."""

from __future__ import annotations

import itertools
import uuid

from youthapp.services.suppression import THRESHOLD, Grid

A, B, C = (uuid.UUID(int=n) for n in (1, 2, 3))
PARTS = ("x", "y", "z")


def grid(counts: dict[uuid.UUID, dict[str, int]]) -> Grid:
    made = Grid([A, B, C], ["total", *PARTS], [("total", PARTS)])
    for team, cells in counts.items():
        for key, n in cells.items():
            made.add(team, "total", n)
            made.add(team, key, n)
    made.protect()
    return made


def recoverable(made: Grid) -> list[str]:
    """Hidden cells that one subtraction of shown cells would give away: a shown total less
    its shown parts, when exactly one part is hidden (within a team, or across teams)."""
    found = []
    rows = {**{str(team): row for team, row in made.rows.items()}, "programme": made.programme}
    for name, row in rows.items():
        if not row["total"].suppressed:
            hidden = [key for key in PARTS if row[key].suppressed]
            if len(hidden) == 1 or (hidden and sum(row[k].raw for k in hidden) < THRESHOLD):
                found.append(f"{name}.{hidden}")
    for key in ("total", *PARTS):
        if not made.programme[key].suppressed:
            hidden = [team for team in made.rows if made.rows[team][key].suppressed]
            if len(hidden) == 1 or (
                hidden and sum(made.rows[t][key].raw for t in hidden) < THRESHOLD
            ):
                found.append(f"{key} across {hidden}")
    return found


def test_a_teams_small_count_is_not_the_programmes_less_the_others():
    made = grid({A: {"x": 3}, B: {"x": 10}, C: {"x": 0}})
    assert made.rows[A]["x"].suppressed and made.rows[B]["x"].suppressed
    assert not made.programme["x"].suppressed and made.programme["x"].raw == 13
    assert recoverable(made) == []


def test_no_grid_of_small_counts_leaves_a_cell_to_subtraction():
    for a, b, c in itertools.product((0, 1, 3, 6), (0, 2, 5, 9), (0, 4, 7)):
        made = grid({A: {"x": a, "y": b}, B: {"x": b, "z": c}, C: {"y": c, "z": a}})
        assert recoverable(made) == [], (a, b, c)


def test_a_report_for_two_teams_shows_a_sum_only_where_both_are_shown():
    made = grid({A: {"x": 3, "y": 8}, B: {"x": 9, "y": 9}, C: {"y": 20}})
    both = made.view([A, B])
    assert both["x"].suppressed  # A's 3 is hidden, so 12 would give it away with B's 9
    # A's y goes with its x (else 11 - 8 gives the 3), B's with B's x across teams.
    assert both["y"].suppressed
    assert not both["total"].suppressed and both["total"].raw == 29
    assert made.view(None) is made.programme and made.view([C]) is made.rows[C]
