"""会議資料 (handout) from the conference editor: the check (consent gate, members without a
confidentiality acknowledgement), 「プレビュー」 inside the app, 「保存」 as one PDF or one per
member, 「印刷」. The report functions (``reports.handouts``) do file and CPU work, so every
one of them runs in the worker behind a progress dialog; results come back as callbacks.

A refused 重層的支援会議 handout names each person without consent (name and household code)
and offers to open that household's consent record. Members without an acknowledgement are
named and the user is asked before any copy is made.

Dialogs a test cannot click (file choice, print dialog) go through ``ask_file``,
``ask_folder`` and ``choose_printer``, which tests replace."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSize, QStandardPaths, Qt, Signal
from PySide6.QtWidgets import (
    QDialog, QFileDialog, QHBoxLayout, QLabel, QProgressDialog, QPushButton, QRadioButton, QVBoxLayout, QWidget,
)

from shakyo_desk.domain.errors import UserError
from shakyo_desk.domain.wareki import format_wareki_short
from shakyo_desk.i18n import tr
from shakyo_desk.store.services import handout_register
from shakyo_desk.store.services.conference_consent import MissingConsent, missing_consent_text
from shakyo_desk.store.services.conferences import ConferenceDetail
from shakyo_desk.ui import dialogs
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.dialogs import ErrorLabel
from shakyo_desk.ui.events import HANDOUT
from shakyo_desk.ui.labels import hint_label, notice_label, set_notice
from shakyo_desk.ui.pdf_preview import NO_QTPDF, PdfPreviewDialog, print_pdf, qtpdf_available
from shakyo_desk.ui.widgets import fill_table, make_table, text_item

OK_COLOUR = "#2f6b3a"
AFTER_EXPORT = ("取扱注意の資料です。会議が終わったら全部回収し、「配布資料」の画面で回収済みにしてください。"
                "保存したPDFファイルも、使い終わったら削除してください。")
PRINT_FAILED = ("印刷できませんでした。プリンターの電源と用紙を確かめてください。"
                "資料の番号は台帳に記録されています。印刷し直すときは、台帳で前の番号を「廃棄」にしてください。")
PDF_NOT_SAVED = ("PDFを保存できませんでした。保存先のフォルダに書き込めるか、空き容量があるか、"
                 "同じ名前のファイルを開いていないかを確かめてください。")


def busy_dialog(text: str, parent: QWidget) -> QProgressDialog:
    """A progress dialog for work that cannot be cancelled safely halfway (copies are registered)."""
    dialog = QProgressDialog(text, "", 0, 0, parent)
    dialog.setWindowTitle(tr("会議資料"))
    dialog.setCancelButton(None)
    dialog.setMinimumDuration(0)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumWidth(420)
    dialog.show()
    return dialog


def person_text(m: MissingConsent) -> str:
    return tr("{name} さん（世帯番号 {code}）", name=m.person_name, code=m.household_code)


def default_folder() -> str:
    return QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation) or str(Path.home())


def default_file_name(detail: ConferenceDetail) -> str:
    stamp = format_wareki_short(detail.held_on).replace(".", "-")
    return tr("会議資料_{title}_{stamp}.pdf", title=detail.display_title, stamp=stamp)


class ConsentRefusalDialog(QDialog):
    """The consent gate said no: who has no consent, and a way to their consent record."""

    def __init__(self, missing: list[MissingConsent], parent: QWidget | None = None, *,
                 open_consent: Callable[[MissingConsent], None] | None = None):
        super().__init__(parent)
        self.missing = missing
        self.open_consent = open_consent
        self.setWindowTitle(tr("会議資料を作れません"))
        self.heading = heading = QLabel(tr("会議の日に有効な同意がない方がいます"))
        heading.setStyleSheet("font-size: 13pt; font-weight: bold; color: #7a0016;")
        self.text = text = QLabel(tr("重層的支援会議の資料は、取り上げる世帯の18歳以上の方全員について、この会議を対象にした"
                                     "同意が会議の日までに記録されているときだけ作れます（撤回された同意は、同意なしとして"
                                     "扱います）。次の方の同意を記録してから、もう一度お試しください。"))
        text.setWordWrap(True)
        # a consent dated after the meeting: both dates and what to fix (issue 17)
        self.reasons = notice_label("\n".join(missing_consent_text(m) for m in missing if m.given_after), "caution")
        self.reasons.setVisible(any(m.given_after for m in missing))
        self.table = make_table(("氏名", "世帯番号", "世帯"), (150, 140))
        fill_table(self.table, [(text_item(m.person_name, bold=True), m.household_code,
                                 tr("{name} さんの世帯", name=m.head_name) if m.head_name else "") for m in missing])
        self.table.setAccessibleName(tr("同意が記録されていない方"))
        self.table.selectRow(0)
        self.names = QLabel("、".join(person_text(m) for m in missing))
        self.names.setVisible(False)  # the same names as one sentence, for screen readers and tests
        self.open_button = QPushButton(tr("選んだ方の同意を記録する…"))
        self.open_button.setEnabled(open_consent is not None and bool(missing))
        self.open_button.clicked.connect(self._open)
        self.table.doubleClicked.connect(lambda _i: self._open())
        close = QPushButton(tr("閉じる"))
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(text)
        layout.addWidget(self.reasons)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        dialogs.fit_to_screen(self, QSize(600, 380))
        self.open_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def _open(self) -> None:
        row = self.table.currentRow()
        if self.open_consent is not None and 0 <= row < len(self.missing):
            chosen = self.missing[row]
            self.accept()
            self.open_consent(chosen)


class HandoutPanel(QWidget):
    """The 会議資料 tab of the conference editor."""

    copies_made = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget, *, ensure_saved: Callable[[Callable[[], None]], None]):
        super().__init__(parent)
        self.ctx = ctx
        self.owner = parent
        self.ensure_saved = ensure_saved
        self.detail: ConferenceDetail | None = None
        self.check = None
        self.busy: QProgressDialog | None = None
        self.preview: PdfPreviewDialog | None = None
        self.refusal: ConsentRefusalDialog | None = None
        self.household_editor = None
        self.last_paths: list[Path] = []
        self.copies_made.connect(lambda: ctx.changed(HANDOUT))  # the register and its badge recount

        intro = QLabel(tr("会議資料は構成員1人に1部ずつ、配布番号と配布先を入れて作ります。"
                          "すべてのページに「取扱注意」「会議終了後回収」が入ります。"
                          "作った資料は「配布資料」の台帳に記録されます。"))
        intro.setWordWrap(True)
        self.state = QLabel()
        self.state.setWordWrap(True)
        self.state.setTextFormat(Qt.TextFormat.PlainText)
        self.consent_button = QPushButton(tr("同意が記録されていない方を見る…"))
        self.consent_button.setVisible(False)
        self.consent_button.clicked.connect(lambda: self.show_refusal())
        self.check_button = QPushButton(tr("もう一度確認する"))
        self.one_file = QRadioButton(tr("1つのPDFファイルにまとめる"))
        self.one_file.setChecked(True)
        self.separate = QRadioButton(tr("構成員ごとに別のPDFファイルにする"))
        self.preview_button = QPushButton(tr("プレビュー"))
        self.preview_button.setToolTip(tr("見本を画面で確かめます（台帳には記録されません）"))
        self.save_button = QPushButton(tr("PDFに保存…"))
        self.print_button = QPushButton(tr("印刷…"))
        for button in (self.consent_button, self.check_button, self.preview_button, self.save_button,
                       self.print_button):
            button.setAutoDefault(False)
        self.check_button.clicked.connect(lambda: self.run_check())
        self.preview_button.clicked.connect(self.start_preview)
        self.save_button.clicked.connect(self.start_export)
        self.print_button.clicked.connect(self.start_print)
        self.register_label = QLabel()
        self.register_button = QPushButton(tr("配布資料の台帳を開く"))
        self.register_button.setAutoDefault(False)
        self.register_button.clicked.connect(self.open_register)
        self.register_button.setVisible(ctx.navigator.has_pages)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result.setStyleSheet(f"color: {OK_COLOUR};")
        self.result.setVisible(False)
        self.errors = ErrorLabel()
        self.qtpdf_note = hint_label(tr(NO_QTPDF))
        self.qtpdf_note.setVisible(not qtpdf_available())

        check_row = QHBoxLayout()
        check_row.addWidget(self.consent_button)
        check_row.addStretch(1)
        check_row.addWidget(self.check_button)
        files_row = QHBoxLayout()
        files_row.addWidget(QLabel(tr("保存のしかた")))
        files_row.addWidget(self.one_file)
        files_row.addWidget(self.separate)
        files_row.addStretch(1)
        action_row = QHBoxLayout()
        for button in (self.preview_button, self.save_button, self.print_button):
            button.setMinimumWidth(120)
            button.setStyleSheet("QPushButton { font-size: 12pt; padding: 6px 16px; }")
            action_row.addWidget(button)
        action_row.addStretch(1)
        register_row = QHBoxLayout()
        register_row.addWidget(self.register_label, 1)
        register_row.addWidget(self.register_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.state)
        layout.addLayout(check_row)
        layout.addSpacing(8)
        layout.addLayout(files_row)
        layout.addLayout(action_row)
        layout.addWidget(self.qtpdf_note)
        layout.addWidget(self.errors)
        layout.addWidget(self.result)
        layout.addStretch(1)
        layout.addLayout(register_row)
        self.set_conference(None)

    # ---- state -----------------------------------------------------------------------

    def set_conference(self, detail: ConferenceDetail | None) -> None:
        self.detail = detail
        self.check = None
        self.consent_button.setVisible(False)
        has = detail is not None
        for button in (self.check_button, self.preview_button, self.save_button, self.print_button):
            button.setEnabled(has)
        if not has:
            set_notice(self.state, None)
            self.state.setText(tr("会議を登録すると、資料を作れます。構成員と取り上げる世帯を入力して「保存」を押してください。"))
            self.register_label.setText("")
            return
        set_notice(self.state, None)
        self.state.setText(tr("「プレビュー」「PDFに保存」「印刷」の前に、同意と守秘義務の確認を確かめます。"))
        self.load_counts()

    def load_counts(self) -> None:
        if self.detail is None:
            return
        store, conference_id = self.ctx.store, self.detail.id
        self.ctx.executor.submit(lambda: handout_register.counts(store, conference_id), on_done=self._counts,
                                 on_error=lambda _e: None, owner=self)

    def _counts(self, counts) -> None:
        if counts.made:
            self.register_label.setText(tr("この会議の資料：作成 {made}部（回収 {c}部・廃棄 {d}部・手元にない {o}部）",
                                           made=counts.made, c=counts.collected, d=counts.destroyed,
                                           o=counts.outstanding))
        else:
            self.register_label.setText(tr("この会議の資料は、まだ作っていません。"))

    def open_register(self) -> None:
        page = self.ctx.navigator.show_page("handouts")
        if page is not None and self.detail is not None and hasattr(page, "show_conference"):
            page.show_conference(self.detail.id)

    # ---- the check ---------------------------------------------------------------------

    def run_check(self, then: Callable[[object], None] | None = None) -> None:
        if self.detail is None:
            return
        from shakyo_desk.reports.handouts import check_handout

        store, conference_id = self.ctx.store, self.detail.id
        self.errors.clear_error()
        self.ctx.executor.submit(lambda: check_handout(store, conference_id),
                                 on_done=lambda check: self._checked(check, then), on_error=self._failed, owner=self)

    def _checked(self, check, then) -> None:
        self.check = check
        self.consent_button.setVisible(bool(check.missing_consent))
        if check.missing_consent:
            set_notice(self.state, "refused")
            none = [m for m in check.missing_consent if not m.given_after]
            lines = [tr("本人の同意が記録されていない方がいるため、この重層的支援会議の資料は作れません：{names}",
                        names="、".join(person_text(m) for m in none))] if none else \
                [tr("会議の日に有効な同意がない方がいるため、この重層的支援会議の資料は作れません。")]
            lines += [missing_consent_text(m) for m in check.missing_consent if m.given_after]
            self.state.setText("\n".join(lines))
        elif check.problems:
            set_notice(self.state, "refused")
            self.state.setText("\n".join(check.problems))
        elif check.unacknowledged:
            set_notice(self.state, "caution")
            self.state.setText(tr("資料は作れます。ただし、守秘義務の確認が記録されていない構成員がいます：{names}。"
                                  "「構成員」の画面で確認日を記録できます。",
                                  names="、".join(m.label for m in check.unacknowledged)))
        else:
            set_notice(self.state, "ok")
            self.state.setText(tr("資料を作れます（{n}部）。", n=len(self.detail.members)))
        if check.ok and check.uncovered:  # issue 18: copies without a case the consent does not cover
            set_notice(self.state, "caution")
            self.state.setText(self.state.text() + "\n" + "\n".join(u.text for u in check.uncovered))
        if then is not None:
            then(check)

    def show_refusal(self, missing: list[MissingConsent] | None = None) -> None:
        missing = missing or (self.check.missing_consent if self.check is not None else [])
        if not missing:
            return
        self.refusal = ConsentRefusalDialog(missing, self, open_consent=self.open_consent)
        self.refusal.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.refusal.open()

    def _gate(self, check, *, confirm_members: bool) -> bool:
        """May copies be made? Shows the refusal or asks about unacknowledged members."""
        if check.missing_consent:
            self.show_refusal(check.missing_consent)
            return False
        if check.problems:
            self.errors.show_error("\n".join(check.problems))
            return False
        if confirm_members and check.uncovered and not dialogs.confirm(
                self, tr("同意の共有先"),
                tr("次の構成員の資料には、本人の同意の共有先に入っていないためケースを載せません。\n{lines}\n\n"
                   "このまま資料を作りますか？", lines="\n".join("・" + u.text for u in check.uncovered)),
                yes=tr("このまま作る")):
            return False
        if confirm_members and check.unacknowledged:
            names = "\n".join("・" + m.label for m in check.unacknowledged)
            return dialogs.confirm(self, tr("守秘義務の確認"),
                                   tr("次の構成員は、守秘義務の確認がまだ記録されていません。\n{names}\n\n"
                                      "会議の前に確認をお願いしてください。このまま資料を作りますか？", names=names),
                                   yes=tr("このまま作る"))
        return True

    def _with_check(self, action: Callable[[], None], *, confirm_members: bool) -> None:
        """Save first if needed, check, then run ``action`` when allowed."""
        def checked(check) -> None:
            if self._gate(check, confirm_members=confirm_members):
                action()

        self.ensure_saved(lambda: self.run_check(checked))

    # ---- busy work ---------------------------------------------------------------------

    def _start_busy(self, text: str) -> None:
        self.result.setVisible(False)
        self.errors.clear_error()
        self.busy = busy_dialog(text, self)
        for button in (self.preview_button, self.save_button, self.print_button):
            button.setEnabled(False)

    def _end_busy(self) -> None:
        if self.busy is not None:
            self.busy.close()
            self.busy.deleteLater()
            self.busy = None
        for button in (self.preview_button, self.save_button, self.print_button):
            button.setEnabled(self.detail is not None)

    def _failed(self, error: BaseException) -> None:
        self._end_busy()  # a fault has already reached the crash handler (worker.report_fault)
        missing = getattr(error, "missing", None)  # reports.handouts.ConsentRefused
        if missing:
            self.show_refusal(missing)
        self.errors.show_error(error)

    # ---- preview -----------------------------------------------------------------------

    def start_preview(self) -> None:
        if not qtpdf_available():
            dialogs.inform(self, tr("プレビュー"), tr(NO_QTPDF))
            return
        self._with_check(self._preview, confirm_members=False)

    def _preview(self) -> None:
        from shakyo_desk.reports.handouts import preview_pdf

        store, conference_id = self.ctx.store, self.detail.id
        self._start_busy(tr("見本を作っています…"))
        self.ctx.executor.submit(lambda: preview_pdf(store, conference_id), on_done=self._show_preview,
                                 on_error=self._failed, owner=self)

    def _show_preview(self, data: bytes) -> None:
        self._end_busy()
        title = tr("会議資料の見本：{title}", title=self.detail.display_title)
        dialog = PdfPreviewDialog(data, title, self, note=tr("見本です。配布番号と配布先は入らず、台帳にも記録されません。"
                                                              "配る資料は「PDFに保存」または「印刷」で作ってください。"))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        for text, slot in ((tr("PDFに保存…"), self.start_export), (tr("印刷…"), self.start_print)):
            button = QPushButton(text)
            button.setAutoDefault(False)
            button.clicked.connect(dialog.accept)
            button.clicked.connect(slot)
            dialog.actions_row.addWidget(button)
        self.preview = dialog
        dialog.open()

    # ---- export ------------------------------------------------------------------------

    def ask_file(self, suggested: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self, tr("会議資料の保存先"), suggested, tr("PDFファイル (*.pdf)"))
        return path

    def ask_folder(self, suggested: str) -> str:
        return QFileDialog.getExistingDirectory(self, tr("会議資料を保存するフォルダ（構成員ごとに1ファイル）"), suggested)

    def start_export(self) -> None:
        self._with_check(self._export, confirm_members=True)

    def _export(self) -> None:
        from shakyo_desk.reports.handouts import export_handout

        separate = self.separate.isChecked()
        if separate:
            out = self.ask_folder(default_folder())
        else:
            out = self.ask_file(str(Path(default_folder()) / default_file_name(self.detail)))
            if out and not out.lower().endswith(".pdf"):
                out += ".pdf"
        if not out:
            return
        store, conference_id = self.ctx.store, self.detail.id
        self._start_busy(tr("会議資料を作っています…"))

        def work():
            try:
                return export_handout(store, conference_id, Path(out), separate=separate)
            except OSError as error:  # the folder, not a fault: a sentence to act on
                raise UserError(tr(PDF_NOT_SAVED)) from error

        self.ctx.executor.submit(work, on_done=self._exported, on_error=self._failed, owner=self)

    def _exported(self, result) -> None:
        self._end_busy()
        self.last_paths = list(result.paths)
        where = str(result.paths[0]) if len(result.paths) == 1 else tr("{folder}（{n}ファイル）",
                                                                         folder=str(result.paths[0].parent),
                                                                         n=len(result.paths))
        self.result.setText(tr("{n}部を保存しました：{where}\n{after}", n=result.copies, where=where,
                               after=tr(AFTER_EXPORT)))
        self.result.setVisible(True)
        self.load_counts()
        self.copies_made.emit()

    # ---- print ---------------------------------------------------------------------------

    def choose_printer(self):
        """A QPrinter the user chose (the print dialog), or ``None``."""
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle(tr("会議資料の印刷"))
        return printer if dialog.exec() == QDialog.DialogCode.Accepted else None

    def start_print(self) -> None:
        if not qtpdf_available():
            dialogs.inform(self, tr("印刷"), tr(NO_QTPDF))
            return
        self._with_check(self._print, confirm_members=True)

    def _print(self) -> None:
        from shakyo_desk.reports.handouts import print_handout

        printer = self.choose_printer()
        if printer is None:
            return
        store, conference_id = self.ctx.store, self.detail.id
        self._start_busy(tr("会議資料を印刷しています…"))

        def work() -> int:
            data = print_handout(store, conference_id)
            try:
                return print_pdf(data, printer)
            except OSError as error:
                raise PrintFailed() from error

        self.ctx.executor.submit(work, on_done=self._printed, on_error=self._print_failed, owner=self)

    def _printed(self, pages: int) -> None:
        self._end_busy()
        self.result.setText(tr("{n}部（{p}ページ）を印刷に回しました。\n{after}", n=len(self.detail.members), p=pages,
                               after=tr(AFTER_EXPORT)))
        self.result.setVisible(True)
        self.load_counts()
        self.copies_made.emit()

    def _print_failed(self, error: BaseException) -> None:
        if isinstance(error, PrintFailed):
            self._end_busy()
            self.errors.show_error(tr(PRINT_FAILED))
            self.load_counts()
            self.copies_made.emit()
            return
        self._failed(error)

    # ---- consent records ---------------------------------------------------------------------

    def open_consent(self, person: MissingConsent) -> None:
        """The household editor of this person, on its consent tab, with the consent dialog open."""
        def opened(editor) -> None:
            editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            editor.consents.changed.connect(lambda: self.run_check())
            self.household_editor = editor

        self.ctx.navigator.open_household(person.household_id, self, consent_for=person.person_id,
                                          on_opened=opened, on_error=self.errors.show_error)


class PrintFailed(UserError):
    """The copies were registered but the printer refused the job."""

    def __init__(self) -> None:
        super().__init__(tr(PRINT_FAILED))

