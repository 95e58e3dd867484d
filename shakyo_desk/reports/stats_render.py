"""Statistics as people and machines read them: one rendering of ``Figures`` (suppressed for
export, or raw for a coordinator's screen) that the text output, CSV, JSON, the PDF and the
統計 page all draw from, so they show the same numbers.

Pure: no Qt, no database.
"""

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from shakyo_desk.domain.errors import PermissionDenied
from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.reports.stats_suppress import (
    PRIMARY, SECONDARY, SECONDARY_TEXT, legend, primary_text, suppression_marks,
)
from shakyo_desk.store.services.stats import Figures, Table

NONE_TEXT = "－"  # nothing to measure (no sheet reached the status)
RAW_REFUSED = "伏せる前の件数を見られるのはコーディネーターと管理者だけです。"
RAW_NOTE = "画面用：件数を伏せていません。この表を外部に出すときは、書き出し機能を使ってください。"

Cell = int | float | str | None  # a number, a suppression mark, or None (nothing to measure)


@dataclass(frozen=True)
class RenderedRow:
    label: str
    key: str
    total: bool
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class RenderedTable:
    key: str
    title: str
    headers: tuple[str, ...]  # the label column's header first
    column_keys: tuple[str, ...]
    rows: tuple[RenderedRow, ...]
    note: str
    suppressed: int  # how many cells are hidden


@dataclass(frozen=True)
class RenderedFigures:
    figures: Figures
    raw: bool  # counts not suppressed (coordinators' screen only)
    tables: tuple[RenderedTable, ...]
    previous_tables: tuple[RenderedTable, ...]
    primary_mark: str
    secondary_mark: str

    @property
    def suppressed(self) -> int:
        return sum(t.suppressed for t in self.tables)

    @property
    def legend(self) -> str:
        return RAW_NOTE if self.raw else legend(self.figures.threshold)

    def table(self, key: str) -> RenderedTable:
        return next(t for t in self.tables if t.key == key)


def render(figures: Figures, *, raw: bool = False) -> RenderedFigures:
    """The figures with small counts hidden; ``raw=True`` (coordinators and admins, on screen
    only) leaves every count as it is."""
    if raw and not figures.raw_allowed:
        raise PermissionDenied(RAW_REFUSED)
    tables = {f"current:{t.key}": t for t in figures.tables}
    tables.update({f"previous:{t.key}": t for t in figures.previous_tables})
    marks = None if raw else suppression_marks(tables, figures.threshold)
    mark_text = {PRIMARY: primary_text(figures.threshold), SECONDARY: SECONDARY_TEXT}

    def one(tid: str, table: Table) -> RenderedTable:
        rows, hidden = [], 0
        for r, row in enumerate(table.rows):
            cells = []
            for c, value in enumerate(row.values):
                mark = marks[tid][r][c] if marks else None
                if mark:
                    hidden += 1
                    cells.append(mark_text[mark])
                else:
                    cells.append(value)
            rows.append(RenderedRow(row.label, row.key, row.total, tuple(cells)))
        return RenderedTable(table.key, table.title, table.headers, tuple(c.key for c in table.columns),
                             tuple(rows), table.note, hidden)

    return RenderedFigures(
        figures, raw,
        tuple(one(f"current:{t.key}", t) for t in figures.tables),
        tuple(one(f"previous:{t.key}", t) for t in figures.previous_tables),
        mark_text[PRIMARY], SECONDARY_TEXT)


# ---- words around the tables -------------------------------------------------------------------

def period_text(figures: Figures) -> str:
    """令和6年度（令和6年4月1日～令和7年3月31日）"""
    return f"{figures.period.label}（{figures.period.range_text}）"


def header_lines(rendered: RenderedFigures, *, today: date | None = None) -> list[tuple[str, str]]:
    """(label, value) pairs that head every rendering, in the words staff use."""
    f = rendered.figures
    made = today or _local_day(f.generated_at)
    word = "前年同月" if f.period.kind == "month" else "前年度"
    return [("社会福祉協議会", f.council), ("期間", period_text(f)), ("地区", f.district),
            (f"比べる期間（{word}）", f"{f.previous_period.label}（{f.previous_period.range_text}）"),
            ("作成日", format_wareki(made))]


def _local_day(moment: datetime) -> date:
    return moment.astimezone().date() if moment.tzinfo else moment.date()


def note_lines(rendered: RenderedFigures) -> list[str]:
    return [*rendered.figures.notes, rendered.legend]


# ---- text (the command line's default) ------------------------------------------------------------

def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * max(0, width - _width(text))
    return gap + text if right else text + gap


def cell_text(value: Cell) -> str:
    """A cell as people read it: 1,234 / 12.5 / <3 / 秘匿 / －."""
    if value is None:
        return NONE_TEXT
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


def table_lines(table: RenderedTable) -> list[str]:
    grid = [list(table.headers)] + [[row.label, *(cell_text(v) for v in row.cells)] for row in table.rows]
    widths = [max(_width(line[i]) for line in grid) for i in range(len(table.headers))]
    lines = [f"■ {table.title}"]
    for n, line in enumerate(grid):
        lines.append("  " + "  ".join(_pad(text, widths[i], right=i > 0) for i, text in enumerate(line)).rstrip())
        if n == 0:
            lines.append("  " + "  ".join("-" * w for w in widths))
    if table.note:
        lines.append(f"  ※{table.note}")
    return lines


def text_lines(rendered: RenderedFigures) -> list[str]:
    lines = ["統計（社協デスク）"]
    lines += [f"{label}：{value}" for label, value in header_lines(rendered)]
    lines += [f"※{note}" for note in note_lines(rendered)]
    for table in rendered.tables:
        lines.append("")
        lines += table_lines(table)
    return lines


# ---- JSON (one document) -----------------------------------------------------------------------

def _period_json(period) -> dict:
    return {"kind": period.kind, "label": period.label, "fiscal_year": period.fiscal_year, "month": period.month,
            "start": period.start.isoformat(), "end": period.last_day.isoformat()}


def _table_json(table: RenderedTable) -> dict:
    return {"key": table.key, "title": table.title, "label_header": table.headers[0],
            "columns": [{"key": k, "header": h} for k, h in zip(table.column_keys, table.headers[1:])],
            "rows": [{"label": r.label, "key": r.key, "total": r.total, "values": list(r.cells)} for r in table.rows],
            "note": table.note}


def json_document(rendered: RenderedFigures) -> dict:
    """Machine-readable: ISO dates, numbers as numbers, hidden cells as their mark ("<3", "秘匿"),
    nothing to measure as null."""
    f = rendered.figures
    return {
        "council": f.council,
        "period": _period_json(f.period),
        "previous_period": _period_json(f.previous_period),
        "district": {"id": f.district_id, "name": f.district},
        "computed_until": f.computed_until.isoformat(),
        "generated_at": f.generated_at.isoformat(),
        "suppression": {"applied": not rendered.raw, "threshold": f.threshold, "below_threshold": rendered.primary_mark,
                        "secondary": rendered.secondary_mark, "cells_hidden": rendered.suppressed},
        "notes": note_lines(rendered),
        "tables": [_table_json(t) for t in rendered.tables],
        "previous_tables": [_table_json(t) for t in rendered.previous_tables],
    }
