"""The 復旧シート offered where a recovery key is made (issue 17): the first-run wizard and
復旧キーを作り直す both offer 「印刷する」 and 「PDFとして保存する」; the PDF is written owner-only;
without a printer the print button says so and offers the PDF; 「ファイルに印刷」 in the print
dialog writes the same owner-only sheet."""

from __future__ import annotations

import os
import re
import stat

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QWizard

from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.ui.key_actions import RecoveryKeyDialog
from shakyo_desk.ui.wizard import SetupWizard
from tests.ui.helpers import click
from tests.ui.test_wizard import fill_and_create


def sheet_text(path) -> str:
    return re.sub(r"\s+", "", "".join(page.extract_text() or "" for page in PdfReader(str(path)).pages))


def owner_only(path) -> bool:
    return os.name == "nt" or stat.S_IMODE(os.stat(path).st_mode) == 0o600


KEY = "0A1B0-C0D2E-FGH0J-KMNPQ-RSTV0-WXYZ3"


@pytest.fixture
def dialog(qtbot):
    dialog = RecoveryKeyDialog(KEY, "山里村社会福祉協議会")
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_save_as_pdf_from_the_new_key_dialog(qtbot, dialog, tmp_path):
    asked = []
    target = tmp_path / "保管用"  # no suffix typed: .pdf is added
    dialog.sheet_buttons.ask_file = lambda suggested: asked.append(suggested) or str(target)
    assert dialog.save_button.isVisible() and dialog.save_button.text() == "PDFとして保存する…"
    with qtbot.waitSignal(dialog.sheet_buttons.done):
        click(qtbot, dialog.save_button)
    written = tmp_path / "保管用.pdf"
    assert written.is_file() and owner_only(written)
    assert asked and asked[0].endswith(".pdf") and "復旧シート_山里村社会福祉協議会_" in asked[0]
    text = sheet_text(written)
    assert "".join(KEY.split("-")) in text and "取扱注意" in text and "山里村社会福祉協議会" in text
    assert dialog.sheet_buttons.status.isVisible() and "保存しました" in dialog.sheet_buttons.status.text()
    assert "削除" in dialog.sheet_buttons.status.text()


def test_no_printer_explains_and_offers_the_pdf(qtbot, dialog, tmp_path):
    buttons = dialog.sheet_buttons
    buttons.has_printer = lambda: False
    reasons = []
    buttons.offer_pdf = lambda reason: reasons.append(reason) or True
    buttons.choose_printer = lambda: pytest.fail("no print dialog without a printer")
    buttons.ask_file = lambda suggested: str(tmp_path / "sheet.pdf")
    click(qtbot, dialog.print_button)
    assert reasons and "プリンターがありません" in reasons[0] and "PDF" in reasons[0]
    assert (tmp_path / "sheet.pdf").is_file() and owner_only(tmp_path / "sheet.pdf")

    # 「閉じる」 instead: nothing is written
    (tmp_path / "sheet.pdf").unlink()
    buttons.offer_pdf = lambda reason: False
    click(qtbot, dialog.print_button)
    assert not (tmp_path / "sheet.pdf").exists()


def test_print_to_file_in_the_print_dialog_writes_the_owner_only_sheet(qtbot, dialog, tmp_path):
    buttons = dialog.sheet_buttons
    buttons.has_printer = lambda: True
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    buttons.choose_printer = lambda: printer
    click(qtbot, dialog.print_button)
    assert owner_only(tmp_path / "printed.pdf")
    assert "".join(KEY.split("-")) in sheet_text(tmp_path / "printed.pdf")


def test_the_first_run_offers_the_sheet_with_the_identity(qtbot, executor, tmp_path):
    wizard = SetupWizard(executor, tmp_path / "default", kdf=FAST_KDF)
    qtbot.addWidget(wizard)
    wizard.show()
    page = fill_and_create(qtbot, wizard, tmp_path / "data")
    key = wizard.state.recovery_key
    assert page.print_button.isVisible() and page.save_button.isVisible()
    assert "英字の O（オー）" in page.key_caption.text() and page.key_caption.isVisible()
    assert "パスフレーズ" in page.instructions.text() and "PDFとして保存する" in page.instructions.text()
    page.sheet_buttons.ask_file = lambda suggested: str(tmp_path / "復旧シート.pdf")
    click(qtbot, page.save_button)
    saved = tmp_path / "復旧シート.pdf"
    assert owner_only(saved)
    text = sheet_text(saved)
    assert key.replace("-", "") in text and key.identity in text and "山里村社会福祉協議会" in text
    assert "②同期ファイルの復旧用の鍵" in text

    finish = wizard.button(QWizard.WizardButton.FinishButton)
    page.confirm.click()
    with qtbot.waitSignal(wizard.created) as created:
        qtbot.mouseClick(finish, Qt.MouseButton.LeftButton)
    created.args[0].close()
