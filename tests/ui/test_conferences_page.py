"""会議 page and editor on the demo village: a conference made through the editor, its
handout refused by the consent gate or saved/printed/previewed, the decisions kept."""

from datetime import timedelta

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDialogButtonBox

from shakyo_desk.reports.handouts import check_handout
from shakyo_desk.store.services import conferences, handout_register
from shakyo_desk.store.services.households import list_households
from shakyo_desk.ui.pages.conferences import ConferencesPage
from shakyo_desk.ui.pdf_preview import qtpdf_available
from tests.store.conference_drafts import edit_conference
from tests.ui.demo_village import demo_ctx, demo_store  # noqa: F401 - fixtures
from tests.ui.helpers import click, type_text
from shakyo_desk.domain import clock

needs_qtpdf = pytest.mark.skipif(not qtpdf_available(), reason="QtPdf (PySide6_Pdf) is not installed")


def make_page(qtbot, ctx):
    page = ConferencesPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    return page


def open_editor(qtbot, page, conference_id, tab=None):
    page.open_conference(conference_id, tab=tab)
    editor = page.editor
    assert editor is not None and editor.detail.id == conference_id
    qtbot.addWidget(editor)
    return editor


def pdf_text(path) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(str(path)).pages)


def find_conference(store, wanted):
    for row in conferences.list_conferences(store):
        check = check_handout(store, row.id)
        if wanted(row, check):
            return row
    raise AssertionError("the demo village has no such conference")


def ready_support_conference(store):
    return find_conference(store, lambda r, c: r.meeting_type == "support" and c.ok and r.unacknowledged_count)


def ready_editor(qtbot, ctx, tab=None):
    """The editor of a 支援会議 whose handout may be made: (store, list row, editor, the stored
    conference, how many copies were made before)."""
    store = ctx.store
    row = ready_support_conference(store)
    detail = conferences.get_conference(store, row.id, log=False)
    made_before = handout_register.counts(store, row.id).made
    return store, row, open_editor(qtbot, make_page(qtbot, ctx), row.id, tab=tab), detail, made_before


def test_list_and_filters(qtbot, demo_ctx):
    page = make_page(qtbot, demo_ctx)
    assert page.table.rowCount() == len(page.rows) > 0
    assert page.table.item(0, 0).text().startswith("令和")
    page.meeting_type.setCurrentIndex(page.meeting_type.findData("multi-agency"))
    assert page.rows and all(r.meeting_type == "multi-agency" for r in page.rows)
    assert {page.table.item(r, 1).text() for r in range(page.table.rowCount())} == {"重層的支援会議"}
    page.period.setCurrentIndex(page.period.findData("custom"))
    assert page.custom.isVisible()
    page.date_from.set_date(clock.today() + timedelta(days=400))
    click(qtbot, page.apply_button)
    assert page.stack.currentWidget() is page.empty and "新しい会議を登録" in page.empty.text()
    page.date_to.edit.setText("R7.2.30")
    click(qtbot, page.apply_button)
    assert page.errors.text() == "期間のおわり：令和7年2月30日という日はありません（2025年2月は28日までです）。"


def test_create_conference_through_the_editor(qtbot, demo_ctx):
    store = demo_ctx.store
    page = make_page(qtbot, demo_ctx)
    click(qtbot, page.new_button)
    editor = page.editor
    qtbot.addWidget(editor)
    assert editor.detail is None and editor.windowTitle() == "新しい会議"

    click(qtbot, editor.meeting_type.buttons["support"])
    assert editor.legal_basis.isVisible()
    editor.legal_basis.setCurrentIndex(editor.legal_basis.findData("self-reliance-support-act-9"))
    type_text(qtbot, editor.title, "臨時支援会議")
    editor.held_on.set_date(clock.today() + timedelta(days=7))
    type_text(qtbot, editor.start_time, "1400")
    type_text(qtbot, editor.end_time, "15:30")
    type_text(qtbot, editor.place, "福祉センター")

    editor.show_tab("構成員")
    type_text(qtbot, editor.new_member_name, "相談 一子")
    type_text(qtbot, editor.new_member_org, "みどり村地域包括支援センター")
    qtbot.keyClick(editor.new_member_org, Qt.Key.Key_Return)
    type_text(qtbot, editor.new_member_name, "保健 二郎")
    click(qtbot, editor.add_member_button)
    assert [m["name"] for m in editor.members] == ["相談 一子", "保健 二郎"]
    editor.member_table.selectRow(0)
    click(qtbot, editor.ack_button)
    assert editor.members[0]["acknowledged_on"] == clock.today()

    household = list_households(store, "", None, 5)[0]

    def pick() -> None:
        dialog = editor.picker
        type_text(qtbot, dialog.picker.search, household.head_name)
        dialog.picker.run_search()
        assert dialog.picker.current().id == household.id
        dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()

    editor.show_tab("ケース")
    QTimer.singleShot(0, pick)
    click(qtbot, editor.add_case_button)
    assert [c["household_id"] for c in editor.cases] == [household.id]
    type_text(qtbot, editor.question, "金銭管理の支援をどこが担うか")
    type_text(qtbot, editor.support_policy, "家計相談につなぐ")
    editor.lead_agency.setCurrentText("まいさぽみどり")
    click(qtbot, editor.roles.add_button)
    editor.roles.table.item(0, 0).setText("民生委員")
    editor.roles.table.item(0, 1).setText("見守り")
    editor.next_review.set_date(clock.today() + timedelta(days=60))
    editor.show_tab("資料に載せる項目")
    editor.disclosure_boxes["address"].setChecked(True)

    click(qtbot, editor.save_button)
    assert not editor.errors.isVisible(), editor.errors.text()
    assert editor.detail is not None and editor.status.text() == "保存しました。"
    stored = conferences.get_conference(store, editor.detail.id, log=False)
    assert (stored.meeting_type, stored.legal_basis, stored.title) == ("support", "self-reliance-support-act-9",
                                                                      "臨時支援会議")
    assert (stored.start_time, stored.end_time, stored.place) == ("14:00", "15:30", "福祉センター")
    assert [(m.name, m.organisation, m.confidentiality_acknowledged_on) for m in stored.members] == [
        ("相談 一子", "みどり村地域包括支援センター", clock.today()), ("保健 二郎", "", None)]
    case = stored.cases[0]
    assert (case.household_id, case.question, case.support_policy, case.lead_agency) == (
        household.id, "金銭管理の支援をどこが担うか", "家計相談につなぐ", "まいさぽみどり")
    assert [(r.agency, r.role) for r in case.roles] == [("民生委員", "見守り")]
    assert case.next_review_on == clock.today() + timedelta(days=60)
    assert stored.disclosures == ("address",)
    assert not editor.is_dirty() and editor.add_case_button.isEnabled()  # cases may be added later (issue 18)
    assert any(r.id == stored.id for r in page.rows)  # the list was refreshed

    # a second save of a change: the minutes only
    editor.show_tab("議事録")
    type_text(qtbot, editor.minutes, "次回までに家計表を確認")
    click(qtbot, editor.save_button)
    assert conferences.get_conference(store, stored.id, log=False).minutes == "次回までに家計表を確認"


def test_refused_save_changes_nothing_and_keeps_input(qtbot, demo_ctx):
    store, row, editor, detail, made_before = ready_editor(qtbot, demo_ctx)
    before = conferences.get_conference(store, row.id, log=False)
    editor.title.setText("変えた名前")
    editor.start_time.setText("15:00")
    editor.end_time.setText("14:00")
    click(qtbot, editor.save_button)
    assert editor.errors.isVisible() and "終了時刻が開始時刻より前" in editor.errors.text()
    assert editor.title.text() == "変えた名前" and editor.is_dirty()
    editor.end_time.setText("16:00")
    editor.show_tab("ケース")
    editor.next_review.set_date(before.held_on - timedelta(days=1))
    click(qtbot, editor.save_button)
    assert "見直し日が会議の日より前" in editor.errors.text()
    assert conferences.get_conference(store, row.id, log=False).version == before.version


def test_consent_gate_names_the_person_and_writes_no_file(qtbot, demo_ctx, tmp_path):
    store = demo_ctx.store
    row = find_conference(store, lambda r, c: bool(c.missing_consent))
    missing = check_handout(store, row.id).missing_consent
    made_before = handout_register.counts(store, row.id).made
    page = make_page(qtbot, demo_ctx)
    editor = open_editor(qtbot, page, row.id, tab="会議資料")
    panel = editor.handout
    asked = []
    out = tmp_path / "out"
    out.mkdir()
    panel.ask_file = lambda suggested: asked.append(suggested) or str(out / "資料.pdf")
    assert missing[0].person_name in panel.state.text()  # the tab ran the check when shown
    click(qtbot, panel.save_button)
    dialog = panel.refusal
    assert dialog is not None and dialog.isVisible()
    names = [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())]
    assert names == [m.person_name for m in missing]
    assert dialog.table.item(0, 1).text() == missing[0].household_code
    assert not asked and not list(out.iterdir())
    assert handout_register.counts(store, row.id).made == made_before

    # 「選んだ方の同意を記録する」 opens the household on its consent tab with the dialog ready
    click(qtbot, dialog.open_button)
    household_editor = panel.household_editor
    qtbot.addWidget(household_editor)
    assert household_editor.member_tabs.currentWidget() is household_editor.consents
    consent_dialog = household_editor.consents.dialog
    assert consent_dialog.person.currentData() == missing[0].person_id
    consent_dialog.scope.set_checked(["multi-agency"])
    # before the meeting, and not in the future when the meeting is still to come
    consent_dialog.given_on.set_date(min(row.held_on - timedelta(days=3), clock.today()))
    click(qtbot, consent_dialog.save_button)
    assert not consent_dialog.errors.isVisible(), consent_dialog.errors.text()
    if len(missing) == 1:
        assert "作れます" in panel.state.text()  # checked again after the consent was recorded


def test_export_one_file_and_the_register(qtbot, demo_ctx, tmp_path, answers):
    replies, asked = answers
    store, row, editor, detail, made_before = ready_editor(qtbot, demo_ctx, "会議資料")
    panel = editor.handout
    out = tmp_path / "会議資料.pdf"
    panel.ask_file = lambda suggested: str(out)
    click(qtbot, panel.save_button)
    assert any("守秘義務の確認がまだ記録されていません" in a for a in asked)  # warned and asked first
    assert not panel.errors.isVisible(), panel.errors.text()
    assert out.exists() and panel.busy is None
    text = pdf_text(out)
    assert "取扱注意" in text and "会議終了後回収" in text
    assert all(m.name in text for m in detail.members)
    assert f"{len(detail.members)}部を保存しました" in panel.result.text()
    assert handout_register.counts(store, row.id).made == made_before + len(detail.members)
    assert "作成" in panel.register_label.text()


def test_export_refused_when_members_not_confirmed_and_user_says_no(qtbot, demo_ctx, tmp_path, answers):
    replies, _asked = answers
    replies.append(False)
    store, row, editor, detail, made_before = ready_editor(qtbot, demo_ctx, "会議資料")
    editor.handout.ask_file = lambda suggested: pytest.fail("no file should be asked for")
    click(qtbot, editor.handout.save_button)
    assert handout_register.counts(store, row.id).made == made_before


def test_export_one_file_per_member(qtbot, demo_ctx, tmp_path):
    store, row, editor, detail, made_before = ready_editor(qtbot, demo_ctx, "会議資料")
    panel = editor.handout
    folder = tmp_path / "copies"
    folder.mkdir()
    panel.separate.setChecked(True)
    panel.ask_folder = lambda suggested: str(folder)
    click(qtbot, panel.save_button)
    files = sorted(folder.glob("*.pdf"))
    assert len(files) == len(detail.members) == len(panel.last_paths)
    assert detail.members[0].name in pdf_text(panel.last_paths[0])


def test_unsaved_changes_are_saved_before_the_handout(qtbot, demo_ctx, tmp_path):
    store, row, editor, detail, made_before = ready_editor(qtbot, demo_ctx)
    editor.place.setText("新しい会場")
    editor.show_tab("会議資料")
    out = tmp_path / "x.pdf"
    editor.handout.ask_file = lambda suggested: str(out)
    click(qtbot, editor.handout.save_button)
    assert conferences.get_conference(store, row.id, log=False).place == "新しい会場"
    assert out.exists()


@needs_qtpdf
def test_preview_inside_the_app(qtbot, demo_ctx):
    store, row, editor, detail, made_before = ready_editor(qtbot, demo_ctx, "会議資料")
    click(qtbot, editor.handout.preview_button)
    preview = editor.handout.preview
    assert preview is not None and preview.isVisible()
    qtbot.addWidget(preview)
    assert preview.pdf.page_count >= 2 and "全" in preview.pages_label.text()
    click(qtbot, preview.bigger)
    assert preview.view.zoomFactor() > 0
    assert handout_register.counts(store, row.id).made == made_before  # a sample is not registered


@needs_qtpdf
def test_print_on_an_injected_printer(qtbot, demo_ctx, tmp_path):
    from PySide6.QtPrintSupport import QPrinter

    store, row, editor, detail, made_before = ready_editor(qtbot, demo_ctx, "会議資料")
    printed = tmp_path / "printed.pdf"

    def printer():
        p = QPrinter(QPrinter.PrinterMode.ScreenResolution)
        p.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        p.setOutputFileName(str(printed))
        return p

    editor.handout.choose_printer = printer
    click(qtbot, editor.handout.print_button)
    assert not editor.handout.errors.isVisible(), editor.handout.errors.text()
    assert printed.exists() and len(PdfReader(str(printed)).pages) >= len(detail.members)
    assert handout_register.counts(store, row.id).made == made_before + len(detail.members)
    assert "印刷に回しました" in editor.handout.result.text()


def test_print_cancelled_makes_no_copies(qtbot, demo_ctx):
    store, row, editor, detail, made_before = ready_editor(qtbot, demo_ctx, "会議資料")
    editor.handout.choose_printer = lambda: None
    if not qtpdf_available():
        pytest.skip("QtPdf is not installed")
    click(qtbot, editor.handout.print_button)
    assert handout_register.counts(store, row.id).made == made_before


def test_enter_in_a_field_does_not_save(qtbot, demo_ctx):
    store, row, editor, detail, made_before = ready_editor(qtbot, demo_ctx)
    before = conferences.get_conference(store, row.id, log=False).version
    editor.place.setText("別の会場")
    qtbot.keyClick(editor.place, Qt.Key.Key_Return)
    assert editor.isVisible() and editor.is_dirty()
    assert conferences.get_conference(store, row.id, log=False).version == before


def test_a_refusal_by_the_service_saves_nothing_and_keeps_what_was_typed(qtbot, demo_ctx):
    store, row, editor, detail, made_before = ready_editor(qtbot, demo_ctx)
    before = conferences.get_conference(store, row.id, log=False)
    editor.place.setText("第二会議室")
    editor.minutes.setPlainText("議事録を書き足した")
    editor.show_tab("構成員")
    long_name = "長" * 150  # the form lets it through; the service refuses names over 100 characters
    type_text(qtbot, editor.new_member_name, long_name)
    click(qtbot, editor.add_member_button)
    click(qtbot, editor.save_button)
    assert editor.errors.isVisible() and "構成員の氏名" in editor.errors.text()
    stored = conferences.get_conference(store, row.id, log=False)
    assert stored == before  # nothing stayed: not the place, not the minutes
    assert editor.place.text() == "第二会議室" and editor.members[-1]["name"] == long_name and editor.is_dirty()
    editor.members[-1]["name"] = "短い 名前"
    click(qtbot, editor.save_button)  # no complaint that someone else saved meanwhile
    assert not editor.errors.isVisible(), editor.errors.text()
    stored = conferences.get_conference(store, row.id, log=False)
    assert stored.place == "第二会議室" and stored.minutes == "議事録を書き足した"
    assert "短い 名前" in [m.name for m in stored.members]


def test_a_conference_changed_elsewhere_is_not_overwritten(qtbot, demo_ctx):
    store, row, editor, detail, made_before = ready_editor(qtbot, demo_ctx)
    waiting = next(m for m in detail.members if not m.acknowledged)
    edit_conference(store, row.id, member_changes={  # another window
        waiting.id: {"acknowledged_on": min(detail.held_on, clock.today())}})
    changed = conferences.get_conference(store, row.id, log=False)
    editor.place.setText("古い画面からの会場")
    click(qtbot, editor.save_button)
    assert editor.errors.isVisible() and "別の画面または別の人が保存" in editor.errors.text()
    assert "何も保存していません" in editor.errors.text()
    assert conferences.get_conference(store, row.id, log=False) == changed
    assert editor.place.text() == "古い画面からの会場" and editor.save_button.isEnabled()
