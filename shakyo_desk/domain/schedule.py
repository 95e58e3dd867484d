"""見守り schedule: when is a household due for its next contact?"""

import calendar
from datetime import date, timedelta


def add_months(d: date, months: int) -> date:
    """Same day n months later, clamped to the month's end (1/31 + 1 month = 2/28 or 29)."""
    month_index = d.month - 1 + months
    year, month = d.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def due_date(last_contact: date | None, planned: date | None, interval_days: int | None,
             interval_months: int | None, registered: date | None = None) -> date | None:
    """The next contact is due on the date planned at the last contact, else one interval
    after the last successful contact (or after registration when there was none).
    ``None``: the household is not on the 見守り schedule."""
    if planned is not None:
        return planned
    if not interval_days and not interval_months:
        return None
    start = last_contact or registered
    if start is None:
        return None
    if interval_months:
        return add_months(start, interval_months)
    return start + timedelta(days=interval_days)


def week_of(d: date) -> tuple[date, date]:
    """Monday to Sunday of the week containing ``d`` ("今週")."""
    monday = d - timedelta(days=d.weekday())
    return monday, monday + timedelta(days=6)
