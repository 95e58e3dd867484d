"""Dates as people write them: 西暦, 和暦, full-width digits, a weekday, 今日/昨日.

``parse_date_text`` is the one reader of typed and imported dates (the date field of every
screen, list imports). It refuses what does not exist (令和7年2月30日), an era year outside
its era (平成31年5月1日, 令和元年4月30日) and a weekday that does not match, with a Japanese
sentence saying what is wrong (``DateTextError``, a ``ValueError``).

Accepted (after full-width → half-width, spaces ignored around separators):

- 西暦: 2025/4/1, 2025-04-01, 2025.4.1, 2025年4月1日, 20250401; 4/1 or 4月1日 (this year)
- 和暦: R7.4.1, R7/4/1, R7-4-1, R.7.4.1, R7年4月1日, 令和7年4月1日, 令和元年5月1日,
  令和7.4.1, 令7.4.1; likewise H/平成, S/昭和, T/大正, M/明治
- a trailing weekday: 2025/4/1（火）, 令和7年4月1日 火曜日, 4/1(火) — checked against the date
- 今日・きょう・本日, 昨日・きのう, 一昨日・おととい
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

from shakyo_desk.domain.wareki import ERAS
from shakyo_desk.i18n import tr
from shakyo_desk.domain import clock

WEEKDAYS = "月火水木金土日"

# (name, letter, first day, last day) — newest first, as in wareki.ERAS.
_ERA_SPANS: list[tuple[str, str, date, date]] = []
for _i, (_start, _name, _letter) in enumerate(ERAS):
    _end = ERAS[_i - 1][0] - timedelta(days=1) if _i > 0 else date.max
    _ERA_SPANS.append((_name, _letter, _start, _end))
_ERA_BY_KEY: dict[str, tuple[str, str, date, date]] = {}
for _span in _ERA_SPANS:
    _ERA_BY_KEY[_span[0]] = _span            # 令和
    _ERA_BY_KEY[_span[0][0]] = _span         # 令
    _ERA_BY_KEY[_span[1]] = _span            # R
    _ERA_BY_KEY[_span[1].lower()] = _span    # r
EARLIEST = ERAS[-1][0]  # 明治元年: nothing before can be shown in 和暦

SHORTCUTS = {
    "今日": 0, "きょう": 0, "本日": 0, "キョウ": 0, "ほんじつ": 0,
    "昨日": -1, "きのう": -1, "キノウ": -1, "さくじつ": -1,
    "一昨日": -2, "おととい": -2, "オトトイ": -2, "おとつい": -2,
}  # (no 明日: the dates typed are mostly of things that happened; a slip would go unnoticed)

# Dashes and slashes people (and Excel, and input methods) use between the parts of a date.
_DASHES = str.maketrans({c: "-" for c in "‐‑‒–—―−ｰー－"})
_ERA_KEYS = "|".join(sorted((re.escape(k) for k in _ERA_BY_KEY), key=len, reverse=True))
_SEP = r"\s*[./\-]\s*"
_NUM = r"(\d{1,2})"

_RE_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_RE_ERA = re.compile(
    rf"(?P<era>{_ERA_KEYS})\.?\s*(?P<y>\d{{1,2}}|元)"
    rf"(?:\s*年\s*(?P<m1>\d{{1,2}})\s*月\s*(?P<d1>\d{{1,2}})\s*日?|{_SEP}(?P<m2>\d{{1,2}}){_SEP}(?P<d2>\d{{1,2}}))"
)
_RE_WESTERN = re.compile(rf"(\d{{4}})(?:\s*年\s*{_NUM}\s*月\s*{_NUM}\s*日?|{_SEP}{_NUM}{_SEP}{_NUM})")
_RE_MONTH_DAY = re.compile(rf"(?:{_NUM}\s*月\s*{_NUM}\s*日?|{_NUM}{_SEP}{_NUM})")
# （火） / (火曜日) / 「 火」 / 「 火曜日」 / 「火曜日」 at the end; a bare 「火」 needs a space before it.
_RE_WEEKDAY = re.compile(rf"\s*(?:[(（]\s*([{WEEKDAYS}])\s*(?:曜日?)?\s*[)）]|\s([{WEEKDAYS}])(?:曜日?)?|([{WEEKDAYS}])曜日?)$")
_RE_YEAR_ONLY = re.compile(rf"(?:(?:{_ERA_KEYS})\.?\s*(?:\d{{1,2}}|元)|\d{{4}})\s*(?:年|[./\-])?\s*(?:\d{{1,2}}\s*月?)?")


class DateTextError(ValueError):
    """A date that cannot be read or does not exist; ``message`` is one Japanese sentence.
    ``unreadable`` is true when the text is not a date at all (not a wrong one): a screen may
    answer it with the forms it accepts instead."""

    def __init__(self, message: str, *, unreadable: bool = False):
        super().__init__(message)
        self.message = message
        self.unreadable = unreadable


def normalise_date_text(text: str) -> str:
    """Full-width digits and marks to half-width, dashes unified, outer spaces trimmed."""
    s = unicodedata.normalize("NFKC", text or "").translate(_DASHES)
    return re.sub(r"\s+", " ", s).strip()


def parse_date_text(text: str | None, *, today: date | None = None) -> date | None:
    """A date as people type it (see the module docstring). Empty text is ``None``;
    anything else that is not a real date raises ``DateTextError`` (a ``ValueError``)."""
    today = today or clock.today()
    original = (text or "").strip()
    s = normalise_date_text(original)
    if not s:
        return None
    if s in SHORTCUTS:
        return today + timedelta(days=SHORTCUTS[s])
    try:
        return _parse(s, original, today)
    except DateTextError:
        s, weekday = _split_weekday(s)
        if weekday is None:
            raise
    result = _parse(s, original, today)
    if weekday is not None and result.weekday() != weekday:
        raise DateTextError(tr(
            "{when}は{actual}曜日です（{written}曜日と書かれています）。日付か曜日を確かめてください。",
            when=_long(result), actual=WEEKDAYS[result.weekday()], written=WEEKDAYS[weekday]))
    return result


def _split_weekday(s: str) -> tuple[str, int | None]:
    m = _RE_WEEKDAY.search(s)
    if not m or m.start() == 0:
        return s, None
    rest = s[: m.start()].rstrip()
    # 「4月1日」 ends with 日 itself: only a weekday *after* a complete date counts.
    if not rest or not (rest[-1].isdigit() or rest.endswith("日")):
        return s, None
    letter = next(g for g in m.groups() if g)
    return rest, WEEKDAYS.index(letter)


def _parse(s: str, original: str, today: date) -> date:
    m = _RE_COMPACT.fullmatch(s)
    if m:
        return _make(int(m[1]), int(m[2]), int(m[3]), original)
    m = _RE_ERA.fullmatch(s)
    if m:
        name, _letter, first, last = _ERA_BY_KEY[m["era"]]
        era_year = 1 if m["y"] == "元" else int(m["y"])
        month, day = int(m["m1"] or m["m2"]), int(m["d1"] or m["d2"])
        written = f"{name}{_era_year_text(era_year)}年{month}月{day}日"
        if era_year < 1:
            raise DateTextError(tr("{name}0年という年はありません。{name}元年（1年）からです。", name=name))
        result = _make(first.year - 1 + era_year, month, day, original, written=written)
        if result < first:
            raise DateTextError(tr(
                "{written}は{name}が始まる前の日付です（{name}は{start}から）。{other}ではありませんか。",
                written=written, name=name, start=_western(first), other=_other_era(result)))
        if result > last:
            raise DateTextError(tr(
                "{written}は{name}が終わった後の日付です（{name}は{end}まで）。{other}ではありませんか。",
                written=written, name=name, end=_western(last), other=_other_era(result)))
        return result
    m = _RE_WESTERN.fullmatch(s)
    if m:
        return _make(int(m[1]), int(m[2] or m[4]), int(m[3] or m[5]), original)
    m = _RE_MONTH_DAY.fullmatch(s)
    if m:
        return _make(today.year, int(m[1] or m[3]), int(m[2] or m[4]), original)
    if _RE_YEAR_ONLY.fullmatch(s):
        raise DateTextError(tr("「{t}」には日（または月と日）がありません。年・月・日をそろえて書いてください。", t=original))
    if re.fullmatch(r"\d{1,2}[./\-]\d{1,2}[./\-]\d{1,2}", s):
        raise DateTextError(tr("「{t}」は年が2桁のため、どの年か分かりません。2025/4/1 や R7.4.1 のように書いてください。",
                               t=original))
    raise DateTextError(tr("「{t}」は日付として読み取れません。2025/4/1 や 令和7年4月1日 のように書いてください。",
                           t=original), unreadable=True)


def _make(year: int, month: int, day: int, original: str, *, written: str | None = None) -> date:
    shown = written or (f"{year}年{month}月{day}日" if year else original)
    if not 1 <= month <= 12:
        raise DateTextError(tr("{shown}：{month}月という月はありません。", shown=shown, month=month))
    try:
        result = date(year, month, day)
    except ValueError:
        last = _last_day(year, month)
        raise DateTextError(tr("{shown}という日はありません（{year_text}{month}月は{last}日までです）。",
                               shown=shown, year_text=f"{year}年" if month == 2 else "", month=month,
                               last=last)) from None
    if result < EARLIEST:
        raise DateTextError(tr("{shown}は明治より前の日付のため扱えません。", shown=shown))
    return result


def _last_day(year: int, month: int) -> int:
    if month == 12:
        return 31
    try:
        return (date(year, month + 1, 1) - timedelta(days=1)).day
    except ValueError:
        return 31


def _era_year_text(year: int) -> str:
    return "元" if year == 1 else str(year)


def _western(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _long(d: date) -> str:
    return f"{_other_era(d)}（{d.year}年）"


def _other_era(d: date) -> str:
    """The same day in the era it really belongs to: 平成31年4月30日."""
    for name, _letter, first, _last in _ERA_SPANS:
        if d >= first:
            return f"{name}{_era_year_text(d.year - first.year + 1)}年{d.month}月{d.day}日"
    return _western(d)
