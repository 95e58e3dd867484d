"""The first secondary-suppression method (issue 6), kept as the fallback of
``stats_suppress.suppression_marks`` when the solver cannot be used or runs out of time, and
as the "before" that tests/reports/test_stats_suppress_years.py measures the new method against.

A heuristic in three steps, repeated until nothing changes:

1. **Groups.** While a hidden member of an additive group (its total counted as one more
   member) can be worked out — only one is hidden, or they must all sit at the ends of their
   ranges to add up — the smallest shown count above 0 of the group is hidden too, or else
   its total.
2. **Links.** The same quantity shown in several tables is hidden everywhere once it is
   hidden anywhere.
3. **Rectangles** (two-way tables). Every ``<3`` must be a corner of a rectangle of hidden
   cells that can all move by one (+1 −1 −1 +1; a total moves with its part) without leaving
   their ranges; if there is none, the rectangle that hides the fewest and smallest further
   counts is completed.

It protects every small count the brute-force tests try, but greedily: it hides grand
totals and whole rows where a cheaper pattern exists (issue 17).

Pure: no Qt, no database.
"""

from collections import defaultdict

from shakyo_desk.reports.stats_cells import INFINITY, PRIMARY, SECONDARY, Marks, additive_groups, is_count
from shakyo_desk.store.services.stats import Table


def _bounds(mark: str | None, value: int, threshold: int) -> tuple[float, float]:
    """What a careful reader can tell of a cell: its value when shown; when hidden, whether it is
    small (1 … threshold−1) or not (threshold or more)."""
    if mark is None:
        return value, value
    if 0 < value < threshold:
        return 1, threshold - 1
    return threshold, INFINITY


def _determined(table: Table, marks: list[list[str | None]], body, total, threshold: int) -> bool:
    """Can a hidden cell of this group (body cells adding up to the total) be worked out?
    With one hidden cell, always; with more, when the hidden ones must all sit at the ends
    of their ranges for the group to add up."""
    members = [(cell, 1) for cell in body] + [(total, -1)]
    hidden = [(cell, sign) for cell, sign in members if marks[cell[0]][cell[1]] is not None]
    if not hidden:
        return False
    if len(hidden) == 1:
        return True
    known = -sum(sign * (table.rows[r].values[c] or 0) for (r, c), sign in members if marks[r][c] is None)
    low = high = 0.0
    for (r, c), sign in hidden:
        lo, hi = _bounds(marks[r][c], table.rows[r].values[c] or 0, threshold)
        low += sign * (lo if sign > 0 else hi)
        high += sign * (hi if sign > 0 else lo)
    return known in (low, high)


def _secondary(table: Table, marks: list[list[str | None]], threshold: int) -> bool:
    changed = False
    for body, total in additive_groups(table):
        tr, tc = total
        if not is_count(table, tr, tc):
            continue
        while _determined(table, marks, body, total, threshold):
            candidates = [(table.rows[r].values[c], r, c) for r, c in body
                          if marks[r][c] is None and is_count(table, r, c) and table.rows[r].values[c] > 0]
            if candidates:
                _, r, c = min(candidates)
                marks[r][c] = SECONDARY
            elif marks[tr][tc] is None and table.rows[tr].values[tc]:
                marks[tr][tc] = SECONDARY
            else:
                break  # every non-zero cell of the group is hidden already: nothing more can help
            changed = True
    return changed


def _movable(table: Table, marks, corners, threshold: int, new: set) -> bool:
    """Can every corner move by one (in its sign's direction, either way) and stay within
    what its mark says (``new`` cells counted as 秘匿)?"""
    for delta in (1, -1):
        if all(_bounds(SECONDARY if (r, c) in new else marks[r][c], table.rows[r].values[c], threshold)[0]
               <= table.rows[r].values[c] + delta * sign
               <= _bounds(SECONDARY if (r, c) in new else marks[r][c], table.rows[r].values[c], threshold)[1]
               for r, c, sign in corners):
            return True
    return False


def _rectangles(table: Table, marks: list[list[str | None]], threshold: int) -> bool:
    """Two-way tables: every "<3" must lie on a rectangle of hidden cells that can all move by
    one (+1, −1, −1, +1 — a total moving with its part). Missing corners are hidden, choosing
    the rectangle that hides the fewest and smallest counts."""
    total_row = next((i for i, r in enumerate(table.rows) if r.total), None)
    if table.row_total is None or total_row is None:
        return False
    total_col, parts = table.row_total
    rows = [i for i, r in enumerate(table.rows) if not r.total] + [total_row]
    cols = [*parts, total_col]
    changed = False
    for i in rows:
        for j in cols:
            if marks[i][j] != PRIMARY:
                continue
            best = None
            for i2 in rows:
                for j2 in cols:
                    if i2 == i or j2 == j:
                        continue
                    row_sign = {i: 1, i2: 1 if total_row in (i, i2) else -1}
                    col_sign = {j: 1, j2: 1 if total_col in (j, j2) else -1}
                    corners = [(r, c, row_sign[r] * col_sign[c]) for r in (i, i2) for c in (j, j2)]
                    new = {(r, c) for r, c, _ in corners if marks[r][c] is None}
                    if any(not is_count(table, r, c) or not table.rows[r].values[c] for r, c in new):
                        continue
                    if not _movable(table, marks, corners, threshold, new):
                        continue
                    cost = (len(new), sum(table.rows[r].values[c] for r, c in new), sorted(new))
                    if best is None or cost < best:
                        best = cost
            if best is not None and best[0]:
                for r, c in best[2]:
                    marks[r][c] = SECONDARY
                changed = True
    return changed


def _propagate_links(tables: dict[str, Table], marks: Marks) -> bool:
    cells: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    for tid, table in tables.items():
        for r, row in enumerate(table.rows):
            for c in range(len(table.columns)):
                if row.link(c):
                    cells[row.link(c)].append((tid, r, c))
    changed = False
    for linked in cells.values():
        strongest = SECONDARY if any(marks[t][r][c] == SECONDARY for t, r, c in linked) else \
            PRIMARY if any(marks[t][r][c] for t, r, c in linked) else None
        if strongest is None:
            continue
        for t, r, c in linked:
            mark = marks[t][r][c]
            if mark != SECONDARY and (mark is None or strongest == SECONDARY) and is_count(tables[t], r, c) \
                    and tables[t].rows[r].values[c]:
                marks[t][r][c] = SECONDARY
                changed = True
    return changed


def legacy_secondary(tables: dict[str, Table], marks: Marks, threshold: int) -> None:
    """Add the heuristic's 秘匿 cells to ``marks`` (which holds the primary cells)."""
    for _ in range(1000):  # each round hides at least one more cell, so this ends
        changed = False
        for tid, table in tables.items():
            changed |= _secondary(table, marks[tid], threshold)
            changed |= _rectangles(table, marks[tid], threshold)
        changed |= _propagate_links(tables, marks)
        if not changed:
            break
