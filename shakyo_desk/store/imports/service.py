"""Importing an existing list: a preview that changes nothing, then one transaction.

``preview_import`` checks every row of a ``SheetTable`` against the mapping and the register
and returns an ``ImportPreview``: each row with its problems (row number as the spreadsheet
shows it, the column, one Japanese sentence). ``apply_import`` runs the same checks again
inside one ``store.write()`` transaction — so a household registered meanwhile is still found —
and writes the rows that have no problem: all of them, or with ``skip_invalid`` the valid ones
only. Any failure rolls everything back; nothing is ever half-imported.

Households (one row = one person):
- rows with the same 世帯番号 are one household; without that column, rows whose 世帯主 column
  names the same head at the same address are one; otherwise every row is a household of its
  own. Rows that only share an address are *not* merged (two flats, or a parent and a child
  living apart under one number, are common; merging wrongly is worse than not merging).
- the head is the row marked 世帯主/本人 (or whose name is the 世帯主 named), else the first;
  the household's district, address and phone come from its rows (different districts or
  addresses within one household are a problem); a second phone number or a mobile goes into
  that person's memo; 備考 of the head becomes the household's memo.
- the district must exist: matched by name, with or without 地区/区, by path (北地区/上町) or
  reading, width and kana folded. Districts the register lacks are listed in the preview
  (``new_districts``); with ``add_districts`` they are registered in the same transaction (through
  the districts service's ``insert_district``) — only those a written household uses.
- a column per flag marked ○/✓/1/はい (``flag:…`` fields) sets that flag: a household flag on the
  household, a person flag (要介護, 障がい …) on the row's person; a cell that is not a mark is a
  problem of its row.
- duplicates: the same name, reading and address (readings compared only when both are given,
  birth dates likewise) twice in the file, or already in the register → a problem; when one
  person of a household is a problem, the whole household waits.
Salon regulars: the person is found by name and reading (address and birth date when given
decide between namesakes) among registered persons; the salon by name. Agencies: by name.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.domain.roles import manages_registers
from shakyo_desk.domain.text import clean, fold
from shakyo_desk.domain.vocab import HOUSEHOLD_FLAGS, PERSON_FLAGS
from shakyo_desk.i18n import tr
from shakyo_desk.store.imports import values as V
from shakyo_desk.store.imports.fields import (
    AGENCIES, FLAG_PREFIX, HOUSEHOLDS, SALON_REGULARS, check_kind, field_label, fields_of, kind_label,
)
from shakyo_desk.store.imports.reader import SheetTable, SourceRow, read_table
from shakyo_desk.store.models import Agency, District, Household, Person, Salon, SalonRegular
from shakyo_desk.store.services._common import require
from shakyo_desk.store.services.districts import insert_district
from shakyo_desk.store.services.households import _person_values, insert_household
from shakyo_desk.store.store import Store
from shakyo_desk.domain import clock

Progress = Callable[[int, int, str], None]

NO_IMPORT_RIGHT = "名簿の取り込みは、管理者とコーディネーターだけが行えます。必要な場合は管理者に相談してください。"

OK, WARNING, PROBLEM, BLANK = "ok", "warning", "problem", "blank"
STATUS_LABELS = {
    OK: "取り込めます",
    WARNING: "取り込めます（注意あり）",
    PROBLEM: "問題あり",
    BLANK: "空の行（飛ばします）",
}
DISTRICT_SUFFIX = re.compile(r"(地区|地域|行政区|区|集落|自治会|町内会|部落)$")
PATH_SEPARATORS = re.compile(r"[›>＞/／・|｜\\\s]+")
LEVEL_SEPARATORS = re.compile(r"\s*[›>＞/／|｜\\]\s*")  # between levels of a new district's path
NEW_DISTRICT = "new:"  # a district to be registered, until it has an id


# ---- results ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    row: int | None          # spreadsheet row number; None for the whole file
    column: str              # the column as shown (「生年月日」), or "" for the whole row
    message: str
    blocking: bool = True    # False: a remark; the row is imported all the same

    @property
    def column_named(self) -> bool:
        """The message already begins by naming the column (「電話番号「…」は…」 under 電話番号,
        「フリガナ「…」」 under ふりがな): putting the column in front again would say it twice."""
        return bool(self.column) and fold(self.message[:len(self.column)]) == fold(self.column)

    @property
    def shown(self) -> str:
        """The message with its column in front: 「生年月日：令和7年2月30日という日はありません…」."""
        return f"{self.column}：{self.message}" if self.column and not self.column_named else self.message

    def text(self) -> str:
        where = tr("{n}行目", n=self.row) if self.row is not None else tr("ファイル全体")
        if self.column and not self.column_named:
            where += f" {self.column}"
        return f"{where}：{self.message}"


@dataclass(frozen=True)
class PreviewRow:
    number: int
    name: str
    status: str                         # ok / warning / problem / blank
    problems: tuple[Problem, ...] = ()
    group: int | None = None            # households: rows sharing a group become one household

    @property
    def ready(self) -> bool:
        return self.status in (OK, WARNING)

    @property
    def status_label(self) -> str:
        return tr(STATUS_LABELS[self.status])


@dataclass(frozen=True)
class ImportOptions:
    default_district_id: str | None = None   # households whose row names no district
    default_salon_id: str | None = None      # salon regulars whose row names no salon
    household_flags: tuple[str, ...] = ()    # e.g. 一人暮らし高齢者 for every household of the list
    add_districts: bool = False              # register the districts the list names that the register lacks


@dataclass(frozen=True)
class NewDistrict:
    """A district the list names that the register lacks (the first spelling in the list)."""

    name: str
    parent: str = ""     # the registered or new district above it, as shown (「北地区」); "" at the top
    rows: int = 0        # rows of the list that name it (or a new district under it)

    @property
    def path(self) -> str:
        return f"{self.parent} › {self.name}" if self.parent else self.name


@dataclass(frozen=True)
class ImportPreview:
    kind: str
    file_name: str
    sheet: str
    mapping: tuple[tuple[str, str, str | None], ...]   # (column letter, column label, field key or None)
    rows: tuple[PreviewRow, ...]
    file_problems: tuple[Problem, ...] = ()
    households: int = 0     # to be created from the ready rows
    persons: int = 0
    items: int = 0          # agencies or salon regulars
    new_districts: tuple[NewDistrict, ...] = ()   # named in the list, not registered
    add_districts: bool = False                   # … and registered by the import

    @property
    def ready_rows(self) -> int:
        return sum(1 for r in self.rows if r.ready)

    @property
    def problem_rows(self) -> int:
        return sum(1 for r in self.rows if r.status == PROBLEM)

    @property
    def blank_rows(self) -> int:
        return sum(1 for r in self.rows if r.status == BLANK)

    @property
    def problems(self) -> tuple[Problem, ...]:
        """Every problem and remark, the file's first, then by row."""
        return self.file_problems + tuple(p for r in self.rows for p in r.problems)

    @property
    def clean(self) -> bool:
        return not self.file_problems and self.problem_rows == 0

    def can_apply(self, skip_invalid: bool = False) -> bool:
        return not self.file_problems and self.ready_rows > 0 and (skip_invalid or self.problem_rows == 0)


@dataclass(frozen=True)
class ImportResult:
    kind: str
    file_name: str
    households: int
    persons: int
    agencies: int
    regulars: int
    imported_rows: tuple[int, ...]
    skipped: tuple[PreviewRow, ...]     # rows with problems left out (skip_invalid)
    blank_rows: int
    districts: tuple[str, ...] = ()     # registered by the import (paths as shown)


class ImportHasProblems(InvalidInput):
    """Apply refused: problems remain and skipping them was not asked for. Carries the preview."""

    def __init__(self, message: str, preview: ImportPreview):
        super().__init__(message)
        self.preview = preview


# ---- entry points -----------------------------------------------------------------------

def require_import_right(store: Store) -> None:
    require(manages_registers(store.actor.role), tr(NO_IMPORT_RIGHT))


def load_table(store: Store, path, sheet: str | None = None) -> SheetTable:
    """Read the file (after checking the account may import at all)."""
    require_import_right(store)
    return read_table(path, sheet=sheet)


def preview_import(store: Store, table: SheetTable, kind: str, mapping: dict[int, str | None],
                   options: ImportOptions = ImportOptions(), *, today: date | None = None,
                   progress: Progress | None = None) -> ImportPreview:
    """Check every row; change nothing."""
    require_import_right(store)
    check_kind(kind)
    with store.read() as session:
        return _analyse(session, table, kind, mapping, options, today or clock.today(), progress).preview


def apply_import(store: Store, table: SheetTable, kind: str, mapping: dict[int, str | None],
                 options: ImportOptions = ImportOptions(), *, skip_invalid: bool = False,
                 today: date | None = None, progress: Progress | None = None) -> ImportResult:
    """Import in one transaction: every row, or (``skip_invalid``) the rows without problems.
    Refused with ``ImportHasProblems`` — nothing written — while problems remain otherwise."""
    require_import_right(store)
    check_kind(kind)
    today = today or clock.today()
    with store.write() as w:
        analysis = _analyse(w.conn, table, kind, mapping, options, today, progress)
        preview = analysis.preview
        if preview.file_problems:
            raise ImportHasProblems(preview.file_problems[0].message, preview)
        if preview.problem_rows and not skip_invalid:
            raise ImportHasProblems(tr(
                "問題のある行が{n}行あるため、何も取り込みませんでした。問題を直してから取り込むか、"
                "問題のある行を除いて取り込んでください。", n=preview.problem_rows), preview)
        if not preview.ready_rows:
            raise ImportHasProblems(tr("取り込める行がありません。何も取り込みませんでした。"), preview)
        counts, added = _write(w, kind, analysis, progress)
        imported = tuple(r.number for r in preview.rows if r.ready)
        skipped = tuple(r for r in preview.rows if r.status == PROBLEM)
        w.audit("list_import.apply", "import", "", {
            "file": table.file_name, "sheet": table.sheet, "format": table.format, "kind": kind,
            "rows": len(preview.rows), "imported_rows": len(imported), "skipped_rows": len(skipped),
            "blank_rows": preview.blank_rows, **counts, "districts": len(added),
        })
    return ImportResult(kind, table.file_name, counts["households"], counts["persons"], counts["agencies"],
                        counts["regulars"], imported, skipped, preview.blank_rows, tuple(added))


# ---- the analysis ----------------------------------------------------------------------

@dataclass
class _Row:
    source: SourceRow
    values: dict = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    name: str = ""
    blank: bool = False
    group: int | None = None

    @property
    def number(self) -> int:
        return self.source.number

    def problem(self, column: str, message: str, blocking: bool = True) -> None:
        self.problems.append(Problem(self.number, column, message, blocking))

    @property
    def blocked(self) -> bool:
        return any(p.blocking for p in self.problems)


@dataclass
class _Analysis:
    preview: ImportPreview
    plans: list  # (row numbers, plan) of what to write for rows without problems
    districts: list = field(default_factory=list)  # _Planned districts to register, parents first


def _analyse(conn, table: SheetTable, kind: str, mapping: dict[int, str | None], options: ImportOptions,
             today: date, progress: Progress | None) -> _Analysis:
    columns = {c.index: c for c in table.columns}
    by_field: dict[str, list[int]] = defaultdict(list)
    for index, key in mapping.items():
        if key and index in columns:
            by_field[key].append(index)
    file_problems = []
    specs = {s.key: s for s in fields_of(kind)}
    for key, indexes in by_field.items():
        if key not in specs:
            file_problems.append(Problem(None, "", tr("「{key}」は{kind}の項目ではありません。", key=key, kind=kind_label(kind))))
        elif len(indexes) > 1:
            file_problems.append(Problem(None, "", tr(
                "項目「{label}」に{n}つの列（{cols}）が割り当てられています。どれか1つにしてください。",
                label=field_label(kind, key), n=len(indexes), cols="、".join(columns[i].label for i in indexes))))
    if "name" not in by_field:
        file_problems.append(Problem(None, "", tr(
            "「{label}」にあたる列がありません。名前の書かれた列に「{label}」を割り当ててください。",
            label=field_label(kind, "name"))))
    if kind == HOUSEHOLDS and "district" not in by_field and not options.default_district_id:
        file_problems.append(Problem(None, "", tr(
            "地区にあたる列がありません。すべての行を登録する地区を選ぶか、地区の列を割り当ててください。")))
    if kind == SALON_REGULARS and "salon" not in by_field and not options.default_salon_id:
        file_problems.append(Problem(None, "", tr(
            "サロン名にあたる列がありません。常連として登録するサロンを選ぶか、サロン名の列を割り当ててください。")))
    unknown_flags = [f for f in options.household_flags if f not in HOUSEHOLD_FLAGS]
    if unknown_flags:
        file_problems.append(Problem(None, "", tr("世帯の特徴「{f}」は登録できる特徴にありません。", f="、".join(unknown_flags))))
    if not table.rows:
        file_problems.append(Problem(None, "", tr("見出しの下に行がありません。取り込むものがありません。")))

    single = {key: columns[indexes[0]] for key, indexes in by_field.items() if key in specs}
    read_problems = dict(table.read_problems)
    rows: list[_Row] = []
    total = len(table.rows)
    for done, source in enumerate(table.rows, start=1):
        row = _Row(source)
        if source.blank:
            row.blank = True
        else:
            _convert(row, kind, single, today)
            if source.number in read_problems:
                row.problem("", read_problems[source.number])
        rows.append(row)
        if progress and done % 250 == 0:
            progress(done, total * 2, tr("行を確かめています（{done}／{total}行）", done=done, total=total))
    if progress:
        progress(total, total * 2, tr("登録済みのデータと照らし合わせています"))

    plans: list = []
    counts = {"households": 0, "persons": 0, "items": 0}
    live = [r for r in rows if not r.blank]
    planned: list[_Planned] = []
    if not file_problems:
        if kind == HOUSEHOLDS:
            plans, planned = _households(conn, live, single, options, counts)
        elif kind == SALON_REGULARS:
            plans = _salon_regulars(conn, live, single, options, counts)
        else:
            plans = _agencies(conn, live, single, counts)
    if progress:
        progress(total * 2, total * 2, tr("確認が終わりました"))

    preview_rows = []
    for row in rows:
        if row.blank:
            preview_rows.append(PreviewRow(row.number, "", BLANK, (Problem(row.number, "", tr("空の行のため飛ばします。"),
                                                                           blocking=False),)))
            continue
        if file_problems:
            status = PROBLEM
        elif row.blocked:
            status = PROBLEM
        elif row.problems:
            status = WARNING
        else:
            status = OK
        preview_rows.append(PreviewRow(row.number, row.name, status, tuple(row.problems), row.group))
    mapping_out = tuple((c.letter, c.label, mapping.get(c.index)) for c in table.columns)
    new_districts = tuple(NewDistrict(p.name, p.parent_path, p.rows) for p in planned)
    preview = ImportPreview(kind, table.file_name, table.sheet, mapping_out, tuple(preview_rows), tuple(file_problems),
                            counts["households"], counts["persons"], counts["items"], new_districts,
                            bool(options.add_districts and new_districts))
    return _Analysis(preview, plans, planned)


def _convert(row: _Row, kind: str, columns: dict, today: date) -> None:
    """Read each mapped cell of the row into ``row.values``; problems on the row."""

    def warn_for(column):
        return lambda message: row.problem(column.label, message, blocking=False)

    for key, column in columns.items():
        cell = row.source.get(column.index)
        try:
            row.values[key] = _cell(kind, key, cell, today, warn_for(column))
        except V.CellProblem as problem:
            row.problem(column.label, problem.message)
    row.name = row.values.get("name", "")
    if "name" in columns and not row.name:
        row.problem(columns["name"].label, tr("{label}が書かれていません。", label=field_label(kind, "name")))


_LIMITS = {
    HOUSEHOLDS: {"name": ("氏名", 100), "address": ("住所", 300), "notes": ("備考", 4000),
                 "welfare_commissioner": ("民生委員", 100), "household_key": ("世帯番号", 100), "kana": ("フリガナ", 200)},
    SALON_REGULARS: {"name": ("氏名", 100), "salon": ("サロン名", 200)},
    AGENCIES: {"name": ("機関名", 200), "kana": ("ふりがな", 300), "field": ("分野", 50), "contact": ("担当・連絡先", 200),
               "services": ("できること", 2000)},
}


def _cell(kind: str, key: str, cell, today: date, warn):
    if key == "name":
        value = V.name(cell)
    elif key == "kana":
        value = V.kana(cell, warn)
    elif key in ("phone", "mobile"):
        value = V.phone(cell)
    elif key == "birth_date":
        return V.birth_date(cell, today=today)
    elif key == "age":
        return V.age_band(cell)
    elif key == "sex":
        return V.sex(cell)
    elif key == "relation":
        return V.relation(cell)
    elif key == "head":
        return V.head(cell)
    elif key == "household_flags":
        return V.household_flags(cell)
    elif key.startswith(FLAG_PREFIX):
        return V.flag_mark(cell, key[len(FLAG_PREFIX):])
    elif key == "address":
        value = V.address(cell)
    elif key in ("notes", "services", "contact"):
        value = clean(V.cell_text(cell))
    else:
        value = V.text(cell)
    limit = _LIMITS.get(kind, {}).get(key)
    if limit:
        V.limited(value, tr(limit[0]), limit[1])
    return value


def _block_group(group_rows: list[_Row]) -> None:
    """A household waits as a whole when one of its rows has a problem."""
    bad = [r for r in group_rows if r.blocked]
    if not bad:
        return
    for row in group_rows:
        if not row.blocked:
            row.problem("", tr("同じ世帯の{rows}に問題があるため、この行も取り込みません。",
                               rows="、".join(tr("{n}行目", n=b.number) for b in bad)))


# ---- households ---------------------------------------------------------------------------

class _Districts:
    def __init__(self, conn):
        rows = conn.execute(sa.select(District.id, District.name, District.kana, District.parent_id)
                            .where(District.deleted_at.is_(None))).all()
        by_id = {r.id: r for r in rows}
        self.keys: dict[str, set[str]] = defaultdict(set)
        self.names = {r.id: r.name for r in rows}
        self.paths: dict[str, str] = {}
        for r in rows:
            path, parent = [r.name], r.parent_id
            while parent in by_id and len(path) < 10:
                path.insert(0, by_id[parent].name)
                parent = by_id[parent].parent_id
            self.paths[r.id] = " › ".join(path)
            stripped_path = "".join(DISTRICT_SUFFIX.sub("", part) or part for part in path)  # 北本町 for 北地区 › 本町
            for key in (_district_key(r.name), _district_key("".join(path)), _district_key(stripped_path),
                        _district_key(r.kana)):
                if key:
                    self.keys[key].add(r.id)
                    short = DISTRICT_SUFFIX.sub("", key)
                    if short and short != key:
                        self.keys[short].add(r.id)

    def lookup(self, text: str) -> set[str]:
        key = _district_key(text)
        return self.keys.get(key) or self.keys.get(DISTRICT_SUFFIX.sub("", key)) or set()

    def find(self, text: str) -> tuple[str | None, str | None]:
        """(district id, problem)."""
        found = self.lookup(text)
        if len(found) == 1:
            return next(iter(found)), None
        if len(found) > 1:
            return None, tr("地区「{v}」にあてはまる地区が{n}つあります。「北地区/上町」のように上の地区も書いてください。",
                            v=text, n=len(found))
        return None, tr("地区「{v}」は登録されていません。新しい地区として登録して取り込むか、地区名を直してください。", v=text)

    def path_of(self, district_id: str) -> str:
        return self.paths.get(district_id, "")


def _district_key(text: str) -> str:
    return fold(PATH_SEPARATORS.sub("", text or ""))


@dataclass
class _Planned:
    ref: str                  # NEW_DISTRICT + n, standing for its id until it is registered
    name: str
    parent_ref: str | None    # a registered district's id, another _Planned's ref, or None (top)
    parent_path: str
    rows: int = 0

    @property
    def path(self) -> str:
        return f"{self.parent_path} › {self.name}" if self.parent_path else self.name


class _NewDistricts:
    """The districts a list names that the register lacks: 「北地区/本町」 with 北地区 registered is
    本町 under 北地区; 「上町」 and 「上町地区」 are one new district (as matching treats them)."""

    def __init__(self, districts: _Districts):
        self.districts = districts
        self.planned: dict[tuple, _Planned] = {}

    def plan(self, text: str) -> tuple[str | None, str | None]:
        """(the new district's ref, or a problem)."""
        parts = [p for p in LEVEL_SEPARATORS.split(text.strip()) if p]
        parent_ref, parent_path, entry, touched = None, "", None, []
        for depth, part in enumerate(parts):
            if parent_ref is None or not parent_ref.startswith(NEW_DISTRICT):
                found = self.districts.lookup("/".join(parts[:depth + 1]))
                if len(found) == 1:
                    parent_ref = next(iter(found))
                    parent_path = self.districts.path_of(parent_ref)
                    continue
                if len(found) > 1:
                    return None, tr("地区「{v}」にあてはまる地区が{n}つあります。「北地区/上町」のように上の地区も書いてください。",
                                    v="/".join(parts[:depth + 1]), n=len(found))
            if len(part) > 100:
                return None, tr("地区名「{v}」が長すぎます（100文字まで）。短くしてください。", v=part)
            short = _district_key(part)
            key = (parent_ref, DISTRICT_SUFFIX.sub("", short) or short)
            entry = self.planned.get(key)
            if entry is None:
                entry = self.planned[key] = _Planned(f"{NEW_DISTRICT}{len(self.planned) + 1}", part, parent_ref,
                                                     parent_path)
            touched.append(entry)
            parent_ref, parent_path = entry.ref, entry.path
        if entry is None:  # every level is registered (a path lookup missed it): nothing to add
            return parent_ref, None
        for planned in touched:  # the rows naming a district or one under it
            planned.rows += 1
        return entry.ref, None

    def listing(self) -> list[_Planned]:
        return list(self.planned.values())


@dataclass(frozen=True)
class _Known:
    person_id: str
    kana: str        # folded
    address: str     # folded (the household's)
    birth: date | None
    household_id: str
    code: str


def _registered_persons(conn) -> dict[str, list[_Known]]:
    """Persons of live households by folded name."""
    index: dict[str, list[_Known]] = defaultdict(list)
    rows = conn.execute(
        sa.select(Person.id, Person.name, Person.kana, Person.birth_date, Household.id, Household.address, Household.code)
        .join(Household, Household.id == Person.household_id)
        .where(Person.deleted_at.is_(None), Household.deleted_at.is_(None))
    ).all()
    for pid, pname, pkana, birth, hid, haddress, code in rows:
        index[fold(pname)].append(_Known(pid, fold(pkana), fold(haddress), birth, hid, code))
    return index


def _same_person(kana_a: str, kana_b: str, birth_a, birth_b) -> bool:
    """Names already equal: readings and birth dates agree wherever both are known."""
    return (not kana_a or not kana_b or kana_a == kana_b) and (birth_a is None or birth_b is None or birth_a == birth_b)


def _households(conn, rows: list[_Row], columns: dict, options: ImportOptions, counts: dict):
    districts = _Districts(conn)
    new = _NewDistricts(districts)
    label = {key: column.label for key, column in columns.items()}
    for row in rows:
        text = row.values.get("district", "")
        if text:
            district_id, problem = districts.find(text)
            if district_id is None and not districts.lookup(text):  # not registered (not ambiguous)
                ref, plan_problem = new.plan(text)
                if plan_problem:
                    problem = plan_problem
                elif options.add_districts:
                    district_id, problem = ref, None
            if problem:
                row.problem(label["district"], problem)
            row.values["district_id"] = district_id
        else:
            row.values["district_id"] = None

    # Group rows into households.
    groups: dict[object, list[_Row]] = {}
    for row in rows:
        key: object = ("row", row.number)
        household_key = fold(row.values.get("household_key", ""))
        head_kind, head_value = row.values.get("head", ("", ""))
        if household_key:
            key = ("key", household_key)
        elif head_kind == "name":
            key = ("head", fold(head_value), fold(row.values.get("address", "")))
        elif head_kind in ("mark", "relation") and "household_key" not in columns:
            key = ("head", fold(row.name), fold(row.values.get("address", "")))
        groups.setdefault(key, []).append(row)

    plans = []
    ordered = []
    for number, group_rows in enumerate(groups.values(), start=1):
        for row in group_rows:
            row.group = number
        ordered.append(_household_plan(group_rows, label, options))

    # The same person twice in the file, and persons already registered.
    registered = _registered_persons(conn)
    seen: dict[str, list[tuple[_Row, str, str, date | None]]] = defaultdict(list)
    for group_rows, plan in ordered:
        household_address = fold(plan["household"].get("address", "")) if plan else ""
        for row in group_rows:
            if not row.name:
                continue
            name_key = fold(row.name)
            kana_key, birth = fold(row.values.get("kana", "")), row.values.get("birth_date")
            if plan is None:
                household_address = fold(row.values.get("address", ""))
            earlier = next((r for r, k, a, b in seen[name_key]
                            if a == household_address and _same_person(k, kana_key, b, birth)), None)
            if earlier is not None:
                row.problem(label["name"], tr("{n}行目と同じ方です（氏名・フリガナ・住所が同じ）。2回目の行は取り込みません。",
                                              n=earlier.number))
            else:
                seen[name_key].append((row, kana_key, household_address, birth))
            match = next((k for k in registered.get(name_key, ())
                          if k.address == household_address and _same_person(k.kana, kana_key, k.birth, birth)), None)
            if match is not None:
                row.problem(label["name"], tr("すでに登録されています（世帯 {code}、氏名・フリガナ・住所が同じ）。", code=match.code))

    for group_rows, plan in ordered:
        _block_group(group_rows)
        if plan is not None and not any(r.blocked for r in group_rows):
            plans.append(([r.number for r in group_rows], plan))
            counts["households"] += 1
            counts["persons"] += len(group_rows)
    return plans, new.listing()


def _marked_flags(row: _Row) -> list[str]:
    """The flags the row's ○ columns set, in column order."""
    found: list[str] = []
    for key, value in row.values.items():
        if key.startswith(FLAG_PREFIX):
            found.extend(f for f in value if f not in found)
    return found


def _household_plan(group_rows: list[_Row], label: dict, options: ImportOptions):
    """(rows, plan) — the household and its members in order, head first; problems of the
    group are put on its rows. ``plan`` is None when the rows cannot make a household."""
    heads = [r for r in group_rows if r.values.get("head", ("", ""))[0] == "mark"
             or r.values.get("relation") == "本人"
             or r.values.get("head", ("", ""))[1] == "本人"
             or (r.values.get("head", ("", ""))[0] == "name" and fold(r.values["head"][1]) == fold(r.name))]
    head = heads[0] if heads else group_rows[0]
    for extra in heads[1:]:
        extra.problem(label.get("relation") or label.get("head", ""),
                      tr("同じ世帯に世帯主（本人）が2人います。{n}行目の方を世帯主として登録します。", n=head.number),
                      blocking=False)
    members = [head] + [r for r in group_rows if r is not head]

    district_id = head.values.get("district_id")
    address = head.values.get("address", "")
    for row in members:
        other = row.values.get("district_id")
        if other and district_id and other != district_id:
            row.problem(label.get("district", ""), tr("同じ世帯の{n}行目と地区が違います。", n=head.number))
        district_id = district_id or other
        other_address = row.values.get("address", "")
        if other_address and address and fold(other_address) != fold(address):
            row.problem(label.get("address", ""), tr("同じ世帯の{n}行目と住所が違います。", n=head.number))
        address = address or other_address
    district_id = district_id or options.default_district_id
    if district_id is None and not any(r.values.get("district") for r in members):
        head.problem(label.get("district", ""), tr("地区が書かれていません。地区を書くか、登録する地区を選んでください。"))
    if any(r.blocked for r in group_rows) or district_id is None:
        return group_rows, None

    phone = next((r.values.get("phone") for r in members if r.values.get("phone")), "") or head.values.get("mobile", "")
    flags = list(options.household_flags)
    for row in members:
        marked = [f for f in _marked_flags(row) if f in HOUSEHOLD_FLAGS]
        for flag in [*row.values.get("household_flags", []), *marked]:
            if flag not in flags:
                flags.append(flag)
    commissioner = next((r.values["welfare_commissioner"] for r in members if r.values.get("welfare_commissioner")), "")
    household = {"district_id": district_id, "address": address, "phone": phone, "flags": flags,
                 "welfare_commissioner": commissioner, "notes": head.values.get("notes", "")}
    people = []
    relation_known = "relation" in label or "head" in label
    for order, row in enumerate(members):
        notes = [] if row is head else ([row.values["notes"]] if row.values.get("notes") else [])
        own_phone = row.values.get("phone", "")
        if own_phone and own_phone != phone:
            notes.append(tr("電話：{v}", v=own_phone))
        mobile = row.values.get("mobile", "")
        if mobile and mobile != phone:
            notes.append(tr("携帯：{v}", v=mobile))
        relation = row.values.get("relation") or (
            row.values.get("head", ("", ""))[1] if row.values.get("head", ("", ""))[0] == "relation" else "")
        if row is head:
            relation = relation or "本人"
        elif not relation or relation == "本人":
            relation = "その他の親族"
            if not relation_known or not row.values.get("relation"):
                row.problem(label.get("relation", ""), tr("続柄が分からないため「その他の親族」として登録します。"),
                            blocking=False)
        member = {"name": row.name, "kana": row.values.get("kana", ""), "sex": row.values.get("sex") or "不明",
                  "birth_date": row.values.get("birth_date"), "relation": relation,
                  "age_band": "" if row.values.get("birth_date") else row.values.get("age", ""),
                  "notes": "\n".join(notes), "sort_order": order}
        person_flags = [f for f in _marked_flags(row) if f in PERSON_FLAGS]
        if person_flags:
            member["flags"] = person_flags
        try:
            people.append(_person_values(member, new=True))
        except InvalidInput as error:
            row.problem("", error.message)
    if any(r.blocked for r in group_rows):
        return group_rows, None
    return group_rows, {"household": household, "members": people}


# ---- salon regulars ------------------------------------------------------------------------

def _salon_regulars(conn, rows: list[_Row], columns: dict, options: ImportOptions, counts: dict) -> list:
    label = {key: column.label for key, column in columns.items()}
    salons: dict[str, list[str]] = defaultdict(list)
    salon_names = {}
    for sid, sname in conn.execute(sa.select(Salon.id, Salon.name).where(Salon.deleted_at.is_(None))).all():
        salons[fold(sname)].append(sid)
        salon_names[sid] = sname
    if options.default_salon_id and options.default_salon_id not in salon_names:
        for row in rows:
            row.problem("", tr("選んだサロンが見つかりません。一覧を更新してから選び直してください。"))
        return []
    regulars = set(conn.execute(sa.select(SalonRegular.salon_id, SalonRegular.person_id)
                                .where(SalonRegular.deleted_at.is_(None))).all())
    registered = _registered_persons(conn)
    plans = []
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        salon_text = row.values.get("salon", "")
        salon_id = None
        if salon_text:
            found = salons.get(fold(salon_text), [])
            if len(found) == 1:
                salon_id = found[0]
            elif found:
                row.problem(label["salon"], tr("「{v}」という名前のサロンが{n}つあります。サロンの名前を見直してください。",
                                               v=salon_text, n=len(found)))
            else:
                row.problem(label["salon"], tr("サロン「{v}」は登録されていません。先に「サロン」の画面で登録するか、名前を直してください。",
                                               v=salon_text))
        elif options.default_salon_id:
            salon_id = options.default_salon_id
        else:
            row.problem(label.get("salon", ""), tr("サロン名が書かれていません。"))
        person_id = None
        if row.name:
            kana_key, birth = fold(row.values.get("kana", "")), row.values.get("birth_date")
            address = fold(row.values.get("address", ""))
            candidates = [k for k in registered.get(fold(row.name), ()) if _same_person(k.kana, kana_key, k.birth, birth)
                          and (not address or k.address == address)]
            if len(candidates) == 1:
                person_id = candidates[0].person_id
            elif candidates:
                row.problem(label["name"], tr("同じ氏名の方が{n}人登録されています（世帯 {codes}）。フリガナ・住所・生年月日の列で見分けられるようにしてください。",
                                              n=len(candidates), codes="、".join(sorted(k.code for k in candidates))))
            else:
                row.problem(label["name"], tr("この方は世帯の名簿に登録されていません。先に世帯として登録してから取り込んでください。"))
        if salon_id and person_id and not row.blocked:
            if (salon_id, person_id) in seen:
                row.problem(label["name"], tr("{n}行目と同じ方です。2回目の行は取り込みません。", n=seen[(salon_id, person_id)]))
            elif (salon_id, person_id) in regulars:
                row.problem(label["name"], tr("すでにサロン「{s}」の常連として登録されています。", s=salon_names[salon_id]))
            else:
                seen[(salon_id, person_id)] = row.number
                plans.append(([row.number], {"salon_id": salon_id, "person_id": person_id}))
                counts["items"] += 1
    return plans


# ---- agencies -------------------------------------------------------------------------------

def _agencies(conn, rows: list[_Row], columns: dict, counts: dict) -> list:
    label = {key: column.label for key, column in columns.items()}
    existing = {fold(n) for n in conn.execute(sa.select(Agency.name).where(Agency.deleted_at.is_(None))).scalars()}
    seen: dict[str, int] = {}
    plans = []
    for row in rows:
        if not row.name:
            continue
        key = fold(row.name)
        if key in seen:
            row.problem(label["name"], tr("{n}行目と同じ機関です。2回目の行は取り込みません。", n=seen[key]))
        elif key in existing:
            row.problem(label["name"], tr("すでに登録されています（同じ名前の関係機関があります）。"))
        else:
            seen[key] = row.number
        if not row.blocked:
            plans.append(([row.number], {k: row.values.get(k, "") for k in ("name", "kana", "field", "contact", "phone",
                                                                             "services")}))
            counts["items"] += 1
    return plans


# ---- writing -------------------------------------------------------------------------------

def _register_districts(w, planned: list[_Planned], plans: list) -> tuple[dict[str, str], list[str]]:
    """The new districts the written households use (and the new ones above them), through the
    districts service, after the registered ones. Returns (ref → id, paths registered)."""
    by_ref = {p.ref: p for p in planned}
    needed: set[str] = set()
    for _numbers, plan in plans:
        ref = plan["household"]["district_id"]
        while ref in by_ref and ref not in needed:
            needed.add(ref)
            ref = by_ref[ref].parent_ref
    if not needed:
        return {}, []
    order = w.conn.execute(sa.select(sa.func.count()).select_from(District)
                           .where(District.deleted_at.is_(None))).scalar_one()
    ids: dict[str, str] = {}
    added: list[str] = []
    for entry in planned:  # parents were planned before their children
        if entry.ref in needed:
            parent = ids.get(entry.parent_ref, entry.parent_ref) if entry.parent_ref else None
            ids[entry.ref] = insert_district(w, entry.name, "", parent, order)
            order += 1
            added.append(entry.path)
    return ids, added


def _write(w, kind: str, analysis: _Analysis, progress: Progress | None) -> tuple[dict, list[str]]:
    ready = {r.number for r in analysis.preview.rows if r.ready}
    counts = {"households": 0, "persons": 0, "agencies": 0, "regulars": 0}
    plans = [(numbers, plan) for numbers, plan in analysis.plans if all(n in ready for n in numbers)]
    district_ids, added = _register_districts(w, analysis.districts, plans) if kind == HOUSEHOLDS else ({}, [])
    total = len(plans)
    for done, (_numbers, plan) in enumerate(plans, start=1):
        if kind == HOUSEHOLDS:
            members = plan["members"]
            household = dict(plan["household"])
            household["district_id"] = district_ids.get(household["district_id"], household["district_id"])
            household_id, _ = insert_household(w, household, dict(members[0]))
            for member in members[1:]:
                w.insert(Person, {"household_id": household_id, **member})
            counts["households"] += 1
            counts["persons"] += len(members)
        elif kind == SALON_REGULARS:
            w.insert(SalonRegular, dict(plan))
            counts["regulars"] += 1
        else:
            w.insert(Agency, dict(plan))
            counts["agencies"] += 1
        if progress and done % 100 == 0:
            progress(done, total, tr("登録しています（{done}／{total}件）", done=done, total=total))
    if progress:
        progress(total, total, tr("保存しています"))
    return counts, added
