"""The household editor's 「支え合い」 tab (issue 19): the ties that hold now — supporter, kind,
how often, since, last confirmed (marked when more than a year ago) — with 追加…, 編集…,
確認した (today) and 終了…. Each change is saved at once through the services, in the worker."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from shakyo_desk.domain import clock
from shakyo_desk.domain.wareki import format_wareki_short
from shakyo_desk.i18n import tr
from shakyo_desk.store.services.ties import TieInfo, confirm_tie, list_ties
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.dialogs import ErrorLabel
from shakyo_desk.ui.empty_state import set_empty_hint
from shakyo_desk.ui.events import COMMUNITY
from shakyo_desk.ui.tie_dialog import EndTieDialog, open_tie_dialog
from shakyo_desk.ui.style import ERROR_COLOUR
from shakyo_desk.ui.widgets import Column, fill_table, make_table, selected_id, text_item

STALE_AFTER = timedelta(days=365)  # a tie not confirmed for a year is marked
COLUMNS = ("支え手", "立場", "種類", "頻度", "始まった日", "最後の確認")
FIT = (Column("佐藤 キヨ（上町）", 150, stretch=True), Column("ボランティア", 90, drop=2), Column("安否確認", 80),
       Column("毎朝と夕方", 100, drop=1), Column("R8.12.31", 90, drop=3), Column("R8.12.31（1年以上前）", 160))


def is_stale(tie: TieInfo, today: date) -> bool:
    return tie.confirmed_on is None or tie.confirmed_on < today - STALE_AFTER


def confirmed_item(tie: TieInfo, today: date):
    text = format_wareki_short(tie.confirmed_on) if tie.confirmed_on else tr("未確認")
    if is_stale(tie, today):
        return text_item(tr("{when}（1年以上前）", when=text) if tie.confirmed_on else text, ERROR_COLOUR, bold=True)
    return text_item(text)


class TiesSection(QWidget):
    changed = Signal()

    def __init__(self, ctx: AppContext, household_id: str, household_label: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.household_id = household_id
        self.household_label = household_label
        self.ties: list[TieInfo] = []
        self.table = make_table(COLUMNS, fit=FIT)
        self.table.setAccessibleName(tr("この世帯の支え合いの関係"))
        set_empty_hint(self.table, tr("まだ支え合いの関係が記録されていません。近所の方や民生委員などが見守っていれば、"
                                      "「追加…」で記録してください。"))
        self.table.doubleClicked.connect(lambda _index: self.edit())
        self.add_button = QPushButton(tr("追加(&T)…"))
        self.edit_button = QPushButton(tr("編集…"))
        self.confirm_button = QPushButton(tr("確認した(&K)"))
        self.confirm_button.setToolTip(tr("この関係が今も続いていることを、今日確かめたとして記録します"))
        self.end_button = QPushButton(tr("終了…"))
        for button, slot in ((self.add_button, self.add), (self.edit_button, self.edit),
                             (self.confirm_button, self.confirm), (self.end_button, self.end)):
            button.setAutoDefault(False)
            button.clicked.connect(slot)
        self.summary = QLabel()
        self.summary.setStyleSheet("color: #555;")
        self.errors = ErrorLabel()
        row = QHBoxLayout()
        for button in (self.add_button, self.edit_button, self.confirm_button, self.end_button):
            row.addWidget(button)
        row.addWidget(self.summary, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.errors)
        layout.addLayout(row)
        self.table.itemSelectionChanged.connect(self._selection)
        self._selection()
        self.load()

    def count_text(self) -> str:
        return tr("支え合い（{n}）", n=len(self.ties)) if self.ties else tr("支え合い")

    def load(self) -> None:
        store, household_id = self.ctx.store, self.household_id
        self.ctx.executor.submit(lambda: list_ties(store, household_id=household_id), on_done=self._loaded,
                                 on_error=self.errors.show_error, owner=self)

    def _loaded(self, ties: list[TieInfo]) -> None:
        self.ties = ties
        today = clock.today()
        fill_table(self.table, [(t.supporter, t.supporter_kind or tr("担い手"), t.kind, t.frequency,
                                 format_wareki_short(t.since) if t.since else "", confirmed_item(t, today))
                                for t in ties], [t.id for t in ties])
        stale = sum(is_stale(t, today) for t in ties)
        self.summary.setText(tr("1年以上確認していない関係が{n}件あります。", n=stale) if stale else "")
        self._selection()
        self.changed.emit()

    def _selection(self) -> None:
        has = self.current() is not None
        for button in (self.edit_button, self.confirm_button, self.end_button):
            button.setEnabled(has)

    def current(self) -> TieInfo | None:
        tie_id = selected_id(self.table)
        return next((t for t in self.ties if t.id == tie_id), None)

    def _done(self, *_args) -> None:
        self.errors.clear_error()
        self.load()

    def add(self) -> None:
        self.errors.clear_error()
        open_tie_dialog(self.ctx, self, self.household_id, self.household_label,
                        on_opened=lambda d: d.saved.connect(self._done), on_error=self.errors.show_error)

    def edit(self) -> None:
        tie = self.current()
        if tie is not None:
            open_tie_dialog(self.ctx, self, self.household_id, self.household_label, tie=tie,
                            on_opened=lambda d: d.saved.connect(self._done), on_error=self.errors.show_error)

    def confirm(self) -> None:
        tie = self.current()
        if tie is None:
            return
        store = self.ctx.store

        def done(_result) -> None:
            self.ctx.changed(COMMUNITY)
            self._done()

        self.ctx.executor.submit(lambda: confirm_tie(store, tie.id), on_done=done, on_error=self.errors.show_error,
                                 owner=self)

    def end(self) -> None:
        tie = self.current()
        if tie is None:
            return
        dialog = EndTieDialog(self.ctx, tie, self)
        self.end_dialog = dialog
        dialog.saved.connect(self._done)
        dialog.open()
