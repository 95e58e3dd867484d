"""Every main screen of the app, one after another, for checks that look at all of them
(clipping, accessible names). Plain functions (no pytest), so a child process with its own
QApplication can use them too (``clipping_probe.py``).

``main_screens(ctx, size)`` yields ``(name, window)`` for each page of the navigation, then
``(name, dialog)`` for the main dialogs opened from the window (household editor, member,
new household, contact entry, sheet form and detail, 支援ケース and its dialogs, salon session, conference
editor); ``start_screens(...)``
yields the unlock dialog and each page of the first-run wizard. Each screen is shown and laid
out when it is yielded; the caller looks, then the walk goes on."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QApplication, QDialog, QWidget, QWizard

from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.services.households import list_households


def settle(rounds: int = 3) -> None:
    """Let posted layout requests and resizes run, as the event loop would."""
    for _ in range(rounds):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        QApplication.processEvents()


def _shown(dialog: QWidget, size: tuple[int, int] | None = None) -> QWidget:
    dialog.show()
    if size is not None:
        dialog.resize(min(dialog.width(), size[0]), min(dialog.height(), size[1]))
    settle()
    return dialog


def _close(dialog: QDialog) -> None:
    dialog.done(0)
    dialog.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # gone now, as after an event loop turn
    settle(1)


def main_screens(ctx, size: tuple[int, int] | None, *, dialogs: bool = True) -> Iterator[tuple[str, QWidget]]:
    """The main window at ``size`` on each of its pages, then the main dialogs (each at its
    own default size, made no larger than ``size``). ``size=None``: the sizes the app chooses
    for the screen (a real display, ``test_fits_screen``)."""
    from shakyo_desk.ui.main_window import MainWindow

    window = MainWindow(ctx)
    if size is not None:
        window.resize(*size)
    window.show()
    settle()
    try:
        for spec in window.specs:
            window.show_page(spec.key)
            settle()
            yield f"page:{spec.key}", window
        if dialogs:
            yield from _main_dialogs(window, ctx, size)
    finally:
        window.idle.stop()
        for dialog in window.findChildren(QDialog):
            dialog.done(0)
        window.hide()
        window.deleteLater()
        settle(1)


def main_dialogs(window, ctx, size: tuple[int, int] | None = None) -> Iterator[tuple[str, QWidget]]:
    """The main dialogs opened from ``window`` (see ``main_screens``)."""
    yield from _main_dialogs(window, ctx, size)


def _main_dialogs(window, ctx, size) -> Iterator[tuple[str, QWidget]]:
    from shakyo_desk.ui.salon_session import SalonSessionDialog

    page = window.show_page("households")
    first = list_households(ctx.store, "", None, 1)[0]
    page.open_household(first.id)
    settle()
    yield "dialog:household_editor", _shown(page.editor, size)
    from shakyo_desk.ui.member_dialog import MemberDialog

    member = MemberDialog(page.editor.members[0], page.editor)
    yield "dialog:member", _shown(member, size)
    _close(member)
    _close(page.editor)
    page.new_household()
    yield "dialog:new_household", _shown(page.new_dialog, size)
    _close(page.new_dialog)

    window.new_contact()
    yield "dialog:contact_entry", _shown(window.contact_entry, size)
    _close(window.contact_entry)

    sheets = window.show_page("sheets")
    form = sheets.new_sheet()
    yield "dialog:sheet_form", _shown(form, size)
    _close(form)
    rows = sheets.table.rowCount() if hasattr(sheets, "table") else 0
    if rows:
        from shakyo_desk.ui.widgets import selected_id

        sheets.table.selectRow(0)
        sheet_id = selected_id(sheets.table)
        if sheet_id:
            detail = sheets.open_sheet(sheet_id)
            yield "dialog:sheet_detail", _shown(detail, size)
            _close(detail)

    yield from _case_dialogs(window, ctx, size)
    yield from _community_map(window, ctx, size)
    yield from _community_issues(window, ctx, size)
    yield from _community_ties(window, ctx, size)

    salons = window.show_page("salons")
    if salons.table.rowCount():
        salons.table.selectRow(0)
        settle()
        session = SalonSessionDialog(ctx, salons.current_salon(), salons.regulars, parent=window)
        yield "dialog:salon_session", _shown(session, size)
        _close(session)

    if "conferences" in window.pages or "conferences" in [s.key for s in window.specs]:
        conferences = window.show_page("conferences")
        if conferences.table.rowCount():
            conferences.table.selectRow(0)
            conferences.open_selected()
            settle()
            editor = getattr(conferences, "editor", None)
            if editor is not None:
                yield "dialog:conference_editor", _shown(editor, size)
                yield from _meeting_dialogs(editor, ctx, size)
                _close(editor)
        from shakyo_desk.domain import clock
        from shakyo_desk.store.services.appointments import add_appointment, list_appointments

        if not list_appointments(ctx.store):  # a village without a 委嘱 gets one (the store is a copy)
            today = clock.today()
            add_appointment(ctx.store, "山本 和子", "みどり村民生委員児童委員協議会", "support", today,
                            today + timedelta(days=730), today)  # two years on, a leap day too
        appointments = conferences.open_appointments()
        yield "dialog:appointments", _shown(appointments, size)
        adding = appointments.add()
        yield "dialog:appointment_add", _shown(adding, size)
        _close(adding)
        _close(appointments)


def _community_ties(window, ctx, size) -> Iterator[tuple[str, QWidget]]:
    """Issue 19, ties and 担い手: the 支え合い and 担い手 tabs of the 地域 page (the households
    without a tie too), the household editor's 支え合い tab, the tie, end-of-tie, bulk and
    supporter dialogs. A village without a tie or a supporter gets one (the store is a copy)."""
    if "community" not in [s.key for s in window.specs]:
        return
    from shakyo_desk.store.services import supporters, ties
    from shakyo_desk.store.services.districts import list_districts
    from shakyo_desk.ui.household_editor import HouseholdEditorDialog
    from shakyo_desk.ui.supporter_dialog import SupporterDialog
    from shakyo_desk.ui.supporter_targets import TargetsDialog
    from shakyo_desk.ui.tie_bulk_dialog import TieBulkDialog
    from shakyo_desk.ui.tie_dialog import EndTieDialog, TieDialog

    first = list_households(ctx.store, "", None, 1)[0]
    if not ties.list_ties(ctx.store, household_id=first.id):
        ties.add_tie(ctx.store, first.id, "声かけ", supporter_name="隣の 佐藤 一夫", supporter_kind="住民", frequency="毎朝")
    if not supporters.list_supporters(ctx.store):
        supporters.add_supporter(ctx.store, "田中 一夫", can_do="朝の声かけ、買い物の送迎（週1回）", contact_consent=True)
    page = window.show_page("community")
    for title in ("支え合い", "担い手"):
        tab = page.show_tab(title)
        tab.refresh()
        settle()
        yield f"page:community_{title}", window
    tab = page.show_tab("支え合い")
    tab.untied.setChecked(True)
    settle()
    yield "page:community_支え合い_untied", window
    tab.untied.setChecked(False)

    from shakyo_desk.store.services.households import get_household

    districts = list_districts(ctx.store)
    editor = HouseholdEditorDialog(ctx, get_household(ctx.store, first.id, log=False), districts, parent=window)
    editor.member_tabs.setCurrentWidget(editor.ties)
    yield "dialog:household_editor_ties", _shown(editor, size)
    tie = ties.list_ties(ctx.store, household_id=first.id)[0]
    members = ties.household_members(ctx.store, first.id)
    adding = TieDialog(ctx, first.id, first.head_name, members, supporters.list_supporters(ctx.store), parent=editor)
    yield "dialog:tie", _shown(adding, size)
    _close(adding)
    ending = EndTieDialog(ctx, tie, editor)
    yield "dialog:tie_end", _shown(ending, size)
    _close(ending)
    _close(editor)
    bulk = TieBulkDialog(ctx, districts, district_id=first.district_id, parent=window)
    yield "dialog:tie_bulk", _shown(bulk, size)
    _close(bulk)
    supporter = SupporterDialog(ctx, districts, info=supporters.list_supporters(ctx.store)[0], parent=window)
    yield "dialog:supporter", _shown(supporter, size)
    _close(supporter)
    targets = TargetsDialog(ctx, parent=window)
    yield "dialog:supporter_targets", _shown(targets, size)
    _close(targets)


def _meeting_dialogs(editor, ctx, size) -> Iterator[tuple[str, QWidget]]:
    """Issue 18: the editor's cases with who sits for each, and the 受付表 requests to take in."""
    from shakyo_desk.store.services.meeting_requests import pending_requests
    from shakyo_desk.ui.meeting_request_dialog import RequestPickDialog

    editor.show_tab("ケース")
    yield "dialog:conference_editor_cases", _shown(editor, size)
    editor.show_tab("会議の内容")
    waiting = pending_requests(ctx.store, "support")
    if not waiting:  # a village without a waiting request gets one (the store is a copy)
        from shakyo_desk.domain.errors import InvalidInput
        from shakyo_desk.store.services.case_views import list_cases
        from shakyo_desk.store.services.meeting_requests import request_meeting

        for case in [c for c in list_cases(ctx.store) if c.status != "終結"][:2]:
            try:
                request_meeting(ctx.store, case.id, "support", "見守りの役割分担と、冬の間の買い物の手段を相談したい")
            except InvalidInput:  # one already waiting
                pass
        waiting = pending_requests(ctx.store, "support")
    picker = RequestPickDialog(waiting, set(), "支援会議", editor)
    yield "dialog:meeting_requests_pick", _shown(picker, size)
    _close(picker)


def _community_issues(window, ctx, size) -> Iterator[tuple[str, QWidget]]:
    """Issue 19: the 地域 page's 地域活動 and 地域課題 tabs, the activity dialog (new and to edit),
    an issue's detail, and 地域課題につなぐ from a case. A village without an issue, an activity
    or a case's missing resource gets one (the store is a copy)."""
    if "community" not in [s.key for s in window.specs]:
        return
    from shakyo_desk.domain import clock
    from shakyo_desk.store.services import activities, case_plans, community_issues
    from shakyo_desk.store.services.case_views import list_cases
    from shakyo_desk.ui.case_detail import CaseDetailDialog

    if not community_issues.list_issues(ctx.store):
        community_issues.add_issue(ctx.store, "冬の移動手段がない", note="バスが1日2本しかなく、通院も買い物も家族頼み")
    if not activities.list_activities(ctx.store):
        issue = community_issues.list_issues(ctx.store)[0]
        activities.add_activity(ctx.store, "地域懇談会", clock.today(), "なるほど地域懇談会", participants=18,
                                organisations=["自治会", "民生委員協議会"], raised="冬はバスが減り通院に困る",
                                issue_ids=[issue.id])
    page = window.show_page("community")
    settle()
    for title, key in (("地域活動", "activities"), ("地域課題", "community_issues")):
        tab = page.show_tab(title)
        settle()
        yield f"page:community_{key}", window
        tab.table.selectRow(0)
        if key == "activities":
            for name, opener in (("activity_new", tab.add), ("activity_edit", tab.edit)):
                dialog = opener()
                if dialog is not None:
                    yield f"dialog:{name}", _shown(dialog, size)
                    _close(dialog)
        else:
            detail = tab.open_selected()
            if detail is not None:
                settle()
                yield "dialog:community_issue_detail", _shown(detail, size)
                _close(detail)
    open_cases = [c for c in list_cases(ctx.store) if c.status != "終結"]
    if open_cases:
        case_id = open_cases[0].id
        if not community_issues.case_resources(ctx.store, case_id):
            case_plans.add_missing_resource(ctx.store, case_id, "冬の送迎を頼める人がいない")
        detail = CaseDetailDialog(ctx, case_id, window)
        settle()
        link = detail.link_resource()
        if link is not None:
            yield "dialog:case_link_resource", _shown(link, size)
            _close(link)
        _close(detail)


def _case_dialogs(window, ctx, size) -> Iterator[tuple[str, QWidget]]:
    """支援ケース (issue 18): the case detail on each of its tabs and the entry dialogs. A village
    without a case gets one on its first household (the store is a copy)."""
    if "cases" not in [s.key for s in window.specs]:
        return
    from shakyo_desk.store.services import cases as case_service
    from shakyo_desk.ui.case_dialogs import ReopenDialog

    page = window.show_page("cases")
    settle()
    if not page.table.rowCount():
        case_service.open_case(ctx.store, list_households(ctx.store, "", None, 1)[0].id)
        page.load()
        settle()
    opening = page.new_case()
    if opening is not None:
        yield "dialog:case_open", _shown(opening, size)
        _close(opening)
    issues = page.show_issues()
    yield "dialog:community_issues", _shown(issues, size)
    _close(issues)
    page.table.selectRow(0)
    page.open_selected()
    detail = page.detail
    settle()
    for index in range(detail.tabs.count()):
        detail.tabs.setCurrentIndex(index)
        yield f"dialog:case_detail_{index}", _shown(detail, size)
    detail.tabs.setCurrentIndex(0)
    closed = detail.detail.summary.status == "終結"
    openers = [("case_reopen", lambda: ReopenDialog(ctx, detail.case_id, "世帯", detail))] if closed else [
        ("case_assessment", detail.add_assessment), ("case_goal", detail.add_goal),
        ("case_monitoring", detail.record_monitoring), ("case_close", detail.close_case),
        ("case_meeting_request", detail.requests.put_forward)]
    for name, opener in openers:
        dialog = opener()
        if dialog is not None:
            yield f"dialog:{name}", _shown(dialog, size)
            _close(dialog)
    _close(detail)


def _community_map(window, ctx, size) -> Iterator[tuple[str, QWidget]]:
    """The 地域 page on its 支え合いマップ tab, and the dialog asking paper and names for its PDF."""
    if "community" not in [s.key for s in window.specs]:
        return
    from shakyo_desk.store.services.support_map import names_allowed
    from shakyo_desk.ui.support_map_view import ExportDialog

    page = window.show_page("community")
    tab = page.show_tab("支え合いマップ")
    tab.refresh()
    settle()
    yield "page:community_support_map", window
    dialog = ExportDialog(names_allowed(ctx.store.actor.role), tab)
    yield "dialog:support_map_pdf", _shown(dialog, size)
    _close(dialog)


def start_screens(executor, ui_settings, store_dir: Path, new_folder: Path,
                  size: tuple[int, int]) -> Iterator[tuple[str, QWidget]]:
    """The unlock dialog (also with an error and the countdown) and every page of the
    first-run wizard, the recovery key page after a real creation in ``new_folder``."""
    from shakyo_desk.ui import setup_state as steps
    from shakyo_desk.ui.unlock import RecoveryDialog, UnlockDialog
    from shakyo_desk.ui.wizard import SetupWizard

    unlock = UnlockDialog(store_dir, executor, ui_settings, council_name="みどり村社会福祉協議会", login="demo")
    yield "dialog:unlock", _shown(unlock, size)
    unlock.start_countdown(8)
    unlock.errors.show_error("パスフレーズが違います。もう一度入力してください。")
    yield "dialog:unlock_throttled", _shown(unlock, size)
    _close(unlock)
    recovery = RecoveryDialog(store_dir, executor, login="demo")
    yield "dialog:recovery", _shown(recovery, size)
    _close(recovery)

    wizard = SetupWizard(executor, new_folder, kdf=FAST_KDF)
    try:
        yield "wizard:start", _shown(wizard, size)
        for step in (steps.JOIN_FILE, steps.JOIN_ACCOUNT):
            wizard.setStartId(wizard.page_id(step))
            wizard.restart()
            yield f"wizard:{step}", _shown(wizard, size)
        wizard.setStartId(wizard.page_id(steps.START))
        wizard.restart()
        start = wizard.start_page
        start.council_name.setText("みどり村社会福祉協議会")
        start.municipality.setText("みどり村")
        wizard.next()
        admin = wizard.admin_page
        yield "wizard:admin", _shown(wizard, size)
        admin.display_name.setText("降旗 裕子")
        admin.passphrase.setText("hidamari sakamichi 2025")
        admin.passphrase_again.setText("hidamari sakamichi 2025")
        wizard.next()
        yield "wizard:folder", _shown(wizard, size)
        wizard.next()
        settle()
        yield "wizard:recovery", _shown(wizard, size)
        wizard.recovery_page.confirm.setChecked(True)
        wizard.button(QWizard.WizardButton.FinishButton).click()
    finally:
        if wizard.store is not None and wizard.store.is_open:
            wizard.store.close()
        wizard.hide()
        wizard.deleteLater()
        settle(1)
