"""The drop box on the 把握シート page (coordinators and admins, issue 16).

``DropBoxBar``: one line saying how many reporters' sheets wait in the drop box for this
account, 「届いたシートを受け付ける」 (``drops.open_drop_box`` on the worker) and, when the drop
box set files aside, 「受け付けられなかったファイル」, which opens ``QuarantineDialog``: the files
with when, from whom and why, 「もう一度受け付ける」 and 「削除」. Every file operation is a
service call (``store/services/drops.py``) run on the executor."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QEvent, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QFrame, QHBoxLayout, QHeaderView, QLabel, QPushButton, QVBoxLayout, QWidget,
)

from shakyo_desk.domain.wareki import format_wareki_short
from shakyo_desk.i18n import tr
from shakyo_desk.store.services.drops import (
    Filing, QuarantinedDrop, delete_quarantined, list_quarantined, open_drop_box, retry_quarantined, waiting_count,
)
from shakyo_desk.ui import dialogs
from shakyo_desk.ui.appearance import current_scale
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.dialogs import ErrorLabel
from shakyo_desk.ui.events import SHEET
from shakyo_desk.ui.widgets import fill_table, make_table, selected_id

QUARANTINE_COLUMNS = ("日時", "報告者", "理由")


def when_text(moment: datetime | None) -> str:
    """A naive UTC moment as local 和暦 date and time (R7.6.2 10:05)."""
    if moment is None:
        return tr("（不明）")
    local = moment.replace(tzinfo=UTC).astimezone()
    return f"{format_wareki_short(local.date())}\u00a0{local:%H:%M}"  # never wrapped apart


def filing_text(filing: Filing) -> str:
    """What one filing did, for the page (reasons are in the dialog)."""
    lines = []
    if filing.filed:
        lines.append(tr("報告者から届いた把握シートを{n}件受け付けました。今回受け付けたシートは一覧で太字にしています。",
                        n=len(filing.filed)))
    if filing.quarantined:
        lines.append(tr("{n}件のファイルは受け付けられませんでした。「受け付けられなかったファイル」から理由を確かめてください。",
                        n=len(filing.quarantined)))
    if not lines:
        lines.append(tr("受け付けるシートはありませんでした。"))
    return "\n".join(lines)


class DropBoxBar(QFrame):
    """The drop box's line on the 把握シート page."""

    filed = Signal(object)  # a Filing, after 受け付ける or もう一度受け付ける

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.quarantine: list[QuarantinedDrop] = []
        self.waiting: int | None = None
        self.dialog: QuarantineDialog | None = None
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.count_label = QLabel()
        self.count_label.setWordWrap(True)
        self.receive_button = QPushButton(tr("届いたシートを受け付ける"))
        self.receive_button.setToolTip(tr("報告者から届いた把握シートを開いて、シートの一覧に加えます。"))
        self.receive_button.clicked.connect(lambda: self.receive())
        self.quarantine_button = QPushButton()
        self.quarantine_button.clicked.connect(lambda: self.show_quarantine())
        self.quarantine_button.setVisible(False)
        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet("color: #1d5e20; font-weight: bold;")
        self.notice.setVisible(False)
        self.errors = ErrorLabel()
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.count_label, 1)
        row.addWidget(self.receive_button)
        row.addWidget(self.quarantine_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.notice)
        layout.addWidget(self.errors)
        self._show_count()

    # ---- loading ----------------------------------------------------------------------

    def refresh(self) -> None:
        store = self.ctx.store
        self.ctx.executor.submit(lambda: (waiting_count(store), list_quarantined(store)), on_done=self._loaded,
                                 on_error=self.errors.show_error, owner=self)

    def _loaded(self, result) -> None:
        self.waiting, self.quarantine = result
        self._show_count()
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.show_items(self.quarantine)

    def _show_count(self) -> None:
        if self.waiting is None:
            text = tr("報告者から届いたシートを確かめています…")
        elif self.waiting:
            text = tr("受け付けを待っている報告者のシート：{n}件", n=self.waiting)
        else:
            text = tr("受け付けを待っている報告者のシートはありません。")
        self.count_label.setText(text)
        self.quarantine_button.setText(tr("受け付けられなかったファイル（{n}件）", n=len(self.quarantine)))
        self.quarantine_button.setVisible(bool(self.quarantine))

    # ---- actions -----------------------------------------------------------------------

    def receive(self) -> None:
        """File every drop sealed to this account, on the worker."""
        if not self.receive_button.isEnabled():
            return
        self.receive_button.setEnabled(False)
        self.errors.clear_error()
        self.ctx.executor.submit(open_drop_box, self.ctx.store, on_done=self._received, on_error=self._failed,
                                 owner=self)

    def _failed(self, error: BaseException) -> None:
        self.receive_button.setEnabled(True)
        self.errors.show_error(error)

    def _received(self, filing: Filing) -> None:
        self.receive_button.setEnabled(True)
        self.took(filing)

    def took(self, filing: Filing) -> None:
        """A filing's result (here, or from the dialog's もう一度受け付ける): said on the page, the
        lists reload and show the new sheets."""
        self.notice.setText(filing_text(filing))
        self.notice.setVisible(True)
        self.filed.emit(filing)
        if filing.filed:
            self.ctx.changed(SHEET)  # the page (and this line) reload, badges recount
        else:
            self.refresh()

    def show_quarantine(self) -> QuarantineDialog:
        if self.dialog is None:
            self.dialog = QuarantineDialog(self.ctx, self, self.window())
        self.dialog.show_items(self.quarantine)
        self.dialog.open()
        return self.dialog


class QuarantineDialog(QDialog):
    """The files the drop box set aside: when, from whom, why; file again or delete."""

    def __init__(self, ctx: AppContext, bar: DropBoxBar, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.bar = bar
        self.items: list[QuarantinedDrop] = []
        self.setWindowTitle(tr("受け付けられなかったファイル"))
        intro = QLabel(tr("報告者から届いたものの、受け付けられなかったファイルです。理由を確かめて、"
                          "直せるものは「もう一度受け付ける」、いらないものは「削除」を選んでください。"))
        intro.setWordWrap(True)
        self.table = make_table(QUARANTINE_COLUMNS, (140, 150))
        self.table.setWordWrap(True)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)  # the reason, wrapped
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.row_height = self.table.verticalHeader().defaultSectionSize()
        self.table.horizontalHeader().sectionResized.connect(lambda *_a: self._fit_rows())  # wider: fewer lines
        self.table.viewport().installEventFilter(self)
        self.table.setAccessibleName(tr("受け付けられなかったファイルの一覧"))
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.empty = QLabel(tr("受け付けられなかったファイルはありません。"))
        self.empty.setStyleSheet("color: #555; padding: 6px;")
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setVisible(False)
        self.errors = ErrorLabel()
        self.retry_button = QPushButton(tr("もう一度受け付ける"))
        self.retry_button.clicked.connect(lambda: self.retry())
        self.delete_button = QPushButton(tr("削除"))
        self.delete_button.clicked.connect(lambda: self.delete())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(tr("閉じる"))
        buttons.rejected.connect(self.reject)
        actions = QHBoxLayout()
        actions.addWidget(self.retry_button)
        actions.addWidget(self.delete_button)
        actions.addStretch(1)
        actions.addWidget(buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.result)
        layout.addWidget(self.errors)
        layout.addLayout(actions)
        dialogs.fit_to_screen(self, QSize(round(760 * current_scale()), round(380 * current_scale())))

    def show_items(self, items: list[QuarantinedDrop]) -> None:
        chosen = self.selected()
        self.items = list(items)
        rows = [(when_text(q.set_aside_at), q.reporter or tr("（不明）"), q.reason or tr("（理由の記録がありません）"))
                for q in self.items]
        fill_table(self.table, rows, [q.name for q in self.items])
        self._fit_rows()
        names = [q.name for q in self.items]
        if self.items:
            self.table.selectRow(names.index(chosen.name) if chosen and chosen.name in names else 0)
        self.table.setVisible(bool(self.items))
        self.empty.setVisible(not self.items)
        self._selection_changed()

    def _fit_rows(self) -> None:
        """A long reason wraps onto more lines; a short one keeps the usual row height."""
        metrics = self.table.fontMetrics()
        for r in range(self.table.rowCount()):
            lines = max(metrics.boundingRect(QRect(0, 0, max(20, self.table.columnWidth(c) - 12), 10_000),
                                             Qt.TextFlag.TextWordWrap, self.table.item(r, c).text()).height()
                        for c in range(self.table.columnCount()))
            self.table.setRowHeight(r, max(self.row_height, lines + 10))

    def eventFilter(self, watched, event) -> bool:  # Qt's name
        if watched is self.table.viewport() and event.type() == QEvent.Type.Resize:
            QTimer.singleShot(0, self, self._fit_rows)  # once the stretched column has its width
        return super().eventFilter(watched, event)

    def selected(self) -> QuarantinedDrop | None:
        name = selected_id(self.table)
        return next((q for q in self.items if q.name == name), None)

    def _selection_changed(self) -> None:
        has = self.selected() is not None
        self.retry_button.setEnabled(has)
        self.delete_button.setEnabled(has)

    def _busy(self, busy: bool) -> None:
        self.retry_button.setEnabled(not busy and self.selected() is not None)
        self.delete_button.setEnabled(not busy and self.selected() is not None)

    def _failed(self, error: BaseException) -> None:
        self._busy(False)
        self.errors.show_error(error)
        self.bar.refresh()

    def retry(self) -> None:
        """Put the file back into the drop box and file again, on the worker."""
        item = self.selected()
        if item is None:
            return
        self._busy(True)
        self.errors.clear_error()
        self.ctx.executor.submit(retry_quarantined, self.ctx.store, item.name, on_done=self._retried,
                                 on_error=self._failed, owner=self)

    def _retried(self, filing: Filing) -> None:
        self._busy(False)
        if filing.filed:
            text = tr("受け付けました。把握シートの一覧に加えました。")
        elif filing.quarantined:
            text = tr("もう一度受け付けようとしましたが、受け付けられませんでした。理由：{reason}",
                      reason=filing.quarantined[-1].reason)
        elif filing.left:
            text = tr("このファイルは、このアカウントあてのものではなかったため、届いたシートの中に戻しました。")
        else:
            text = tr("受け付けるシートはありませんでした。")
        self.result.setText(text)
        self.result.setVisible(True)
        self.bar.took(filing)  # the page says it too and reloads (the list here follows)

    def delete(self) -> None:
        item = self.selected()
        if item is None:
            return
        who = tr("{name} さん", name=item.reporter) if item.reporter else tr("差出人の分からない相手")
        text = tr("{when}に受け付けられなかった、{who}からのファイルを削除します。\n\n"
                  "このファイルに入っている把握シートは、受け付けられないまま消え、元に戻せません。"
                  "必要なら、報告者にもう一度提出してもらってください。", when=when_text(item.set_aside_at), who=who)
        if not dialogs.confirm(self, tr("ファイルの削除"), text, yes=tr("削除する")):
            return
        self._busy(True)
        self.errors.clear_error()
        self.ctx.executor.submit(delete_quarantined, self.ctx.store, item.name, on_done=self._deleted,
                                 on_error=self._failed, owner=self)

    def _deleted(self, _result) -> None:
        self._busy(False)
        self.result.setText(tr("ファイルを削除しました。"))
        self.result.setVisible(True)
        self.bar.refresh()
