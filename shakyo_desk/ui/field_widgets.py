"""Small widgets shared by the field-record screens (salons, sheets, referrals):
big radio rows, a household picker and the urgency cell for tables."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup, QDialog, QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem,
    QRadioButton, QTableWidgetItem, QVBoxLayout, QWidget,
)

from shakyo_desk.i18n import tr
from shakyo_desk.store.services.households import HouseholdRow, get_household, list_households
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.dialogs import ErrorLabel, button_row, fit_to_screen
from shakyo_desk.ui.empty_state import no_match, set_empty_hint
from shakyo_desk.ui.widgets import text_item
from shakyo_desk.ui.worker import LatestOnly

URGENCY_COLOURS = {"緊急": "#b00020", "早め": "#b35c00", "見守り": "#2f6b3a"}
URGENCY_MARKS = {"緊急": "●緊急", "早め": "▲早め", "見守り": "○見守り"}


class RadioRow(QWidget):
    """A row of large radio buttons for a short vocabulary."""

    def __init__(self, choices: Iterable[str], selected: str | None = None, parent: QWidget | None = None, *,
                 colours: dict[str, str] | None = None, labels: dict[str, str] | None = None):
        super().__init__(parent)
        self.group = QButtonGroup(self)
        self.buttons: dict[str, QRadioButton] = {}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for value in choices:
            button = QRadioButton((labels or {}).get(value, value))
            style = "QRadioButton { font-size: 12pt; padding: 6px 14px 6px 4px; }" \
                    " QRadioButton::indicator { width: 18px; height: 18px; }"
            colour = (colours or {}).get(value)
            if colour:
                style += f" QRadioButton {{ color: {colour}; font-weight: bold; }}"
            button.setStyleSheet(style)
            self.group.addButton(button)
            self.buttons[value] = button
            layout.addWidget(button)
        layout.addStretch(1)
        self.set_value(selected)

    def value(self) -> str | None:
        for value, button in self.buttons.items():
            if button.isChecked():
                return value
        return None

    def set_value(self, value: str | None) -> None:
        if value in self.buttons:
            self.buttons[value].setChecked(True)


def household_label(row: HouseholdRow) -> str:
    """How a household is named in pickers and the contact entry: head, district, address."""
    return "　".join(x for x in (row.head_name, row.district, row.address) if x)


def urgency_item(urgency: str) -> QTableWidgetItem:
    """Urgency in a table: a mark and the word, coloured too (never colour alone)."""
    colour = URGENCY_COLOURS.get(urgency)
    return text_item(tr(URGENCY_MARKS.get(urgency, urgency)), colour, bold=bool(colour) and urgency != "見守り")


class HouseholdSearch(QWidget):
    """Search as you type over the households the account may see."""

    chosen = Signal(object)  # HouseholdRow (double click or Enter)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self._latest = LatestOnly()
        self.rows: list[HouseholdRow] = []
        self.search = QLineEdit()
        self.search.setPlaceholderText(tr("氏名・フリガナ・住所で世帯を検索"))
        self.search.setClearButtonEnabled(True)
        self.results = QListWidget()
        self.results.setStyleSheet("QListWidget::item { padding: 4px; }")
        self.errors = ErrorLabel()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.errors)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(150)
        self._debounce.timeout.connect(self.run_search)
        self.search.textChanged.connect(self._debounce.start)
        self.search.returnPressed.connect(self._enter)
        self.results.itemActivated.connect(lambda item: self.chosen.emit(self.current()))

    def run_search(self) -> None:
        self._debounce.stop()
        seq = self._latest.next()
        self.ctx.executor.submit(list_households, self.ctx.store, self.search.text(), None, 100,
                                 on_done=self._latest.wrap(seq, self._show),
                                 on_error=self._latest.wrap(seq, self.errors.show_error), owner=self)

    def _show(self, rows: list[HouseholdRow]) -> None:
        self.errors.clear_error()
        self.rows = rows
        self.results.clear()
        set_empty_hint(self.results, no_match(tr("世帯"), tr("名前の一部やフリガナで探すなど、"))
                       if self.search.text().strip()
                       else tr("まだ世帯が登録されていません。「世帯」の画面の「新しい世帯」から登録してください。"))
        for row in rows:
            text = "　".join(x for x in (row.head_name, row.head_kana, row.district, row.address) if x)
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, row.id)
            self.results.addItem(item)
        if rows:
            self.results.setCurrentRow(0)

    def _enter(self) -> None:
        if self.rows:
            self.chosen.emit(self.current())

    def current(self) -> HouseholdRow | None:
        row = self.results.currentRow()
        return self.rows[row] if 0 <= row < len(self.rows) else None


class HouseholdPickDialog(QDialog):
    """Choose one household (search as you type)."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, title: str | None = None,
                 intro: str | None = None):
        super().__init__(parent)
        self.setWindowTitle(title or tr("世帯を選ぶ"))
        self.picker = HouseholdSearch(ctx)
        self.choice: HouseholdRow | None = None
        buttons, _ = button_row(self, tr("この世帯を選ぶ"), self._accept)
        self.picker.chosen.connect(lambda _row: self._accept())
        layout = QVBoxLayout(self)
        if intro:
            label = QLabel(intro)
            label.setWordWrap(True)
            layout.addWidget(label)
        layout.addWidget(self.picker, 1)
        layout.addWidget(buttons)
        fit_to_screen(self, QSize(520, 440))
        self.picker.run_search()

    def _accept(self) -> None:
        self.choice = self.picker.current()
        if self.choice is None:
            self.picker.errors.show_error(tr("一覧から世帯を選んでください。"))
            return
        self.accept()


def load_household_name(ctx: AppContext, household_id: str, callback, owner) -> None:
    """The head's name for a household id (no audit entry: only the name is shown)."""
    ctx.executor.submit(lambda: get_household(ctx.store, household_id, log=False).head_name,
                        on_done=callback, on_error=lambda _e: callback(""), owner=owner)
