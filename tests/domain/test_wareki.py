from datetime import date

import pytest

from shakyo_desk.domain.wareki import (
    fiscal_year, fiscal_year_bounds, format_fiscal_year, format_wareki, format_wareki_short,
)


@pytest.mark.parametrize("d, text", [
    (date(2025, 4, 1), "令和7年4月1日"),
    (date(2019, 5, 1), "令和元年5月1日"),
    (date(2019, 4, 30), "平成31年4月30日"),
    (date(1989, 1, 7), "昭和64年1月7日"),
    (date(1989, 1, 8), "平成元年1月8日"),
    (date(1926, 12, 25), "昭和元年12月25日"),
    (date(1925, 3, 3), "大正14年3月3日"),
])
def test_format_wareki(d, text):
    assert format_wareki(d) == text


def test_short_form_and_weekday():
    assert format_wareki_short(date(2025, 4, 1)) == "R7.4.1"
    assert format_wareki(date(2025, 4, 1), weekday=True) == "令和7年4月1日（火）"
    assert format_wareki(None) == ""


def test_fiscal_year_boundaries():
    assert fiscal_year(date(2026, 3, 31)) == 2025
    assert fiscal_year(date(2026, 4, 1)) == 2026
    assert fiscal_year(date(2026, 1, 15), start_month=1) == 2026
    assert fiscal_year_bounds(2025) == (date(2025, 4, 1), date(2026, 4, 1))
    assert format_fiscal_year(2025) == "令和7年度"
    assert format_fiscal_year(2019) == "令和元年度"
    assert format_fiscal_year(2018) == "平成30年度"
