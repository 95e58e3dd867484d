"""Suppression of small counts in statistics that leave the council (DESIGN §7, issue 6).

In a village of a thousand people "2 households in 下村 with 虐待の疑い" names a family. So in
anything exported (CSV, PDF, JSON, the command line) a count of people, households or their
records that is above 0 and below the council's threshold (``stats_suppression_threshold``,
3 by default) is replaced by ``<3``. Zero is shown: it names nobody.

A hidden cell must not be recoverable from the others (**secondary suppression**). The
reader is assumed to know this rule, the sums, and even whether each hidden cell is small
(1 … threshold−1) or not. Three steps, repeated until nothing changes:

1. **Groups.** Every additive group — a column whose rows add up to its total row, a row whose
   parts add up to its total column (延べ = 名簿の方 + 人数のみ; つなぎ by outcome and 計) — is
   checked with its total as one more member. While its hidden members can be worked out —
   only one is hidden, or they must all sit at the ends of their ranges to add up — the
   smallest shown count above 0 of the group is hidden too (``秘匿``), or else its total.
2. **Links.** The same quantity shown in several tables (the number of contacts is in the
   summary, by method and by district) is hidden everywhere once it is hidden anywhere.
3. **Rectangles** (two-way tables only). Every ``<3`` must be a corner of a rectangle of
   hidden cells that can all move by one (+1 −1 −1 +1; a total moves with its part) without
   leaving their ranges: then a different table with the same shown numbers and the same sums
   exists. If there is none, the rectangle that hides the fewest and smallest further counts
   is completed. A rectangle is sufficient, not necessary, so this may hide a little more
   than strictly needed, never less.

What cannot be helped: a group made only of small counts — "<3" and "<3" adding up to a
"<3" total can only be 1 + 1 = 2. Such a group is left as it is (its cells still read <3).

A measure (median or mean days) is hidden when the count it is taken over is small; a
difference (増減) when either of its two numbers is hidden. Counts of events that are not
about people (salon sessions held, conferences held) are never hidden. Cells hidden only to
protect another are marked ``秘匿`` rather than ``<3``: their value is not small, and ``<3``
would mislead anyone adding up.

Tests check by brute force, on many random tables, that no ``<3`` can be worked out except
in the unhelpable case above (tests/reports/test_stats_suppress.py).

Pure: no Qt, no database. ``stats_render.render`` applies the marks.
"""

from collections import defaultdict
from collections.abc import Iterable

from shakyo_desk.domain.roles import Role
from shakyo_desk.store.services.stats import Table

PRIMARY = "primary"  # below the threshold: shown as <3
SECONDARY = "secondary"  # hidden so that a primary cell cannot be worked out: shown as 秘匿
SECONDARY_TEXT = "秘匿"
INFINITY = float("inf")

Marks = dict[str, list[list[str | None]]]  # table id → per row, per column: None | PRIMARY | SECONDARY


def primary_text(threshold: int) -> str:
    return f"<{threshold}"


def legend(threshold: int) -> str:
    return (f"個人が特定されないよう、{threshold}未満の件数は「{primary_text(threshold)}」と表示し、"
            f"それを他の数から計算できないよう合わせて伏せた数は「{SECONDARY_TEXT}」と表示しています。")


def may_see_raw_counts(role: Role) -> bool:
    """Only coordinators and admins may see unsuppressed counts, and only on screen."""
    return role in (Role.ADMIN, Role.COORDINATOR)


def _is_count(table: Table, r: int, c: int) -> bool:
    column, row = table.columns[c], table.rows[r]
    return (column.personal and row.personal and column.measure_of is None and column.difference_of is None
            and isinstance(row.values[c], int))


def _groups(table: Table) -> Iterable[tuple[list[tuple[int, int]], tuple[int, int]]]:
    """(body cells, total cell) of every additive group of the table."""
    total_index = next((i for i, r in enumerate(table.rows) if r.total), None)
    if total_index is not None:
        body_rows = [i for i, r in enumerate(table.rows) if not r.total]
        for c, column in enumerate(table.columns):
            if column.additive and column.personal and column.measure_of is None and column.difference_of is None:
                yield [(r, c) for r in body_rows], (total_index, c)
    if table.row_total is not None:
        total_col, parts = table.row_total
        for r in range(len(table.rows)):
            yield [(r, p) for p in parts], (r, total_col)


def _bounds(mark: str | None, value: int, threshold: int) -> tuple[float, float]:
    """What a careful reader can tell of a cell: its value when shown; when hidden, whether it is
    small (1 … threshold−1) or not (threshold or more) — assumed known even for 秘匿 cells."""
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
    for body, total in _groups(table):
        tr, tc = total
        if not _is_count(table, tr, tc):
            continue
        while _determined(table, marks, body, total, threshold):
            candidates = [(table.rows[r].values[c], r, c) for r, c in body
                          if marks[r][c] is None and _is_count(table, r, c) and table.rows[r].values[c] > 0]
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
    one (+1, −1, −1, +1 — a total moving with its part), for then another table with the same
    shown numbers and sums exists. Missing corners are hidden, choosing the rectangle that
    hides the fewest and smallest counts. (A rectangle is enough, not necessary: this may hide
    a little more than strictly needed, never less.)"""
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
                    if any(not _is_count(table, r, c) or not table.rows[r].values[c] for r, c in new):
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
            if mark != SECONDARY and (mark is None or strongest == SECONDARY) and _is_count(tables[t], r, c) \
                    and tables[t].rows[r].values[c]:
                marks[t][r][c] = SECONDARY
                changed = True
    return changed


def suppression_marks(tables: dict[str, Table], threshold: int) -> Marks:
    """Which cells of ``tables`` (by any id) an export must hide, and why."""
    marks: Marks = {tid: [[None] * len(t.columns) for _ in t.rows] for tid, t in tables.items()}
    if threshold <= 1:
        return marks
    for tid, table in tables.items():
        for r, row in enumerate(table.rows):
            for c, value in enumerate(row.values):
                if _is_count(table, r, c) and 0 < value < threshold:
                    marks[tid][r][c] = PRIMARY
    for _ in range(1000):  # each round hides at least one more cell, so this ends
        changed = False
        for tid, table in tables.items():
            changed |= _secondary(table, marks[tid], threshold)
            changed |= _rectangles(table, marks[tid], threshold)
        changed |= _propagate_links(tables, marks)
        if not changed:
            break
    for tid, table in tables.items():
        for r, row in enumerate(table.rows):
            for c, column in enumerate(table.columns):
                if column.measure_of is not None:
                    n = row.values[column.measure_of]
                    if marks[tid][r][column.measure_of] == PRIMARY or (isinstance(n, int) and 0 < n < threshold):
                        marks[tid][r][c] = SECONDARY
                elif column.difference_of is not None:
                    a, b = column.difference_of
                    if marks[tid][r][a] or marks[tid][r][b]:
                        marks[tid][r][c] = SECONDARY
    return marks
