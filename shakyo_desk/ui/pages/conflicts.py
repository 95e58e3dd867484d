"""要確認 page: fields that two devices changed differently without seeing each other.

Every competing value is shown side by side with who wrote it, on which device and when;
「これを残す」 keeps that one (a new change that dominates every branch). Until someone
chooses, the record shows a provisional value."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout, QFrame, QGroupBox, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QScrollArea, QSplitter,
    QVBoxLayout, QWidget,
)

from shakyo_desk.domain.errors import NotFound
from shakyo_desk.domain.roles import manages_registers, sees_all_households
from shakyo_desk.i18n import tr
from shakyo_desk.store.exchange.conflicts import (
    KIND_LABELS, Choice, ConflictInfo, list_conflicts, open_conflict_count, resolve_conflict,
)
from shakyo_desk.store.services.households import get_household
from shakyo_desk.store.store import Store
from shakyo_desk.ui import dialogs
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.dialogs import ErrorLabel
from shakyo_desk.ui.events import CONFLICT, PURGE, RECORDS, keep_fresh
from shakyo_desk.ui.sync_text import unique, when_text
from shakyo_desk.ui.widgets import Column, fill_table, make_table, selected_id, table_or_empty, text_item

COLUMNS = ("世帯", "記録", "項目", "食い違い", "見つかった日時")
FIT = (Column("佐々木 花子", 200), Column("訪問記録", 110, drop=2), Column("見たこと・聞いたこと", 160),
       Column("「通院」と「入院」", 150, stretch=True), Column("R8.12.31 10:30", 150, drop=1))
LONG_TEXT = 40  # longer values are shown in a scrolling box


def visible_conflict_count(store: Store) -> int:
    """The count for the navigation: the cheap total when the account sees every 要確認,
    otherwise only those of the account's own districts."""
    role = store.actor.role
    if sees_all_households(role) and manages_registers(role):
        return open_conflict_count(store)
    return len(list_conflicts(store))


def load_conflicts(store: Store) -> tuple[list[ConflictInfo], dict[str, str]]:
    """The queue and, for each household it names, the head's name (not an audited view)."""
    items = list_conflicts(store)
    names: dict[str, str] = {}
    for household_id in {c.household_id for c in items if c.household_id}:
        try:
            names[household_id] = get_household(store, household_id, log=False).head_name
        except NotFound:
            names[household_id] = ""
    return items, names


def value_key(value) -> str:
    return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)


def household_text(conflict: ConflictInfo, names: dict[str, str]) -> str:
    if not conflict.household_id:
        return tr("（世帯以外）")
    name = names.get(conflict.household_id, "")
    return tr("{name} さんの世帯", name=name) if name else tr("（世帯主未登録の世帯）")


def conflict_title(conflict: ConflictInfo, names: dict[str, str]) -> str:
    """架空 花子 さんの世帯の「電話番号」 / 架空 花子 さんの世帯 › 訪問記録の「見たこと・聞いたこと」."""
    what = tr("{entity}の「{field}」", entity=conflict.entity_label, field=conflict.field_label)
    if not conflict.household_id:
        return what
    where = household_text(conflict, names)
    if conflict.entity == "household":
        return tr("{where}の「{field}」", where=where, field=conflict.field_label)
    return f"{where} › {what}"


class ChoiceColumn(QFrame):
    """One competing value: the value, who, where, when, and 「これを残す」."""

    chosen = Signal(int)

    def __init__(self, conflict: ConflictInfo, choice: Choice, shown: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.choice = choice
        self.setObjectName("choice")
        border = "#2a6fb0" if shown else "#b8c0c8"
        self.setStyleSheet(f"#choice {{ border: 2px solid {border}; border-radius: 4px; background: #fbfcfd; }}")
        heading = QLabel(tr("内容 {n}", n=choice.number) + (tr("（いま表示中）") if shown else ""))
        heading.setStyleSheet("font-size: 12pt; font-weight: bold;")
        long_value = conflict.kind == "text" or len(choice.display) > LONG_TEXT or "\n" in choice.display
        if long_value:
            self.value = QPlainTextEdit(choice.display)
            self.value.setReadOnly(True)
            self.value.setMinimumHeight(90)
        else:
            self.value = QLabel(choice.display)
            self.value.setWordWrap(True)
            self.value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.value.setStyleSheet("font-size: 14pt; font-weight: bold; background: white; "
                                     "border: 1px solid #ccc; padding: 8px;")
        facts = QFormLayout()
        facts.setVerticalSpacing(2)
        facts.addRow(tr("書いた人"), self._fact("、".join(unique(choice.authors))))
        facts.addRow(tr("端末"), self._fact("、".join(unique(choice.devices))))
        facts.addRow(tr("日時"), self._fact(when_text(choice.at, short=False)))
        self.keep_button = QPushButton(tr("これを残す"))
        self.keep_button.setStyleSheet("font-size: 12pt; padding: 6px 16px;")
        self.keep_button.clicked.connect(lambda: self.chosen.emit(choice.number))
        bottom = QHBoxLayout()
        bottom.addLayout(facts, 1)
        bottom.addWidget(self.keep_button, 0, Qt.AlignmentFlag.AlignBottom)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.value, 1 if long_value else 0)
        layout.addLayout(bottom)
        if not long_value:
            layout.addStretch(1)  # a short value keeps who/when and the button right under it
        self.setMinimumWidth(260)

    @staticmethod
    def _fact(text: str) -> QLabel:
        label = QLabel(text)
        label.setWordWrap(True)
        return label


class ConflictsPage(QWidget):
    # A local edit of a field in conflict settles it too (Writer.finish), so every record kind counts;
    # an import announces "conflict" besides "sync".
    refresh_on = RECORDS | {CONFLICT, PURGE}

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.conflicts: list[ConflictInfo] = []
        self.names: dict[str, str] = {}
        self.columns: list[ChoiceColumn] = []
        self.current: ConflictInfo | None = None
        self.editor = None
        title = QLabel(tr("要確認"))
        title.setStyleSheet("font-size: 15pt; font-weight: bold;")
        intro = QLabel(tr("別々の端末で、同じ項目が違う内容に書き換えられたものです。どちらの内容も消さずに残してあります。"
                          "一覧から選び、残す内容の「これを残す」を押してください。選ぶまでは、仮に一方の内容を表示しています。"))
        intro.setWordWrap(True)
        self.table = make_table(COLUMNS, fit=FIT)
        self.table.currentCellChanged.connect(lambda *_a: self._selected())
        self.stack, self.empty = table_or_empty(self.table)
        self.empty.setText(tr("要確認はありません。\n別々の端末で同じ項目が違う内容に書き換えられると、ここに出ます。"))

        self.detail_title = QLabel()
        self.detail_title.setStyleSheet("font-size: 13pt; font-weight: bold;")
        self.detail_title.setWordWrap(True)
        self.detail_note = QLabel()
        self.detail_note.setWordWrap(True)
        self.detail_note.setStyleSheet("color: #555;")
        self.household_button = QPushButton(tr("世帯を開く…"))
        self.household_button.clicked.connect(self.open_household)
        title_row = QHBoxLayout()
        title_row.addWidget(self.detail_title, 1)
        title_row.addWidget(self.household_button, 0, Qt.AlignmentFlag.AlignTop)
        self.choices_holder = QWidget()
        self.choices_layout = QHBoxLayout(self.choices_holder)
        self.choices_layout.setContentsMargins(0, 0, 0, 0)
        choices_scroll = QScrollArea()
        choices_scroll.setWidgetResizable(True)
        choices_scroll.setFrameShape(QFrame.Shape.NoFrame)
        choices_scroll.setWidget(self.choices_holder)
        self.detail_box = QGroupBox(tr("選んだ要確認"))
        detail_layout = QVBoxLayout(self.detail_box)
        detail_layout.addLayout(title_row)
        detail_layout.addWidget(self.detail_note)
        detail_layout.addWidget(choices_scroll, 1)

        self.errors = ErrorLabel()
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.stack)
        self.splitter.addWidget(self.detail_box)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([170, 520])
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addWidget(self.errors)
        layout.addWidget(self.splitter, 1)
        self._show(None)
        keep_fresh(self, ctx.events, self.refresh_on)

    # ---- loading --------------------------------------------------------------------------

    def refresh(self) -> None:
        self.ctx.executor.submit(load_conflicts, self.ctx.store, on_done=self._loaded,
                                 on_error=self.errors.show_error, owner=self)

    def _loaded(self, result) -> None:
        self.errors.clear_error()
        keep = self.current.id if self.current else None
        self.conflicts, self.names = result
        rows = [(household_text(c, self.names), c.entity_label, c.field_label,
                 text_item(tr(KIND_LABELS.get(c.kind, c.kind)), "#9a5b00" if c.kind != "value" else None),
                 when_text(c.opened_at)) for c in self.conflicts]
        self.table.blockSignals(True)
        fill_table(self.table, rows, [c.id for c in self.conflicts])
        self.table.blockSignals(False)
        self.stack.setCurrentWidget(self.table if self.conflicts else self.empty)
        ids = [c.id for c in self.conflicts]
        row = ids.index(keep) if keep in ids else (0 if ids else -1)
        if row >= 0:
            self.table.setCurrentCell(row, 0)
        self._selected()

    def _selected(self) -> None:
        conflict_id = selected_id(self.table)
        self._show(next((c for c in self.conflicts if c.id == conflict_id), None))

    def _show(self, conflict: ConflictInfo | None) -> None:
        self.current = conflict
        for column in self.columns:
            self.choices_layout.removeWidget(column)
            column.deleteLater()
        self.columns = []
        self.detail_box.setVisible(conflict is not None)
        if conflict is None:
            return
        self.detail_title.setText(conflict_title(conflict, self.names))
        notes = {
            "value": tr("次の内容が、別々の端末で同時に書かれました。残す内容を選んでください。"),
            "text": tr("文章が別々の端末で書き換えられました。読み比べて、残す方を選んでください"
                       "（もう一方の文章も記録の履歴には残ります）。"),
            "delete": tr("一方の端末で削除され、もう一方の端末で書き換えられました。削除するか残すかを選んでください。"),
        }
        self.detail_note.setText(notes.get(conflict.kind, notes["value"]))
        self.household_button.setVisible(bool(conflict.household_id))
        shown_key = value_key(conflict.shown)
        for choice in conflict.choices:
            column = ChoiceColumn(conflict, choice, value_key(choice.value) == shown_key)
            column.chosen.connect(self.keep)
            self.choices_layout.addWidget(column, 1)
            self.columns.append(column)

    # ---- actions ----------------------------------------------------------------------------

    def keep(self, number: int) -> None:
        conflict = self.current
        if conflict is None:
            return
        choice = next(c for c in conflict.choices if c.number == number)
        shown = choice.display if len(choice.display) <= LONG_TEXT else choice.display[:LONG_TEXT] + "…"
        if not dialogs.confirm(self, tr("残す内容"), tr(
                "「{field}」は「{value}」（内容 {n}）にします。\nほかの内容は画面から消えますが、記録の履歴には残ります。"
                "よろしいですか？", field=conflict.field_label, value=shown, n=number), yes=tr("これを残す")):
            return
        for column in self.columns:
            column.keep_button.setEnabled(False)
        self.ctx.executor.submit(resolve_conflict, self.ctx.store, conflict.id, number, on_done=self._resolved,
                                 on_error=self._failed, owner=self)

    def _resolved(self, _result) -> None:
        self.ctx.changed(CONFLICT)  # this page reloads, the badge recounts

    def _failed(self, error: BaseException) -> None:
        self.errors.show_error(error)
        self.refresh()

    def open_household(self) -> None:
        conflict = self.current
        if conflict is None or not conflict.household_id:
            return
        self.ctx.navigator.open_household(conflict.household_id, self, on_opened=self._editor_opened,
                                          on_error=self.errors.show_error)

    def _editor_opened(self, editor) -> None:
        self.editor = editor  # saving it announces "household": this page and the badge reload
