"""Suppression of small counts (reports/stats_suppress.py): primary below the threshold,
secondary so that no hidden count can be worked out from the others, links between tables,
measures and differences; rendering raw counts only for coordinators."""

import itertools
import random
from datetime import UTC, date, datetime

import pytest

from shakyo_desk.domain.errors import PermissionDenied
from shakyo_desk.domain.roles import Role
from shakyo_desk.reports.stats_render import render
from shakyo_desk.reports.stats_suppress import PRIMARY, SECONDARY, may_see_raw_counts, suppression_marks
from shakyo_desk.store.services.stats import Column, Figures, Row, Table, fiscal_year_period

P, S = PRIMARY, SECONDARY


def one_column(values, *, total=True, additive=True, personal=True, link=""):
    rows = [Row(f"r{i}", (v,), key=f"r{i}") for i, v in enumerate(values)]
    if total:
        rows.append(Row("計", (sum(values),), key="total", total=True, links=(link,) if link else ()))
    return Table("t", "表", "項目", (Column("n", "件数", additive=additive, personal=personal),), tuple(rows))


def marks_of(table, threshold=3, **others):
    tables = {"t": table, **others}
    return suppression_marks(tables, threshold)


def column_marks(table, threshold=3):
    return [row[0] for row in marks_of(table, threshold)["t"]]


def test_counts_below_the_threshold_are_hidden_zero_is_not():
    table = one_column([0, 1, 2, 3, 10], total=False, additive=False)
    assert column_marks(table) == [None, P, P, None, None]
    assert column_marks(table, threshold=5) == [None, P, P, P, None]
    assert column_marks(table, threshold=1) == [None] * 5


def test_counts_of_events_are_never_hidden():
    table = one_column([1, 2, 7], personal=False)
    assert column_marks(table) == [None] * 4


def test_one_hidden_cell_takes_the_next_smallest_non_zero_with_it():
    # 2 hidden alone could be read off the total: the 4 goes too (not the 0, which would protect nothing)
    assert column_marks(one_column([2, 0, 4, 9])) == [P, None, S, None, None]


def test_when_nothing_else_can_hide_the_total_does():
    assert column_marks(one_column([2, 0, 0, 0])) == [P, None, None, None, P]  # total 2 is small itself
    # 2 hidden with the 5: "<3" and "秘匿" (≥3) adding up to 7 may be 1 + 6 or 2 + 5, so the total stays
    assert column_marks(one_column([2, 0, 5])) == [P, None, S, None]
    # two small cells adding up to 4 can only be 2 and 2: with nothing else to hide, the total goes
    assert column_marks(one_column([2, 2, 0])) == [P, P, None, S]
    # 1 + 2 = 3 leaves two possibilities (1+2, 2+1): the total may stay
    assert column_marks(one_column([1, 2, 0])) == [P, P, None, None]


def test_two_dimensional_tables_protect_rows_and_columns():
    columns = (Column("a", "A"), Column("b", "B"), Column("total", "計"))
    table = Table("t", "表", "機関", columns, (
        Row("x", (1, 7, 8), key="x"),
        Row("y", (5, 6, 11), key="y"),
        Row("計", (6, 13, 19), key="total", total=True),
    ), row_total=(2, (0, 1)))
    marks = marks_of(table)["t"]
    assert marks[0][0] == P
    assert marks[0][1] == S  # the row x would give 1 = 8 - 7 …
    assert marks[1][0] == S  # … and the column A 1 = 6 - 5
    assert_no_hidden_count_is_determined_2d(table, marks, 3)


def test_a_quantity_hidden_in_one_table_is_hidden_in_every_table():
    by_method = one_column([2, 2, 0], link="contacts.total")  # total 4 = 2 + 2: hidden
    summary = Table("s", "概要", "項目", (Column("n", "件数", additive=False),),
                    (Row("延べ件数", (4,), key="contacts", links=("contacts.total",)),
                     Row("開催回数", (2,), key="sessions", personal=False)))
    marks = suppression_marks({"t": by_method, "s": summary}, 3)
    assert marks["t"][3][0] == S
    assert marks["s"][0][0] == S and marks["s"][1][0] is None


def test_measures_and_differences_follow_their_counts():
    table = Table("t", "日数", "状況", (
        Column("n", "件数", additive=False),
        Column("median", "中央値", additive=False, measure_of=0),
        Column("previous", "前年", additive=False),
        Column("change", "増減", additive=False, difference_of=(0, 2)),
    ), (Row("a", (2, 15.0, 5, -3), key="a"), Row("b", (6, 4.5, 1, 5), key="b"), Row("c", (3, 7.0, 4, -1), key="c")))
    marks = marks_of(table)["t"]
    assert marks[0] == [P, S, None, S]  # 2 sheets: their days would describe them
    assert marks[1] == [None, None, P, S]  # last year 1: the change would give it away
    assert marks[2] == [None, None, None, None]


def _determined(values, marks, threshold):
    """For a one-column table (body + total): the hidden body cells whose value is the same in
    every assignment consistent with what is shown (hidden small cells are 1..t-1, other hidden
    cells at least t)."""
    body, total = values[:-1], values[-1]
    hidden = [i for i, m in enumerate(marks[:-1]) if m]
    if not hidden or marks[-1]:
        return []
    shown = sum(v for i, v in enumerate(body) if not marks[i])
    ranges = [range(1, threshold) if marks[i] == P else range(threshold, total + 1) for i in hidden]
    seen = [set() for _ in hidden]
    for combo in itertools.product(*ranges):
        if shown + sum(combo) == total:
            for k, v in enumerate(combo):
                seen[k].add(v)
    return [hidden[k] for k, s in enumerate(seen) if len(s) == 1]


def test_no_hidden_count_can_be_worked_out_in_random_columns():
    rng = random.Random(6)
    for _ in range(300):
        body = [rng.choice([0, 0, 1, 2, 3, 4, 5, 8, 12]) for _ in range(rng.randint(1, 6))]
        threshold = rng.choice([3, 3, 4])
        table = one_column(body)
        marks = column_marks(table, threshold)
        assert not _determined([*body, sum(body)], marks, threshold), (body, marks)
        assert all(marks[i] == P for i, v in enumerate(body) if 0 < v < threshold)


def _solutions_2d(table, marks, threshold):
    """Every value each hidden cell can take, for a reader who knows whether a hidden cell is
    small (1..t-1) or not (t or more) and that all rows and columns add up. The body decides
    the totals, so only hidden body cells are enumerated (up to the grand total and a little)."""
    total_col, parts = table.row_total
    n_rows = len(table.rows) - 1
    grid = [list(row.values) for row in table.rows]
    top = grid[-1][total_col] + 2

    def possible(r, c, v):
        if not marks[r][c]:
            return v == grid[r][c]
        return 1 <= v < threshold if grid[r][c] < threshold else v >= threshold

    body = [(r, c) for r in range(n_rows) for c in parts if marks[r][c]]
    ranges = [range(1, threshold) if grid[r][c] < threshold else range(threshold, top + 1) for r, c in body]
    seen = {(r, c): set() for r in range(len(grid)) for c in range(len(grid[0])) if marks[r][c]}
    for combo in itertools.product(*ranges):
        trial = [row[:] for row in grid]
        for (r, c), v in zip(body, combo):
            trial[r][c] = v
        for r in range(n_rows):
            trial[r][total_col] = sum(trial[r][p] for p in parts)
        for c in [*parts, total_col]:
            trial[-1][c] = sum(trial[r][c] for r in range(n_rows))
        if all(possible(r, c, trial[r][c]) for r in range(len(grid)) for c in [*parts, total_col]):
            for cell in seen:
                seen[cell].add(trial[cell[0]][cell[1]])
    return seen


def assert_no_hidden_count_is_determined_2d(table, marks, threshold):
    """Brute force over every hidden cell of a small 2-D table with row and column totals: a
    "<3" may be worked out only where it would be even with every non-zero cell hidden (a row
    of small counts adding up to a small total, 1 + 1 = 2: nothing can protect it)."""
    seen = _solutions_2d(table, marks, threshold)
    everything = [[P if v else None for v in row.values] for row in table.rows]
    inherent = _solutions_2d(table, everything, threshold)
    for (r, c), values in seen.items():
        if marks[r][c] == P:
            assert len(values) > 1 or len(inherent[(r, c)]) == 1, (r, c, values)


def test_no_hidden_count_can_be_worked_out_in_random_cross_tables():
    rng = random.Random(60)
    columns = (Column("a", "A"), Column("b", "B"), Column("total", "計"))
    for _ in range(60):
        body = [[rng.choice([0, 1, 2, 3, 5]) for _ in range(2)] for _ in range(2)]
        rows = [Row(f"r{i}", (a, b, a + b), key=f"r{i}") for i, (a, b) in enumerate(body)]
        totals = tuple(sum(r.values[c] for r in rows) for c in range(3))
        table = Table("t", "表", "機関", columns, (*rows, Row("計", totals, key="total", total=True)),
                      row_total=(2, (0, 1)))
        marks = marks_of(table)["t"]
        assert_no_hidden_count_is_determined_2d(table, marks, 3)


# ---- rendering ------------------------------------------------------------------------------

def figures(raw_allowed: bool, threshold: int = 3) -> Figures:
    period = fiscal_year_period(2024)
    return Figures("テスト村社協", period, fiscal_year_period(2023), None, "全地区", "", threshold, raw_allowed,
                   (one_column([1, 5, 0]),), (), (), datetime(2025, 4, 1, tzinfo=UTC), date(2025, 3, 31))


def test_render_hides_with_marks_and_counts_them():
    rendered = render(figures(raw_allowed=True))
    table = rendered.table("t")
    assert [row.cells[0] for row in table.rows] == ["<3", "秘匿", 0, 6]
    assert table.suppressed == 2 and rendered.suppressed == 2 and not rendered.raw
    assert "「<3」" in rendered.legend and "「秘匿」" in rendered.legend
    # with 5: "<5" (1..4) and "秘匿" (≥5) adding up to 6 can only be 1 + 5, so the total goes too
    assert [row.cells[0] for row in render(figures(True, threshold=5)).table("t").rows] == ["<5", "秘匿", 0, "秘匿"]


def test_raw_counts_only_for_coordinators_and_admins():
    raw = render(figures(raw_allowed=True), raw=True)
    assert [row.cells[0] for row in raw.table("t").rows] == [1, 5, 0, 6] and raw.suppressed == 0
    assert "伏せていません" in raw.legend
    with pytest.raises(PermissionDenied):
        render(figures(raw_allowed=False), raw=True)
    assert may_see_raw_counts(Role.COORDINATOR) and may_see_raw_counts(Role.ADMIN)
    assert not may_see_raw_counts(Role.STAFF) and not may_see_raw_counts(Role.REPORTER)
