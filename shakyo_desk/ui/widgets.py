"""Small reusable widgets: district combo, checkable lists."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QListWidget, QListWidgetItem

from shakyo_desk.store.services.districts import DistrictInfo


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
        self.setStyleSheet("QListWidget::item { padding: 2px 4px; }")
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
