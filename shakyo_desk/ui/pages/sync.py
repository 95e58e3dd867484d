"""同期 page: this installation, the council's devices, writing and reading bundle files
(USB stick or shared folder), files that could not be read, and for the admin on the office
enrolling and revoking devices. Every store, disk and crypto step runs in the worker."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import shiboken6
from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QFrame, QGroupBox, QHBoxLayout,
    QHeaderView, QLabel, QLineEdit, QMessageBox, QProgressDialog, QPushButton, QScrollArea, QVBoxLayout, QWidget,
)

from shakyo_desk.domain.roles import manages_accounts
from shakyo_desk.i18n import tr
from shakyo_desk.store.exchange.devices import (
    ENROLMENT_SUFFIX, DeviceInfo, SyncOverview, add_device, enrolment_file_name, enrolment_target, overview,
    recovery_identity_printed, revoke_device, unprinted_recovery_identity,
)
from shakyo_desk.store.exchange.exporting import Exported, export_bundle, export_refusal
from shakyo_desk.store.exchange.importing import (
    ImportReport, ImportResult, import_paths, quarantine_folder, quarantine_list,
)
from shakyo_desk.store.rekey import rotate_if_due
from shakyo_desk.store.services.districts import DistrictInfo, list_districts
from shakyo_desk.ui import dialogs
from shakyo_desk.ui.appearance import set_scaled_font
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.dialogs import ErrorLabel, button_row, show_message
from shakyo_desk.ui.events import ACCOUNT, CONFLICT, RECORDS, REGISTER, SETTINGS, SYNC, keep_fresh, on
from shakyo_desk.ui.key_actions import show_notices
from shakyo_desk.ui.reporter_here import ReporterHereButton
from shakyo_desk.ui.style import ERROR_COLOUR, mono_font
from shakyo_desk.ui.sync_text import bundle_text, scope_text, when_text
from shakyo_desk.ui.widgets import CheckList, fill_table, make_table, selected_id, text_item


DEVICE_COLUMNS = ("端末名", "地区", "最後に受け取った", "最後に渡した", "未送信の変更", "状態")
QUARANTINE_COLUMNS = ("日時", "ファイル名", "理由", "保管したコピー")
SUMMARY_COLUMNS = ("", "ファイル", "送り主", "結果")
BUNDLE_SUFFIX = ".bundle"
WARNING_COLOUR = "#9a5b00"
OK_COLOUR = "#2f6b3a"

EXPORTED_TEXT = "書き出して確かめました。USBメモリを取り外して構いません。"
STATUS_MARKS = {"applied": "○", "already": "－", "own": "－", "refused": "×"}
STATUS_COLOURS = {"applied": OK_COLOUR, "already": "#555555", "own": "#555555", "refused": ERROR_COLOUR}


# ---- small helpers ------------------------------------------------------------------------


class ProgressRelay(QObject):
    """Carries progress from the worker thread to the GUI thread (queued signal)."""

    moved = Signal(int, int, str)

    def report(self, done: int, total: int, label: str) -> None:
        try:
            if shiboken6.isValid(self):
                self.moved.emit(done, total, label)
        except RuntimeError:  # the page went away meanwhile; the work itself goes on
            pass


def bundle_paths_from_urls(urls) -> list[str]:
    """Local .bundle files and folders among dropped URLs."""
    paths = []
    for url in urls:
        if not url.isLocalFile():
            continue
        path = Path(url.toLocalFile())
        if path.is_dir() or path.name.endswith(BUNDLE_SUFFIX):
            paths.append(str(path))
    return paths


def device_row(d: DeviceInfo) -> tuple:
    name = tr("{name}（この端末）", name=d.name) if d.is_self else d.name
    if d.is_self:
        received = sent = waiting = "－"
    else:
        received = bundle_text(d.last_in_seq, d.last_in_at)
        sent = bundle_text(d.last_out_seq, d.last_out_at)
        waiting = tr("{n}件", n=d.waiting) if d.waiting else tr("なし")
    if d.revoked_at:
        state = text_item(tr("利用停止（{when}）", when=when_text(d.revoked_at)), ERROR_COLOUR, bold=True)
    else:
        state = text_item(tr("利用中"), OK_COLOUR)
    waiting_item = text_item(waiting, WARNING_COLOUR if not d.is_self and d.waiting else None, bold=bool(
        not d.is_self and d.waiting))
    return (text_item(name, bold=d.is_self), scope_text(d.scope), received, sent, waiting_item, state)


def result_text(r: ImportResult) -> str:
    if r.status == "applied":
        text = tr("変更{n}件を取り込みました。", n=r.applied)
        if r.conflicts:
            text += tr("要確認が{n}件あります。", n=r.conflicts)
        return text
    return r.message


# ---- printing the recovery identity ----------------------------------------------------


def recovery_identity_html(council_name: str, identity: str) -> str:
    return f"""
<html><body style="font-size: 12pt;">
<h1 style="font-size: 18pt;">{tr("社協デスク 同期ファイルの復旧用の鍵")}</h1>
<p>{tr("社協名")}：{council_name}</p>
<p style="font-family: monospace; font-size: 11pt; border: 2px solid black; padding: 10pt;">{identity}</p>
<ul>
<li>{tr("アプリが使えなくなっても、この鍵と age という一般的な道具で、同期ファイルを開けます。")}</li>
<li>{tr("この鍵があれば同期ファイルを読めます。復旧キーと一緒に、金庫など鍵のかかる安全な場所に保管してください。")}</li>
<li>{tr("コピーを取ったり、写真に撮ったり、パソコンに保存したりしないでください。")}</li>
</ul>
</body></html>
"""


def print_recovery_identity(parent: QWidget, council_name: str, identity: str) -> bool:
    from PySide6.QtGui import QTextDocument
    from PySide6.QtPrintSupport import QPrintDialog, QPrinter

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setDocName(tr("社協デスク 復旧用の鍵"))
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle(tr("復旧用の鍵を印刷"))
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return False
    if printer.outputFormat() == QPrinter.OutputFormat.PdfFormat:
        QMessageBox.warning(parent, tr("復旧用の鍵を印刷"),
                            tr("復旧用の鍵はファイルには保存できません。プリンターを選んで印刷してください。"))
        return False
    document = QTextDocument()
    document.setHtml(recovery_identity_html(council_name, identity))
    document.print_(printer)
    return True


# ---- dialogs --------------------------------------------------------------------------------


class ImportSummaryDialog(QDialog):
    """What each file brought: ○ taken in, － nothing to do, × refused (nothing changed)."""

    def __init__(self, report: ImportReport, parent: QWidget | None = None, *,
                 open_conflicts: Callable[[], None] | None = None):
        super().__init__(parent)
        self.report = report
        self.setWindowTitle(tr("取り込みの結果"))
        results = report.results
        if not results:
            heading_text = tr("取り込む同期ファイルが見つかりませんでした。")
        elif report.refused:
            heading_text = tr("{n}件のファイルのうち、{bad}件は取り込めませんでした。", n=len(results),
                              bad=len(report.refused))
        else:
            heading_text = tr("取り込みが終わりました。")
        self.heading = QLabel(heading_text)
        self.heading.setStyleSheet("font-size: 14pt; font-weight: bold;")
        self.heading.setWordWrap(True)
        self.totals = QLabel(tr("取り込んだ変更：{n}件　　要確認：{c}件", n=report.applied, c=report.conflicts))
        self.totals.setStyleSheet("font-size: 12pt;")
        self.totals.setVisible(bool(results))
        self.hint = QLabel(tr("選んだフォルダに、同期ファイル（名前の最後が .bundle のファイル）があるか確かめてください。"
                              "書き込みの途中で止まったファイルは取り込みません。"))
        self.hint.setWordWrap(True)
        self.hint.setVisible(not results)

        self.table = make_table(SUMMARY_COLUMNS, (36, 290, 210))
        self.table.setWordWrap(True)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Fixed)
        rows = []
        for r in results:
            mark = text_item(STATUS_MARKS.get(r.status, "×"), STATUS_COLOURS.get(r.status), bold=True)
            mark.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            sender = tr("{name}の第{seq}号", name=r.sender, seq=r.seq) if r.sender else ""
            rows.append((mark, r.file, sender, text_item(result_text(r), ERROR_COLOUR if r.status == "refused" else None)))
        fill_table(self.table, rows)
        self.table.resizeRowsToContents()
        self.table.setCurrentCell(-1, -1)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a report to read, not a list to pick from
        self.table.setVisible(bool(results))

        notes: list[tuple[str, str]] = []
        for r in results:
            for gap in r.gaps:
                notes.append(("！" + gap, WARNING_COLOUR))
            for note in r.notes:  # reporters' sheets the file carried that were left out
                notes.append(("！" + note, WARNING_COLOUR))
            if r.clone_detected:
                notes.append((tr("！{notice}（{file}）", notice=r.clone_notice, file=r.file), ERROR_COLOUR))
        notes.extend((notice, WARNING_COLOUR) for notice in report.notices)  # the drop box after the run
        if report.conflicts:
            notes.append((tr("要確認が{n}件あります。「要確認」の画面で、どの内容を残すか選んでください。"
                             "選ぶまでは、仮に一方の内容を表示しています。", n=report.conflicts), WARNING_COLOUR))
        if report.refused:
            notes.append((tr("× のファイルからは何も取り込んでいません（記録は変わっていません）。理由を確かめて、"
                             "書き出した人に作り直してもらってください。"), ERROR_COLOUR))
        self.notes = []
        notes_layout = QVBoxLayout()
        for text, colour in notes:
            label = QLabel(text)
            label.setWordWrap(True)
            label.setStyleSheet(f"color: {colour}; font-weight: bold;")
            notes_layout.addWidget(label)
            self.notes.append(label)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(tr("閉じる"))
        buttons.rejected.connect(self.reject)
        self.conflicts_button = None
        if report.conflicts and open_conflicts is not None:
            self.conflicts_button = buttons.addButton(tr("要確認を開く"), QDialogButtonBox.ButtonRole.ActionRole)
            self.conflicts_button.clicked.connect(lambda: (self.accept(), open_conflicts()))

        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.totals)
        layout.addWidget(self.hint)
        layout.addWidget(self.table, 1)
        layout.addLayout(notes_layout)
        layout.addWidget(buttons)
        if results:
            self.resize(880, 420)
        else:
            self.setMinimumWidth(520)
            self.adjustSize()

    def text(self) -> str:
        """Everything the dialog says, for tests and for copying."""
        cells = [self.table.item(r, c).text() for r in range(self.table.rowCount())
                 for c in range(self.table.columnCount()) if self.table.item(r, c)]
        hint = [self.hint.text()] if not self.report.results else []
        return "\n".join([self.heading.text(), self.totals.text(), *hint, *cells, *(n.text() for n in self.notes)])


class AddDeviceDialog(QDialog):
    """(admin, office) Make the one-time enrolment file; the code is shown afterwards."""

    created = Signal(str, str, str)  # code, device name, file path

    def __init__(self, ctx: AppContext, districts: list[DistrictInfo], default_folder: str = "",
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.default_folder = default_folder
        self.setWindowTitle(tr("端末を追加"))
        intro = QLabel(tr("新しいノートPCなどを、この社協の端末として登録します。登録ファイルを作り、"
                          "新しい端末でそのファイルと登録コードを使って始めます。登録は本人が事務局に来て行ってください。"))
        intro.setWordWrap(True)
        self.name = QLineEdit()
        self.name.setPlaceholderText(tr("例：田中さんのノートPC"))
        self.name.setMaxLength(40)
        self.districts = CheckList([("\u3000" * d.depth) + d.name for d in districts], data=[d.name for d in districts])
        self.districts.fit_height(6)
        scope_hint = QLabel(tr("地区を選ぶと、その地区の世帯だけを持つ端末になります。選ばなければ全地区です。"))
        scope_hint.setWordWrap(True)
        scope_hint.setStyleSheet("color: #555;")
        path_hint = QLabel(tr("フォルダを指定すると、その中に「登録ファイル-端末名」という名前で作ります。"))
        path_hint.setWordWrap(True)
        path_hint.setStyleSheet("color: #555;")
        self.path = QLineEdit()
        self.path.setPlaceholderText(tr("保存先のフォルダ（USBメモリなど）か、ファイルの名前"))
        self.browse = QPushButton(tr("選ぶ…"))
        self.browse.setAutoDefault(False)
        self.browse.clicked.connect(self.choose_path)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path, 1)
        path_row.addWidget(self.browse)
        districts_box = QVBoxLayout()
        districts_box.addWidget(self.districts)
        districts_box.addWidget(scope_hint)
        form = QFormLayout()
        form.addRow(tr("端末名＊"), self.name)
        form.addRow(tr("地区"), districts_box)
        form.addRow(tr("保存先＊"), path_row)
        form.addRow("", path_hint)
        self.errors = ErrorLabel()
        buttons, self.create_button = button_row(self, tr("登録ファイルを作る"), self.submit, cancel_text=tr("キャンセル"))
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.errors)
        layout.addWidget(buttons)
        self.setMinimumWidth(580)

    def suggested_path(self) -> str:
        return str(Path(self.default_folder or Path.home()) / enrolment_file_name(self.name.text()))

    def choose_path(self) -> None:
        # An instance, not the static helper: only an instance takes a default suffix, so that
        # "sato" becomes "sato.shakyo" (and the overwrite question is about that name). Some
        # platforms' dialogs still return the bare name: the suffix is added here too.
        start = Path(self.path.text().strip() or self.suggested_path()).expanduser()
        if start.is_dir():  # a folder typed already: start there with the suggested name
            start = start / enrolment_file_name(self.name.text())
        box = QFileDialog(self, tr("登録ファイルの保存先"), str(start.parent),
                          tr("登録ファイル (*{suffix})", suffix=ENROLMENT_SUFFIX))
        box.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        box.setFileMode(QFileDialog.FileMode.AnyFile)
        box.setDefaultSuffix(ENROLMENT_SUFFIX.lstrip("."))
        box.selectFile(start.name)
        if box.exec() != QDialog.DialogCode.Accepted or not box.selectedFiles():
            return
        path = Path(box.selectedFiles()[0])
        if not path.name.lower().endswith(ENROLMENT_SUFFIX):
            path = path.with_name(path.name + ENROLMENT_SUFFIX)
        self.path.setText(str(path))

    def submit(self) -> None:
        name, path = self.name.text().strip(), self.path.text().strip()
        if not name:
            self.errors.show_error(tr("端末名を入力してください（例：田中さんのノートPC）。"))
            return
        if not path:
            self.errors.show_error(tr("登録ファイルの保存先を選んでください。"))
            return
        districts = self.districts.checked()
        self.errors.clear_error()
        self.create_button.setEnabled(False)
        store, kdf = self.ctx.store, self.ctx.kdf

        def work() -> tuple[str, Path]:
            # A folder (the stick's drive) gets 「登録ファイル-<name>.shakyo」 inside it; a name
            # typed without .shakyo gets it (the join wizard looks for that name).
            target = enrolment_target(Path(path).expanduser(), name, add_suffix=True)
            return add_device(store, name, target, districts, kdf=kdf), target

        self.ctx.executor.submit(work, on_done=lambda result: self._created(result[0], name, str(result[1])),
                                 on_error=self._failed, owner=self)

    def _created(self, code: str, name: str, path: str) -> None:
        self.create_button.setEnabled(True)
        self.created.emit(code, name, path)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.create_button.setEnabled(True)
        self.errors.show_error(error)


class EnrolmentCodeDialog(QDialog):
    """The one-time code, large; it is never saved anywhere."""

    def __init__(self, code: str, name: str, path: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(tr("登録コード"))
        done = QLabel(tr("端末「{name}」の登録ファイルを作りました。", name=name))
        done.setStyleSheet("font-size: 13pt; font-weight: bold;")
        where = QLabel(path)
        where.setWordWrap(True)
        where.setStyleSheet("color: #555;")
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        caption = QLabel(tr("登録コード（この画面を閉じると、二度と表示されません）"))
        caption.setStyleSheet("font-weight: bold;")
        self.code_label = QLabel(code)
        set_scaled_font(self.code_label, mono_font(30))
        self.code_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.code_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.code_label.setStyleSheet("border: 2px solid #333; padding: 16px; background: #fffdf2;")
        advice = QLabel(tr(
            "・新しい端末で登録ファイルを読み込むときに、このコードを入力します。\n"
            "・コードは紙に書き写して、登録ファイルとは別に持ち運んでください。登録ファイルと同じ USBメモリに保存したり、"
            "同じ封筒に入れたりしないでください。\n"
            "・登録ファイルは一度しか使えず、7日で使えなくなります。登録が済むと、登録ファイルは使用済みに書き換わります。"
            "コピーして2台目に使わないでください（同じ端末が2台できてしまいます）。"))
        advice.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr("書き写しました"))
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(done)
        layout.addWidget(where)
        layout.addSpacing(8)
        layout.addWidget(caption)
        layout.addWidget(self.code_label)
        layout.addSpacing(8)
        layout.addWidget(advice)
        layout.addWidget(buttons)
        self.setMinimumWidth(620)


# ---- the page ---------------------------------------------------------------------------------


class SyncPage(QWidget):
    # Every local change waits to be sent: the counts per device follow all of them.
    refresh_on = on(RECORDS, ACCOUNT, REGISTER, SETTINGS)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.overview: SyncOverview | None = None
        self.identity: str | None = None
        self.quarantine: list[dict] = []
        self.progress: QProgressDialog | None = None
        self.message: QMessageBox | None = None
        self.summary: ImportSummaryDialog | None = None
        self.dialog: QDialog | None = None
        self.last_folder = ""
        self.export_refused: str | None = None  # why nothing can be written now (nobody to give it to)
        self.busy = False  # an export or import under way (or being checked)
        self.setAcceptDrops(True)
        keep_fresh(self, ctx.events, self.refresh_on)

        title = QLabel(tr("同期"))
        title.setStyleSheet("font-size: 15pt; font-weight: bold;")
        intro = QLabel(tr("USBメモリや共有フォルダを使って、この社協のほかの端末と記録を受け渡します。"
                          "同期ファイルは暗号化されていて、この社協の端末でしか開けません。"))
        intro.setWordWrap(True)
        self.device_label = QLabel()
        self.device_label.setStyleSheet("font-size: 12pt;")
        self.device_label.setTextFormat(Qt.TextFormat.PlainText)

        # recovery identity of a store upgraded from before sync (admin, until printed)
        self.banner = QFrame()
        self.banner.setObjectName("recoveryBanner")
        self.banner.setStyleSheet("#recoveryBanner { background: #fff4e0; border: 2px solid #e8700a; }")
        banner_title = QLabel(tr("同期ファイルの復旧用の鍵を、印刷して保管してください"))
        banner_title.setStyleSheet("font-size: 13pt; font-weight: bold; color: #8a3d00;")
        banner_text = QLabel(tr("アプリが使えなくなっても、この鍵があれば同期ファイルを開けます。印刷するか正確に書き写して、"
                                "復旧キーと一緒に金庫など安全な場所に保管してください。保管したら「印刷・保管しました」を押してください。"
                                "その後、この鍵は画面に表示されません。"))
        banner_text.setWordWrap(True)
        self.identity_label = QLabel()
        set_scaled_font(self.identity_label, mono_font(10))
        self.identity_label.setWordWrap(True)
        self.identity_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.identity_label.setStyleSheet("background: white; border: 1px solid #999; padding: 8px;")
        self.print_identity_button = QPushButton(tr("印刷する…"))
        self.print_identity_button.clicked.connect(self.print_identity)
        self.identity_done_button = QPushButton(tr("印刷・保管しました"))
        self.identity_done_button.clicked.connect(self.identity_printed)
        banner_buttons = QHBoxLayout()
        banner_buttons.addStretch(1)
        banner_buttons.addWidget(self.print_identity_button)
        banner_buttons.addWidget(self.identity_done_button)
        banner_layout = QVBoxLayout(self.banner)
        banner_layout.addWidget(banner_title)
        banner_layout.addWidget(banner_text)
        banner_layout.addWidget(self.identity_label)
        banner_layout.addLayout(banner_buttons)
        self.banner.setVisible(False)

        self.pending_label = QLabel()
        self.pending_label.setWordWrap(True)
        self.pending_label.setStyleSheet(f"background: #fff8e1; color: {WARNING_COLOUR}; font-weight: bold; "
                                         "border: 1px solid #e0b040; padding: 8px;")
        self.pending_label.setVisible(False)

        # devices
        self.devices_table = make_table(DEVICE_COLUMNS, (200, 90, 170, 170, 100))
        self.devices_table.setMinimumHeight(130)
        self.add_device_button = QPushButton(tr("端末を追加…"))
        self.add_device_button.clicked.connect(self.add_device)
        self.revoke_button = QPushButton(tr("利用停止…"))
        self.revoke_button.clicked.connect(self.revoke)
        device_buttons = QHBoxLayout()
        self.devices_hint = QLabel(tr("「未送信の変更」は、その端末がまだ受け取っていない、この端末の変更の数です。"))
        self.devices_hint.setWordWrap(True)
        self.devices_hint.setStyleSheet("color: #555;")
        device_buttons.addWidget(self.devices_hint, 1)
        self.reporter_here_button = ReporterHereButton(ctx)  # a laptop's data-key sessions (issue 16)
        device_buttons.addWidget(self.reporter_here_button)
        device_buttons.addWidget(self.add_device_button)
        device_buttons.addWidget(self.revoke_button)
        devices_box = QGroupBox(tr("この社協の端末"))
        devices_layout = QVBoxLayout(devices_box)
        devices_layout.addWidget(self.devices_table)
        devices_layout.addLayout(device_buttons)

        # export
        self.target = QComboBox()
        self.full = QCheckBox(tr("差分ではなく、持っている変更をすべて入れる"))
        self.full.setToolTip(tr("相手の端末を入れ直したときや、受け渡しがうまくいかないときに使います。"))
        self.export_button = QPushButton(tr("同期ファイルを書き出す…"))
        self.export_button.setStyleSheet("font-size: 12pt; padding: 6px 14px;")
        self.export_button.clicked.connect(self.export)
        export_box = QGroupBox(tr("書き出す（この端末 → ほかの端末）"))
        export_form = QFormLayout(export_box)
        export_form.addRow(tr("渡す相手"), self.target)
        export_form.addRow("", self.full)
        self.export_hint = export_hint = QLabel(tr("書き出し先のフォルダ（USBメモリなど）を選びます。"))
        export_hint.setWordWrap(True)
        export_hint.setStyleSheet("color: #555;")
        # Said before any folder is asked for, in words for the reader's role (exporting.py).
        self.export_blocked = QLabel()
        self.export_blocked.setWordWrap(True)
        self.export_blocked.setStyleSheet(f"color: {WARNING_COLOUR}; font-weight: bold;")
        self.export_blocked.setVisible(False)
        export_form.addRow(export_hint)
        export_form.addRow(self.export_blocked)
        export_form.addRow(self.export_button)

        # import
        self.import_button = QPushButton(tr("同期ファイルを取り込む…"))
        self.import_button.setStyleSheet("font-size: 12pt; padding: 6px 14px;")
        self.import_button.clicked.connect(self.import_files)
        self.import_folder_button = QPushButton(tr("フォルダごと取り込む…"))
        self.import_folder_button.clicked.connect(self.import_folder)
        import_hint = QLabel(tr("同期ファイルか、それが入ったフォルダを、この画面にドラッグしても取り込めます。"
                                "同じファイルを二度取り込んでも、記録は重なりません。"))
        import_hint.setWordWrap(True)
        import_hint.setStyleSheet("color: #555;")
        import_box = QGroupBox(tr("取り込む（ほかの端末 → この端末）"))
        import_layout = QVBoxLayout(import_box)
        import_layout.addWidget(import_hint)
        import_layout.addStretch(1)
        import_layout.addWidget(self.import_button)
        import_layout.addWidget(self.import_folder_button)

        transfer = QHBoxLayout()
        transfer.addWidget(export_box, 1)
        transfer.addWidget(import_box, 1)

        # quarantine
        self.quarantine_table = make_table(QUARANTINE_COLUMNS, (130, 260, 420))
        self.quarantine_table.setWordWrap(True)
        self.quarantine_table.setMinimumHeight(110)
        self.quarantine_empty = QLabel(tr("取り込めなかったファイルはありません。"))
        self.quarantine_empty.setStyleSheet("color: #555; padding: 4px;")
        quarantine_hint = QLabel(tr("確かめた結果、取り込まなかったファイルです（何も変更していません）。"
                                    "調べられるように、ファイルのコピーをこの端末に残しています。"))
        quarantine_hint.setWordWrap(True)
        quarantine_hint.setStyleSheet("color: #555;")
        self.open_kept_button = QPushButton(tr("コピーを残したフォルダを開く"))
        self.open_kept_button.clicked.connect(self.open_kept_folder)
        self.open_kept_button.setVisible(False)
        kept_row = QHBoxLayout()
        kept_row.addStretch(1)
        kept_row.addWidget(self.open_kept_button)
        self.quarantine_box = QGroupBox(tr("取り込めなかったファイル"))
        quarantine_layout = QVBoxLayout(self.quarantine_box)
        quarantine_layout.addWidget(quarantine_hint)
        quarantine_layout.addWidget(self.quarantine_empty)
        quarantine_layout.addWidget(self.quarantine_table)
        quarantine_layout.addLayout(kept_row)

        self.errors = ErrorLabel()

        content = QWidget()
        layout = QVBoxLayout(content)
        header = QHBoxLayout()
        header.addWidget(title)
        header.addSpacing(16)
        header.addWidget(self.device_label, 1)
        layout.addLayout(header)
        layout.addWidget(intro)
        layout.addWidget(self.banner)
        layout.addWidget(self.errors)
        layout.addWidget(self.pending_label)
        layout.addWidget(devices_box, 2)
        layout.addLayout(transfer)
        layout.addWidget(self.quarantine_box, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self._set_busy(False)

    # ---- loading ------------------------------------------------------------------------

    def refresh(self) -> None:
        store = self.ctx.store
        self.ctx.executor.submit(lambda: (overview(store), quarantine_list(store), unprinted_recovery_identity(store),
                                          export_refusal(store)),
                                 on_done=self._loaded, on_error=self.errors.show_error, owner=self)

    def _loaded(self, result) -> None:
        self.errors.clear_error()
        self.overview, self.quarantine, self.identity, refusal = result
        ov = self.overview
        self.device_label.setText(tr("この端末：{name}", name=ov.device_name)
                                  + (tr("（事務局）") if ov.is_office else "")
                                  + tr("　書き出した同期ファイル：{n}件", n=ov.last_bundle_seq))
        devices = list(ov.devices)
        fill_table(self.devices_table, [device_row(d) for d in devices], [d.device_id for d in devices])
        self.devices_table.resizeColumnsToContents()
        for c in range(self.devices_table.columnCount() - 1):
            self.devices_table.setColumnWidth(c, self.devices_table.columnWidth(c) + 16)
        admin_office = ov.is_office and manages_accounts(self.ctx.role)
        self.add_device_button.setVisible(admin_office)
        self.revoke_button.setVisible(admin_office)
        self.reporter_here_button.show_for(ov.is_office)

        if ov.pending_ranges:
            self.pending_label.setText(tr(
                "前の同期ファイルがまだ届いていないため、届いた変更の一部（{n}か所）を保留しています。"
                "抜けている同期ファイルを取り込むと、保留した分も自動的に反映されます。", n=ov.pending_ranges))
        self.pending_label.setVisible(bool(ov.pending_ranges))

        self._fill_targets(devices)
        # Nobody to give a file to: said here, the button greyed, before any folder is asked for.
        nobody = not any(not d.is_self and not d.revoked_at for d in devices)
        self.export_refused = refusal if nobody else None
        self.export_blocked.setText(self.export_refused or "")
        self.export_blocked.setVisible(bool(self.export_refused))
        self.export_hint.setVisible(not self.export_refused)
        self.target.setEnabled(not self.export_refused)
        self.full.setEnabled(not self.export_refused)
        self._set_busy(self.busy)

        self.banner.setVisible(bool(self.identity))
        self.identity_label.setText(self.identity or "")

        rows = [(when_text(q["at"]), q["file_name"], q["message"],
                 q["kept_as"] or tr("（コピーを残せませんでした）")) for q in self.quarantine]
        fill_table(self.quarantine_table, rows)
        self.quarantine_table.resizeRowsToContents()
        self.quarantine_table.setVisible(bool(rows))
        self.quarantine_empty.setVisible(not rows)
        self.open_kept_button.setVisible(any(q["kept_as"] for q in self.quarantine))
        self.quarantine_box.setTitle(tr("取り込めなかったファイル（{n}件）", n=len(rows)) if rows
                                     else tr("取り込めなかったファイル"))

    def _fill_targets(self, devices: list[DeviceInfo]) -> None:
        current = self.target.currentData()
        peers = [d for d in devices if not d.is_self and not d.revoked_at]
        self.target.clear()
        if any(not d.scope for d in peers) or not peers:
            self.target.addItem(tr("全端末（地区を限らない端末すべて）"), None)
        for d in peers:
            label = d.name if not d.scope else tr("{name}（{scope}のみ）", name=d.name, scope=scope_text(d.scope))
            self.target.addItem(label, d.device_id)
        self.target.setCurrentIndex(max(0, self.target.findData(current)))

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        for button in (self.import_button, self.import_folder_button):
            button.setEnabled(not busy)
        self.export_button.setEnabled(not busy and not self.export_refused)

    # ---- progress -----------------------------------------------------------------------

    def _start_progress(self, title: str, total: int) -> ProgressRelay:
        dialog = QProgressDialog(self)
        dialog.setWindowTitle(title)
        dialog.setLabelText(title)
        dialog.setCancelButton(None)  # neither export nor import can stop halfway safely
        dialog.setRange(0, max(1, total))
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumWidth(440)
        dialog.setValue(0)
        dialog.show()
        self.progress = dialog
        relay = ProgressRelay(self)
        relay.moved.connect(self._progress_moved)
        self._set_busy(True)
        return relay

    def _progress_moved(self, done: int, total: int, label: str) -> None:
        if self.progress is None:
            return
        self.progress.setMaximum(max(1, total))
        self.progress.setValue(min(done, max(1, total)))
        if label:
            if label.endswith(BUNDLE_SUFFIX):
                label = tr("取り込んでいます（{i}/{n}）：{file}", i=min(done + 1, total), n=total, file=label)
            self.progress.setLabelText(tr(label))

    def _end_progress(self) -> None:
        if self.progress is not None:
            self.progress.close()
            self.progress.deleteLater()
            self.progress = None
        self._set_busy(False)

    def _failed(self, title: str, error: BaseException) -> None:
        self._end_progress()
        if not dialogs.is_fault(error):  # a fault: the crash dialog is already open
            self.message = show_message(self, title, dialogs.error_text(error), warning=True)
        self.refresh()

    # ---- export -------------------------------------------------------------------------

    def export(self) -> None:
        """First whether a file can be written for the chosen device at all (nobody to give it
        to, a district-limited laptop from a laptop…), then the folder, then the file."""
        if self.busy:
            return  # one transfer at a time
        if self.export_refused:
            self.message = show_message(self, tr("書き出せません"), self.export_refused, warning=True)
            return
        target = self.target.currentData()
        store = self.ctx.store
        self._set_busy(True)
        self.ctx.executor.submit(lambda: export_refusal(store, target),
                                 on_done=lambda refusal: self._export_checked(target, refusal),
                                 on_error=lambda e: self._failed(tr("書き出せませんでした"), e), owner=self)

    def _export_checked(self, target: str | None, refusal: str | None) -> None:
        if refusal:
            self._set_busy(False)
            self.message = show_message(self, tr("書き出せません"), refusal, warning=True)
            return
        folder = QFileDialog.getExistingDirectory(self, tr("同期ファイルの書き出し先（USBメモリなど）"), self.last_folder)
        if not folder:
            self._set_busy(False)
            return
        self.last_folder = folder
        full = self.full.isChecked()
        relay = self._start_progress(tr("同期ファイルを書き出しています"), 3)
        store = self.ctx.store
        self.ctx.executor.submit(
            lambda: export_bundle(store, Path(folder), for_device=target, full=full, progress=relay.report),
            on_done=self._exported, on_error=lambda e: self._failed(tr("書き出せませんでした"), e), owner=self)

    def _exported(self, result: Exported) -> None:
        self._end_progress()
        count = (tr("変更{n}件を入れました。", n=result.changes) if result.changes
                 else tr("新しい変更はありませんでした（受け取った分を相手に知らせるファイルです）。"))
        readers = "、".join(result.recipients)
        detail = tr("ファイル：{path}\n{count}\n開ける端末：{readers}", path=str(result.path), count=count,
                    readers=readers)
        self.full.setChecked(False)
        self.message = show_message(self, tr("書き出しました"), tr(EXPORTED_TEXT), detail=detail)
        self.refresh()

    # ---- import -------------------------------------------------------------------------

    def open_kept_folder(self) -> None:
        folder = quarantine_folder(self.ctx.store)
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
            self.message = show_message(self, tr("フォルダを開けませんでした"), tr(
                "取り込めなかったファイルのコピーは、次の場所にあります。\n{path}", path=str(folder)), warning=True)

    def import_files(self) -> None:
        files, _filter = QFileDialog.getOpenFileNames(self, tr("取り込む同期ファイルを選ぶ"), self.last_folder,
                                                      tr("同期ファイル (*.bundle)"))
        if files:
            self.last_folder = str(Path(files[0]).parent)
            self.start_import(files)

    def import_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, tr("同期ファイルの入ったフォルダを選ぶ"), self.last_folder)
        if folder:
            self.last_folder = folder
            self.start_import([folder])

    def start_import(self, paths: list[str]) -> None:
        if self.busy:
            return  # one transfer at a time
        relay = self._start_progress(tr("同期ファイルを取り込んでいます"), len(paths))
        store = self.ctx.store
        notices: list[str] = []

        def work() -> ImportReport:
            report = import_paths(store, [Path(p) for p in paths], progress=relay.report)
            # The import may have brought the disabling of an account that held this
            # installation's key: rotate now (store/rekey.py), with the same progress dialog.
            notices.extend(rotate_if_due(store, relay.report)[1])
            return report

        self.key_notices = notices
        self.ctx.executor.submit(work, on_done=self._imported,
                                 on_error=lambda e: self._failed(tr("取り込めませんでした"), e), owner=self)

    def _imported(self, report: ImportReport) -> None:
        self._end_progress()
        if getattr(self, "key_notices", None):
            self.notice_box = show_notices(self, self.key_notices)
            self.key_notices = []
        navigator = self.ctx.navigator
        opener = (lambda: navigator.show_page("conflicts")) if navigator.has_pages else None
        self.summary = ImportSummaryDialog(report, self, open_conflicts=opener)
        self.summary.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.summary.open()
        self.ctx.changed(SYNC)  # every list of records reloads, this page too
        self.ctx.changed(CONFLICT)  # an import may open or settle 要確認: the badge recounts

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls() and bundle_paths_from_urls(event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:  # noqa: N802
        self.dragEnterEvent(event)

    def dropEvent(self, event) -> None:  # noqa: N802
        paths = bundle_paths_from_urls(event.mimeData().urls()) if event.mimeData().hasUrls() else []
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.start_import(paths)

    # ---- recovery identity -----------------------------------------------------------------

    def print_identity(self) -> None:
        if self.identity:
            council = self.ctx.council.name if self.ctx.council else ""
            print_recovery_identity(self, council, self.identity)

    def identity_printed(self) -> None:
        if not dialogs.confirm(self, tr("復旧用の鍵の保管"),
                               tr("この鍵は、このあと画面に表示されなくなります。印刷するか書き写して、"
                                  "安全な場所に保管しましたか？"), yes=tr("保管しました")):
            return
        self.ctx.executor.submit(recovery_identity_printed, self.ctx.store, on_done=lambda _r: self.refresh(),
                                 on_error=self.errors.show_error, owner=self)

    # ---- devices (admin on the office) -----------------------------------------------------

    def add_device(self) -> None:
        self.ctx.executor.submit(list_districts, self.ctx.store, on_done=self._open_add_dialog,
                                 on_error=self.errors.show_error, owner=self)

    def _open_add_dialog(self, districts: list[DistrictInfo]) -> None:
        dialog = AddDeviceDialog(self.ctx, districts, self.last_folder, self)
        dialog.created.connect(self._device_added)
        self.dialog = dialog
        dialog.open()

    def _device_added(self, code: str, name: str, path: str) -> None:
        self.dialog = EnrolmentCodeDialog(code, name, path, self)
        self.dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog.open()
        self.refresh()

    def revoke(self) -> None:
        device_id = selected_id(self.devices_table)
        device = next((d for d in self.overview.devices if d.device_id == device_id), None) if self.overview else None
        if device is None:
            self.errors.show_error(tr("利用停止にする端末を一覧から選んでください。"))
            return
        if device.is_self:
            self.errors.show_error(tr("この端末自身は利用停止にできません。"))
            return
        if device.revoked_at:
            self.errors.show_error(tr("端末「{name}」はすでに利用停止されています。", name=device.name))
            return
        self.errors.clear_error()
        if not dialogs.confirm(self, tr("端末の利用停止"), tr(
                "端末「{name}」を利用停止にします。\n\nなくした・盗まれた・使わなくなった端末に使います。"
                "このあと、この端末が作った同期ファイルは取り込まれず、これから書き出す同期ファイルもこの端末では開けなくなります。"
                "元に戻すことはできません。\n\n利用停止にしますか？", name=device.name), yes=tr("利用停止にする")):
            return
        self.ctx.executor.submit(revoke_device, self.ctx.store, device.device_id,
                                 on_done=lambda _r: self._revoked(device.name), on_error=self.errors.show_error,
                                 owner=self)

    def _revoked(self, name: str) -> None:
        self.message = show_message(self, tr("端末の利用停止"), tr(
            "端末「{name}」を利用停止にしました。次に同期ファイルを書き出して、ほかの端末にも知らせてください。", name=name))
        self.refresh()

