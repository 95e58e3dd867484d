"""What a statistics table is (``Column``, ``Row``, ``Table``) and the helpers that build one by
district: shared by ``stats`` and ``stats_community`` (which ``stats`` calls)."""

from dataclasses import dataclass

import sqlalchemy as sa

TOTAL = "計"


@dataclass(frozen=True)
class Column:
    """One column of values. ``additive``: the body rows add up to the total row (so a hidden
    cell could be worked out from the others: suppression hides a second one). ``personal``:
    a count of people, households or their records (suppressed when small); counts of events
    such as sessions held are not. ``measure_of``: a measure (days) shown only when the count
    in that column of the same row is not small. ``difference_of``: (a, b) = column a − column b."""

    key: str
    header: str
    additive: bool = True
    personal: bool = True
    measure_of: int | None = None
    difference_of: tuple[int, int] | None = None


@dataclass(frozen=True)
class Row:
    """A label and one value per column (None: nothing to measure, shown as －).
    ``links`` names, per value, the same quantity shown elsewhere (a total shown in several
    tables), so that hiding it in one table hides it everywhere."""

    label: str
    values: tuple[int | float | None, ...]
    key: str = ""
    total: bool = False
    personal: bool = True
    links: tuple[str, ...] = ()

    def link(self, index: int) -> str:
        return self.links[index] if index < len(self.links) else ""


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    label_header: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    note: str = ""
    # (total column, part columns): in every row the parts add up to the total column
    row_total: tuple[int, tuple[int, ...]] | None = None

    @property
    def headers(self) -> tuple[str, ...]:
        return (self.label_header, *(c.header for c in self.columns))

    @property
    def body(self) -> tuple[Row, ...]:
        return tuple(r for r in self.rows if not r.total)

    @property
    def total_row(self) -> Row | None:
        return next((r for r in self.rows if r.total), None)

    def row(self, key: str) -> Row:
        for r in self.rows:
            if r.key == key:
                return r
        raise KeyError(key)

    def value(self, row_key: str, column_key: str) -> int | float | None:
        index = next(i for i, c in enumerate(self.columns) if c.key == column_key)
        return self.row(row_key).values[index]

    @property
    def is_empty(self) -> bool:
        return not any(isinstance(v, int | float) and v for r in self.rows for v in r.values)


def _in_scope(scope, column):
    return sa.true() if scope.allowed is None else column.in_(sorted(scope.allowed))


def _links(prefix: str, *names: str) -> tuple[str, ...]:
    return tuple(f"{prefix}{n}" if n else "" for n in names)


def _district_rows(scope, per_bucket: dict[str, tuple], width: int):
    rows = []
    for key, label in scope.rows:
        values = per_bucket.get(key, (0,) * width)
        if key in scope.optional and not any(values):
            continue
        rows.append(Row(label, tuple(values), key=key or "none"))
    return rows


def _total(width_values: list[tuple], columns: int) -> tuple[int, ...]:
    return tuple(sum(v[i] for v in width_values) for i in range(columns))

