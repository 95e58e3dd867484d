from datetime import date

from shakyo_desk.domain.schedule import add_months, due_date, week_of


def test_add_months_clamps_to_month_end():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 3, 31), 1) == date(2026, 4, 30)
    assert add_months(date(2025, 12, 15), 3) == date(2026, 3, 15)


def test_due_date_rules():
    last = date(2026, 3, 20)
    assert due_date(last, None, 14, None) == date(2026, 4, 3)  # crosses the 年度 boundary
    assert due_date(last, None, None, 1) == date(2026, 4, 20)
    assert due_date(last, date(2026, 3, 25), 14, None) == date(2026, 3, 25)  # planned date wins
    assert due_date(None, None, 30, None, registered=date(2026, 1, 1)) == date(2026, 1, 31)
    assert due_date(last, None, None, None) is None


def test_week_of():
    assert week_of(date(2026, 11, 23)) == (date(2026, 11, 23), date(2026, 11, 29))  # a Monday
    assert week_of(date(2026, 11, 29)) == (date(2026, 11, 23), date(2026, 11, 29))
