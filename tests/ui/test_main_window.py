from PySide6.QtCore import Qt

from shakyo_desk.domain.roles import Role
from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.services import accounts
from shakyo_desk.store.services.council import get_settings
from shakyo_desk.store.store import unlock
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.main_window import DEMO_BANNER, MainWindow
from shakyo_desk.ui.pages.households import HouseholdListPage
from shakyo_desk.ui.unlock import UnlockDialog
from tests.ui.conftest import PASSPHRASE
from tests.ui.helpers import type_text


def make_window(qtbot, ctx):
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    return window


def nav_titles(window):
    return [window.nav.item(i).text() for i in range(window.nav.count())]


def test_admin_window(qtbot, ctx, village):
    window = make_window(qtbot, ctx)
    assert nav_titles(window) == ["世帯", "見守り予定", "訪問記録", "把握シート", "支援ケース", "サロン", "地域", "つなぎ", "統計", "会議",
                                  "配布資料", "要確認", "同期", "関係機関", "地区", "アカウント", "設定", "保存期間の整理", "操作の記録"]
    assert isinstance(window.current_page(), HouseholdListPage)
    assert "山里村社会福祉協議会" in window.windowTitle()
    assert "管理 太郎" in window.user_label.text() and Role.ADMIN.label in window.user_label.text()
    assert not window.banner.isVisible()
    assert window.current_page().model.rowCount() == 3


def test_demo_banner(qtbot, ctx):
    ctx.demo = True
    window = make_window(qtbot, ctx)
    assert window.banner.isVisible() and window.banner.text() == DEMO_BANNER
    assert "Ctrl+L" in window.banner.toolTip()  # the demo's other roles (training mode)
    assert window.windowTitle().endswith("【デモ】")


def test_staff_sees_no_admin_pages(qtbot, store, executor, ui_settings, store_dir):
    accounts.add_account(store, "sato", "佐藤 職員", Role.STAFF, "staff passphrase 1", kdf=FAST_KDF)
    staff = unlock(store_dir, "sato", "staff passphrase 1")
    window = make_window(qtbot, AppContext(staff, executor, ui_settings, get_settings(staff)))
    assert nav_titles(window) == ["世帯", "見守り予定", "訪問記録", "把握シート", "支援ケース", "サロン", "地域", "つなぎ", "統計", "要確認", "同期"]
    staff.close()


def test_idle_lock_and_unlock(qtbot, ctx, village):
    ctx.idle_ms_override = 150
    window = make_window(qtbot, ctx)
    old_store = ctx.store
    qtbot.waitUntil(lambda: window.locked, timeout=3000)
    assert not old_store.is_open  # the key is dropped
    assert window.outer.currentWidget() is window.locked_view
    dialog = window.unlock_dialog
    assert isinstance(dialog, UnlockDialog)
    assert dialog.login.text() == "admin"
    type_text(qtbot, dialog.passphrase, PASSPHRASE)
    qtbot.mouseClick(dialog.unlock_button, Qt.MouseButton.LeftButton)
    assert not window.locked
    assert ctx.store is not old_store and ctx.store.is_open
    assert window.outer.currentWidget() is window.splitter
    assert window.current_page().model.rowCount() == 3
    window.idle.stop()
    ctx.store.close()


def test_lock_hides_open_dialogs_and_restores_them(qtbot, ctx, village):
    window = make_window(qtbot, ctx)
    page = window.current_page()
    page.open_household(village["households"]["yamada"])
    editor = page.editor
    assert editor.isVisible()
    type_text(qtbot, editor.address, "追記")
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    window.lock()
    assert window.locked and not editor.isVisible()
    dialog = window.unlock_dialog
    type_text(qtbot, dialog.passphrase, PASSPHRASE)
    dialog.try_unlock()
    assert editor.isVisible() and editor.address.text().endswith("追記")
    editor.done(0)
    window.idle.stop()
    ctx.store.close()


def test_other_account_unlocking_reopens_fresh(qtbot, ctx, store_dir):
    accounts.add_account(ctx.store, "coord", "調整 花子", Role.COORDINATOR, "coord passphrase", kdf=FAST_KDF)
    window = make_window(qtbot, ctx)
    window.lock()
    dialog = window.unlock_dialog
    dialog.login.clear()
    type_text(qtbot, dialog.login, "coord")
    type_text(qtbot, dialog.passphrase, "coord passphrase")
    with qtbot.waitSignal(window.account_switched) as switched:
        dialog.try_unlock()
    assert switched.args[0].actor.login == "coord"
    assert window.locked  # the old window stays blank; the owner replaces it
    switched.args[0].close()
    window.idle.stop()


def test_accounts_page_adds_account_that_unlocks(qtbot, ctx, village, store_dir):
    window = make_window(qtbot, ctx)
    page = window.show_page("accounts")
    assert [page.table.item(r, 0).text() for r in range(page.table.rowCount())] == ["admin"]
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    qtbot.addWidget(dialog)
    type_text(qtbot, dialog.login, "suzuki")
    type_text(qtbot, dialog.display_name, "鈴木 職員")
    dialog.role.setCurrentIndex(dialog.role.findData("staff"))
    type_text(qtbot, dialog.section.lineEdit(), "地域福祉係")
    dialog.districts.set_checked([village["districts"]["south"]])
    type_text(qtbot, dialog.passphrase, "suzuki passphrase")
    type_text(qtbot, dialog.again, "suzuki passphrase")
    dialog._submit()
    assert not dialog.isVisible()
    assert "suzuki" in page.notice.text()
    rows = {page.table.item(r, 0).text(): page.table.item(r, 2).text() for r in range(page.table.rowCount())}
    assert rows == {"admin": Role.ADMIN.label, "suzuki": Role.STAFF.label}

    opened = unlock(store_dir, "suzuki", "suzuki passphrase")
    assert opened.actor.role == Role.STAFF and opened.actor.district_ids == {village["districts"]["south"]}
    opened.close()

    # disable (confirmation answered yes by the fixture)
    page.table.selectRow(1)
    qtbot.mouseClick(page.disable_button, Qt.MouseButton.LeftButton)
    assert page.table.item(1, 4).text() == "無効"


def test_accounts_page_shows_service_errors(qtbot, ctx):
    window = make_window(qtbot, ctx)
    page = window.show_page("accounts")
    page.add()
    dialog = page.dialog
    qtbot.addWidget(dialog)
    type_text(qtbot, dialog.login, "x")
    type_text(qtbot, dialog.display_name, "短い")
    type_text(qtbot, dialog.passphrase, "long enough 1")
    type_text(qtbot, dialog.again, "long enough 1")
    dialog._submit()
    assert dialog.isVisible() and "ログイン名は半角英数字" in dialog.errors.text()
    page.table.selectRow(0)
    page.disable()
    assert page.errors.text() == "自分自身のアカウントは無効にできません。"


def test_settings_page_updates_header(qtbot, ctx):
    window = make_window(qtbot, ctx)
    page = window.show_page("settings")
    assert page.name.text() == "山里村社会福祉協議会"
    page.name.clear()
    type_text(qtbot, page.name, "川辺町社会福祉協議会")
    page.idle_minutes.setValue(5)
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert get_settings(ctx.store).name == "川辺町社会福祉協議会"
    assert "川辺町" in window.windowTitle() and window.council_label.text() == "川辺町社会福祉協議会"
    assert ctx.idle_ms() == 5 * 60_000
    page.idle_minutes.setValue(0)  # clamps to 1
    page.name.clear()
    page.save()
    assert page.errors.text() == "社協の名前を入力してください。"


def test_change_own_passphrase(qtbot, ctx, store_dir):
    window = make_window(qtbot, ctx)
    window.change_passphrase()
    dialog = window.passphrase_dialog
    qtbot.addWidget(dialog)
    type_text(qtbot, dialog.old, "not the old one")
    type_text(qtbot, dialog.new, "brand new phrase 7")
    type_text(qtbot, dialog.again, "brand new phrase 7")
    dialog.submit()
    assert "現在のパスフレーズが違います" in dialog.errors.text()
    dialog.old.clear()
    type_text(qtbot, dialog.old, PASSPHRASE)
    dialog.submit()
    assert not dialog.isVisible()
    unlock(store_dir, "admin", "brand new phrase 7").close()


def test_districts_page_adds_child_district(qtbot, ctx, village):
    window = make_window(qtbot, ctx)
    page = window.show_page("districts")
    assert page.tree.topLevelItemCount() == 2
    type_text(qtbot, page.name, "下町")
    type_text(qtbot, page.kana, "しもまち")
    page.parent_combo.setCurrentIndex(page.parent_combo.findData(village["districts"]["north"]))
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    north = page.tree.topLevelItem(0)
    assert sorted(north.child(i).text(0) for i in range(north.childCount())) == ["上町", "下町"]
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    assert page.errors.text() == "地区名を入力してください。"


def test_ctrl_l_locks(qtbot, ctx):
    window = make_window(qtbot, ctx)
    with qtbot.waitActive(window):
        window.activateWindow()
    qtbot.keyClick(window.nav, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.locked, timeout=2000)
    assert not ctx.store.is_open
    window.idle.stop()


def test_closing_with_unsaved_edits_asks(qtbot, ctx, village, answers):
    replies, asked = answers
    window = make_window(qtbot, ctx)
    page = window.current_page()
    page.open_household(village["households"]["yamada"])
    type_text(qtbot, page.editor.address, "追記")
    replies.append(False)
    window.close()
    assert window.isVisible() and "保存していない変更" in asked[-1]
    page.editor.done(0)
    window.close()
    assert not window.isVisible()


def test_ctrl_n_opens_quick_contact_entry(qtbot, ctx, village):
    from shakyo_desk.ui.contact_entry import ContactEntryDialog

    window = make_window(qtbot, ctx)
    window.contact_action.trigger()
    entry = window.contact_entry
    assert isinstance(entry, ContactEntryDialog) and entry.isVisible()
    assert window.contact_action.shortcut().toString() == "Ctrl+N"
    entry.done(0)
