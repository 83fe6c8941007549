"""Small-number suppression: what the outcome report may publish without letting anyone work
out a count small enough to point at a person.

Small-number suppression (the rule the report states in every answer, as SUPPRESSION_RULE):

1. Primary: a count of 1 to 4 is never shown; it is published as null with
   `suppressed: true`. A zero is shown as 0: "nobody" identifies nobody, and UK official
   statistics (ONS, NHS England) show true zeros beside suppressed 1-4 counts.
2. Secondary: where the cells of a breakdown add up to a total that is shown (referrals by
   source, by decision; attended + missed; received + not received; goals by domain; alerts
   by kind; acknowledged + not), a single hidden cell could be recovered by subtraction, and
   two hidden cells adding up to less than 5 (1 + 1, say) give themselves away too. So while a
   breakdown hides exactly one cell, or hidden cells that add up to less than 5, the smallest
   other non-zero cell is hidden as well (the total, if no such cell were left).
3. A rate or a median is shown only when every count it is made from is shown (numerator,
   denominator, and the remainder between them, which is a cell of the same breakdown): it
   would otherwise let a hidden count be worked back out. A rate of nothing (no appointments
   recorded, no check-ins expected) is null and not suppressed: there is nothing to hide.

Active caseload by domain is not a breakdown of its total (one young person can have several
needs), so subtraction recovers nothing there and only the primary rule applies to it.

Teams. A programme with teams publishes each figure for a team, for the teams of a
coordinator, and (to leads) for the whole programme. Each team's cells add up to the
programme's, so teams are one more breakdown: a team's hidden count could otherwise be had
as the programme's minus the other teams'. Every report is therefore worked out on the whole
grid, every team's cells and the programme's (`Grid`): rules 1 and 2 are applied within each
team's breakdowns and across the teams of every cell, again and again until nothing more is
hidden, so that a team's report, another team's and the programme's agree on what is hidden.
A report for several teams at once (a coordinator in two) shows a sum only where every team's
cell in it is shown: hidden cells never enter a published sum.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

THRESHOLD = 5
RULE = (
    "Counts of 1 to 4 are not shown (null, suppressed: true); zeros are shown. Where the "
    "cells of a breakdown add up to a shown total, and one cell is hidden, or hidden cells "
    "add up to less than 5, the next smallest non-zero cell is hidden too, so that no hidden "
    "count can be worked out by subtraction. A rate or median is shown only when every count "
    "it is made from is shown, and a median only when it is taken over 5 or more alerts."
)


@dataclass(frozen=True)
class Count:
    """A published count: the number, or null when suppressed."""

    value: int | None
    suppressed: bool


@dataclass(frozen=True)
class Measure:
    """A published rate or median: null when suppressed or when there is nothing to measure."""

    value: float | None
    suppressed: bool


@dataclass
class Cell:
    """A count while the report is being made: its true value, and whether it will be hidden."""

    raw: int
    suppressed: bool = False

    def publish(self) -> Count:
        return Count(None, True) if self.suppressed else Count(self.raw, False)


def cells(keys: Sequence[str], rows: Iterable[tuple[str, int]]) -> dict[str, Cell]:
    """One cell per key of the vocabulary, zero where no row has it (others are ignored)."""
    counts = dict.fromkeys(keys, 0)
    for key, n in rows:
        if key in counts:
            counts[key] += n
    return {key: Cell(n) for key, n in counts.items()}


def protect(total: Cell, *breakdowns: Iterable[Cell]) -> None:
    """Suppress the total and the cells of breakdowns that add up to it (rules 1 and 2)."""
    groups = tuple(list(group) for group in breakdowns)
    for cell in (total, *(cell for group in groups for cell in group)):
        cell.suppressed = cell.suppressed or _small(cell)
    for group in groups:
        while not total.suppressed:
            hidden = [cell for cell in group if cell.suppressed]
            if not hidden or (len(hidden) > 1 and sum(c.raw for c in hidden) >= THRESHOLD):
                break
            shown = [cell for cell in group if not cell.suppressed and cell.raw > 0]
            if not shown:
                # Cannot happen when the cells add up to the total (the hidden ones would be
                # all of it, and so small themselves); hiding the total is the safe side.
                total.suppressed = True
                break
            min(shown, key=lambda cell: cell.raw).suppressed = True


def rate(numerator: Cell, denominator: Cell) -> Measure:
    """numerator / denominator as a fraction (0 to 1), shown only if both are (rule 3)."""
    if numerator.suppressed or denominator.suppressed:
        return Measure(None, suppressed=True)
    if denominator.raw == 0:
        return Measure(None, suppressed=False)
    return Measure(round(numerator.raw / denominator.raw, 3), suppressed=False)


def median(over: Cell, compute: Callable[[], float]) -> Measure:
    """The median of `over.raw` values, worked out by `compute` only when it may be shown:
    when the count is shown and is at least THRESHOLD (rule 3)."""
    if over.raw == 0:
        return Measure(None, suppressed=False)
    if over.suppressed or over.raw < THRESHOLD:
        return Measure(None, suppressed=True)
    return Measure(round(compute(), 1), suppressed=False)


def publish(group: Mapping[str, Cell]) -> dict[str, Count]:
    return {key: cell.publish() for key, cell in group.items()}


@dataclass
class Grid:
    """One figure group's cells, for every team and for the programme (their sum), keyed by
    name ("total", "by_source:teacher"); `breakdowns` say which cells add up to which."""

    team_ids: Collection[uuid.UUID]
    keys: Sequence[str]
    breakdowns: Sequence[tuple[str, Sequence[str]]] = ()
    rows: dict[uuid.UUID, dict[str, Cell]] = field(init=False)
    programme: dict[str, Cell] = field(init=False)

    def __post_init__(self) -> None:
        self.rows = {team: {key: Cell(0) for key in self.keys} for team in self.team_ids}
        self.programme = {key: Cell(0) for key in self.keys}

    def add(self, team_id: uuid.UUID, key: str, n: int) -> None:
        if team_id in self.rows and key in self.programme:
            self.rows[team_id][key].raw += n
            self.programme[key].raw += n

    def protect(self) -> None:
        """Rules 1 and 2 within each row's breakdowns and across the teams of each cell,
        until nothing more is hidden."""
        rows = [*self.rows.values(), self.programme]
        while True:
            before = [cell.suppressed for row in rows for cell in row.values()]
            for row in rows:
                for cell in row.values():
                    protect(cell)
                for total, parts in self.breakdowns:
                    protect(row[total], (row[part] for part in parts))
            for key in self.keys:
                protect(self.programme[key], (row[key] for row in self.rows.values()))
            if before == [cell.suppressed for row in rows for cell in row.values()]:
                return

    def view(self, team_ids: Collection[uuid.UUID] | None) -> dict[str, Cell]:
        """The cells as published for these teams (None: the programme)."""
        if team_ids is None:
            return self.programme
        chosen = [self.rows[team] for team in team_ids if team in self.rows]
        if len(chosen) == 1:
            return chosen[0]
        return {
            key: Cell(
                sum(row[key].raw for row in chosen),
                suppressed=any(row[key].suppressed for row in chosen),
            )
            for key in self.keys
        }


def _small(cell: Cell) -> bool:
    return 0 < cell.raw < THRESHOLD
