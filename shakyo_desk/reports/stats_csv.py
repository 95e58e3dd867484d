"""統計の CSV: the figures for Excel (DESIGN §7, issue 6).

- Always suppressed (``stats_render.render`` with small counts hidden): a CSV leaves the council.
- UTF-8 with a BOM by default (Excel then reads the Japanese correctly); ``cp932`` (Shift_JIS
  as Windows has it) on request. Before encoding to cp932 the characters Unicode and Windows
  map differently are folded (〜 → ～, − → －, ‖ → ∥, — → ―, ¢ £ ¬ → ￠ ￡ ￢). A character
  cp932 cannot hold at all (𠮷, emoji, most rare kanji variants) is refused with a Japanese
  sentence naming it, or, with ``unmappable="replace"``, written as 〓 (the geta mark that
  Japanese printing has long used for a missing character).
- Text cells that Excel could take for a formula — beginning with = + - @, a tab or a
  carriage return, or their full-width forms ＝ ＋ － ＠ — get a leading ``'``. Numbers we
  computed (including negative differences) are written as numbers.
- Staff read 年度 and 和暦 (期間, 作成日); machines read the ISO lines (開始日, 終了日, 作成日時).
- Written atomically (temporary file in the same folder, fsync, rename) and the export is
  recorded in the audit log (``stats_csv.export``) just before the rename.
"""

from dataclasses import dataclass
from pathlib import Path

# The CSV mechanics are shared with the audit log export (reports/csv_file.py); the names stay
# importable from here for the callers of the statistics CSV.
from shakyo_desk.reports.csv_file import (  # noqa: F401
    CP932_FOLD, ENCODING_ALIASES, ENCODINGS, FORMULA_STARTS, REPLACEMENT, check_target, csv_text, encode_rows,
    encoding_name, neutralise, write_file,
)
from shakyo_desk.reports.stats_render import (
    Cell, RenderedFigures, header_lines, note_lines, render,
)
from shakyo_desk.store.services.exports import log_export
from shakyo_desk.store.services.stats import Figures
from shakyo_desk.store.store import Store


@dataclass(frozen=True)
class CsvExport:
    path: Path
    encoding: str  # utf-8 | cp932
    size: int
    cells_hidden: int


def _csv_value(value: Cell) -> Cell:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    return neutralise(value)


def csv_rows(rendered: RenderedFigures) -> list[list[Cell]]:
    """Every line of the CSV as cells, before encoding."""
    f = rendered.figures
    rows: list[list[Cell]] = [["統計（社協デスク）"]]
    head = header_lines(rendered)
    rows += [[label, value] for label, value in head[:2]]
    rows += [["開始日", f.period.start.isoformat()], ["終了日", f.period.last_day.isoformat()]]
    rows += [[label, value] for label, value in head[2:]]
    rows += [["作成日時", f.generated_at.isoformat(timespec="seconds")]]
    rows += [["注", note] for note in note_lines(rendered)]
    for table in rendered.tables:
        rows.append([])
        rows.append([f"■ {table.title}"])
        rows.append(list(table.headers))
        rows += [[row.label, *row.cells] for row in table.rows]
        if table.note:
            rows.append(["注", table.note])
    return [[_csv_value(v) for v in row] for row in rows]


def csv_bytes(rendered: RenderedFigures, *, encoding: str = "utf-8", unmappable: str = "error") -> bytes:
    """The CSV file's bytes. ``unmappable``: "error" (refuse) or "replace" (〓), for cp932."""
    return encode_rows(csv_rows(rendered), encoding, unmappable)


def export_detail(rendered: RenderedFigures, **extra) -> dict:
    """What the audit log keeps about an exported set of figures: never the figures themselves."""
    f = rendered.figures
    return {"period": f.period.iso, "start": f.period.start.isoformat(), "end": f.period.last_day.isoformat(),
            "district_id": f.district_id, "suppressed": not rendered.raw, "cells_hidden": rendered.suppressed,
            "tables": [t.key for t in rendered.tables], **extra}


def export_csv(store: Store, figures: Figures, path: str | Path, *, encoding: str = "utf-8",
               unmappable: str = "error") -> CsvExport:
    """Write the figures (small counts hidden) to ``path`` and record the export."""
    path = check_target(Path(path))
    encoding = encoding_name(encoding)
    rendered = render(figures)
    data = csv_bytes(rendered, encoding=encoding, unmappable=unmappable)

    def record() -> None:
        log_export(store, "stats_csv", export_detail(rendered, file=path.name, encoding=encoding, format="csv"))

    write_file(path, data, record, prefix=".stats-")
    return CsvExport(path, encoding, len(data), rendered.suppressed)
