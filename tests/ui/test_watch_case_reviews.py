"""見守り予定 lists the 支援ケース whose plan review is this week or overdue (issue 18), overdue
in red, and opens the case on Enter."""

from datetime import timedelta

from PySide6.QtCore import Qt

from shakyo_desk.domain import clock
from shakyo_desk.domain.schedule import week_of
from shakyo_desk.store.services import case_plans, cases
from shakyo_desk.ui.case_detail import CaseDetailDialog
from shakyo_desk.ui.pages.watch import WatchPage
from shakyo_desk.ui.style import ERROR_COLOUR


def test_case_reviews_due_this_week_and_overdue(qtbot, ctx, village, pin_today):
    h = village["households"]
    today = clock.today()
    _monday, sunday = week_of(today)
    late = cases.open_case(ctx.store, h["yamada"])
    case_plans.add_goal(ctx.store, late, "灯油を切らさない", today)
    this_week = cases.open_case(ctx.store, h["suzuki"])
    case_plans.add_goal(ctx.store, this_week, "通院を続ける", sunday)
    later = cases.open_case(ctx.store, h["tanaka"])
    case_plans.add_goal(ctx.store, later, "家計を立て直す", sunday + timedelta(days=5))
    pin_today(today + timedelta(days=2) if (sunday - today).days >= 2 else today)
    now = clock.today()

    page = WatchPage(ctx, today=now)
    qtbot.addWidget(page)
    page.resize(1200, 700)
    page.show()
    page.refresh()
    assert [c.household_name for c in page.case_review_rows] == ["山田 花子", "鈴木 一郎"]  # not the one after this week
    if now > today:
        assert page.case_reviews.item(0, 1).text() == f"{(now - today).days}日過ぎ"
        assert page.case_reviews.item(0, 1).foreground().color().name() == ERROR_COLOUR.lower()
    assert "2件" in page.case_reviews_label.text()
    page.case_reviews.setFocus()
    page.case_reviews.selectRow(1)
    qtbot.keyClick(page.case_reviews, Qt.Key.Key_Return)
    assert isinstance(page.case_detail, CaseDetailDialog) and page.case_detail.case_id == this_week
    page.case_detail.done(0)

    # 来週まで widens the period to the case reviewed after this week
    page.range.setCurrentIndex(1)
    assert [c.household_name for c in page.case_review_rows] == ["山田 花子", "鈴木 一郎", "田中 正"]
