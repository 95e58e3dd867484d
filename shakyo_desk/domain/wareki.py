"""和暦 (Japanese era) dates and 年度 (fiscal years) for screens and paper."""

from datetime import date, timedelta

# (first day, era name, short letter)
ERAS = [
    (date(2019, 5, 1), "令和", "R"),
    (date(1989, 1, 8), "平成", "H"),
    (date(1926, 12, 25), "昭和", "S"),
    (date(1912, 7, 30), "大正", "T"),
    (date(1868, 1, 25), "明治", "M"),
]


def era_of(d: date) -> tuple[str, str, int]:
    for start, name, letter in ERAS:
        if d >= start:
            return name, letter, d.year - start.year + 1
    raise ValueError("明治より前の日付は扱えません")


def _year_text(year: int) -> str:
    return "元" if year == 1 else str(year)


def format_wareki(d: date | None, *, weekday: bool = False) -> str:
    """令和7年4月1日 (optionally with (火))."""
    if d is None:
        return ""
    name, _, year = era_of(d)
    text = f"{name}{_year_text(year)}年{d.month}月{d.day}日"
    if weekday:
        text += f"（{'月火水木金土日'[d.weekday()]}）"
    return text


def format_wareki_short(d: date | None) -> str:
    """R7.4.1 — compact form for tables."""
    if d is None:
        return ""
    _, letter, year = era_of(d)
    return f"{letter}{year}.{d.month}.{d.day}"


def fiscal_year(d: date, start_month: int = 4) -> int:
    """The 年度 a date belongs to, named by the calendar year it starts in."""
    return d.year if d.month >= start_month else d.year - 1


def fiscal_year_bounds(year: int, start_month: int = 4) -> tuple[date, date]:
    """First day and the first day of the next 年度 (half-open interval)."""
    return date(year, start_month, 1), date(year + 1, start_month, 1)


def format_fiscal_year(year: int, start_month: int = 4) -> str:
    """令和7年度 for the 年度 starting in April 2025.

    Named by the era in force a month into the year, so that April 2019 –
    March 2020 reads 令和元年度 as councils write it (the era began 1 May 2019).
    """
    name, _, era_year = era_of(date(year, start_month, 1) + timedelta(days=31))
    return f"{name}{_year_text(era_year)}年度"
