from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from shakyo_desk.domain.roles import Role
from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.services import accounts, households
from shakyo_desk.store.services.council import get_settings
from shakyo_desk.store.store import unlock
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.household_editor import HouseholdEditorDialog
from shakyo_desk.ui.member_dialog import MemberDialog
from shakyo_desk.ui.pages.households import HouseholdListPage
from shakyo_desk.ui.worker import LatestOnly
from tests.ui.helpers import type_text


def make_page(qtbot, ctx):
    page = HouseholdListPage(ctx)
    qtbot.addWidget(page)
    page.resize(1100, 600)
    page.show()
    page.refresh()
    return page


def names(page):
    return [page.model.row_at(i).head_name for i in range(page.model.rowCount())]


def test_list_and_search_as_you_type(qtbot, ctx, village):
    page = make_page(qtbot, ctx)
    assert sorted(names(page)) == ["山田 花子", "田中 正", "鈴木 一郎"]
    assert page.count_label.text() == "3世帯"
    # district combo in tree order, children indented
    items = [page.district.itemText(i) for i in range(page.district.count())]
    assert items == ["すべての地区", "北地区", "\u3000上町", "南地区"]

    type_text(qtbot, page.search, "やまだ")  # hiragana finds the katakana reading ヤマダ
    qtbot.waitUntil(lambda: names(page) == ["山田 花子"], timeout=1000)
    assert page.count_label.text() == "1世帯"

    type_text(qtbot, page.search, "ぞ")
    qtbot.waitUntil(lambda: page.model.rowCount() == 0, timeout=1000)
    assert page.stack.currentWidget() is page.empty
    assert "条件に合う世帯はありません" in page.empty.text()


def test_search_is_debounced(qtbot, ctx, village):
    page = make_page(qtbot, ctx)
    before = ctx.executor.calls
    type_text(qtbot, page.search, "suzuki")
    assert ctx.executor.calls == before  # nothing yet: waiting for the pause in typing
    qtbot.waitUntil(lambda: ctx.executor.calls == before + 1, timeout=1000)


def test_stale_results_are_dropped():
    latest = LatestOnly()
    seen = []
    old = latest.wrap(latest.next(), seen.append)
    new = latest.wrap(latest.next(), seen.append)
    new("new")
    old("old")
    assert seen == ["new"]


def test_empty_register_explains(qtbot, ctx):
    page = make_page(qtbot, ctx)
    assert page.stack.currentWidget() is page.empty
    assert "「新しい世帯」" in page.empty.text()
    assert page.count_label.text() == "0世帯"


def test_keyboard_down_then_enter_opens_editor(qtbot, ctx, village):
    page = make_page(qtbot, ctx)
    type_text(qtbot, page.search, "すずき")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=1000)
    qtbot.keyClick(page.search, Qt.Key.Key_Down)
    assert page.table.hasFocus() or page.table.currentIndex().row() == 0
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    assert isinstance(page.editor, HouseholdEditorDialog)
    qtbot.addWidget(page.editor)
    assert page.editor.detail.head_name == "鈴木 一郎"
    page.editor.done(QDialog.DialogCode.Rejected)


def open_editor(qtbot, page, household_id):
    page.open_household(household_id)
    editor = page.editor
    qtbot.addWidget(editor)
    return editor


def test_edit_household_save_and_reopen(qtbot, ctx, village, monkeypatch):
    page = make_page(qtbot, ctx)
    hid = village["households"]["yamada"]
    editor = open_editor(qtbot, page, hid)
    assert editor.address.text() == "山里村北1-2"
    editor.address.clear()
    type_text(qtbot, editor.address, "山里村北3-4")
    editor.phone.clear()
    type_text(qtbot, editor.phone, "0267-99-0000")
    editor.watch_level.setCurrentText("高")
    editor.watch_interval.setValue(14)
    editor.flags.set_checked(["一人暮らし高齢者", "身寄りなし"])
    type_text(qtbot, editor.commissioner, "佐藤 民子")

    # add a member through the member dialog
    def fill_member(dialog):
        type_text(qtbot, dialog.name, "山田 健")
        type_text(qtbot, dialog.kana, "ヤマダ ケン")
        dialog.relation.setCurrentText("子")
        dialog.unknown.setChecked(True)
        dialog.band.setCurrentText("50代")
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(MemberDialog, "exec", lambda self: fill_member(self))
    qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
    assert editor.table.rowCount() == 2
    assert editor.table.item(1, 4).text() == "不明（50代）"
    assert editor.is_dirty()

    with qtbot.waitSignal(editor.saved):
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert editor.result() == QDialog.DialogCode.Accepted

    detail = households.get_household(ctx.store, hid)
    assert detail.address == "山里村北3-4"
    assert detail.phone == "0267-99-0000"
    assert detail.watch_level == "高" and detail.watch_interval_days == 14
    assert set(detail.flags) == {"一人暮らし高齢者", "身寄りなし"}
    assert detail.welfare_commissioner == "佐藤 民子"
    assert [m.name for m in detail.members] == ["山田 花子", "山田 健"]
    assert detail.members[1].age_band == "50代"

    again = open_editor(qtbot, page, hid)
    assert again.address.text() == "山里村北3-4"
    assert again.table.rowCount() == 2
    assert not again.is_dirty()
    again.done(QDialog.DialogCode.Rejected)


def test_invalid_input_keeps_dialog_open(qtbot, ctx, village):
    page = make_page(qtbot, ctx)
    editor = open_editor(qtbot, page, village["households"]["suzuki"])
    editor.show()
    type_text(qtbot, editor.phone, "でんわ")
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert editor.isVisible()
    assert "電話番号" in editor.errors.text()
    editor.done(QDialog.DialogCode.Rejected)


def test_remove_member_and_discard_ask_first(qtbot, ctx, village, answers):
    replies, asked = answers
    hid = village["households"]["tanaka"]
    households.add_person(ctx.store, hid, "田中 幸子", relation="配偶者")
    page = make_page(qtbot, ctx)
    editor = open_editor(qtbot, page, hid)
    editor.show()
    editor.table.selectRow(1)
    replies.append(False)
    qtbot.mouseClick(editor.remove_button, Qt.MouseButton.LeftButton)
    assert editor.table.rowCount() == 2 and "田中 幸子" in asked[-1]
    replies.append(True)
    qtbot.mouseClick(editor.remove_button, Qt.MouseButton.LeftButton)
    assert editor.table.rowCount() == 1

    replies.append(False)  # keep editing
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert editor.isVisible() and "保存していない変更" in asked[-1]
    replies.append(True)  # discard
    editor.reject()
    assert not editor.isVisible()
    assert len(households.get_household(ctx.store, hid).members) == 2


def test_new_household(qtbot, ctx, village):
    page = make_page(qtbot, ctx)
    qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    dialog = page.new_dialog
    qtbot.addWidget(dialog)
    type_text(qtbot, dialog.name, "高橋 みどり")
    dialog._submit()
    assert "地区を選んでください" in dialog.errors.text()
    dialog.district.setCurrentIndex(dialog.district.findData(village["districts"]["south"]))
    dialog._submit()
    qtbot.addWidget(page.editor)
    assert page.editor.detail.head_name == "高橋 みどり"
    assert "高橋 みどり" in names(page)


def staff_ctx(store, executor, ui_settings, store_dir, district_ids):
    accounts.add_account(store, "sato", "佐藤 職員", Role.STAFF, "staff passphrase 1", district_ids=district_ids,
                         kdf=FAST_KDF)
    staff_store = unlock(store_dir, "sato", "staff passphrase 1")
    return AppContext(store=staff_store, executor=executor, ui_settings=ui_settings,
                      council=get_settings(staff_store))


def test_staff_without_rights_sees_the_message(qtbot, store, executor, ui_settings, store_dir, village):
    d = village["districts"]
    ctx = staff_ctx(store, executor, ui_settings, store_dir, [d["south"]])
    page = make_page(qtbot, ctx)
    assert names(page) == ["鈴木 一郎"]  # only the staff member's district
    editor = open_editor(qtbot, page, village["households"]["suzuki"])
    editor.show()
    editor.district.setCurrentIndex(editor.district.findData(d["north"]))
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert editor.isVisible()
    assert editor.errors.text() == "担当地区の外の世帯のため、この操作はできません。"
    assert households.get_household(store, village["households"]["suzuki"]).district_id == d["south"]
    ctx.store.close()


def test_staff_without_districts_cannot_add(qtbot, store, executor, ui_settings, store_dir, village):
    ctx = staff_ctx(store, executor, ui_settings, store_dir, [])
    page = make_page(qtbot, ctx)
    assert page.model.rowCount() == 0
    qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    dialog = page.new_dialog
    qtbot.addWidget(dialog)
    type_text(qtbot, dialog.name, "高橋 みどり")
    dialog.district.setCurrentIndex(1)
    dialog._submit()
    assert dialog.errors.text() == "この操作を行う権限がありません。必要な場合は管理者に相談してください。"
    ctx.store.close()
