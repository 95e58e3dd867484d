"""The 復旧シート offered wherever a recovery key is made (the first run, 復旧キーを作り直す):
「印刷する」 and 「PDFとして保存する」. Without a printer the print button says so and offers the
PDF. The PDF is ``reports.recovery_sheet`` written owner-only (0600) through ``safe_file``;
printing renders the same PDF (QtPdf), so paper and file are one sheet.

Dialogs a test cannot click (file choice, print dialog, the no-printer question) go through
``ask_file``, ``choose_printer`` and ``offer_pdf``, which tests replace."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QStandardPaths, Signal
from PySide6.QtWidgets import QDialog, QFileDialog, QHBoxLayout, QMessageBox, QPushButton, QVBoxLayout, QWidget

from shakyo_desk.domain import clock
from shakyo_desk.domain.wareki import format_wareki_short
from shakyo_desk.i18n import tr
from shakyo_desk.reports.recovery_sheet import TITLE, RecoverySheet, recovery_sheet_pdf, write_recovery_sheet
from shakyo_desk.ui.labels import hint_label

NO_PRINTER = ("このパソコンには使えるプリンターがありません。"
              "復旧シートをPDFファイルとして保存して、プリンターのあるパソコンで印刷できます。")
NO_QTPDF = ("このパソコンの社協デスクには、PDFを印刷する部品（QtPdf）が入っていません。"
            "復旧シートをPDFファイルとして保存して、PDFを開くソフトから印刷してください。")
AFTER_SAVE = "このファイルがあれば誰でもデータを開けます。印刷したら削除してください。"
NOT_SAVED = ("復旧シートを保存できませんでした。保存先のフォルダに書き込めるか、空き容量があるか、"
             "同じ名前のファイルを開いていないかを確かめてください。")
PRINT_FAILED = "印刷できませんでした。プリンターの電源と用紙を確かめるか、PDFとして保存してください。"


def default_folder() -> str:
    return QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation) or str(Path.home())


def default_file_name(sheet: RecoverySheet) -> str:
    stamp = format_wareki_short(sheet.made_on).replace(".", "-")
    return tr("復旧シート_{council}_{stamp}.pdf", council=sheet.council_name, stamp=stamp)


def make_sheet(council_name: str, key: str, device_name: str = "") -> RecoverySheet:
    """The sheet for a key just made (``RecoveryKey`` carries the council's age identity, if any)."""
    return RecoverySheet(council_name=council_name, recovery_key=str(key), made_on=clock.today(),
                         identity=getattr(key, "identity", "") or "", device_name=device_name)


def printer_names() -> list[str]:
    from PySide6.QtPrintSupport import QPrinterInfo

    return list(QPrinterInfo.availablePrinterNames())


class RecoverySheetButtons(QWidget):
    """「印刷する」 「PDFとして保存する」 and a line saying what was done. ``done`` is emitted
    after a print or a save (the caller may then let the person tick 保管しました)."""

    done = Signal(str)  # "printed" or the saved file's path

    def __init__(self, sheet: Callable[[], RecoverySheet], parent: QWidget | None = None):
        super().__init__(parent)
        self._sheet = sheet
        self.saved_path: Path | None = None
        self.print_button = QPushButton(tr("印刷する…"))
        self.print_button.clicked.connect(self.print_sheet)
        self.save_button = QPushButton(tr("PDFとして保存する…"))
        self.save_button.clicked.connect(self.save_pdf)
        self.status = hint_label("")
        self.status.setVisible(False)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.print_button)
        row.addWidget(self.save_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.status)

    # ---- replaceable in tests -------------------------------------------------------------

    def has_printer(self) -> bool:
        return bool(printer_names())

    def ask_file(self, suggested: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self, tr("復旧シートの保存先"), suggested, tr("PDFファイル (*.pdf)"))
        return path

    def choose_printer(self):
        """A QPrinter the person chose (the print dialog), or ``None``."""
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(tr(TITLE))
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle(tr("復旧シートを印刷"))
        return printer if dialog.exec() == QDialog.DialogCode.Accepted else None

    def offer_pdf(self, reason: str) -> bool:
        """Why printing cannot be done here; True when the person chose to save a PDF instead."""
        box = QMessageBox(QMessageBox.Icon.Information, tr("復旧シートを印刷"), reason,
                          QMessageBox.StandardButton.NoButton, self)
        save = box.addButton(tr("PDFとして保存する…"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(tr("閉じる"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(save)
        box.exec()
        return box.clickedButton() is save

    # ---- actions ------------------------------------------------------------------------------

    def print_sheet(self) -> None:
        from shakyo_desk.ui.pdf_preview import print_pdf, qtpdf_available

        reason = NO_PRINTER if not self.has_printer() else NO_QTPDF if not qtpdf_available() else ""
        if reason:
            if self.offer_pdf(tr(reason)):
                self.save_pdf()
            return
        printer = self.choose_printer()
        if printer is None:
            return
        from PySide6.QtPrintSupport import QPrinter

        if printer.outputFormat() == QPrinter.OutputFormat.PdfFormat:
            # 「ファイルに印刷」 in the print dialog: the same owner-only file as 「PDFとして保存する」.
            self._save_to(printer.outputFileName() or self.ask_file(self._suggested()))
            return
        try:
            print_pdf(recovery_sheet_pdf(self._sheet()), printer)
        except OSError:
            self._say(tr(PRINT_FAILED), error=True)
            return
        self._say(tr("復旧シートを印刷に回しました。印刷された紙を確かめて、鍵のかかる場所に保管してください。"))
        self.done.emit("printed")

    def save_pdf(self) -> None:
        self._save_to(self.ask_file(self._suggested()))

    def _suggested(self) -> str:
        return str(Path(default_folder()) / default_file_name(self._sheet()))

    def _save_to(self, path: str) -> None:
        if not path:
            return
        if not path.lower().endswith(".pdf"):
            path += ".pdf"
        try:
            written = write_recovery_sheet(path, self._sheet())
        except OSError:
            self._say(tr(NOT_SAVED), error=True)
            return
        self.saved_path = written
        self._say(tr("復旧シートを保存しました：{path}\n{after}", path=str(written), after=tr(AFTER_SAVE)))
        self.done.emit(str(written))

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("color: #b00020;" if error else "color: #1b5e20;")
        self.status.setVisible(True)
