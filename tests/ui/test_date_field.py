"""The date field (ui/date_field.py) typed into like a person: a date that does not exist is
explained in the parser's own sentence and sets no date; shortcuts and 和暦 forms become a
date with its 和暦 beside it; text that is no date at all gets the forms the field accepts."""

from datetime import date, timedelta

import pytest
from PySide6.QtGui import QColor

from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.ui.date_field import DATE_EXAMPLES, DateField
from shakyo_desk.ui.style import ERROR_COLOUR
from tests.ui.helpers import type_text
from shakyo_desk.domain import clock


def make_field(qtbot, **kwargs) -> DateField:
    field = DateField(**kwargs)
    qtbot.addWidget(field)
    field.resize(520, field.sizeHint().height())
    field.show()
    field.edit.clear()
    return field


def shown_in_red(field: DateField) -> bool:
    return QColor(ERROR_COLOUR).name() in field.wareki.styleSheet().lower()


def test_a_day_that_does_not_exist_is_explained_and_sets_no_date(qtbot):
    field = make_field(qtbot)
    changes = []
    field.changed.connect(lambda: changes.append(field.text()))
    type_text(qtbot, field.edit, "令和7年2月30日")
    assert field.wareki.text() == "令和7年2月30日という日はありません（2025年2月は28日までです）。"
    assert field.wareki.toolTip() == field.wareki.text() and shown_in_red(field)
    assert changes and changes[-1] == "令和7年2月30日"
    with pytest.raises(ValueError):
        field.date()
    with pytest.raises(InvalidInput) as refused:
        field.checked_date("開催日")
    assert refused.value.message == "開催日：令和7年2月30日という日はありません（2025年2月は28日までです）。"


def test_an_era_year_after_its_era_names_the_right_one(qtbot):
    field = make_field(qtbot)
    type_text(qtbot, field.edit, "平成31年5月1日")
    assert field.wareki.text().startswith("平成31年5月1日は平成が終わった後の日付です")
    assert "令和元年5月1日ではありませんか" in field.wareki.text()
    with pytest.raises(ValueError):
        field.date()


def test_yesterday_typed_in_hiragana_is_a_date_with_its_wareki(qtbot):
    field = make_field(qtbot)
    type_text(qtbot, field.edit, "きのう")
    yesterday = clock.today() - timedelta(days=1)
    assert field.date() == yesterday
    assert field.checked_date("日付") == yesterday
    assert field.wareki.text() == format_wareki(yesterday, weekday=True)
    assert not shown_in_red(field) and field.wareki.toolTip() == ""


@pytest.mark.parametrize("typed", ["R7.4.1", "令和7年4月1日", "Ｒ７．４．１", "2025/4/1"])
def test_wareki_and_western_forms(qtbot, typed):
    field = make_field(qtbot)
    type_text(qtbot, field.edit, typed)
    assert field.date() == date(2025, 4, 1)
    assert field.wareki.text() == "令和7年4月1日（火）"


def test_text_that_is_no_date_gets_the_accepted_forms(qtbot):
    field = make_field(qtbot)
    type_text(qtbot, field.edit, "あした")
    assert field.wareki.text() == "日付として読み取れません。例：R7.4.1、令和7年4月1日、2025/4/1、今日、昨日"
    assert DATE_EXAMPLES in field.wareki.text() and shown_in_red(field)
    with pytest.raises(InvalidInput) as refused:
        field.checked_date("次回の予定日", "11/30、R7.11.30")
    assert refused.value.message == ("次回の予定日「あした」は日付として読み取れません。"
                                     "次のように入力してください（例：11/30、R7.11.30）。")


def test_correcting_the_text_clears_the_explanation(qtbot):
    field = make_field(qtbot)
    type_text(qtbot, field.edit, "R7.2.30")
    assert shown_in_red(field)
    field.edit.selectAll()
    type_text(qtbot, field.edit, "R7.2.28")
    assert field.date() == date(2025, 2, 28)
    assert field.wareki.text() == "令和7年2月28日（金）" and not shown_in_red(field)
