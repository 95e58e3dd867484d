"""Small reusable widgets: district combo, checkable lists, read-only tables."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QHeaderView, QLabel, QListWidget, QListWidgetItem, QStackedWidget, QTableView,
    QTableWidget, QTableWidgetItem,
)

from shakyo_desk.i18n import tr
from shakyo_desk.store.services.districts import DistrictInfo
from shakyo_desk.ui.appearance import current_scale, item_colour


def fill_district_combo(combo: QComboBox, districts: Iterable[DistrictInfo], *, empty_label: str | None = None,
                        selected: str | None = None) -> None:
    """Tree order with indentation; the id is the item data."""
    combo.blockSignals(True)
    combo.clear()
    if empty_label is not None:
        combo.addItem(empty_label, None)
    for d in districts:
        combo.addItem("\u3000" * d.depth + d.name, d.id)
        combo.setItemData(combo.count() - 1, d.path, Qt.ItemDataRole.ToolTipRole)
    index = combo.findData(selected) if selected is not None else 0
    combo.setCurrentIndex(max(0, index))
    combo.blockSignals(False)


class CheckList(QListWidget):
    """A list of checkable choices."""

    def __init__(self, choices: Iterable[str], checked: Iterable[str] = (), parent=None, *,
                 data: Iterable | None = None):
        super().__init__(parent)
        # Long names wrap instead of running off the side (large text). No item style sheet:
        # Qt cuts wrapped text short in items drawn through one.
        self.setWordWrap(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        checked = set(checked)
        values = list(data) if data is not None else None
        for i, label in enumerate(choices):
            item = QListWidgetItem(label)
            value = values[i] if values is not None else label
            item.setData(Qt.ItemDataRole.UserRole, value)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if value in checked else Qt.CheckState.Unchecked)
            self.addItem(item)

    def checked(self) -> list:
        return [self.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.count())
                if self.item(i).checkState() == Qt.CheckState.Checked]

    def set_checked(self, values: Iterable) -> None:
        values = set(values)
        for i in range(self.count()):
            item = self.item(i)
            item.setCheckState(Qt.CheckState.Checked if item.data(Qt.ItemDataRole.UserRole) in values
                               else Qt.CheckState.Unchecked)

    def fit_height(self, rows: int) -> None:
        height = max(self.sizeHintForRow(0) if self.count() else 0, self.fontMetrics().height() + 8)
        self.setFixedHeight(height * min(rows, max(1, self.count())) + 2 * self.frameWidth() + 4)


# ---- read-only tables ---------------------------------------------------------------

def setup_table(table: QTableView, widths: Iterable[int] = ()) -> None:
    """Read only, one whole row selected at a time, columns the user can resize."""
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.verticalHeader().setVisible(False)
    table.setWordWrap(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    scale = current_scale()  # widths are for the standard text size
    for column, width in enumerate(widths):
        table.setColumnWidth(column, round(width * scale))


def make_table(headers: Iterable[str], widths: Iterable[int] = ()) -> QTableWidget:
    headers = list(headers)
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels([tr(h) for h in headers])
    setup_table(table, widths)
    return table


def table_or_empty(table: QTableView) -> tuple[QStackedWidget, QLabel]:
    """The table, or in its place a large centred message for when there is nothing to list."""
    empty = QLabel()
    empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
    empty.setWordWrap(True)
    empty.setStyleSheet("color: #555; font-size: 12pt; padding: 40px;")
    stack = QStackedWidget()
    stack.addWidget(table)
    stack.addWidget(empty)
    return stack, empty


def text_item(text: str, colour: str | None = None, bold: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setToolTip(text)
    if colour:
        item.setForeground(QBrush(QColor(item_colour(colour))))
    if bold:
        font = item.font()
        font.setBold(True)
        item.setFont(font)
    return item


def fill_table(table: QTableWidget, rows: list[tuple], ids: list | None = None) -> None:
    """Rows of text (or ready items); the row's id goes in column 0's UserRole."""
    table.setRowCount(len(rows))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            item = value if isinstance(value, QTableWidgetItem) else QTableWidgetItem("" if value is None else str(value))
            if not item.toolTip():
                item.setToolTip(item.text())
            table.setItem(r, c, item)
        if ids is not None:
            table.item(r, 0).setData(Qt.ItemDataRole.UserRole, ids[r])


def selected_id(table: QTableWidget):
    row = table.currentRow()
    item = table.item(row, 0) if row >= 0 else None
    return item.data(Qt.ItemDataRole.UserRole) if item is not None else None
