"""What suppression (stats_suppress.py) and its fallback (stats_suppress_legacy.py) share: the
marks, which cells are counts, and the additive groups of a table. Pure."""

from collections.abc import Iterable

from shakyo_desk.store.services.stats import Table

PRIMARY = "primary"  # below the threshold: shown as <3
SECONDARY = "secondary"  # hidden so that a primary cell cannot be worked out: shown as 秘匿
SECONDARY_TEXT = "秘匿"
INFINITY = float("inf")
Marks = dict[str, list[list[str | None]]]  # table id → per row, per column: None | PRIMARY | SECONDARY


def is_count(table: Table, r: int, c: int) -> bool:
    """A count of people, households or their records (the cells suppression may hide)."""
    column, row = table.columns[c], table.rows[r]
    return (column.personal and row.personal and column.measure_of is None and column.difference_of is None
            and isinstance(row.values[c], int) and not isinstance(row.values[c], bool))


def additive_groups(table: Table) -> Iterable[tuple[list[tuple[int, int]], tuple[int, int]]]:
    """(body cells, total cell) of every additive group of the table: each additive count
    column with the total row, and each row with its parts and total column."""
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
