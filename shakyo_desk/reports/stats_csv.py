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

import csv
import errno
import io
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.reports.stats_render import (
    Cell, RenderedFigures, header_lines, note_lines, render,
)
from shakyo_desk.store.atomic import fsync_dir
from shakyo_desk.store.services.exports import log_export
from shakyo_desk.store.services.stats import Figures
from shakyo_desk.store.store import Store

ENCODINGS = {"utf-8": "utf-8-sig", "cp932": "cp932"}
ENCODING_ALIASES = {"utf-8": "utf-8", "utf8": "utf-8", "utf-8-sig": "utf-8", "cp932": "cp932", "shift_jis": "cp932",
                    "shift-jis": "cp932", "sjis": "cp932", "ms932": "cp932", "windows-31j": "cp932"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
REPLACEMENT = "〓"
# Characters whose usual Unicode form differs from the one Windows' cp932 table holds.
CP932_FOLD = str.maketrans({"\u301c": "\uff5e", "\u2212": "\uff0d", "\u2016": "\u2225", "\u2014": "\u2015",
                            "\u00a2": "\uffe0", "\u00a3": "\uffe1", "\u00ac": "\uffe2", "\u00a6": "\uffe4"})


@dataclass(frozen=True)
class CsvExport:
    path: Path
    encoding: str  # utf-8 | cp932
    size: int
    cells_hidden: int


def encoding_name(value: str | None) -> str:
    """utf-8 (the default) or cp932, from what a person may type."""
    name = (value or "utf-8").strip().lower()
    if name not in ENCODING_ALIASES:
        raise InvalidInput(f"文字コード「{value}」は指定できません。utf-8（既定）か cp932（Shift_JIS）を指定してください。")
    return ENCODING_ALIASES[name]


def neutralise(value: Cell) -> Cell:
    """A text cell Excel could run as a formula gets a leading ' (numbers stay numbers)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


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


def _text(rows: list[list[Cell]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def csv_bytes(rendered: RenderedFigures, *, encoding: str = "utf-8", unmappable: str = "error") -> bytes:
    """The CSV file's bytes. ``unmappable``: "error" (refuse) or "replace" (〓), for cp932."""
    encoding = encoding_name(encoding)
    rows = csv_rows(rendered)
    if encoding == "utf-8":
        return _text(rows).encode("utf-8-sig")
    rows = [[v.translate(CP932_FOLD) if isinstance(v, str) else v for v in row] for row in rows]
    if unmappable == "replace":
        rows = [[_replace_unmappable(v) if isinstance(v, str) else v for v in row] for row in rows]
    else:
        for row in rows:
            for value in row:
                if isinstance(value, str):
                    bad = _first_unmappable(value)
                    if bad:
                        raise InvalidInput(
                            f"Shift_JIS（cp932）では表せない文字「{bad}」が「{value}」に含まれています。"
                            "UTF-8 で書き出すか、その文字を使わない名前に直してください。")
    return _text(rows).encode("cp932")


def _first_unmappable(text: str) -> str:
    for ch in text:
        try:
            ch.encode("cp932")
        except UnicodeEncodeError:
            return ch
    return ""


def _replace_unmappable(text: str) -> str:
    return "".join(ch if not _first_unmappable(ch) else REPLACEMENT for ch in text)


# ---- writing safely -----------------------------------------------------------------------------

def _write_error(error: OSError, folder: Path, what: str = "CSV") -> InvalidInput:
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return InvalidInput(f"保存先に空きがないため、{what} を保存できませんでした。空きのある場所を選んでください。")
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return InvalidInput(f"保存先のフォルダに書き込めないため、{what} を保存できませんでした。"
                            f"フォルダの権限や USB メモリのロックを確かめてください。（{folder}）")
    return InvalidInput(f"{what} を保存できませんでした（{error.strerror or error}）。保存先を確かめてください。（{folder}）")


def check_target(path: Path, what: str = "CSV") -> Path:
    """Refuse, before anything is computed or logged, a target that cannot be a new file."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise InvalidInput(f"「{path}」はフォルダです。書き出す {what} のファイル名を指定してください。")
    if not path.parent.is_dir():
        raise InvalidInput(f"保存先のフォルダ「{path.parent}」が見つかりません。フォルダを確かめてください。")
    return path


def write_file(path: Path, data: bytes, before_rename: Callable[[], None] | None = None, *, what: str = "CSV") -> Path:
    """Write ``data`` under a temporary name in the target folder, fsync, run ``before_rename``
    (recording the export), then rename into place. On any failure no file is left behind."""
    path = check_target(path, what)
    temp = None
    try:
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=".stats-", suffix=".partial")
        temp = Path(name)
        with os.fdopen(handle, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if before_rename:
            before_rename()
        os.replace(temp, path)
        temp = None
    except OSError as error:
        raise _write_error(error, path.parent, what) from error
    finally:
        if temp is not None:
            try:
                temp.unlink(missing_ok=True)
            except OSError:
                pass
    try:
        fsync_dir(path.parent)  # the rename itself reaches the disk
    except OSError:
        pass  # the file is complete and in place; some file systems cannot sync a folder
    return path


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

    write_file(path, data, record)
    return CsvExport(path, encoding, len(data), rendered.suppressed)
