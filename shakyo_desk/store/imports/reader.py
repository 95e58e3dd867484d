"""Reading an existing list: an Excel workbook (.xlsx, openpyxl in read-only mode) or a CSV
file (UTF-8 with or without BOM, or Shift_JIS/cp932), into a plain ``SheetTable``.

What this does with what people put in spreadsheets:

- **Title rows** above the header ("令和7年度 一人暮らし高齢者名簿", a date line) are skipped:
  the header is the first of the first ``HEADER_SCAN`` rows in which at least two cells are
  words we know as headers (氏名, 住所, 電話 …); failing that, one; failing that, the first
  row that is not empty.
- **Two header rows** (merged cells): when the row under the header is itself made of header
  words (「電話」「携帯」 under a 「連絡先」 merged across both), each column's name is the
  lower cell, and the upper cell — carried right across the merge, since a merged cell keeps
  its text only in its first column — becomes its group (shown as 「連絡先・電話」). A column
  whose lower cell is empty (「氏名」 merged down over both rows) keeps the upper cell's name.
- **Blank rows** between data rows are kept (the preview reports them as skipped); blank rows
  after the last data row are not rows at all (Excel often formats hundreds of them).
- Row numbers are the spreadsheet's own, so the preview says 「12行目」 where Excel shows 12.
- **CSV encodings**: the whole file is tried as UTF-8 (a BOM is allowed) strictly; failing
  that, line by line as UTF-8 and as cp932. A line only one of them reads is in that
  encoding; when both kinds occur the file mixes encodings, and every line in the minority
  encoding (or in neither) becomes a problem of its row — read as well as it can be so the
  preview can show it, but never imported.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.i18n import tr

HEADER_SCAN = 10
MAX_ROWS = 20_000
MAX_COLUMNS = 100
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
CSV_SUFFIXES = (".csv", ".txt", ".tsv")


@dataclass(frozen=True)
class Column:
    index: int          # 0-based position in the row
    letter: str         # A, B, … as Excel names it
    header: str         # the column's own header cell (the lower one of two header rows)
    group: str = ""     # the merged cell above it when there are two header rows
    samples: tuple[str, ...] = ()  # the first few values, for choosing the mapping

    @property
    def label(self) -> str:
        """What to call the column on screen: 「連絡先・電話」, 「氏名」, or 「D列」."""
        if self.group and self.header and self.group != self.header:
            return f"{self.group}・{self.header}"
        return self.header or self.group or tr("{letter}列", letter=self.letter)


@dataclass(frozen=True)
class SourceRow:
    number: int         # the row number the spreadsheet shows (a CSV's record number)
    cells: tuple        # values by column index: str, int, float, datetime, date, bool or None

    @property
    def blank(self) -> bool:
        return all(cell_text(c) == "" for c in self.cells)

    def get(self, index: int):
        return self.cells[index] if 0 <= index < len(self.cells) else None


@dataclass(frozen=True)
class SheetTable:
    """One sheet of an existing list, as read: no interpretation beyond the header."""

    file_name: str
    format: str                       # "xlsx" or "csv"
    sheet: str                        # the sheet read ("" for CSV)
    sheets: tuple[str, ...]           # every sheet of the workbook
    header_rows: tuple[int, ...]      # spreadsheet row numbers of the header (one or two)
    columns: tuple[Column, ...]
    rows: tuple[SourceRow, ...]       # every row under the header up to the last non-empty one
    encoding: str = ""                # CSV: "utf-8" or "cp932"
    # Rows that could not be read properly (a CSV line in another encoding): number → message.
    read_problems: tuple[tuple[int, str], ...] = field(default_factory=tuple)

    def column(self, index: int) -> Column:
        return next(c for c in self.columns if c.index == index)


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_text(value) -> str:
    """A cell as text: numbers without a trailing .0, dates as 2025-04-01, trimmed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    return str(value).strip()


# ---- reading files ---------------------------------------------------------------------

def read_table(path: str | Path, *, sheet: str | None = None, header_words=None) -> SheetTable:
    """Read ``path`` (.xlsx/.xlsm or .csv/.txt/.tsv). ``sheet`` names a workbook's sheet (the
    first by default). ``header_words`` (folded words that mark a header row) come from the
    field definitions. Refusals are ``InvalidInput`` with a sentence naming the file."""
    path = Path(path)
    if header_words is None:
        from shakyo_desk.store.imports.fields import all_header_words

        header_words = all_header_words()
    suffix = path.suffix.lower()
    if not path.is_file():
        raise InvalidInput(tr("ファイル「{name}」が見つかりません。場所と名前を確かめてください。", name=path.name))
    if suffix == ".xls":
        raise InvalidInput(tr("「{name}」は古い形式（.xls）のExcelファイルのため読めません。"
                              "Excelで開き、「名前を付けて保存」で「Excel ブック（*.xlsx）」として保存し直してください。",
                              name=path.name))
    if suffix in EXCEL_SUFFIXES:
        sheets, chosen, raw = _read_xlsx(path, sheet)
        fmt, encoding, problems = "xlsx", "", {}
    elif suffix in CSV_SUFFIXES:
        if sheet:
            raise InvalidInput(tr("CSVファイルにはシートがありません。シートの指定を外してください。"))
        raw, encoding, problems = _read_csv(path)
        sheets, chosen, fmt = (), "", "csv"
    else:
        raise InvalidInput(tr("「{name}」は取り込めない種類のファイルです。Excel（.xlsx）かCSV（.csv）のファイルを選んでください。",
                              name=path.name))
    return _build_table(path.name, fmt, chosen, sheets, raw, encoding, problems, header_words)


def _read_xlsx(path: Path, sheet: str | None) -> tuple[tuple[str, ...], str, list[tuple[int, tuple]]]:
    import zipfile

    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as error:
        raise InvalidInput(tr("Excelファイル「{name}」を開けませんでした。壊れているか、パスワードで保護されています。"
                              "Excelで開けるか確かめ、保護を外して保存し直してください。", name=path.name)) from error
    try:
        names = tuple(workbook.sheetnames)
        if sheet:
            if sheet not in names:
                raise InvalidInput(tr("シート「{sheet}」は「{name}」にありません。あるシート：{sheets}",
                                      sheet=sheet, name=path.name, sheets="、".join(names)))
            worksheet = workbook[sheet]
        else:
            worksheet = workbook.worksheets[0]
        if not hasattr(worksheet, "iter_rows"):
            raise InvalidInput(tr("シート「{sheet}」はグラフのシートのため、表として読めません。名簿の表があるシートを選んでください。",
                                  sheet=worksheet.title))
        # Some programs write a wrong sheet size; read to the real end instead of trusting it.
        worksheet.reset_dimensions()
        rows = []
        for number, values in enumerate(worksheet.iter_rows(min_row=1, values_only=True), start=1):
            values = tuple(values[:MAX_COLUMNS])
            rows.append((number, values))
            if number > MAX_ROWS + HEADER_SCAN + 2 and any(cell_text(v) for v in values):
                raise InvalidInput(_too_many(path.name))
        return names, worksheet.title, rows
    finally:
        workbook.close()


def _too_many(name: str) -> str:
    return tr("「{name}」は行が多すぎます。一度に取り込めるのは{n:,}行までです。ファイルを分けて取り込んでください。",
              name=name, n=MAX_ROWS)


def decode_csv(data: bytes) -> tuple[str, str, dict[int, str]]:
    """The text of a CSV file, its encoding, and the lines (1-based) that are in another
    encoding or unreadable, with a message each."""
    try:
        return data.decode("utf-8-sig"), "utf-8", {}
    except UnicodeDecodeError:
        pass
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        bom = True
    else:
        bom = False
    lines = data.split(b"\n")
    kinds: list[str] = []
    for line in lines:
        if line.isascii():
            kinds.append("ascii")
            continue
        utf8 = _decodes(line, "utf-8")
        sjis = _decodes(line, "cp932")
        kinds.append("utf-8" if utf8 else "cp932" if sjis else "bad")
    utf8_count = kinds.count("utf-8") + (1 if bom else 0)
    sjis_count = kinds.count("cp932")
    main = "utf-8" if utf8_count > sjis_count else "cp932"
    names = {"utf-8": "UTF-8", "cp932": "Shift_JIS"}
    texts, problems = [], {}
    for number, (line, kind) in enumerate(zip(lines, kinds, strict=True), start=1):
        if kind in ("ascii", main):
            texts.append(line.decode(main if kind == main else "ascii"))
        elif kind == "bad":
            texts.append(line.decode(main, errors="replace"))
            problems[number] = tr("この行には{enc}として読めない文字があります。ファイルの文字コードを確かめ、"
                                  "この行を入力し直してください。", enc=names[main])
        else:
            texts.append(line.decode(kind))
            problems[number] = tr("この行だけ文字コードが違います（この行は{this}、ほかの行は{main}）。"
                                  "文字が正しく読めないおそれがあるため取り込みません。この行を入力し直してください。",
                                  this=names[kind], main=names[main])
    return "\n".join(texts), main, problems


def _decodes(line: bytes, encoding: str) -> bool:
    try:
        line.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _read_csv(path: Path) -> tuple[list[tuple[int, tuple]], str, dict[int, str]]:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InvalidInput(tr("ファイル「{name}」を読めませんでした。ほかのアプリで開いていないか確かめてください。",
                              name=path.name)) from error
    text, encoding, line_problems = decode_csv(data)
    sample = text[:4096]
    delimiter = "\t" if path.suffix.lower() == ".tsv" or ("\t" in sample and "," not in sample) else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows, problems = [], {}
    previous_line = 0
    try:
        for number, record in enumerate(reader, start=1):
            first_line, last_line = previous_line + 1, reader.line_num
            previous_line = last_line
            for line in range(first_line, last_line + 1):
                if line in line_problems:
                    problems.setdefault(number, line_problems[line])
            rows.append((number, tuple(record[:MAX_COLUMNS])))
            if number > MAX_ROWS + HEADER_SCAN + 2 and any(c.strip() for c in record):
                raise InvalidInput(_too_many(path.name))
    except csv.Error as error:
        raise InvalidInput(tr("CSVファイル「{name}」の{n}行目あたりの形が崩れています（引用符「\"」の閉じ忘れなど）。"
                              "Excelで開いて保存し直してください。", name=path.name, n=reader.line_num)) from error
    return rows, encoding, problems


# ---- finding the header --------------------------------------------------------------

def _fold_header(value) -> str:
    from shakyo_desk.store.imports.fields import fold_header

    return fold_header(cell_text(value))


def _known(value, header_words) -> bool:
    text = _fold_header(value)
    return bool(text) and len(text) <= 20 and any(word in text for word in header_words)


def _score(values: tuple, header_words) -> int:
    return sum(1 for v in values if _known(v, header_words))


def _build_table(file_name: str, fmt: str, sheet: str, sheets: tuple[str, ...], raw: list[tuple[int, tuple]],
                 encoding: str, problems: dict[int, str], header_words) -> SheetTable:
    non_empty = [(n, v) for n, v in raw if any(cell_text(c) for c in v)]
    if not non_empty:
        raise InvalidInput(tr("「{name}」{where}には何も書かれていません。名簿の入ったファイルかシートを選んでください。", name=file_name,
                              where=tr("のシート「{s}」", s=sheet) if sheet else ""))
    candidates = non_empty[:HEADER_SCAN]
    header_pos = next((i for i, (_n, v) in enumerate(candidates) if _score(v, header_words) >= 2), None)
    if header_pos is None:
        header_pos = next((i for i, (_n, v) in enumerate(candidates) if _score(v, header_words) >= 1), 0)
    header_number, top = candidates[header_pos]
    index_of = {n: i for i, (n, _v) in enumerate(raw)}
    below = raw[index_of[header_number] + 1] if index_of[header_number] + 1 < len(raw) else None
    sub: tuple = ()
    if below is not None:
        filled = [c for c in below[1] if cell_text(c)]
        score = _score(below[1], header_words)
        if filled and score >= 1 and score * 2 >= len(filled):
            sub = below[1]
    header_rows = (header_number, below[0]) if sub else (header_number,)
    data_start = index_of[header_rows[-1]] + 1
    data = raw[data_start:]
    while data and not any(cell_text(c) for c in data[-1][1]):
        data.pop()
    if len(data) > MAX_ROWS:
        raise InvalidInput(_too_many(file_name))
    width = max([len(top), len(sub), *(len(v) for _n, v in data)] or [0])
    columns = []
    group_above = ""
    for index in range(width):
        upper = cell_text(top[index]) if index < len(top) else ""
        lower = cell_text(sub[index]) if index < len(sub) else ""
        if sub:
            if upper:
                group_above = upper
            elif lower:
                upper = group_above  # a merged cell spreads right over the columns under it
            else:
                group_above = ""
        header, group = (lower, upper) if lower else (upper, "")
        samples = []
        for _n, values in data:
            text = cell_text(values[index]) if index < len(values) else ""
            if text:
                samples.append(text[:40])
                if len(samples) == 3:
                    break
        if not header and not samples:
            continue  # an empty column
        columns.append(Column(index, column_letter(index), _one_line(header), _one_line(group), tuple(samples)))
    rows = tuple(SourceRow(n, tuple(v) + (None,) * (width - len(v))) for n, v in data)
    return SheetTable(file_name, fmt, sheet, sheets, header_rows, tuple(columns), rows, encoding,
                      tuple(sorted(problems.items())))


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
