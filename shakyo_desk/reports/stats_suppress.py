"""Suppression of small counts in statistics that leave the council (DESIGN §7, issues 6 and 17).

In a village of a thousand people "2 households in 下村 with 虐待の疑い" names a family. So in
anything exported (CSV, PDF, JSON, the command line) a count of people, households or their
records that is above 0 and below the council's threshold (``stats_suppression_threshold``,
3 by default) is replaced by ``<3`` (**primary** cells). Zero is shown: it names nobody.

**Complementary suppression.** A hidden count must not be recoverable from the others, so
further counts are hidden with it and marked ``秘匿``. They are chosen as statistical offices
choose them (τ-ARGUS's and sdcTable's "optimal" method, after Fischetti and Salazar-González):
one small integer program per set of connected tables, solved by HiGHS (``highspy``).

- *What the reader knows.* Every shown number, every sum — a column's rows add up to its
  total row, a row's parts to its total column (延べ = 名簿の方 + 人数のみ; つなぎ by outcome
  and 計) — that the same quantity shown in several tables (the number of contacts is in
  the summary, by method and by district) is one number, this rule and the threshold, and
  which hidden cells are small (``<3``: 1 … threshold−1) and which are not (``秘匿``: at
  least the threshold; zeros are never hidden).
- *Protection.* For each ``<3`` the reader's range — the least and the greatest value it
  takes in any table of non-negative whole numbers consistent with all of that — must be
  the whole of 1 … threshold−1, so the reader learns nothing the mark does not say. With the
  default threshold that is "1 or 2, cannot tell which". Where even hiding every count would
  leave less (a row of "<3" and "<3" adding up to a "<3" total can only be 1 + 1 = 2), the
  range that hiding everything gives is required instead: nothing can do better.
- *The program.* One 0/1 variable per count that may be hidden (a quantity linked across
  tables is one variable: hidden everywhere if anywhere). For each ``<3`` and each direction
  it must be able to move, a copy of the table's deviations proves that a consistent table
  exists with that cell at the end of its range: the deviations satisfy every sum, a shown
  cell does not move, a hidden one stays within what its mark says. A first solve with
  everything hidden (a linear program; an integer one if its answer is not whole) finds how
  far each ``<3`` can move at best (the requirement); the second finds the cheapest set of
  ``秘匿`` cells that still lets each move that far, the deviations whole numbers. A 秘匿
  cell's deviation is bounded by the protection level itself: enough for one- and two-way
  tables with totals (a move decomposes into ±1 cycles), and a bound can only make the
  proof harder, never let a weaker pattern pass.
- *Cost.* Hiding a total is always worse than hiding any number of inner cells, and a grand
  total (the corner of a two-way table, or a total also shown in another table such as the
  summary's つなぎの件数) worse than any other total; among equals, fewer cells (a linked
  quantity counts once per table it is shown in), then smaller counts. So a total is hidden
  only when no choice of inner cells can protect — for example a column whose only counts
  are four "<3" adding up to 4 (each must be 1) cannot be protected without its total.
- *Time.* The solver gets ``SOLVE_SECONDS`` for one set of figures (tens of milliseconds for
  a village, about half a second for a town of 20,000: docs/performance.md). A set of tables
  it cannot solve in time (or at all, or when highspy is missing) falls back to the first
  method, ``stats_suppress_legacy`` (groups, links, rectangles), with the reason logged; an
  answer found before the time ran out is used even when it is not proven the cheapest. The
  last few answers are kept (the 統計 page, then its CSV and PDF, suppress the same figures).
- *Not modelled*, as in the first method: relations the tables do not declare — a salon's
  row inside its 地区's row of the other salon table, "うち" columns being at most their
  whole, the 不在 row of 方法別 being the summary's うち不在 (not linked in
  ``store/services/stats.py``).

A measure (median or mean days) is hidden when the count it is taken over is small; a
difference (増減) when either of its two numbers is hidden. Counts of events that are not
about people (salon sessions held, conferences held) are never hidden. Cells hidden only to
protect another are marked ``秘匿`` rather than ``<3``: their value is not small, and ``<3``
would mislead anyone adding up.

Tests check by brute force on many random tables, and with an exact integer-programming
reader on every 年度 of a generated village, that no ``<3`` can be worked out except where
nothing can help (tests/reports/test_stats_suppress.py, test_stats_suppress_years.py).

Pure: no Qt, no database. ``stats_render.render`` applies the marks.
"""

import functools
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from shakyo_desk.domain.roles import Role
from shakyo_desk.reports.stats_cells import (  # noqa: F401 - the marks' names, used by the renderers
    INFINITY, PRIMARY, SECONDARY, SECONDARY_TEXT, Marks, additive_groups, is_count,
)
from shakyo_desk.store.services.stats import Table

log = logging.getLogger(__name__)

SOLVE_SECONDS = 5.0  # for all the integer programs of one set of figures; then the fallback
DEVIATION_SLACK = 1  # a witness table may move a 秘匿 cell by this many times the protection level

Cell = tuple[str, int, int]  # table id, row, column


def primary_text(threshold: int) -> str:
    return f"<{threshold}"


def legend(threshold: int) -> str:
    return (f"個人が特定されないよう、{threshold}未満の件数は「{primary_text(threshold)}」と表示し、"
            f"それを他の数から計算できないよう合わせて伏せた数は「{SECONDARY_TEXT}」と表示しています。")


def may_see_raw_counts(role: Role) -> bool:
    """Only coordinators and admins may see unsuppressed counts, and only on screen."""
    return role in (Role.ADMIN, Role.COORDINATOR)


# ---- the reader's model: quantities and the sums between them ---------------------------------

@dataclass
class Quantity:
    """One number as the reader sees it: a cell, or the cells of several tables linked as the
    same quantity."""

    cells: list[Cell]
    value: int
    hideable: bool = False  # a count above 0 in every cell it is shown in
    primary: bool = False  # below the threshold: always hidden
    totals: int = 0  # how many sums it is the total of
    tables: set[str] = field(default_factory=set)


@dataclass
class TableModel:
    quantities: list[Quantity]
    index: dict[Cell, int]  # cell → quantity
    equations: list[dict[int, int]]  # Σ coefficient · quantity = 0

    def components(self) -> list[list[int]]:
        """Hideable quantities joined by sums, each group in order; only groups with a primary
        in a sum."""
        parent = list(range(len(self.quantities)))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for equation in self.equations:
            members = [q for q in equation if self.quantities[q].hideable]
            for q in members[1:]:
                parent[find(q)] = find(members[0])
        in_sums = {q for equation in self.equations for q in equation}
        groups: dict[int, list[int]] = defaultdict(list)
        for q, quantity in enumerate(self.quantities):
            if quantity.hideable:
                groups[find(q)].append(q)
        # a count in no sum cannot be worked out from others: its mark alone protects it
        return [g for g in groups.values()
                if any(self.quantities[q].primary for q in g) and any(q in in_sums for q in g)]


def build_model(tables: dict[str, Table], marks: Marks) -> TableModel:
    """The quantities of ``tables`` (linked cells merged) and the sums the reader knows."""
    keyed: dict[object, list[Cell]] = defaultdict(list)
    for tid, table in tables.items():
        for r, row in enumerate(table.rows):
            for c, value in enumerate(row.values):
                if isinstance(value, int) and not isinstance(value, bool):
                    link = row.link(c)
                    keyed[("link", link) if link else ("cell", tid, r, c)].append((tid, r, c))

    def value_of(cell: Cell) -> int:
        return tables[cell[0]].rows[cell[1]].values[cell[2]]

    groups: list[list[Cell]] = []
    for key, cells in keyed.items():
        if len({value_of(cell) for cell in cells}) > 1:  # "linked" but different: not one number
            log.warning("statistics suppression: the cells linked as %s differ; treated as separate", key[1])
            groups += [[cell] for cell in cells]
        else:
            groups.append(cells)
    quantities, index = [], {}
    for cells in groups:
        value = value_of(cells[0])
        hideable = value > 0 and all(is_count(tables[t], r, c) for t, r, c in cells)
        primary = hideable and any(marks[t][r][c] == PRIMARY for t, r, c in cells)
        for cell in cells:
            index[cell] = len(quantities)
        quantities.append(Quantity(cells, value, hideable, primary, tables={t for t, _, _ in cells}))

    equations, seen = [], set()
    for tid, table in tables.items():
        for body, total in additive_groups(table):
            members = [((tid, r, c), 1) for r, c in body] + [((tid, *total), -1)]
            if any(cell not in index for cell, _ in members):
                continue  # a measure or nothing to measure: not a sum
            if sum(sign * value_of(cell) for cell, sign in members) != 0:
                log.warning("statistics suppression: %s does not add up; its sum is not used", table.key)
                continue
            coefficients: dict[int, int] = defaultdict(int)
            for cell, sign in members:
                coefficients[index[cell]] += sign
            equation = {q: k for q, k in coefficients.items() if k}
            if equation and tuple(sorted(equation.items())) not in seen:  # linked tables repeat some
                seen.add(tuple(sorted(equation.items())))
                equations.append(equation)
                quantities[index[(tid, *total)]].totals += 1
    return TableModel(quantities, index, equations)


# ---- the integer programs -------------------------------------------------------------------------

class SolverUnavailable(Exception):
    """The integer programs could not be solved: missing library, time limit, solver error."""


_HIGHS_LOCK = threading.Lock()  # one solve at a time (the 統計 page solves on a worker thread)
_quiet_highs_class = None


def _quiet_highs():
    """A ``highspy.Highs`` that prints nothing. HiGHS writes its banner to the process's
    standard output at its first call unless ``output_flag`` is off by then, and
    ``Highs.__init__`` makes that call (``enableCallbacks``) itself: the option is set
    first. (Standard output carries ``stats --json`` and ``--csv -``.)"""
    global _quiet_highs_class
    if _quiet_highs_class is None:
        try:
            import highspy
        except ImportError as error:
            raise SolverUnavailable(f"highspy is not installed ({error})") from error

        class QuietHighs(highspy.Highs):
            def enableCallbacks(self):  # highspy's name
                self.setOptionValue("output_flag", False)
                super().enableCallbacks()

        _quiet_highs_class = QuietHighs
    highs = _quiet_highs_class()
    highs.setOptionValue("output_flag", False)
    return highs


def solver_version() -> str:
    """HiGHS's version; SolverUnavailable when it cannot load (the installed app's self-test:
    a build without highspy or numpy would fall back to the older method unnoticed)."""
    return _quiet_highs().version()


@dataclass
class LinearProgram:
    """min cost·v  subject to  lower ≤ v ≤ upper, row_lower ≤ A·v ≤ row_upper (A as entries)."""

    cost: list[float]
    lower: list[float]
    upper: list[float]
    entries: list[tuple[int, int, float]] = field(default_factory=list)  # (row, column, value)
    row_lower: list[float] = field(default_factory=list)
    row_upper: list[float] = field(default_factory=list)

    def add_row(self, terms: Iterable[tuple[int, float]], low: float, high: float) -> None:
        row = len(self.row_lower)
        self.entries += [(row, column, value) for column, value in terms]
        self.row_lower.append(low)
        self.row_upper.append(high)

    def solve(self, integer: bool, seconds: float) -> tuple[list[float], bool]:
        """(values, proven optimal) — an integer program stopped by the time limit gives its
        best solution so far. Raises ``SolverUnavailable`` when there is none."""
        if seconds <= 0:
            raise SolverUnavailable("out of time")
        highs = _quiet_highs()
        import highspy

        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = len(self.cost), len(self.row_lower)
        lp.col_cost_, lp.col_lower_, lp.col_upper_ = self.cost, self.lower, self.upper
        lp.row_lower_, lp.row_upper_ = self.row_lower, self.row_upper
        by_column = sorted(self.entries, key=lambda e: (e[1], e[0]))
        starts, column = [0], 0
        for i, (_, c, _) in enumerate(by_column):
            while column < c:
                starts.append(i)
                column += 1
        starts += [len(by_column)] * (lp.num_col_ + 1 - len(starts))
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = starts
        lp.a_matrix_.index_ = [r for r, _, _ in by_column]
        lp.a_matrix_.value_ = [v for _, _, v in by_column]
        if integer:
            lp.integrality_ = [highspy.HighsVarType.kInteger] * lp.num_col_
        highs.setOptionValue("time_limit", max(seconds, 0.05))
        highs.setOptionValue("mip_rel_gap", 0.0)
        highs.setOptionValue("presolve", "off")  # these programs are small: faster without
        highs.setOptionValue("threads", 1)  # starting HiGHS's worker threads costs more than they save
        with _HIGHS_LOCK:
            highs.passModel(lp)
            highs.run()
        status = highs.getModelStatus()
        if status == highspy.HighsModelStatus.kModelEmpty:  # no rows: each variable at its best bound
            return [low if cost >= 0 else high for cost, low, high in zip(self.cost, self.lower, self.upper)], True
        optimal = status == highspy.HighsModelStatus.kOptimal
        feasible = highs.getInfo().primal_solution_status == 2  # kSolutionStatusFeasible
        if not optimal and not (integer and feasible and status == highspy.HighsModelStatus.kTimeLimit):
            raise SolverUnavailable(f"HiGHS: {highs.modelStatusToString(status)}")
        return list(highs.getSolution().col_value), optimal


@dataclass(frozen=True)
class _Copy:
    """One direction one primary cell must be able to move: ``sign`` +1 up, −1 down, by at
    most ``level`` (the rest of 1 … threshold−1 on that side)."""

    primary: int  # quantity
    sign: int
    level: int


def _costs(model: TableModel, component: list[int]) -> dict[int, float]:
    """The cost of hiding each non-primary quantity of ``component`` (see the module docstring)."""
    quantities = model.quantities
    candidates = [q for q in component if not quantities[q].primary]
    size_scale = sum(quantities[q].value for q in candidates) + 1

    def tier(q: int) -> int:
        quantity = quantities[q]
        if quantity.totals == 0:
            return 0
        return 1 if quantity.totals == 1 and len(quantity.tables) == 1 else 2

    base = {q: len(quantities[q].cells) + quantities[q].value / size_scale for q in candidates}
    inner_weight = sum(base[q] for q in candidates if tier(q) == 0) + 1
    total_weight = inner_weight + sum(inner_weight + base[q] for q in candidates if tier(q) == 1) + 1
    weight = {0: 0.0, 1: inner_weight, 2: total_weight}
    return {q: weight[tier(q)] + base[q] for q in candidates}


class _Witnesses:
    """For each copy, the deviations of a table consistent with the shown cells that moves its
    primary: one variable per quantity of the component per copy."""

    def __init__(self, model: TableModel, component: list[int], copies: list[_Copy], threshold: int):
        self.model, self.component, self.copies, self.threshold = model, component, copies, threshold
        self.position = {q: j for j, q in enumerate(component)}
        members = set(component)
        self.equations = [e for e in model.equations if any(q in members for q in e)]
        self.free = [q for q in component if not model.quantities[q].primary]  # may be hidden or not

    def variable(self, k: int, q: int) -> int:
        return k * len(self.component) + self.position[q]

    def bounds(self, k: int, q: int) -> tuple[int, int]:
        """How far quantity ``q`` may move in copy ``k`` when hidden: a ``<t`` within 1 … t−1,
        a 秘匿 not below t and (enough for these tables) by no more than the copy's level."""
        quantity, t = self.model.quantities[q], self.threshold
        if quantity.primary:
            return -(quantity.value - 1), t - 1 - quantity.value
        cap = DEVIATION_SLACK * self.copies[k].level
        return -min(quantity.value - t, cap), cap

    def program(self, hidden: set[int] | None, targets: list[int], copies: list[int] | None = None) -> LinearProgram:
        """Each copy's primary moving as far as it can towards its target, with ``hidden`` (all
        when None) hidden and the other non-primary quantities shown (they do not move)."""
        copies = range(len(self.copies)) if copies is None else copies
        n = len(self.copies) * len(self.component)
        lp = LinearProgram([0.0] * n, [0.0] * n, [0.0] * n)
        for k in copies:
            copy = self.copies[k]
            for q in self.component:
                if hidden is None or q in hidden or self.model.quantities[q].primary:
                    v = self.variable(k, q)
                    lp.lower[v], lp.upper[v] = self.bounds(k, q)
            v = self.variable(k, copy.primary)
            lp.lower[v], lp.upper[v] = (0, targets[k]) if copy.sign > 0 else (-targets[k], 0)
            lp.cost[v] = -copy.sign
            for equation in self.equations:
                # shown quantities (zeros, counts of events) do not move: left out
                lp.add_row(((self.variable(k, q), coefficient) for q, coefficient in equation.items()
                            if q in self.position), 0, 0)
        return lp

    def moves(self, lp: LinearProgram, values: list[float]) -> list[float]:
        return [c.sign * values[self.variable(k, c.primary)] for k, c in enumerate(self.copies)]

    def reach(self, seconds: float) -> list[int]:
        """How far each copy's primary can move with everything hidden."""
        lp = self.program(None, [c.level for c in self.copies])
        moves = self.moves(lp, lp.solve(False, seconds)[0])
        if any(abs(m - round(m)) > 1e-6 for m in moves):  # not at a whole number: ask for one
            moves = self.moves(lp, lp.solve(True, seconds)[0])
        return [round(m) for m in moves]

    def _sum_cuts(self, moves: list[int]) -> list[tuple[dict[int, float], float]]:
        """The cuts of single sums, to start from: in every sum that holds a primary, the other
        members must be able to make up for its move (those hidden, in the direction needed)."""
        cuts = []
        free = set(self.free)
        for k, copy in enumerate(self.copies):
            for equation in self.equations:
                a = equation.get(copy.primary)
                if not a:
                    continue
                coefficients, need = {}, float(abs(a) * moves[k])
                for q, b in equation.items():
                    if q == copy.primary or q not in self.position:
                        continue
                    low, high = self.bounds(k, q)
                    room = abs(b) * (-low if b * a * copy.sign > 0 else high)  # on p's side: gives way
                    if q in free:
                        if room > 0:
                            coefficients[q] = min(float(room), need)
                    else:
                        need -= room
                if need > 0:
                    cuts.append(({q: min(c, need) for q, c in coefficients.items()}, need))
        return cuts

    def cheapest(self, moves: list[int], costs: dict[int, float], deadline: float) -> set[int]:
        """The cheapest hidden set letting every copy's primary move exactly ``moves[k]``: one
        integer program over the hidden set (one 0/1 variable per non-primary quantity, after
        the copies' deviations), each copy's deviations held at 0 for a shown quantity."""
        lp = self.program(None, moves)
        n_delta = len(lp.cost)
        for k, copy in enumerate(self.copies):
            v = self.variable(k, copy.primary)
            lp.lower[v] = lp.upper[v] = copy.sign * moves[k]
            lp.cost[v] = 0.0
        for i, q in enumerate(self.free):
            x = n_delta + i
            lp.cost.append(costs[q])
            lp.lower.append(0.0)
            lp.upper.append(1.0)
            for k in range(len(self.copies)):
                low, high = self.bounds(k, q)
                v = self.variable(k, q)
                lp.add_row([(v, 1), (x, -high)], -INFINITY, 0)  # δ ≤ high·x: a shown one stays
                lp.add_row([(v, 1), (x, -low)], 0, INFINITY)  # δ ≥ low·x
        x_of = {q: n_delta + i for i, q in enumerate(self.free)}
        for coefficients, need in self._sum_cuts(moves):  # implied, but they guide the solver
            lp.add_row(((x_of[q], c) for q, c in coefficients.items()), need, INFINITY)
        values, optimal = lp.solve(True, deadline - time.monotonic())
        if not optimal:
            log.info("statistics suppression: time limit; using the best protection found so far")
        return {q for i, q in enumerate(self.free) if values[n_delta + i] > 0.5}


def protect_component(model: TableModel, component: list[int], threshold: int, seconds: float) -> set[int]:
    """The quantities of ``component`` to hide (秘匿) so that every primary in it moves over
    its whole range, or as far as hiding everything allows. Raises ``SolverUnavailable``."""
    started = time.monotonic()
    copies = []
    for q in component:
        quantity = model.quantities[q]
        if quantity.primary:
            if quantity.value < threshold - 1:
                copies.append(_Copy(q, 1, threshold - 1 - quantity.value))
            if quantity.value > 1:
                copies.append(_Copy(q, -1, quantity.value - 1))
    if not copies:
        return set()
    moves = _Witnesses(model, component, copies, threshold).reach(seconds)
    copies, moves = [c for c, m in zip(copies, moves) if m], [m for m in moves if m]
    if not copies:
        return set()  # nothing can protect these (every count of their sums is small)
    witnesses = _Witnesses(model, component, copies, threshold)
    return witnesses.cheapest(moves, _costs(model, component), started + seconds)


# ---- putting it together ------------------------------------------------------------------------

def _complementary(tables: dict[str, Table], marks: Marks, threshold: int) -> None:
    model = build_model(tables, marks)
    deadline = time.monotonic() + SOLVE_SECONDS
    legacy: Marks | None = None
    for component in model.components():
        try:
            hidden = protect_component(model, component, threshold, deadline - time.monotonic())
        except SolverUnavailable as error:
            log.warning("statistics suppression: falling back to the first method for %s: %s",
                        ", ".join(sorted({t for q in component for t in model.quantities[q].tables})), error)
            if legacy is None:
                from shakyo_desk.reports.stats_suppress_legacy import legacy_secondary

                legacy = {tid: [row[:] for row in rows] for tid, rows in marks.items()}
                legacy_secondary(tables, legacy, threshold)
            for q in component:
                for t, r, c in model.quantities[q].cells:
                    marks[t][r][c] = legacy[t][r][c]
            continue
        for q in hidden:
            for t, r, c in model.quantities[q].cells:
                if marks[t][r][c] is None:
                    marks[t][r][c] = SECONDARY


def _dependents(tables: dict[str, Table], marks: Marks, threshold: int) -> None:
    """Measures taken over a small count, and differences of a hidden number, are hidden too."""
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


def primary_marks(tables: dict[str, Table], threshold: int) -> Marks:
    """Only the counts below the threshold marked."""
    marks: Marks = {tid: [[None] * len(t.columns) for _ in t.rows] for tid, t in tables.items()}
    if threshold <= 1:
        return marks
    for tid, table in tables.items():
        for r, row in enumerate(table.rows):
            for c, value in enumerate(row.values):
                if is_count(table, r, c) and 0 < value < threshold:
                    marks[tid][r][c] = PRIMARY
    return marks


def suppression_marks(tables: dict[str, Table], threshold: int) -> Marks:
    """Which cells of ``tables`` (by any id) an export must hide, and why."""
    frozen = _suppression_marks(tuple(tables.items()), threshold)
    return {tid: [list(row) for row in rows] for tid, rows in frozen.items()}


@functools.lru_cache(maxsize=8)  # the 統計 page, then its CSV and PDF, suppress the same figures
def _suppression_marks(tables: tuple[tuple[str, Table], ...], threshold: int) -> dict:
    tables = dict(tables)
    marks = primary_marks(tables, threshold)
    if threshold > 1:
        _complementary(tables, marks, threshold)
        _dependents(tables, marks, threshold)
    return {tid: tuple(tuple(row) for row in rows) for tid, rows in marks.items()}
