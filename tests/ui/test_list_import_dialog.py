"""名簿を取り込む: the dialog clicked through on a real store (SyncExecutor), from the 世帯 page."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import openpyxl
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from shakyo_desk.domain.roles import Role
from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.services import accounts, households
from shakyo_desk.store.services.council import get_settings
from shakyo_desk.store.store import unlock
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.list_import_dialog import ListImportDialog
from shakyo_desk.ui.pages.households import HouseholdListPage
from tests.ui.helpers import click


def elderly_list(path: Path) -> str:
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.title = "上町"
    for row in [
        ["令和7年度 一人暮らし高齢者名簿"],
        ["氏名", "フリガナ", "連絡先", None, "生年月日", "地区", "住所", "備考"],
        [None, None, "電話", "携帯", None, None, None, None],
        ["木村 キヨ", "きむら きよ", "０２６７－１１－３３３３", None, "S13.5.6", "上町", "山里村北3", "足が悪い"],
        [],
        ["林 カツ", "ハヤシ カツ", None, "090-1111-2222", datetime(1930, 1, 2), "南地区", "山里村南9", None],
        ["森 トシ", "モリ トシ", "0267-11-4444", None, "令和7年2月30日", "上町", "山里村北8", None],
        ["山田 花子", "ヤマダ ハナコ", "0267-11-2222", None, None, "上町", "山里村北1-2", None],
        ["木村 キヨ", "キムラ キヨ", None, None, "昭和13年5月6日", "上町", "山里村北3", None],
        ["池田 ウメ", "イケダ ウメ", "電話", None, "H31.5.1", "西町", "山里村西1", None],
    ]:
        ws.append(row)
    for cells in ("A2:A3", "B2:B3", "C2:D2", "E2:E3", "F2:F3", "G2:G3", "H2:H3"):
        ws.merge_cells(cells)
    workbook.create_sheet("メモ").append(["この名簿は架空です"])
    target = path / "一人暮らし高齢者名簿.xlsx"
    workbook.save(target)
    return str(target)


def screenshot(widget: QWidget, name: str) -> None:
    widget.repaint()
    image = widget.grab()
    assert not image.isNull() and image.width() > 400
    folder = os.environ.get("SHAKYO_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        image.save(str(Path(folder) / f"{name}.png"))


def make_page(qtbot, ctx):
    page = HouseholdListPage(ctx)
    qtbot.addWidget(page)
    page.resize(1100, 600)
    page.show()
    page.refresh()
    return page


def open_dialog(qtbot, page, path) -> ListImportDialog:
    assert page.import_button.isVisible()
    click(qtbot, page.import_button)
    dialog = page.import_dialog  # a child of the page: deleted with it (and on close)
    with qtbot.waitActive(dialog):
        dialog.activateWindow()
    dialog.ask_file = lambda: path
    return dialog


def test_import_walked_through_from_the_household_page(qtbot, ctx, village, tmp_path):
    page = make_page(qtbot, ctx)
    assert page.model.rowCount() == 3
    before = len(households.list_households(ctx.store))
    dialog = open_dialog(qtbot, page, elderly_list(tmp_path))
    assert dialog.isVisible() and dialog.windowTitle() == "名簿を取り込む"
    assert not dialog.check_button.isEnabled()
    screenshot(dialog, "import_01_empty")

    click(qtbot, dialog.choose_button)
    assert dialog.path.text().endswith("一人暮らし高齢者名簿.xlsx")
    assert dialog.header_info.text() == "見出し：2〜3行目　行数：7行"
    assert [dialog.sheet.itemText(i) for i in range(dialog.sheet.count())] == ["上町", "メモ"]
    assert dialog.sheet.isEnabled()
    labels = {i: combo.currentText() for i, combo in dialog.combos.items()}
    assert labels == {0: "氏名＊", 1: "フリガナ", 2: "電話番号", 3: "携帯電話", 4: "生年月日", 5: "地区", 6: "住所",
                      7: "備考"}
    assert dialog.combos[2].accessibleName() == "「連絡先・電話」の列（C列）を取り込む項目"
    assert dialog.check_button.isEnabled() and QApplication.focusWidget() is dialog.check_button
    # Every control is reached with Tab, in reading order.
    dialog.choose_button.setFocus()
    order = []
    for _ in range(16):
        order.append(QApplication.focusWidget())
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    combos = list(dialog.combos.values())
    assert order[:5] == [dialog.choose_button, dialog.sheet, dialog.kind, dialog.district, dialog.flag]
    assert order[5:13] == combos and order[13:15] == [dialog.check_button, dialog.close_setup_button]
    # 備考 is left out, by keyboard: the combo's first entry is 「取り込まない」.
    memo = dialog.combos[7]
    memo.setFocus()
    qtbot.keyClick(memo, Qt.Key.Key_Home)
    assert memo.currentData() is None
    screenshot(dialog, "import_02_columns")

    qtbot.keyClick(dialog.check_button, Qt.Key.Key_Space)  # 確認する, from the keyboard
    assert dialog.stack.currentIndex() == 1
    assert dialog.counts.text() == "取り込める 2行／問題あり 4行（空の行 1行は飛ばします）"
    assert dialog.plan.text() == "取り込むと、2世帯（世帯員 2人）を登録します。"
    table = dialog.preview_table
    rows = {table.item(r, 0).text(): (table.item(r, 1).text(), table.item(r, 2).text(), table.item(r, 3).text())
            for r in range(table.rowCount())}
    assert rows["4行目"][1] == "取り込めます" and rows["6行目"][1] == "取り込めます"
    assert rows["5行目"][1] == "空の行（飛ばします）"
    assert rows["7行目"] == ("森 トシ", "× 問題あり", "生年月日：令和7年2月30日という日はありません（2025年2月は28日までです）。")
    assert "すでに登録されています" in rows["8行目"][2]
    assert "4行目と同じ方です" in rows["9行目"][2]
    assert "電話番号ではありません" in rows["10行目"][2] and "西町" in rows["10行目"][2]
    assert table.item(6, 2).background().color().name() == "#fde7e9"  # problem rows are highlighted
    assert not dialog.apply_button.isEnabled()
    assert households.list_households(ctx.store).__len__() == before  # checking wrote nothing
    screenshot(dialog, "import_03_preview")

    click(qtbot, dialog.only_problems)
    assert table.isRowHidden(0) and not table.isRowHidden(3)
    click(qtbot, dialog.only_problems)
    dialog.skip_invalid.setFocus()
    qtbot.keyClick(dialog.skip_invalid, Qt.Key.Key_Space)
    assert dialog.skip_invalid.isChecked() and dialog.apply_button.isEnabled()

    imported = []
    dialog.imported.connect(imported.append)
    click(qtbot, dialog.apply_button)
    assert len(imported) == 1 and imported[0].households == 2
    assert dialog.done_label.isVisible()
    assert dialog.done_label.text() == "2世帯（世帯員 2人）を取り込みました。問題のあった 4行は取り込んでいません。"
    assert not dialog.apply_button.isEnabled() and not dialog.back_button.isEnabled()
    screenshot(dialog, "import_04_done")
    names = {h.head_name: h for h in households.list_households(ctx.store)}
    assert len(names) == before + 2 and {"木村 キヨ", "林 カツ"} <= set(names)
    assert names["林 カツ"].district == "南地区" and names["林 カツ"].phone == "090-1111-2222"
    kimura = households.get_household(ctx.store, names["木村 キヨ"].id, log=False)
    assert kimura.notes == "" and kimura.phone == "0267-11-3333"  # 備考 was left out
    assert page.model.rowCount() == 5  # the list refreshed

    click(qtbot, dialog.close_button)
    assert not dialog.isVisible()


def test_back_change_the_mapping_and_check_again(qtbot, ctx, village, tmp_path, answers):
    replies, asked = answers
    page = make_page(qtbot, ctx)
    dialog = open_dialog(qtbot, page, elderly_list(tmp_path))
    click(qtbot, dialog.choose_button)
    dialog.combos[0].setCurrentIndex(0)  # 氏名 → 取り込まない
    click(qtbot, dialog.check_button)
    assert "「氏名」にあたる列がありません" in dialog.file_problems.text()
    assert not dialog.skip_invalid.isEnabled() and not dialog.apply_button.isEnabled()
    click(qtbot, dialog.back_button)
    assert dialog.stack.currentIndex() == 0
    dialog.combos[0].setCurrentIndex(dialog.combos[0].findData("name"))
    # 地区 column left out, a district chosen for every row instead
    dialog.combos[5].setCurrentIndex(0)
    dialog.district.setCurrentIndex(dialog.district.findData(village["districts"]["south"]))
    dialog.flag.setCurrentIndex(dialog.flag.findData("一人暮らし高齢者"))
    click(qtbot, dialog.check_button)
    assert dialog.counts.text().startswith("取り込める 2行／問題あり 4行")
    click(qtbot, dialog.skip_invalid)
    replies.append(False)  # 「いいえ」 to the last question: nothing happens
    click(qtbot, dialog.apply_button)
    assert "2世帯（世帯員 2人）を登録します。問題のある 4行は取り込みません。よろしいですか？" in asked[-1]
    assert dialog.result is None and len(households.list_households(ctx.store)) == 3
    click(qtbot, dialog.apply_button)
    rows = {h.head_name: h for h in households.list_households(ctx.store)}
    assert rows["木村 キヨ"].district == "南地区" and rows["木村 キヨ"].flags == ("一人暮らし高齢者",)


def test_another_sheet_a_bad_file_and_other_kinds(qtbot, ctx, village, tmp_path):
    page = make_page(qtbot, ctx)
    dialog = open_dialog(qtbot, page, elderly_list(tmp_path))
    click(qtbot, dialog.choose_button)
    dialog.sheet.setCurrentIndex(1)
    dialog.sheet.activated.emit(1)
    assert dialog.table_data.sheet == "メモ"
    bad = tmp_path / "古い名簿.xls"
    bad.write_bytes(b"\xd0\xcf\x11\xe0")
    dialog.ask_file = lambda: str(bad)
    click(qtbot, dialog.choose_button)
    assert "古い形式" in dialog.errors.text() and not dialog.check_button.isEnabled()
    assert dialog.combos == {}

    csv_file = tmp_path / "機関.csv"
    csv_file.write_bytes("機関名,分野,電話\r\n山里村地域包括支援センター,高齢,0267-00-1111\r\n".encode("cp932"))
    dialog.ask_file = lambda: str(csv_file)
    click(qtbot, dialog.choose_button)
    assert "文字コード：Shift_JIS" in dialog.header_info.text() and not dialog.sheet.isEnabled()
    dialog.kind.setCurrentIndex(dialog.kind.findData("agencies"))
    assert not dialog.district.isVisible() and not dialog.flag.isVisible()
    assert dialog.combos[0].currentData() == "name" and dialog.combos[1].currentData() == "field"
    click(qtbot, dialog.check_button)
    assert dialog.counts.text() == "取り込める 1行／問題あり 0行" and dialog.apply_button.isEnabled()
    click(qtbot, dialog.apply_button)
    assert "関係機関 1件を取り込みました。" == dialog.done_label.text()


def test_staff_do_not_see_the_button(qtbot, store, village, executor, ui_settings):
    accounts.add_account(store, "tanto", "担当", Role.STAFF, "tanto passphrase",
                         district_ids=[village["districts"]["north"]], kdf=FAST_KDF)
    staff = unlock(store.layout.root, "tanto", "tanto passphrase")
    try:
        ctx = AppContext(store=staff, executor=executor, ui_settings=ui_settings, council=get_settings(staff),
                         kdf=FAST_KDF)
        page = HouseholdListPage(ctx)
        qtbot.addWidget(page)
        page.show()
        assert not page.import_button.isVisible()
    finally:
        staff.close()


def test_checking_can_be_cancelled_and_changes_nothing(qtbot, ctx, village, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QPushButton

    import shakyo_desk.ui.list_import_dialog as module

    page = make_page(qtbot, ctx)
    dialog = open_dialog(qtbot, page, elderly_list(tmp_path))
    click(qtbot, dialog.choose_button)
    real = module.preview_import

    def slow(store, table, kind, mapping, options, progress=None):
        progress(250, 1000, "行を確かめています（250／500行）")
        assert dialog.busy.labelText() == "行を確かめています（250／500行）" and dialog.busy.value() == 250
        screenshot(dialog.busy, "import_05_checking")
        click(qtbot, dialog.busy.findChild(QPushButton))  # 中止
        return real(store, table, kind, mapping, options, progress=progress)

    monkeypatch.setattr(module, "preview_import", slow)
    click(qtbot, dialog.check_button)
    assert dialog.errors.text() == "確認を中止しました。何も変わっていません。"
    assert dialog.stack.currentIndex() == 0 and dialog.check_button.isEnabled() and dialog.busy is None
