"""CSV files for Excel, shared by every CSV the app writes (統計, 操作の記録).

- UTF-8 with a BOM by default (Excel then reads the Japanese correctly); ``cp932`` (Shift_JIS
  as Windows has it) on request. Before encoding to cp932 the characters Unicode and Windows
  map differently are folded (〜 → ～, − → －, ‖ → ∥, — → ―, ¢ £ ¬ → ￠ ￡ ￢). A character
  cp932 cannot hold at all (𠮷, emoji, most rare kanji variants) is refused with a Japanese
  sentence naming it, or, with ``unmappable="replace"``, written as 〓 (the geta mark).
- Text cells that Excel could take for a formula — beginning with = + - @, a tab or a
  carriage return, or their full-width forms ＝ ＋ － ＠ — get a leading ``'``. Numbers stay
  numbers.
- Written atomically through ``domain/safe_file.py``: a temporary file (0600) in the target
  folder, fsync, a callback (recording the export in the audit log), rename, fsync of the folder.
"""

import csv
import errno
import io
from collections.abc import Callable, Iterable
from pathlib import Path

from shakyo_desk.domain import safe_file
from shakyo_desk.domain.errors import InvalidInput

Cell = str | int | float | None

ENCODINGS = {"utf-8": "utf-8-sig", "cp932": "cp932"}
ENCODING_ALIASES = {"utf-8": "utf-8", "utf8": "utf-8", "utf-8-sig": "utf-8", "cp932": "cp932", "shift_jis": "cp932",
                    "shift-jis": "cp932", "sjis": "cp932", "ms932": "cp932", "windows-31j": "cp932"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
REPLACEMENT = "〓"
# Characters whose usual Unicode form differs from the one Windows' cp932 table holds.
CP932_FOLD = str.maketrans({"\u301c": "\uff5e", "\u2212": "\uff0d", "\u2016": "\u2225", "\u2014": "\u2015",
                            "\u00a2": "\uffe0", "\u00a3": "\uffe1", "\u00ac": "\uffe2", "\u00a6": "\uffe4"})


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


def csv_text(rows: Iterable[Iterable[Cell]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def encode_rows(rows: list[list[Cell]], encoding: str = "utf-8", unmappable: str = "error") -> bytes:
    """The file's bytes for cells already neutralised. ``unmappable``: "error" (refuse) or
    "replace" (〓), for cp932."""
    encoding = encoding_name(encoding)
    if encoding == "utf-8":
        return csv_text(rows).encode("utf-8-sig")
    rows = [[v.translate(CP932_FOLD) if isinstance(v, str) else v for v in row] for row in rows]
    if unmappable == "replace":
        rows = [[replace_unmappable(v) if isinstance(v, str) else v for v in row] for row in rows]
    else:
        for row in rows:
            for value in row:
                if isinstance(value, str):
                    bad = first_unmappable(value)
                    if bad:
                        raise InvalidInput(
                            f"Shift_JIS（cp932）では表せない文字「{bad}」が「{value}」に含まれています。"
                            "UTF-8 で書き出すか、その文字を使わない名前に直してください。")
    return csv_text(rows).encode("cp932")


def first_unmappable(text: str) -> str:
    for ch in text:
        try:
            ch.encode("cp932")
        except UnicodeEncodeError:
            return ch
    return ""


def replace_unmappable(text: str) -> str:
    return "".join(ch if not first_unmappable(ch) else REPLACEMENT for ch in text)


# ---- writing safely -----------------------------------------------------------------------------

def write_error(error: OSError, folder: Path, what: str = "CSV") -> InvalidInput:
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return InvalidInput(f"保存先に空きがないため、{what} を保存できませんでした。空きのある場所を選んでください。")
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return InvalidInput(f"保存先のフォルダに書き込めないため、{what} を保存できませんでした。"
                            f"フォルダの権限や USBメモリのロックを確かめてください。（{folder}）")
    return InvalidInput(f"{what} を保存できませんでした（{error.strerror or error}）。保存先を確かめてください。（{folder}）")


def check_target(path: Path, what: str = "CSV") -> Path:
    """Refuse, before anything is computed or logged, a target that cannot be a new file."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise InvalidInput(f"「{path}」はフォルダです。書き出す {what} のファイル名を指定してください。")
    if not path.parent.is_dir():
        raise InvalidInput(f"保存先のフォルダ「{path.parent}」が見つかりません。フォルダを確かめてください。")
    return path


def write_file(path: Path, data: bytes, before_rename: Callable[[], None] | None = None, *, what: str = "CSV",
               prefix: str = ".shakyo-") -> Path:
    """Write ``data`` under a temporary name in the target folder (``safe_file``: 0600, fsync),
    run ``before_rename`` (recording the export), then rename into place. On any failure no
    file is left behind and an existing file of that name is untouched."""
    path = check_target(path, what)
    try:
        with safe_file.stage(path, prefix=prefix) as staged:
            staged.write(data)
            staged.finish()
            if before_rename:
                before_rename()
            staged.commit()
    except OSError as error:
        raise write_error(error, path.parent, what) from error
    return path
