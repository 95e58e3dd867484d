"""支援ケース page and case detail (issue 18), through the real widgets: open a case for a
household, add an assessment view, a goal with an action, record monitoring, close (confirmed)
and reopen, with the pinned clock. A service's refusal stays in the dialog, nothing changed."""

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from shakyo_desk.domain import clock
from shakyo_desk.store.services import agencies, case_plans, case_views, cases, households
from shakyo_desk.ui.case_detail import CaseDetailDialog
from shakyo_desk.ui.case_dialogs import (
    AssessmentDialog, CloseDialog, GoalDialog, MonitoringDialog, OpenCaseDialog, ReopenDialog,
)
from shakyo_desk.ui.field_widgets import HouseholdPickDialog
from shakyo_desk.ui.pages.cases import CasesPage
from shakyo_desk.ui.style import ERROR_COLOUR
from tests.ui.helpers import type_text


@pytest.fixture
def page(qtbot, ctx, village):
    agencies.add_agency(ctx.store, "山里村地域包括支援センター", field="高齢")
    households.add_person(ctx.store, village["households"]["yamada"], "山田 一郎", relation="子")
    page = CasesPage(ctx)
    qtbot.addWidget(page)
    page.resize(1200, 640)
    page.show()
    page.refresh()
    return page


def open_yamada(qtbot, page, monkeypatch) -> CaseDetailDialog:
    dialog = page.new_case()
    assert isinstance(dialog, OpenCaseDialog)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)  # no household yet: said, nothing opened
    assert "世帯を選ぶ" in dialog.errors.text() and dialog.result() != QDialog.DialogCode.Accepted

    def choose(picker):  # the shared picker: type part of the name, Enter on the first match
        type_text(qtbot, picker.picker.search, "山田")
        picker.picker.run_search()
        qtbot.keyClick(picker.picker.search, Qt.Key.Key_Return)
        return picker.result()

    monkeypatch.setattr(HouseholdPickDialog, "exec", choose)
    qtbot.mouseClick(dialog.pick_button, Qt.MouseButton.LeftButton)
    assert dialog.household_text.text().startswith("山田 花子")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted, dialog.errors.text()
    return page.detail


def test_a_case_from_opening_to_closure_and_reopening(qtbot, ctx, page, village, monkeypatch):
    today = clock.today()
    assert page.stack.currentWidget() is page.empty and "まだありません" in page.empty.text()
    detail = open_yamada(qtbot, page, monkeypatch)
    assert isinstance(detail, CaseDetailDialog)
    assert detail.heading.text() == "山田 花子 さんの世帯の支援ケース"
    assert "受付" in detail.status_label.text()
    assert [r.household_name for r in page.rows] == ["山田 花子"]  # the list reloaded

    # 見立て: the son's problem in the 民生委員's words
    view = detail.add_assessment()
    assert isinstance(view, AssessmentDialog)
    view.target.setCurrentIndex(view.target.findText("山田 一郎（子）"))
    type_text(qtbot, view.participant, "民生委員 山本")
    view.organisation.setEditText("民生委員")
    type_text(qtbot, view.problem, "仕事がなく昼夜逆転")
    type_text(qtbot, view.strength, "母親思い")
    qtbot.mouseClick(view.ok_button, Qt.MouseButton.LeftButton)
    assert view.result() == QDialog.DialogCode.Accepted, view.errors.text()
    assert "アセスメント" in detail.status_label.text()
    assert detail.assessment.rowCount() == 1
    assert detail.assessment.item(0, 0).text() == "山田 一郎（子）"
    assert "民生委員 山本（民生委員）" in detail.assessment.item(0, 1).text()
    assert detail.assessment.item(0, 2).text() == "仕事がなく昼夜逆転"

    # 目標 with an action by the agency, typed and added with Enter
    goal = detail.add_goal()
    assert isinstance(goal, GoalDialog)
    type_text(qtbot, goal.text, "週1回外出できる")
    goal.review_on.set_date(today + timedelta(days=30))
    goal.who_kind.setCurrentIndex(goal.who_kind.findData("agency"))
    goal.who.setEditText("山里村地域包括支援センター")
    type_text(qtbot, goal.what, "就労相談につなぐ")
    qtbot.keyClick(goal.what, Qt.Key.Key_Return)
    assert goal.actions.rowCount() == 1 and goal.actions.item(0, 2).text() == "就労相談につなぐ"
    qtbot.mouseClick(goal.ok_button, Qt.MouseButton.LeftButton)
    assert goal.result() == QDialog.DialogCode.Accepted, goal.errors.text()
    assert "支援中" in detail.status_label.text()
    assert detail.goals.rowCount() == 1
    assert "関係機関 山里村地域包括支援センター：就労相談につなぐ" in detail.goals.item(0, 2).text()

    # モニタリング: partly, next review in 60 days
    detail.tabs.setCurrentIndex(2)
    detail.goals.setFocus()
    detail.goals.selectRow(0)
    qtbot.keyClick(detail.goals, Qt.Key.Key_Return)  # Enter on the goal opens its monitoring
    check = detail.sub_dialog
    assert isinstance(check, MonitoringDialog)
    check.progress.buttons["partly"].click()
    type_text(qtbot, check.note, "2回外出できた")
    check.next_review_on.set_date(today + timedelta(days=60))
    qtbot.mouseClick(check.ok_button, Qt.MouseButton.LeftButton)
    assert check.result() == QDialog.DialogCode.Accepted, check.errors.text()
    assert "モニタリング" in detail.status_label.text()
    assert detail.checks.item(0, 2).text() == "一部達成"
    case_id = detail.case_id
    assert case_views.get_case(ctx.store, case_id, log=False).summary.next_review_on == today + timedelta(days=60)

    # 終結, asked first: declined changes nothing, accepted closes
    asked = []
    close = detail.close_case(ask=lambda *a, **k: asked.append(a[2]) or False)
    assert isinstance(close, CloseDialog)
    type_text(qtbot, close.reason, "目標を達成")
    type_text(qtbot, close.changes, "外出が増えた")
    close.issue.setEditText("若者の居場所がない")
    qtbot.mouseClick(close.ok_button, Qt.MouseButton.LeftButton)
    assert asked and "終結します" in asked[0]
    assert close.isVisible() and case_views.get_case(ctx.store, case_id, log=False).summary.status == "モニタリング"
    close.ask = lambda *a, **k: True
    qtbot.mouseClick(close.ok_button, Qt.MouseButton.LeftButton)
    assert close.result() == QDialog.DialogCode.Accepted, close.errors.text()
    assert "終結" in detail.status_label.text()
    assert "外出が増えた" in detail.evaluation.toPlainText()
    assert not detail.goal_button.isEnabled() and detail.reopen_button.isEnabled()

    reopen = detail.reopen(ask=lambda *a, **k: True)
    assert isinstance(reopen, ReopenDialog)
    type_text(qtbot, reopen.note, "また引きこもりがち")
    qtbot.mouseClick(reopen.ok_button, Qt.MouseButton.LeftButton)
    assert reopen.result() == QDialog.DialogCode.Accepted, reopen.errors.text()
    assert "アセスメント" in detail.status_label.text()
    history = [detail.history.item(r, 1).text() for r in range(detail.history.rowCount())]
    assert history == ["受付", "アセスメント", "支援中", "モニタリング", "終結", "アセスメント"]
    detail.done(0)


def test_a_refusal_stays_in_the_dialog_and_changes_nothing(qtbot, ctx, page, village):
    today = clock.today()
    case_id = cases.open_case(ctx.store, village["households"]["suzuki"])
    detail = page.open_case(case_id)
    goal = detail.add_goal()
    type_text(qtbot, goal.text, "家計を立て直す")
    goal.review_on.set_date(today - timedelta(days=1))  # a review date in the past: the service refuses
    qtbot.mouseClick(goal.ok_button, Qt.MouseButton.LeftButton)
    assert goal.isVisible() and goal.result() != QDialog.DialogCode.Accepted
    assert "見直し日が過去の日付" in goal.errors.text()
    assert case_views.get_case(ctx.store, case_id, log=False).plans == ()
    # an action for someone in no directory: refused with the service's sentence
    goal.review_on.set_date(today + timedelta(days=14))
    goal.who_kind.setCurrentIndex(goal.who_kind.findData("agency"))
    goal.who.setEditText("どこにもない機関")
    type_text(qtbot, goal.what, "訪問")
    qtbot.mouseClick(goal.ok_button, Qt.MouseButton.LeftButton)
    assert "関係機関の一覧にありません" in goal.errors.text()
    assert case_views.get_case(ctx.store, case_id, log=False).plans == ()
    goal.done(0)
    detail.done(0)


def test_overdue_review_is_red_and_enter_opens_the_case(qtbot, ctx, page, village, pin_today):
    today = clock.today()
    case_id = cases.open_case(ctx.store, village["households"]["tanaka"], opened_on=today - timedelta(days=20))
    case_plans.add_goal(ctx.store, case_id, "通院を続ける", today + timedelta(days=1))
    pin_today(today + timedelta(days=4))  # three days past the review
    page._today = clock.today()
    page.load()
    assert page.table.item(0, 0).text().endswith("（3日過ぎ）")
    assert page.table.item(0, 0).foreground().color().name() == ERROR_COLOUR.lower()
    assert "見直し日を過ぎたもの 1件" in page.count_label.text()
    page.table.setFocus()
    page.table.selectRow(0)
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    assert page.detail is not None and page.detail.case_id == case_id
    page.detail.done(0)


def test_filters_by_status_and_name(qtbot, ctx, page, village):
    h = village["households"]
    first = cases.open_case(ctx.store, h["yamada"])
    cases.open_case(ctx.store, h["suzuki"])
    cases.close_case(ctx.store, first, "転居", "町外の施設に入所した")
    page.load()
    assert [c.household_name for c in page.rows] == ["鈴木 一郎"]  # 終結していないもの
    page.status.setCurrentIndex(page.status.findData("終結"))
    assert [c.household_name for c in page.rows] == ["山田 花子"]
    page.status.setCurrentIndex(page.status.findData(None))
    assert len(page.rows) == 2
    page.search.setText("鈴木")
    assert [c.household_name for c in page.rows] == ["鈴木 一郎"]
    page.search.setText("いない人")
    assert page.stack.currentWidget() is page.empty and "条件に合う" in page.empty.text()


def test_the_assessment_prints_on_one_sheet_in_the_preview(qtbot, ctx, page, village, monkeypatch):
    from shakyo_desk.ui.pdf_preview import qtpdf_available

    if not qtpdf_available():
        pytest.skip("QtPdf is not installed")
    case_id = cases.open_case(ctx.store, village["households"]["yamada"])
    case_plans.add_assessment(ctx.store, case_id, "山田 花子", organisation="本人", problem="灯油を運べない",
                              wish="冬も家で過ごしたい")
    detail = page.open_case(case_id)
    assert detail.print_button.isEnabled()
    qtbot.mouseClick(detail.print_button, Qt.MouseButton.LeftButton)
    assert detail.preview is not None and detail.preview.pdf.page_count == 1
    assert "個人情報です" in detail.preview.note.text()

    # Printed (the print dialog accepted): the sheet that left the store is in the audit log.
    import sqlalchemy as sa
    from PySide6.QtPrintSupport import QPrintDialog

    from shakyo_desk.store.models import AuditLog
    from shakyo_desk.ui import pdf_preview

    monkeypatch.setattr(QPrintDialog, "exec", lambda self: QDialog.DialogCode.Accepted)
    printed = []
    monkeypatch.setattr(pdf_preview, "print_pdf", lambda data, printer: printed.append(data) or 1)
    detail._print(b"%PDF-sheet")
    with ctx.store.read() as s:
        entries = s.execute(sa.select(AuditLog).where(AuditLog.action == "assessment_pdf.export")).scalars().all()
    assert printed == [b"%PDF-sheet"] and len(entries) == 1
    assert entries[0].detail["case_id"] == case_id and entries[0].detail["views"] == 1
    detail.preview.done(0)
    detail.done(0)


def test_the_household_timeline_shows_the_case_and_opens_it(qtbot, ctx, page, village):
    from PySide6.QtCore import QUrl

    case_id = cases.open_case(ctx.store, village["households"]["suzuki"])
    detail = page.open_case(case_id)
    qtbot.mouseClick(detail.timeline_button, Qt.MouseButton.LeftButton)
    timeline = detail.timeline
    assert [e.title for e in timeline.entries if e.kind == "case"] == ["支援ケースを開始（受付）"]
    assert "ケースを開く" in timeline.view.toPlainText()
    timeline._link(QUrl(f"case:{case_id}"))
    assert isinstance(timeline.case_detail, CaseDetailDialog) and timeline.case_detail.case_id == case_id
    timeline.case_detail.done(0)
    timeline.done(0)
    detail.done(0)


def test_from_a_household_timeline_a_case_is_opened_then_reopened_there(qtbot, ctx, page, village):
    from shakyo_desk.ui.timeline import TimelineDialog

    timeline = TimelineDialog(ctx, village["households"]["tanaka"], "田中 正")
    qtbot.addWidget(timeline)
    assert timeline.case_button.isVisibleTo(timeline)
    qtbot.mouseClick(timeline.case_button, Qt.MouseButton.LeftButton)
    opening = timeline.case_dialog
    assert isinstance(opening, OpenCaseDialog) and opening.pick_button is None  # the household is given
    qtbot.mouseClick(opening.ok_button, Qt.MouseButton.LeftButton)
    assert opening.result() == QDialog.DialogCode.Accepted, opening.errors.text()
    [case] = case_views.list_cases(ctx.store, household_id=village["households"]["tanaka"])
    assert timeline.case_detail.case_id == case.id
    timeline.case_detail.done(0)
    assert "支援ケースを開始（受付）" in timeline.view.toPlainText()  # the timeline reloaded
    # the second time, the open case itself
    timeline.case_dialog = None
    qtbot.mouseClick(timeline.case_button, Qt.MouseButton.LeftButton)
    assert timeline.case_dialog is None and timeline.case_detail.case_id == case.id
    timeline.case_detail.done(0)
    timeline.done(0)


def test_assign_policy_missing_resource_and_a_new_plan_version(qtbot, ctx, page, village):
    from shakyo_desk.store.services import accounts
    from shakyo_desk.store.keyfile import FAST_KDF
    from shakyo_desk.ui.case_dialogs import AssignDialog, MissingResourceDialog, PolicyDialog

    today = clock.today()
    staff = accounts.add_account(ctx.store, "sato", "佐藤 美咲", "staff", "correct horse 2", kdf=FAST_KDF)
    case_id = cases.open_case(ctx.store, village["households"]["yamada"])
    goal = case_plans.add_goal(ctx.store, case_id, "灯油を切らさない", today + timedelta(days=10))
    case_plans.record_monitoring(ctx.store, case_id, goal, today, "achieved")
    case_plans.add_goal(ctx.store, case_id, "週1回外出できる", today + timedelta(days=20))
    page.refresh()
    detail = page.open_case(case_id)

    assign = detail.assign()
    assert isinstance(assign, AssignDialog)
    assign.assignee.setCurrentIndex(assign.assignee.findData(staff))
    assign.agency.setCurrentIndex(assign.agency.findText("山里村地域包括支援センター"))
    qtbot.mouseClick(assign.ok_button, Qt.MouseButton.LeftButton)
    assert assign.result() == QDialog.DialogCode.Accepted, assign.errors.text()
    assert "担当：佐藤 美咲" in detail.summary.text() and "主担当機関：山里村地域包括支援センター" in detail.summary.text()

    policy = detail.edit_policy()
    assert isinstance(policy, PolicyDialog) and not policy.revise
    type_text(qtbot, policy.policy, "近所の支え手と見守る")
    qtbot.mouseClick(policy.ok_button, Qt.MouseButton.LeftButton)
    assert "支援方針：近所の支え手と見守る" in detail.policy.text()

    missing = detail.add_missing()
    assert isinstance(missing, MissingResourceDialog)
    qtbot.mouseClick(missing.ok_button, Qt.MouseButton.LeftButton)  # empty: refused, stays open
    assert missing.isVisible() and missing.errors.text()
    type_text(qtbot, missing.text, "冬の除雪を頼める人がいない")
    qtbot.mouseClick(missing.ok_button, Qt.MouseButton.LeftButton)
    assert "冬の除雪を頼める人がいない" in detail.missing.text()

    revise = detail.revise()
    assert revise.revise and "第2版" in revise.ok_button.text() + "".join(
        w.text() for w in revise.findChildren(type(detail.heading)))
    qtbot.mouseClick(revise.ok_button, Qt.MouseButton.LeftButton)
    assert revise.result() == QDialog.DialogCode.Accepted, revise.errors.text()
    # the current plan (version 2) carries only the goal not achieved; version 1 is still readable
    assert detail.version.count() == 2 and detail.version.currentData() == 2
    assert [detail.goals.item(r, 1).text() for r in range(detail.goals.rowCount())] == ["週1回外出できる"]
    detail.version.setCurrentIndex(1)
    assert detail.version.currentData() == 1 and detail.goals.rowCount() == 2
    assert "以前の版" in detail.policy.text()
    assert not detail.monitor_button.isHidden()
    detail.done(0)


def test_an_empty_case_says_what_to_do_on_each_tab(qtbot, ctx, page, village):
    from shakyo_desk.ui.empty_state import shown_empty_text

    detail = page.open_case(cases.open_case(ctx.store, village["households"]["tanaka"]))
    assert "「見立てを追加」" in shown_empty_text(detail.assessment)
    assert "「目標を追加」" in shown_empty_text(detail.goals)
    assert "「モニタリングを記録」" in shown_empty_text(detail.checks)
    assert "まだ終結していません" in detail.evaluation.toPlainText()
    assert not detail.monitor_button.isEnabled() and not detail.revise_button.isEnabled()
    detail.done(0)


def test_staff_see_their_districts_cases_and_open_none(qtbot, store, executor, ui_settings, store_dir, village):
    from shakyo_desk.store.keyfile import FAST_KDF
    from shakyo_desk.store.services import accounts
    from shakyo_desk.store.services.council import get_settings
    from shakyo_desk.store.store import unlock
    from shakyo_desk.ui.context import AppContext

    accounts.add_account(store, "sato", "佐藤 美咲", "staff", "correct horse 2",
                         district_ids=[village["districts"]["south"]], kdf=FAST_KDF)
    cases.open_case(store, village["households"]["suzuki"])  # 南地区
    cases.open_case(store, village["households"]["yamada"])  # 上町: not hers
    staff = unlock(store_dir, "sato", "correct horse 2")
    ctx = AppContext(store=staff, executor=executor, ui_settings=ui_settings, council=get_settings(staff))
    page = CasesPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    assert [c.household_name for c in page.rows] == ["鈴木 一郎"]
    assert not page.new_button.isVisible() and page.new_case() is None
    detail = page.open_case(page.rows[0].id)
    assert detail.assess_button.isVisible() and not detail.close_case_button.isVisible()
    detail.done(0)
    staff.close()


def test_the_community_issue_register_from_closures_and_added_here(qtbot, ctx, page, village):
    case_id = cases.open_case(ctx.store, village["households"]["suzuki"])
    cases.close_case(ctx.store, case_id, "転居", "町外の家族と暮らすことになった", community_issue="冬の移動手段がない")
    qtbot.mouseClick(page.issues_button, Qt.MouseButton.LeftButton)
    issues = page.issues_dialog
    assert issues.table.rowCount() == 1
    assert issues.table.item(0, 1).text() == "冬の移動手段がない" and issues.table.item(0, 3).text() == "1件"
    qtbot.mouseClick(issues.add_button, Qt.MouseButton.LeftButton)  # no title: refused, nothing added
    assert issues.errors.text() and issues.table.rowCount() == 1
    type_text(qtbot, issues.title, "若者の居場所がない")
    issues.district.setCurrentIndex(issues.district.findData(village["districts"]["south"]))
    qtbot.mouseClick(issues.add_button, Qt.MouseButton.LeftButton)
    assert sorted(issues.table.item(r, 1).text() for r in range(2)) == ["冬の移動手段がない", "若者の居場所がない"]
    assert issues.title.text() == ""
    type_text(qtbot, issues.title, "冬の移動手段がない")  # the same title twice: the service's sentence
    qtbot.mouseClick(issues.add_button, Qt.MouseButton.LeftButton)
    assert "すでに登録されています" in issues.errors.text() and issues.table.rowCount() == 2
    issues.done(0)
