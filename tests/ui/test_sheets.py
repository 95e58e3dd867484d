from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from shakyo_desk.domain.roles import Role
from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.services import accounts, agencies, households, referrals, sheets
from shakyo_desk.store.services.council import get_settings
from shakyo_desk.store.store import unlock
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.field_widgets import HouseholdPickDialog
from shakyo_desk.ui.main_window import MainWindow
from shakyo_desk.ui.pages.sheets import SheetsPage
from shakyo_desk.ui.sheet_detail import NewHouseholdFromSheetDialog, StatusDialog
from shakyo_desk.ui.sheet_form import SheetFormDialog
from tests.ui.helpers import type_text
from shakyo_desk.domain import clock


@pytest.fixture
def agency(store):
    return agencies.add_agency(store, "山里村地域包括支援センター", kana="やまざとむらちいきほうかつ", field="高齢")


def make_page(qtbot, ctx):
    page = SheetsPage(ctx)
    qtbot.addWidget(page)
    page.resize(1100, 700)
    page.show()
    page.refresh()
    return page


def nav_titles(window):
    return [window.nav.item(i).text() for i in range(window.nav.count())]


def reporter_ctx(store, executor, ui_settings, store_dir):
    accounts.add_account(store, "care1", "介護 花子", Role.REPORTER, "care passphrase 1", section="介護保険事業所",
                         kdf=FAST_KDF)
    reporter = unlock(store_dir, "care1", "care passphrase 1")
    return AppContext(store=reporter, executor=executor, ui_settings=ui_settings, council=get_settings(reporter))


def test_reporter_files_with_a_hint_and_sees_only_own(qtbot, store, executor, ui_settings, store_dir, village):
    others = sheets.file_sheet(store, household_id=village["households"]["yamada"], concerns=["介護"], urgency="早め")
    ctx = reporter_ctx(store, executor, ui_settings, store_dir)
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    assert nav_titles(window) == ["把握シート"]  # no empty 世帯 page
    page = window.current_page()
    assert isinstance(page, SheetsPage) and not page.inbox_box.isVisibleTo(page)
    assert page.table.rowCount() == 0 and "まだシートを提出していません" in page.empty.text()

    qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    form = page.form
    assert isinstance(form, SheetFormDialog)
    assert not form.household_widget.isVisibleTo(form)  # a reporter cannot search households
    type_text(qtbot, form.hint, "上町の坂の上の家、80代の女性")
    form.save()
    assert "気になること" in form.errors.text()
    form.concern_boxes["孤立"].setChecked(True)
    form.save()
    assert "緊急度" in form.errors.text()
    qtbot.mouseClick(form.urgency.buttons["早め"], Qt.MouseButton.LeftButton)
    type_text(qtbot, form.situation, "最近、新聞がたまっている")
    with qtbot.waitSignal(form.filed) as blocker:
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    mine = blocker.args[0]

    assert page.table.rowCount() == 1
    assert page.table.item(0, 2).text() == "上町の坂の上の家、80代の女性"
    assert [s.id for s in sheets.list_sheets(ctx.store)] == [mine] and others != mine
    assert page.table.item(0, 4).text() == "提出済み"  # in the drop box, sealed (issue 16)

    from shakyo_desk.store.services.drops import open_drop_box

    assert open_drop_box(store).filed == [mine]  # the admin's session files it
    sheets.change_status(store, mine, "確認中")
    page.refresh()
    qtbot.waitUntil(lambda: page.table.rowCount() == 1 and page.table.item(0, 4).text() == "確認中")
    sheet = sheets.get_sheet(ctx.store, mine)
    assert sheet.household_id is None and sheet.section == "介護保険事業所" and sheet.status == "確認中"

    detail = page.open_sheet(mine)
    qtbot.addWidget(detail)
    assert not detail.status_buttons  # reporters follow, they do not change the status
    detail.done(0)
    window.idle.stop()
    ctx.store.close()


def test_coordinator_inbox_order(qtbot, ctx, village):
    today = clock.today()
    hint = {"household_hint": "どこか"}
    watch_old = sheets.file_sheet(ctx.store, noticed_on=today - timedelta(days=30), concerns=["孤立"], urgency="見守り", **hint)
    soon_old = sheets.file_sheet(ctx.store, noticed_on=today - timedelta(days=20), concerns=["介護"], urgency="早め", **hint)
    urgent_new = sheets.file_sheet(ctx.store, noticed_on=today - timedelta(days=1), concerns=["虐待の疑い"], urgency="緊急", **hint)
    urgent_old = sheets.file_sheet(ctx.store, noticed_on=today - timedelta(days=5), concerns=["認知症"], urgency="緊急", **hint)
    soon_new = sheets.file_sheet(ctx.store, noticed_on=today, concerns=["介護"], urgency="早め", **hint)
    closed = sheets.file_sheet(ctx.store, noticed_on=today, concerns=["介護"], urgency="緊急", **hint)
    sheets.change_status(ctx.store, closed, "終結")
    page = make_page(qtbot, ctx)
    ids = [page.inbox_table.item(r, 0).data(Qt.ItemDataRole.UserRole) for r in range(page.inbox_table.rowCount())]
    assert ids == [urgent_old, urgent_new, soon_old, soon_new, watch_old]
    # urgency is written out, not only coloured; age in days
    assert page.inbox_table.item(0, 0).text() == "●緊急" and page.inbox_table.item(0, 2).text() == "5日"
    assert page.inbox_table.item(4, 0).text() == "○見守り"
    assert page.table.rowCount() == 6
    page.status_filter.setCurrentIndex(page.status_filter.findData("終結"))
    assert page.table.rowCount() == 1


def test_status_workflow_recorded_in_history(qtbot, ctx, village, agency, monkeypatch):
    sid = sheets.file_sheet(ctx.store, household_id=village["households"]["yamada"], concerns=["介護"], urgency="早め",
                            noticed_on=clock.today() - timedelta(days=3))
    page = make_page(qtbot, ctx)
    detail = page.open_sheet(sid)
    qtbot.addWidget(detail)
    assert set(detail.status_buttons) == {"確認中", "対応中", "つないだ", "見守り", "終結"}

    answers = []

    def fake_exec(dialog):
        note, agency_id = answers.pop(0)
        dialog.note.setText(note)
        if agency_id:
            dialog.agency.setCurrentIndex(dialog.agency.findData(agency_id))
        dialog._accept()
        return dialog.result()

    monkeypatch.setattr(StatusDialog, "exec", fake_exec)
    answers.append(("電話で様子を確認", None))
    qtbot.mouseClick(detail.status_buttons["確認中"], Qt.MouseButton.LeftButton)
    assert detail.status_label.text() == "状況：確認中"
    assert "受付" not in detail.status_buttons
    answers.append(("", None))  # つないだ without an agency is refused in the dialog
    qtbot.mouseClick(detail.status_buttons["つないだ"], Qt.MouseButton.LeftButton)
    assert detail.sheet.status == "確認中"
    answers.append(("包括に相談", agency))
    qtbot.mouseClick(detail.status_buttons["つないだ"], Qt.MouseButton.LeftButton)
    assert detail.sheet.status == "つないだ"
    answers.append(("介護サービスにつながった", None))
    qtbot.mouseClick(detail.status_buttons["終結"], Qt.MouseButton.LeftButton)
    assert list(detail.status_buttons) == ["確認中"]
    assert detail.status_buttons["確認中"].text().startswith("開き直す")
    answers.append(("再び心配の声", None))
    qtbot.mouseClick(detail.status_buttons["確認中"], Qt.MouseButton.LeftButton)

    history = sheets.get_sheet(ctx.store, sid).history
    assert [h.status for h in history] == ["受付", "確認中", "つないだ", "終結", "確認中"]
    assert history[2].agency == "山里村地域包括支援センター" and history[2].note == "包括に相談"
    assert all(h.by == "管理 太郎" for h in history[1:])
    assert detail.history.rowCount() == 5
    assert detail.history.item(2, 3).text() == "山里村地域包括支援センター"
    assert "令和" in detail.history.item(0, 0).text()
    assert page.inbox_table.rowCount() == 1  # back to 確認中, so in the inbox again


def test_link_or_create_household_from_sheet(qtbot, ctx, village, monkeypatch):
    sid = sheets.file_sheet(ctx.store, household_hint="南の集会所の近く、佐々木さん", person_of_concern="佐々木 ミネ",
                            concerns=["孤立"], urgency="見守り")
    page = make_page(qtbot, ctx)
    detail = page.open_sheet(sid)
    qtbot.addWidget(detail)
    assert detail.create_button.isVisibleTo(detail) and detail.link_button.isVisibleTo(detail)

    def fill(dialog):
        assert dialog.name.text() == "佐々木 ミネ"
        dialog.district.setCurrentIndex(dialog.district.findData(village["districts"]["south"]))
        type_text(qtbot, dialog.kana, "ササキ ミネ")
        dialog._accept()
        return dialog.result()

    monkeypatch.setattr(NewHouseholdFromSheetDialog, "exec", fill)
    qtbot.mouseClick(detail.create_button, Qt.MouseButton.LeftButton)
    sheet = sheets.get_sheet(ctx.store, sid)
    assert sheet.household_name == "佐々木 ミネ"
    assert not detail.create_button.isVisibleTo(detail)
    assert "佐々木 ミネ さんの世帯と結び付いています" in detail.household_text.text()

    other = sheets.file_sheet(ctx.store, household_hint="鈴木さん宅", concerns=["介護"], urgency="早め")
    detail2 = page.open_sheet(other)
    qtbot.addWidget(detail2)

    def pick(dialog):
        type_text(qtbot, dialog.picker.search, "すずき")
        dialog.picker.run_search()
        dialog._accept()
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(HouseholdPickDialog, "exec", pick)
    qtbot.mouseClick(detail2.link_button, Qt.MouseButton.LeftButton)
    assert sheets.get_sheet(ctx.store, other).household_id == village["households"]["suzuki"]


def test_staff_form_picks_household(qtbot, ctx, village, monkeypatch):
    page = make_page(qtbot, ctx)
    form = page.new_sheet()  # deleted on close; the page owns it
    assert form.household_widget.isVisibleTo(form)

    def pick(dialog):
        type_text(qtbot, dialog.picker.search, "たなか")
        dialog.picker.run_search()
        dialog._accept()
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(HouseholdPickDialog, "exec", pick)
    qtbot.mouseClick(form.pick_button, Qt.MouseButton.LeftButton)
    assert form.household_label.text() == "田中 正 さんの世帯"
    form.concern_boxes["8050"].setChecked(True)
    form.urgency.set_value("緊急")
    with qtbot.waitSignal(form.filed) as blocker:
        form.save()
    sheet = sheets.get_sheet(ctx.store, blocker.args[0])
    assert sheet.household_id == village["households"]["tanaka"] and sheet.urgency == "緊急"
    assert page.inbox_table.rowCount() == 1


def test_navigator_opens_prefilled_form(qtbot, ctx, village):
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    form = ctx.navigator.open_sheet_form({"household_id": village["households"]["yamada"], "concerns": ["介護", "孤立"], "urgency": "早め",
                   "situation": "訪問時、足元がふらついていた", "setting": "訪問", "noticed_on": clock.today()})
    assert form.household_label.text() == "山田 花子 さんの世帯"
    assert {n for n, b in form.concern_boxes.items() if b.isChecked()} == {"介護", "孤立"}
    assert form.urgency.value() == "早め" and form.setting.currentData() == "訪問"
    with qtbot.waitSignal(form.filed):
        form.save()
    assert "提出しました" in window.statusBar().currentMessage()
    window.idle.stop()


def test_referral_from_sheet_and_outcome(qtbot, ctx, village, agency):
    sid = sheets.file_sheet(ctx.store, household_id=village["households"]["yamada"], concerns=["介護"], urgency="早め")
    page = make_page(qtbot, ctx)
    detail = page.open_sheet(sid)
    qtbot.addWidget(detail)
    qtbot.mouseClick(detail.add_referral_button, Qt.MouseButton.LeftButton)
    dialog = detail.sub_dialog
    dialog.save()
    assert "関係機関を選んで" in dialog.errors.text()
    dialog.agency.setCurrentIndex(dialog.agency.findData(agency))
    type_text(qtbot, dialog.reason, "介護保険の申請")
    with qtbot.waitSignal(dialog.saved):
        dialog.save()
    assert detail.referral_table.rowCount() == 1
    [r] = referrals.list_referrals(ctx.store)
    assert (r.sheet_id, r.household_id, r.outcome) == (sid, village["households"]["yamada"], "確認中")
    assert r.follow_up_on == clock.today() + timedelta(days=14)

    qtbot.mouseClick(detail.outcome_button, Qt.MouseButton.LeftButton)
    outcome = detail.sub_dialog
    outcome.outcome.setCurrentText("つながった")
    type_text(qtbot, outcome.note, "申請済み")
    with qtbot.waitSignal(outcome.saved):
        outcome.save()
    [r] = referrals.list_referrals(ctx.store)
    assert (r.outcome, r.outcome_note) == ("つながった", "申請済み")
    assert "つながった" in detail.referral_table.item(0, 4).text()
    assert households.get_household(ctx.store, r.household_id).head_name == "山田 花子"


def _page_texts(page) -> str:
    from PySide6.QtWidgets import QLabel

    return "\n".join(label.text() for label in page.findChildren(QLabel) if label.isVisibleTo(page))


def test_a_reporter_sees_on_the_page_what_was_sent_and_to_whom(qtbot, store, executor, ui_settings, store_dir,
                                                               village):
    """Issue 17: the confirmation was only in the status bar, gone after 8 seconds."""
    ctx = reporter_ctx(store, executor, ui_settings, store_dir)
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    page = window.current_page()
    assert "事務局の担当者" not in _page_texts(page)
    qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    form = page.form
    type_text(qtbot, form.hint, "上町の坂の上の家、80代の女性")
    form.concern_boxes["孤立"].setChecked(True)
    qtbot.mouseClick(form.urgency.buttons["早め"], Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(form.filed) as blocker:
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    mine = blocker.args[0]

    notice = page.filed_notice
    assert notice.isVisibleTo(page)
    text = notice.text()
    assert "把握シートを提出しました" in text
    assert "上町の坂の上の家、80代の女性" in text and "孤立" in text and "早め" in text  # what was sent
    assert "事務局の担当者" in text  # to whom
    assert "「提出したシート」" in text and "状況" in text  # where its status will appear
    assert page.table.currentRow() == 0 and page.table.item(0, 0).data(Qt.ItemDataRole.UserRole) == mine
    qtbot.mouseClick(page.filed_notice_close, Qt.MouseButton.LeftButton)
    assert not notice.isVisibleTo(page)
    window.idle.stop()
    ctx.store.close()


def test_the_navigation_counts_new_sheets_for_coordinators(qtbot, store, executor, ui_settings, store_dir, village,
                                                           monkeypatch):
    """Issue 17: coordinators had no count of new 把握シート (状況「受付」) in the navigation, as
    要確認 has; it follows filing, a status change, the drop box; staff get none."""
    from shakyo_desk.store.services.drops import open_drop_box

    hint = {"household_hint": "上町の坂の上", "concerns": ["孤立"], "urgency": "見守り"}
    first = sheets.file_sheet(store, **hint)
    sheets.file_sheet(store, **hint)
    sheets.change_status(store, sheets.file_sheet(store, **hint), "確認中")  # not new any more
    accounts.add_account(store, "coord1", "調整 一子", Role.COORDINATOR, "coord passphrase 1", kdf=FAST_KDF)
    accounts.add_account(store, "staff1", "職員 次郎", Role.STAFF, "staff passphrase 1",
                         district_ids=[village["districts"]["kami"]], kdf=FAST_KDF)
    reporter = reporter_ctx(store, executor, ui_settings, store_dir)  # files into the drop box
    coordinator = unlock(store_dir, "coord1", "coord passphrase 1")
    ctx = AppContext(store=coordinator, executor=executor, ui_settings=ui_settings, council=get_settings(coordinator))
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    assert "把握シート（2）" in nav_titles(window)

    page = window.show_page("sheets")
    qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)  # a sheet filed on this screen
    form = page.form
    type_text(qtbot, form.hint, "下町の角の家")
    form.concern_boxes["孤立"].setChecked(True)
    qtbot.mouseClick(form.urgency.buttons["早め"], Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(form.filed):
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert "把握シート（3）" in nav_titles(window)

    answers = []

    def fake_exec(dialog):
        dialog.note.setText(answers.pop(0))
        dialog._accept()
        return dialog.result()

    monkeypatch.setattr(StatusDialog, "exec", fake_exec)
    detail = page.open_sheet(first)
    qtbot.addWidget(detail)
    answers.append("電話で様子を確認")
    qtbot.mouseClick(detail.status_buttons["確認中"], Qt.MouseButton.LeftButton)  # taken up: no longer new
    assert "把握シート（2）" in nav_titles(window)
    detail.done(0)

    sheets.file_sheet(reporter.store, **hint)  # a reporter's sheet waits in the drop box
    page.drop_box.refresh()
    assert page.drop_box.waiting == 1
    qtbot.mouseClick(page.drop_box.receive_button, Qt.MouseButton.LeftButton)
    assert "把握シート（3）" in nav_titles(window)
    assert open_drop_box(coordinator).filed == []
    window.idle.stop()
    coordinator.close()

    staff = unlock(store_dir, "staff1", "staff passphrase 1")
    staff_ctx = AppContext(store=staff, executor=executor, ui_settings=ui_settings, council=get_settings(staff))
    staff_window = MainWindow(staff_ctx)
    qtbot.addWidget(staff_window)
    staff_window.show()
    assert "把握シート" in nav_titles(staff_window)
    assert not any(t.startswith("把握シート（") for t in nav_titles(staff_window))
    staff_window.idle.stop()
    staff.close()
    reporter.store.close()
