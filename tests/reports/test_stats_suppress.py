"""Suppression of small counts (reports/stats_suppress.py): primary below the threshold,
secondary so that no hidden count can be worked out from the others, links between tables,
measures and differences; rendering raw counts only for coordinators. The complementary
suppression's integer program: whole ranges, costs, the exact reader on random tables, the
fallback to the first method."""

import itertools
import random
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from shakyo_desk.domain.errors import PermissionDenied
from shakyo_desk.domain.roles import Role
from shakyo_desk.reports.stats_render import render
from shakyo_desk.reports import stats_suppress
from shakyo_desk.reports.stats_suppress import (
    PRIMARY, SECONDARY, LinearProgram, SolverUnavailable, _costs, _suppression_marks, build_model, may_see_raw_counts,
    primary_marks, suppression_marks,
)
from shakyo_desk.reports.stats_suppress_legacy import legacy_secondary
from shakyo_desk.store.services.stats import Column, Figures, Row, Table, fiscal_year_period
from tests.reports.suppression_reader import reader_ranges, unprotected

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
    # with 5: "<5" (1..4) and a hidden 5 (≥5) adding up to 6 could only be 1 + 5, so the total must go;
    # with the total hidden (≥5) the 5 may stay: 5 + "<5" is anything from 6 to 9
    assert [row.cells[0] for row in render(figures(True, threshold=5)).table("t").rows] == ["<5", 5, 0, "秘匿"]


def test_raw_counts_only_for_coordinators_and_admins():
    raw = render(figures(raw_allowed=True), raw=True)
    assert [row.cells[0] for row in raw.table("t").rows] == [1, 5, 0, 6] and raw.suppressed == 0
    assert "伏せていません" in raw.legend
    with pytest.raises(PermissionDenied):
        render(figures(raw_allowed=False), raw=True)
    assert may_see_raw_counts(Role.COORDINATOR) and may_see_raw_counts(Role.ADMIN)
    assert not may_see_raw_counts(Role.STAFF) and not may_see_raw_counts(Role.REPORTER)


# ---- complementary suppression (issue 17): the integer program, its costs, its fallback -------

def cross_table(body, threshold_columns=("a", "b", "c")):
    columns = (*(Column(k, k.upper()) for k in threshold_columns), Column("total", "計"))
    rows = [Row(f"r{i}", (*values, sum(values)), key=f"r{i}") for i, values in enumerate(body)]
    totals = tuple(sum(r.values[c] for r in rows) for c in range(len(columns)))
    return Table("t", "表", "機関", columns, (*rows, Row("計", totals, key="total", total=True)),
                 row_total=(len(columns) - 1, tuple(range(len(columns) - 1))))


def test_a_small_count_keeps_its_whole_range_with_a_larger_threshold():
    # threshold 5: the reader must not tell 1 from 2, 3 or 4 (the first method only made sure
    # it was not exactly one value)
    table = one_column([1, 10, 20])
    marks = marks_of(table, threshold=5)
    assert reader_ranges({"t": table}, marks, 5) == {("t", 0, 0): (1, 4)}
    assert marks["t"][3][0] is None  # with the 10 hidden, the total may stay


def test_random_cross_tables_against_the_exact_reader():
    rng = random.Random(17)
    for _ in range(40):
        threshold = rng.choice([3, 3, 4])
        body = [[rng.choice([0, 1, 2, 3, 4, 6, 9]) for _ in range(3)] for _ in range(3)]
        table = cross_table(body)
        marks = marks_of(table, threshold)
        assert unprotected({"t": table}, marks, threshold) == [], (body, threshold, marks)


def test_totals_cost_more_than_every_inner_cell_and_grand_totals_more_than_every_total():
    table = cross_table([[1, 5, 7], [4, 6, 8]])
    marks = primary_marks({"t": table}, 3)
    model = build_model({"t": table}, marks)
    [component] = model.components()
    costs = _costs(model, component)
    kind = {}
    for q in costs:
        _, r, c = model.quantities[q].cells[0]
        kind[q] = ("grand" if (r, c) == (2, 3) else "total" if r == 2 or c == 3 else "inner")
    inner = [costs[q] for q in costs if kind[q] == "inner"]
    totals = [costs[q] for q in costs if kind[q] == "total"]
    [grand] = [costs[q] for q in costs if kind[q] == "grand"]
    assert min(totals) > sum(inner) and grand > sum(totals) + sum(inner)
    assert sorted(inner) == [costs[q] for q in sorted((q for q in costs if kind[q] == "inner"),
                                                      key=lambda q: model.quantities[q].value)]


def test_a_total_is_hidden_only_when_nothing_inside_can_protect():
    # the 2024 つなぎ pattern: a row 3 + "<3" + "<3" = 5 can only be 3 + 1 + 1 (a 秘匿 3 cannot go
    # below 3), so its total 5 must go, and with it another row's total (the totals column must
    # still add up); the grand total and the column totals stay
    table = cross_table([[3, 1, 1], [8, 5, 4], [4, 6, 7]])
    marks = marks_of(table)["t"]
    assert marks[0] == [None, P, P, S]
    assert marks[3] == [None] * 4
    assert sum(1 for row in marks[:3] for m in row[3:] if m) == 2  # two row totals, no more
    assert reader_ranges({"t": table}, {"t": marks}, 3) == {("t", 0, 1): (1, 2), ("t", 0, 2): (1, 2)}


def test_the_solver_failing_falls_back_to_the_first_method(monkeypatch, caplog):
    table = cross_table([[1, 7, 5], [5, 6, 9], [2, 8, 8]])
    expected = primary_marks({"t": table}, 3)
    legacy_secondary({"t": table}, expected, 3)

    def refuse(self, integer, seconds):
        raise SolverUnavailable("HiGHS: Solve error")

    monkeypatch.setattr(LinearProgram, "solve", refuse)
    _suppression_marks.cache_clear()
    with caplog.at_level("WARNING", logger="shakyo_desk.reports.stats_suppress"):
        assert marks_of(table) == expected
    assert "falling back to the first method" in caplog.text and "Solve error" in caplog.text
    _suppression_marks.cache_clear()


def test_no_time_left_falls_back_too(monkeypatch, caplog):
    table = cross_table([[1, 7, 5], [5, 6, 9], [2, 8, 8]])
    expected = primary_marks({"t": table}, 3)
    legacy_secondary({"t": table}, expected, 3)
    monkeypatch.setattr(stats_suppress, "SOLVE_SECONDS", 0.0)
    _suppression_marks.cache_clear()
    with caplog.at_level("WARNING", logger="shakyo_desk.reports.stats_suppress"):
        assert marks_of(table) == expected
    assert "out of time" in caplog.text
    _suppression_marks.cache_clear()


def test_without_highspy_the_first_method_is_used(monkeypatch):
    table = cross_table([[1, 7, 5], [5, 6, 9], [2, 8, 8]])
    expected = primary_marks({"t": table}, 3)
    legacy_secondary({"t": table}, expected, 3)
    monkeypatch.setitem(sys.modules, "highspy", None)  # import highspy raises ImportError
    monkeypatch.setattr(stats_suppress, "_quiet_highs_class", None)
    _suppression_marks.cache_clear()
    assert marks_of(table) == expected
    _suppression_marks.cache_clear()


def test_the_solver_prints_nothing():
    """HiGHS writes a banner to the process's standard output at its first use unless told
    not to; standard output carries `stats --json`. A fresh process, so the banner is due."""
    code = ("from tests.reports.test_stats_suppress import cross_table\n"
            "from shakyo_desk.reports.stats_suppress import suppression_marks, SECONDARY\n"
            "marks = suppression_marks({'t': cross_table([[1, 7, 5], [5, 6, 9], [2, 8, 8]])}, 3)\n"
            "assert any(m == SECONDARY for row in marks['t'] for m in row)\n")
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True,
                          cwd=Path(__file__).parents[2], timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
