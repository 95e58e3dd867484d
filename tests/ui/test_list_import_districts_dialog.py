"""名簿を取り込む with a council's real list (issue 17): a LibreOffice-written workbook with a ○
column per flag and districts the register lacks (tests/fixtures/lists/libreoffice-flags.xlsx).
The ○ columns are mapped to flags; the preview lists the new districts with one confirmation,
「この地区を登録して取り込む」; the import registers them and sets the flags."""

from __future__ import annotations

from pathlib import Path

from shakyo_desk.store.services import districts, households
from tests.ui.helpers import click
from tests.ui.test_list_import_dialog import make_page, open_dialog, screenshot

FIXTURE = str(Path(__file__).parents[1] / "fixtures" / "lists" / "libreoffice-flags.xlsx")


def test_new_districts_are_registered_with_one_confirmation(qtbot, ctx, village, answers):
    replies, asked = answers
    page = make_page(qtbot, ctx)
    dialog = open_dialog(qtbot, page, FIXTURE)
    click(qtbot, dialog.choose_button)
    chosen = {dialog.table_data.columns[i].header: combo.currentText() for i, combo in dialog.combos.items()}
    assert chosen["一人暮らし"] == "一人暮らし高齢者（○の列）" and chosen["要介護"] == "要介護（○の列）"
    assert chosen["障がい"] == "障がい（○の列）" and chosen["避難行動要支援者"] == "避難行動要支援者（○の列）"
    before = {d.path for d in districts.list_districts(ctx.store)}

    click(qtbot, dialog.check_button)
    assert dialog.stack.currentIndex() == 1
    assert dialog.districts_box.isVisible() and not dialog.add_districts.isChecked()
    assert dialog.districts_label.text().startswith(
        "名簿にあって、まだ登録されていない地区（4）：清水集落（2行）、奥沢（2行）、峠（1行）、北地区 › 沢口（1行）")
    assert dialog.add_districts.text().replace("(&D)", "") == "この地区を登録して取り込む"
    assert dialog.counts.text() == "取り込める 1行／問題あり 6行（空の行 1行は飛ばします）"
    screenshot(dialog, "import_05_new_districts")

    click(qtbot, dialog.add_districts)  # one confirmation: checked again with the districts added
    assert dialog.add_districts.isChecked() and dialog.preview.add_districts
    assert dialog.districts_label.text().startswith("取り込むときに登録する地区（4）：清水集落（2行）")
    assert dialog.counts.text() == "取り込める 6行／問題あり 1行（空の行 1行は飛ばします）"
    table = dialog.preview_table
    rows = {table.item(r, 0).text(): table.item(r, 3).text() for r in range(table.rowCount())}
    assert "「済」は「一人暮らし高齢者」の列の印として読めません" in rows["8行目"]
    assert {d.path for d in districts.list_districts(ctx.store)} == before  # checking wrote nothing
    screenshot(dialog, "import_06_districts_ticked")

    click(qtbot, dialog.skip_invalid)
    click(qtbot, dialog.apply_button)
    assert "使われている新しい地区も登録します" in asked[-1]
    assert dialog.result is not None and dialog.result.households == 5
    assert not dialog.add_districts.isEnabled()
    assert {d.path for d in districts.list_districts(ctx.store)} == before | {
        "清水集落", "奥沢", "北地区 › 沢口"}  # 峠's only row was left out
    found = {h.head_name: h for h in households.list_households(ctx.store)}
    assert set(found["谷 トメ"].flags) == {"一人暮らし高齢者", "障がい", "避難行動要支援者"}
    tani = households.get_household(ctx.store, found["谷 トメ"].id, log=False)
    assert list(tani.members[0].flags) == ["要支援", "障がい"]


def test_untick_checks_again_without_them(qtbot, ctx, village):
    page = make_page(qtbot, ctx)
    dialog = open_dialog(qtbot, page, FIXTURE)
    click(qtbot, dialog.choose_button)
    click(qtbot, dialog.check_button)
    click(qtbot, dialog.add_districts)
    click(qtbot, dialog.add_districts)
    assert not dialog.preview.add_districts and dialog.counts.text().startswith("取り込める 1行")
    # another file: the question is asked again
    click(qtbot, dialog.add_districts)
    click(qtbot, dialog.back_button)
    click(qtbot, dialog.choose_button)
    assert not dialog.add_districts.isChecked() and not dialog.options().add_districts
