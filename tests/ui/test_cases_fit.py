"""The 支援ケース page and its dialogs at the largest text size on a 1366×768 laptop (issue 18):
nothing cut off, nothing larger than the screen less the task bar. The same walk
(``screens._case_dialogs``) runs in test_no_clipping and test_fits_screen on the demo village."""

from datetime import timedelta

import pytest

from shakyo_desk.domain import clock
from shakyo_desk.store.services import agencies, case_plans, cases, households
from shakyo_desk.store.services.case_plans import ActionDraft
from shakyo_desk.ui import appearance
from shakyo_desk.ui.appearance import LARGEST
from shakyo_desk.ui.main_window import MainWindow
from tests.ui.clipping import clipped_widgets
from tests.ui.screens import _case_dialogs, settle

LAPTOP_USABLE = (1366, 728)


@pytest.fixture
def largest_text(qapp):
    current = appearance.install(qapp)
    current.apply(LARGEST, False)
    yield current
    current.remove()


def a_case(store, village) -> str:
    today = clock.today()
    h = village["households"]["yamada"]
    son = households.add_person(store, h, "山田 一郎", relation="子")
    agencies.add_agency(store, "山里村地域包括支援センター", field="高齢")
    case = cases.open_case(store, h, assignee_id=store.actor.staff_id)
    for who, org, person, problem, strength, wish in (
            ("山田 花子", "本人", None, "冬に灯油を運べない", "近所の人と仲が良い", "この家で暮らし続けたい"),
            ("民生委員 山本", "民生委員", son, "仕事がなく昼夜逆転している", "母親思い", "")):
        case_plans.add_assessment(store, case, who, organisation=org, person_id=person, problem=problem,
                                  strength=strength, wish=wish)
    goal = case_plans.add_goal(store, case, "冬も灯油を切らさずに暮らせる", today + timedelta(days=20),
                               actions=[ActionDraft("agency", "山里村地域包括支援センター", "配達の手配", today + timedelta(days=7)),
                                        ActionDraft("resident", "隣の田中さん", "週1回の声かけ")],
                               missing=["灯油の配達をしてくれる店がない"])
    case_plans.record_monitoring(store, case, goal, today, "partly", note="配達が始まった",
                                 next_review_on=today + timedelta(days=30))
    return case


@pytest.mark.parametrize("size", [LAPTOP_USABLE, (1280, 680)], ids=["1366x768", "1280x720"])
def test_case_screens_fit_at_the_largest_text(qtbot, ctx, village, largest_text, size):
    a_case(ctx.store, village)
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    settle()
    problems = []
    page = window.show_page("cases")
    settle()
    seen = ["page:cases"]
    problems += [f"page:cases: {c}" for c in clipped_widgets(window)]
    for name, dialog in _case_dialogs(window, ctx, size):
        seen.append(name)
        if dialog.width() > size[0] or dialog.height() > size[1]:
            problems.append(f"{name}: {dialog.width()}x{dialog.height()} does not fit {size}")
        problems += [f"{name}: {c}" for c in clipped_widgets(dialog)]
    assert {"dialog:case_open", "dialog:case_detail_0", "dialog:case_detail_2", "dialog:case_goal",
            "dialog:case_monitoring", "dialog:case_close"} <= set(seen), seen
    assert page.table.rowCount() == 1
    assert not problems, "\n".join(problems)
    window.idle.stop()
