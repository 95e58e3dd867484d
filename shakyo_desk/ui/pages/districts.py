"""地区 page (admin, coordinator): the district tree, add and rename."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QTreeWidget, QTreeWidgetItem,
    QVBoxLayout, QWidget,
)

from shakyo_desk.i18n import tr
from shakyo_desk.store.services.districts import DistrictInfo, add_district, list_districts, rename_district
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.dialogs import ErrorLabel
from shakyo_desk.ui.events import REGISTER, keep_fresh, on
from shakyo_desk.ui.empty_state import set_empty_hint
from shakyo_desk.ui.widgets import fill_district_combo


class DistrictsPage(QWidget):
    refresh_on = on(REGISTER)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        keep_fresh(self, ctx.events, self.refresh_on)
        self.districts: list[DistrictInfo] = []
        title = QLabel(tr("地区"))
        title.setStyleSheet("font-size: 15pt; font-weight: bold;")
        intro = QLabel(tr("世帯を分ける地区（行政区・集落）を登録します。地区の下に集落などを作ることもできます。"))
        intro.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels([tr("地区名"), tr("ふりがな")])
        self.tree.setColumnWidth(0, 260)
        self.tree.setStyleSheet("QTreeWidget::item { padding: 4px 2px; }")
        self.tree.currentItemChanged.connect(self._selected)
        set_empty_hint(self.tree, tr("まだ地区が登録されていません。右の「地区を追加」に地区名を入力して、"
                                     "「追加」を押してください。"))

        self.name = QLineEdit()
        self.kana = QLineEdit()
        self.kana.setPlaceholderText(tr("例：かみまち"))
        self.parent_combo = QComboBox()
        self.add_button = QPushButton(tr("追加"))
        self.add_button.clicked.connect(self.add)
        add_box = QGroupBox(tr("地区を追加"))
        form = QFormLayout(add_box)
        form.addRow(tr("地区名"), self.name)
        form.addRow(tr("ふりがな"), self.kana)
        form.addRow(tr("上位の地区"), self.parent_combo)
        form.addRow("", self.add_button)

        self.rename_edit = QLineEdit()
        self.rename_button = QPushButton(tr("名前を変更"))
        self.rename_button.clicked.connect(self.rename)
        rename_box = QGroupBox(tr("選んだ地区の名前を変更"))
        rename_row = QHBoxLayout(rename_box)
        rename_row.addWidget(self.rename_edit, 1)
        rename_row.addWidget(self.rename_button)

        self.errors = ErrorLabel()
        side = QVBoxLayout()
        side.addWidget(add_box)
        side.addWidget(rename_box)
        side.addWidget(self.errors)
        side.addStretch(1)
        body = QHBoxLayout()
        body.addWidget(self.tree, 3)
        body.addLayout(side, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addLayout(body, 1)

    def refresh(self) -> None:
        self.ctx.executor.submit(list_districts, self.ctx.store, on_done=self._loaded,
                                 on_error=self.errors.show_error, owner=self)

    def _loaded(self, districts: list[DistrictInfo]) -> None:
        self.districts = districts
        self.tree.clear()
        items: dict[str, QTreeWidgetItem] = {}
        for d in districts:
            parent = items.get(d.parent_id)
            item = QTreeWidgetItem([d.name, d.kana])
            item.setData(0, Qt.ItemDataRole.UserRole, d.id)
            if parent is None:
                self.tree.addTopLevelItem(item)
            else:
                parent.addChild(item)
            items[d.id] = item
        self.tree.expandAll()
        fill_district_combo(self.parent_combo, districts, empty_label=tr("（なし：いちばん上の地区）"))

    def _selected(self, item: QTreeWidgetItem | None, _previous=None) -> None:
        self.rename_edit.setText(item.text(0) if item else "")

    def add(self) -> None:
        self.errors.clear_error()

        def done(_id) -> None:
            self.name.clear()
            self.kana.clear()
            self.ctx.changed(REGISTER)

        self.ctx.executor.submit(add_district, self.ctx.store, self.name.text(), self.kana.text(),
                                 self.parent_combo.currentData(), on_done=done, on_error=self.errors.show_error,
                                 owner=self)

    def rename(self) -> None:
        item = self.tree.currentItem()
        if item is None:
            self.errors.show_error(tr("一覧から地区を選んでください。"))
            return
        self.errors.clear_error()
        self.ctx.executor.submit(rename_district, self.ctx.store, item.data(0, Qt.ItemDataRole.UserRole),
                                 self.rename_edit.text(), on_done=lambda _r: self.ctx.changed(REGISTER),
                                 on_error=self.errors.show_error, owner=self)
