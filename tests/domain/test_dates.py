"""Every accepted way of writing a date, and the refusals (domain/dates.py)."""

from datetime import date

import pytest

from shakyo_desk.domain.dates import DateTextError, parse_date_text
from shakyo_desk.domain import clock

TODAY = date(2025, 11, 23)  # a Sunday


def parse(text):
    return parse_date_text(text, today=TODAY)


@pytest.mark.parametrize("text, expected", [
    # 西暦
    ("2025/4/1", date(2025, 4, 1)),
    ("2025/04/01", date(2025, 4, 1)),
    ("2025-04-01", date(2025, 4, 1)),
    ("2025.4.1", date(2025, 4, 1)),
    ("2025年4月1日", date(2025, 4, 1)),
    ("2025年4月1", date(2025, 4, 1)),
    ("2025 年 4 月 1 日", date(2025, 4, 1)),
    ("20250401", date(2025, 4, 1)),
    ("4/1", date(2025, 4, 1)),
    ("4月1日", date(2025, 4, 1)),
    ("12-31", date(2025, 12, 31)),
    # 和暦, letters
    ("R7.4.1", date(2025, 4, 1)),
    ("R7/4/1", date(2025, 4, 1)),
    ("R7-4-1", date(2025, 4, 1)),
    ("r7.4.1", date(2025, 4, 1)),
    ("R.7.4.1", date(2025, 4, 1)),
    ("R 7.4.1", date(2025, 4, 1)),
    ("R7年4月1日", date(2025, 4, 1)),
    ("R1.5.1", date(2019, 5, 1)),
    ("R元.5.1", date(2019, 5, 1)),
    ("H31.4.30", date(2019, 4, 30)),
    ("H1.1.8", date(1989, 1, 8)),
    ("S64.1.7", date(1989, 1, 7)),
    ("S15.3.10", date(1940, 3, 10)),
    ("T15.12.24", date(1926, 12, 24)),
    ("T1.7.30", date(1912, 7, 30)),
    ("M45.7.29", date(1912, 7, 29)),
    ("M30.1.1", date(1897, 1, 1)),
    # 和暦, era names
    ("令和7年4月1日", date(2025, 4, 1)),
    ("令和元年5月1日", date(2019, 5, 1)),
    ("令和1年5月1日", date(2019, 5, 1)),
    ("平成31年4月30日", date(2019, 4, 30)),
    ("平成元年1月8日", date(1989, 1, 8)),
    ("昭和15年3月10日", date(1940, 3, 10)),
    ("大正10年1月1日", date(1921, 1, 1)),
    ("明治40年2月3日", date(1907, 2, 3)),
    ("令和7.4.1", date(2025, 4, 1)),
    ("令和7/4/1", date(2025, 4, 1)),
    ("令7.4.1", date(2025, 4, 1)),
    ("昭15.3.10", date(1940, 3, 10)),
    ("令和 7 年 4 月 1 日", date(2025, 4, 1)),
    # full width
    ("２０２５／４／１", date(2025, 4, 1)),
    ("２０２５－０４－０１", date(2025, 4, 1)),
    ("２０２５．４．１", date(2025, 4, 1)),
    ("２０２５０４０１", date(2025, 4, 1)),
    ("令和７年４月１日", date(2025, 4, 1)),
    ("Ｒ７．４．１", date(2025, 4, 1)),
    ("２０２５ー４ー１", date(2025, 4, 1)),  # the long-vowel mark typed for a dash
    ("\u30002025/4/1\u3000", date(2025, 4, 1)),
    # a trailing weekday that matches
    ("2025/4/1（火）", date(2025, 4, 1)),
    ("2025/4/1(火)", date(2025, 4, 1)),
    ("2025/4/1 (火曜日)", date(2025, 4, 1)),
    ("令和7年4月1日（火）", date(2025, 4, 1)),
    ("令和7年4月1日 火曜日", date(2025, 4, 1)),
    ("令和7年4月1日火曜日", date(2025, 4, 1)),
    ("2025/4/1 火", date(2025, 4, 1)),
    ("4/1(火)", date(2025, 4, 1)),
    ("R7.4.1（火）", date(2025, 4, 1)),
    ("11/23(日)", date(2025, 11, 23)),
    # shortcuts
    ("今日", TODAY),
    ("きょう", TODAY),
    ("本日", TODAY),
    ("昨日", date(2025, 11, 22)),
    ("きのう", date(2025, 11, 22)),
    ("おととい", date(2025, 11, 21)),
    ("一昨日", date(2025, 11, 21)),
])
def test_accepted_forms(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "\u3000", None])
def test_empty_is_none(text):
    assert parse(text) is None


def test_today_defaults_to_the_real_day():
    assert parse_date_text("今日") == clock.today()


def test_month_and_day_alone_is_this_year():
    assert parse_date_text("1/5", today=date(2030, 6, 1)) == date(2030, 1, 5)


@pytest.mark.parametrize("text, words", [
    ("令和7年2月30日", ["令和7年2月30日", "ありません", "28日まで"]),
    ("R7.2.30", ["令和7年2月30日", "ありません"]),
    ("2025/2/29", ["2025年2月29日", "28日まで"]),
    ("2024/2/30", ["29日まで"]),
    ("2025/4/31", ["4月は30日まで"]),
    ("2025/13/1", ["13月という月はありません"]),
    ("2025/0/1", ["0月という月はありません"]),
    ("2025/1/0", ["ありません"]),
    ("平成31年5月1日", ["平成31年5月1日", "平成が終わった後", "2019年4月30日まで", "令和元年5月1日ではありませんか"]),
    ("H31.5.1", ["平成が終わった後"]),
    ("H35.1.1", ["平成が終わった後"]),
    ("令和1年4月30日", ["令和が始まる前", "2019年5月1日から", "平成31年4月30日ではありませんか"]),
    ("令和元年4月30日", ["令和が始まる前"]),
    ("S64.1.8", ["昭和が終わった後", "平成元年1月8日"]),
    ("平成1年1月7日", ["平成が始まる前", "昭和64年1月7日"]),
    ("令和0年5月1日", ["令和0年という年はありません"]),
    ("1850/1/1", ["明治より前"]),
    ("2025/4/1(月)", ["火曜日です", "月曜日と書かれています"]),
    ("令和7年", ["日（または月と日）がありません"]),
    ("2025年4月", ["日（または月と日）がありません"]),
    ("25/4/1", ["年が2桁"]),
    ("abc", ["日付として読み取れません", "2025/4/1"]),
    ("2025/4/1/5", ["日付として読み取れません"]),
    ("X7.4.1", ["日付として読み取れません"]),
    ("2025年4月1日 火 曜日です", ["日付として読み取れません"]),
    ("あした", ["日付として読み取れません"]),
])
def test_refusals_say_what_is_wrong(text, words):
    with pytest.raises(ValueError) as caught:
        parse(text)
    error = caught.value
    assert isinstance(error, DateTextError)
    for word in words:
        assert word in error.message, error.message
    assert str(error) == error.message
    # only text that is no date at all is "unreadable"; a wrong date has its own sentence
    assert error.unreadable == ("日付として読み取れません" in error.message)


def test_the_date_field_reads_with_the_same_parser():
    from shakyo_desk.ui import date_field

    assert date_field.parse_date_text is parse_date_text
