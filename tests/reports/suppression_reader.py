"""A careful reader of suppressed statistics, for the tests: the exact integer-programming
attack on a set of tables, written independently of ``reports/stats_suppress.py`` (no shared
model code) from the tables' own declarations.

The reader knows every shown number, every sum a table declares (each additive count column
adds up to its total row; with ``row_total``, each row's parts add up to its total column),
that cells linked under the same name are one number, the threshold, and for each hidden cell
whether it is small (``<3``: 1 … t−1) or not (``秘匿``: t or more). For a hidden cell the
reader's range is the least and the greatest value it takes over all tables of whole numbers
consistent with that, each found by HiGHS (``highspy``) as an integer program.
"""

from collections import defaultdict

import highspy

from shakyo_desk.reports.stats_suppress import PRIMARY, SECONDARY, is_count

INF = float("inf")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _sums(tables) -> list[list[tuple[tuple, int]]]:
    """Each declared sum as [(cell, ±1)], and each link as [(cell, 1), (other, −1)]."""
    sums = []
    for tid, table in tables.items():
        total = next((i for i, r in enumerate(table.rows) if r.total), None)
        body = [i for i, r in enumerate(table.rows) if not r.total]
        if total is not None:
            for c, column in enumerate(table.columns):
                if column.additive and column.personal and column.measure_of is None and column.difference_of is None:
                    sums.append([((tid, r, c), 1) for r in body] + [((tid, total, c), -1)])
        if table.row_total is not None:
            total_col, parts = table.row_total
            for r in range(len(table.rows)):
                sums.append([((tid, r, p), 1) for p in parts] + [((tid, r, total_col), -1)])
    linked = defaultdict(list)
    for tid, table in tables.items():
        for r, row in enumerate(table.rows):
            for c in range(len(table.columns)):
                if row.link(c):
                    linked[row.link(c)].append((tid, r, c))
    for cells in linked.values():
        sums += [[(cells[0], 1), (other, -1)] for other in cells[1:]]
    return sums


def _extreme(sums, order, lower, upper, column: int, sign: int) -> int:
    """min (sign 1) or max (sign −1) of one variable over the integer points."""
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("threads", 1)
    highs.addVars(len(order), lower, upper)
    highs.changeColsIntegrality(len(order), list(range(len(order))), [highspy.HighsVarType.kInteger] * len(order))
    highs.changeColCost(column, float(sign))
    for row in sums:
        highs.addRow(0, 0, len(row), [i for i, _ in row], [float(k) for _, k in row])
    highs.run()
    assert highs.getModelStatus() == highspy.HighsModelStatus.kOptimal, highs.getModelStatus()
    return round(highs.getSolution().col_value[column])


def reader_ranges(tables, marks, threshold: int, cells=None) -> dict[tuple, tuple[int, int]]:
    """(least, greatest) value of each hidden ``PRIMARY`` cell (or of ``cells``) for the reader."""
    values = {(tid, r, c): v for tid, t in tables.items() for r, row in enumerate(t.rows)
              for c, v in enumerate(row.values) if _is_int(v)}
    sums = [s for s in _sums(tables) if all(cell in values for cell, _ in s)]
    for s in sums:
        assert sum(k * values[cell] for cell, k in s) == 0, s  # the tables add up
    order = list(values)
    position = {cell: i for i, cell in enumerate(order)}
    lower, upper = [0.0] * len(order), [0.0] * len(order)
    for cell, i in position.items():
        tid, r, c = cell
        mark, value = marks[tid][r][c], values[cell]
        if mark is None:
            lower[i] = upper[i] = value
        elif mark == PRIMARY:
            lower[i], upper[i] = 1, threshold - 1
        else:
            lower[i], upper[i] = threshold, INF
    rows = [[(position[cell], k) for cell, k in s] for s in sums]
    wanted = cells if cells is not None else [cell for cell in order if marks[cell[0]][cell[1]][cell[2]] == PRIMARY]
    return {cell: (_extreme(rows, order, lower, upper, position[cell], 1),
                   _extreme(rows, order, lower, upper, position[cell], -1)) for cell in wanted}


def everything_hidden(tables, marks) -> dict:
    """The marks with every count above 0 hidden too (small ones stay PRIMARY)."""
    return {tid: [[marks[tid][r][c] or (SECONDARY if is_count(t, r, c) and row.values[c] else None)
                   for c in range(len(t.columns))] for r, row in enumerate(t.rows)]
            for tid, t in tables.items()}


def unprotected(tables, marks, threshold: int) -> list[tuple]:
    """The ``<t`` cells whose reader's range is narrower than 1 … t−1, beyond what hiding every
    count would leave (nothing can protect a cell further than that)."""
    ranges = reader_ranges(tables, marks, threshold)
    if all(r == (1, threshold - 1) for r in ranges.values()):
        return []
    best = reader_ranges(tables, everything_hidden(tables, marks), threshold, cells=list(ranges))
    return [(cell, got, best[cell]) for cell, got in ranges.items()
            if got[0] > max(1, best[cell][0]) or got[1] < min(threshold - 1, best[cell][1])]
