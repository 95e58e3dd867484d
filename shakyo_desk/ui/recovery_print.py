"""Printing the recovery key on paper (never saved to disk)."""

from __future__ import annotations

from PySide6.QtGui import QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

from shakyo_desk.i18n import tr
from shakyo_desk.ui.setup_state import recovery_sheet_html


def print_recovery_key(parent: QWidget | None, council_name: str, key: str) -> bool:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setDocName(tr("社協デスク 復旧キー"))
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle(tr("復旧キーを印刷"))
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return False
    if printer.outputFormat() == QPrinter.OutputFormat.PdfFormat:
        # A file would leave the master key on disk: paper only.
        QMessageBox.warning(parent, tr("復旧キーを印刷"),
                            tr("復旧キーはファイルには保存できません。プリンターを選んで印刷してください。"))
        return False
    document = QTextDocument()
    document.setHtml(recovery_sheet_html(council_name, key))
    document.print_(printer)
    return True
