"""把握シート → 支援ケース (issue 18): a coordinator hands a sheet on (担当を決める) and puts it to
case work (ケース検討にかける), which opens a case from the sheet, or the case already opened; a
second opening from the same sheet is refused in the dialog with the service's sentence."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.services import accounts, agencies, case_views, cases, sheets
from shakyo_desk.ui.case_detail import CaseDetailDialog
from shakyo_desk.ui.case_dialogs import OpenCaseDialog
from shakyo_desk.ui.sheet_detail import AssignSheetDialog, SheetDetailDialog


def test_assign_then_open_a_case_from_the_sheet(qtbot, ctx, village, monkeypatch):
    staff = accounts.add_account(ctx.store, "sato", "佐藤 美咲", "staff", "correct horse 2",
                                 district_ids=[village["districts"]["north"]], kdf=FAST_KDF)
    centre = agencies.add_agency(ctx.store, "山里村地域包括支援センター", field="高齢")
    sheet = sheets.file_sheet(ctx.store, household_id=village["households"]["yamada"], concerns=["介護"],
                              urgency="早め", situation="物忘れが増えた", connected_agencies=[centre])
    detail = SheetDetailDialog(ctx, sheet)
    qtbot.addWidget(detail)
    assert "まだ決まっていません" in detail.assignee_text.text()
    assert detail.case_button.text() == "ケース検討にかける…"

    def choose(dialog):
        dialog.staff.setCurrentIndex(dialog.staff.findText("佐藤 美咲"))
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(AssignSheetDialog, "exec", choose)
    detail.assign()
    assert sheets.get_sheet(ctx.store, sheet).assignee_id == staff
    assert detail.assignee_text.text() == "担当：佐藤 美咲"

    opening = detail.to_case()
    assert isinstance(opening, OpenCaseDialog) and opening.sheet_ids == (sheet,)
    assert opening.assignee.currentText() == "佐藤 美咲"  # the sheet's 担当 becomes the case's
    assert opening.agency.currentData() == centre  # the agency already involved, as the 主担当機関 to confirm
    qtbot.mouseClick(opening.ok_button, Qt.MouseButton.LeftButton)
    assert opening.result() == QDialog.DialogCode.Accepted, opening.errors.text()
    case = case_views.case_of_sheet(ctx.store, sheet)
    assert case is not None and case.assignee == "佐藤 美咲"
    assert isinstance(detail.case_detail, CaseDetailDialog) and detail.case_detail.case_id == case.id
    detail.case_detail.done(0)
    assert sheets.get_sheet(ctx.store, sheet).status == "対応中"
    assert detail.case_button.text() == "支援ケースを開く…" and "受付" in detail.case_text.text()

    # the button now opens the existing case
    qtbot.mouseClick(detail.case_button, Qt.MouseButton.LeftButton)
    assert detail.case_detail.case_id == case.id
    detail.case_detail.done(0)

    # opened again from the same sheet (another window that had not reloaded): refused, nothing changed
    again = OpenCaseDialog(ctx, [], [], detail, household_id=village["households"]["yamada"], sheet_ids=(sheet,))
    qtbot.addWidget(again)
    qtbot.mouseClick(again.ok_button, Qt.MouseButton.LeftButton)
    assert again.result() != QDialog.DialogCode.Accepted
    assert "すでに支援ケース" in again.errors.text()
    assert len(cases_for(ctx, village)) == 1
    detail.done(0)


def cases_for(ctx, village):
    return case_views.list_cases(ctx.store, household_id=village["households"]["yamada"])


def test_a_sheet_without_a_household_asks_to_link_it_first(qtbot, ctx, village):
    sheet = sheets.file_sheet(ctx.store, household_hint="坂の上の家", concerns=["介護"], urgency="早め")
    detail = SheetDetailDialog(ctx, sheet)
    qtbot.addWidget(detail)
    assert detail.to_case() is None
    assert "世帯と結び付けてください" in detail.errors.text()
    assert case_views.list_cases(ctx.store) == []
    detail.done(0)


def test_staff_see_the_case_but_not_the_coordinators_buttons(qtbot, store, executor, ui_settings, store_dir, village):
    from shakyo_desk.store.services.council import get_settings
    from shakyo_desk.store.store import unlock
    from shakyo_desk.ui.context import AppContext

    accounts.add_account(store, "sato", "佐藤 美咲", "staff", "correct horse 2",
                         district_ids=[village["districts"]["kami"]], kdf=FAST_KDF)
    sheet = sheets.file_sheet(store, household_id=village["households"]["yamada"], concerns=["介護"], urgency="早め")
    cases.open_case(store, village["households"]["yamada"], sheet_ids=[sheet])
    staff = unlock(store_dir, "sato", "correct horse 2")
    ctx = AppContext(store=staff, executor=executor, ui_settings=ui_settings, council=get_settings(staff))
    detail = SheetDetailDialog(ctx, sheet)
    qtbot.addWidget(detail)
    detail.show()
    assert not detail.assign_button.isVisible()
    assert detail.case_button.isVisible() and detail.case_button.text() == "支援ケースを開く…"
    qtbot.mouseClick(detail.case_button, Qt.MouseButton.LeftButton)
    case = detail.case_detail
    assert isinstance(case, CaseDetailDialog) and case.detail.summary.household_name == "山田 花子"
    assert not case.close_case_button.isVisible() and not case.assign_button.isVisibleTo(case)
    assert case.assess_button.isVisibleTo(case)  # staff of the district add views, goals, monitoring
    case.done(0)
    detail.done(0)
    staff.close()
