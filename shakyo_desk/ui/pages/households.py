"""世帯 page: search as you type, district filter, list, open the editor."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox, QHBoxLayout, QLabel, QLineEdit, QMenu, QPushButton, QTableView, QVBoxLayout, QWidget,
)

from shakyo_desk.domain.roles import manages_registers
from shakyo_desk.i18n import tr
from shakyo_desk.store.services.districts import DistrictInfo, list_districts
from shakyo_desk.store.services.households import add_household, list_households
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.dialogs import ErrorLabel
from shakyo_desk.ui.events import HOUSEHOLD, REGISTER, keep_fresh, on
from shakyo_desk.ui.field_widgets import household_label
from shakyo_desk.ui.household_editor import NewHouseholdDialog
from shakyo_desk.ui.household_model import HouseholdTableModel
from shakyo_desk.ui.list_import_dialog import open_list_import
from shakyo_desk.ui.widgets import Column, fill_district_combo, fit_columns, setup_table, table_or_empty
from shakyo_desk.ui.worker import LatestOnly

SEARCH_DEBOUNCE_MS = 150
LIST_LIMIT = 500
# HouseholdTableModel's columns. The number, the head, the address and the phone stay; the kana,
# then the member count, the flags and the district give way when the list is narrow.
FIT = (Column("H-0000ABCD", 120), Column("佐々木 花子", 130), Column("ヤマダ ハナコ", 150, drop=4),
       Column("北山地区", 110, drop=1), Column("長野県南佐久郡小海町大字豊里1234番地", 220, stretch=True),
       Column("090-0000-0000", 140), Column("12人", 60, drop=3), Column("一人暮らし高齢者", 160, drop=2))


class HouseholdListPage(QWidget):
    refresh_on = on(HOUSEHOLD, REGISTER)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.districts: list[DistrictInfo] = []
        self.editor = None
        self._latest = LatestOnly()
        self._ever_loaded = False
        self._total_unfiltered: int | None = None

        title = QLabel(tr("世帯"))
        title.setStyleSheet("font-size: 15pt; font-weight: bold;")
        self.search = QLineEdit()
        self.search.setPlaceholderText(tr("氏名・フリガナ・住所・電話番号で検索（ひらがな・カタカナどちらでも）"))
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName(tr("世帯の検索"))
        self.district = QComboBox()
        self.district.setMinimumWidth(180)
        self.district.setAccessibleName(tr("地区"))
        self.new_button = QPushButton(tr("新しい世帯"))
        self.import_button = QPushButton(tr("名簿を取り込む…"))
        self.import_button.setToolTip(tr("今あるExcelやCSVの名簿から、世帯をまとめて登録します"))
        self.import_button.setVisible(manages_registers(ctx.role))
        self.timeline_button = QPushButton(tr("経過を見る"))
        self.contact_button = QPushButton(tr("訪問記録を入力"))
        self.count_label = QLabel()
        self.errors = ErrorLabel()

        self.model = HouseholdTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        setup_table(self.table)
        fit_columns(self.table, FIT)
        self.stack, self.empty = table_or_empty(self.table)

        bar = QHBoxLayout()
        bar.addWidget(self.search, 1)
        bar.addWidget(QLabel(tr("地区")))
        bar.addWidget(self.district)
        bar.addWidget(self.new_button)
        bar.addWidget(self.import_button)
        selected_bar = QHBoxLayout()
        selected_bar.addWidget(QLabel(tr("選んだ世帯：")))
        selected_bar.addWidget(self.timeline_button)
        selected_bar.addWidget(self.contact_button)
        selected_bar.addStretch(1)
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(bar)
        layout.addWidget(self.errors)
        layout.addWidget(self.stack, 1)
        layout.addLayout(selected_bar)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self.run_search)
        self.search.textChanged.connect(self._debounce.start)
        self.district.currentIndexChanged.connect(self.run_search)
        self.new_button.clicked.connect(self.new_household)
        self.import_button.clicked.connect(self.import_list)
        self.table.doubleClicked.connect(lambda index: self.open_row(index.row()))
        self.search.installEventFilter(self)
        self.table.installEventFilter(self)
        self.timeline_button.clicked.connect(lambda: self.show_timeline(self.table.currentIndex().row()))
        self.contact_button.clicked.connect(lambda: self.new_contact(self.table.currentIndex().row()))
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.model.modelReset.connect(self._selection_changed)
        self._selection_changed()
        keep_fresh(self, ctx.events, self.refresh_on)

    # ---- loading ---------------------------------------------------------------

    def refresh(self) -> None:
        self.ctx.executor.submit(list_districts, self.ctx.store, on_done=self._districts_loaded,
                                 on_error=self.errors.show_error, owner=self)

    def _districts_loaded(self, districts: list[DistrictInfo]) -> None:
        current = self.district.currentData()
        self.districts = districts
        fill_district_combo(self.district, districts, empty_label=tr("すべての地区"), selected=current)
        self.run_search()

    def run_search(self) -> None:
        self._debounce.stop()
        seq = self._latest.next()
        text, district_id = self.search.text(), self.district.currentData()
        self.ctx.executor.submit(list_households, self.ctx.store, text, district_id, LIST_LIMIT,
                                 on_done=self._latest.wrap(seq, self._show_rows),
                                 on_error=self._latest.wrap(seq, self.errors.show_error), owner=self)

    def _show_rows(self, rows) -> None:
        self.errors.clear_error()
        self.model.set_rows(rows)
        filtered = bool(self.search.text().strip() or self.district.currentData())
        n = len(rows)
        if n >= LIST_LIMIT:
            self.count_label.setText(tr("{n}世帯以上（条件をしぼってください）", n=n))
        else:
            self.count_label.setText(tr("{n}世帯", n=n))
        if n:
            self.stack.setCurrentWidget(self.table)
        elif filtered:
            self.empty.setText(tr("条件に合う世帯はありません。\n"
                                  "名前の一部だけ、またはフリガナで探してみてください。地区を「すべての地区」に戻すと、"
                                  "ほかの地区の世帯も探せます。"))
            self.stack.setCurrentWidget(self.empty)
        else:
            self.empty.setText(tr("まだ世帯が登録されていません。\n"
                                  "「新しい世帯」ボタンから、最初の世帯を登録してください。"))
            self.stack.setCurrentWidget(self.empty)

    # ---- keyboard --------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if watched is self.search and key == Qt.Key.Key_Down and self.model.rowCount() > 0:
                self.table.setFocus()
                if not self.table.currentIndex().isValid():
                    self.table.selectRow(0)
                return True
            if watched is self.table and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                index = self.table.currentIndex()
                if index.isValid():
                    self.open_row(index.row())
                    return True
            if watched is self.search and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                if self.model.rowCount() == 1:
                    self.open_row(0)
                    return True
        return super().eventFilter(watched, event)

    # ---- timeline and contacts ---------------------------------------------------

    def _selection_changed(self, *_args) -> None:
        has = self.table.currentIndex().isValid() and self.model.row_at(self.table.currentIndex().row()) is not None
        self.timeline_button.setEnabled(bool(has))
        self.contact_button.setEnabled(bool(has))

    def _context_menu(self, pos) -> None:
        index = self.table.indexAt(pos)
        if not index.isValid():
            return
        row = index.row()
        menu = QMenu(self)
        menu.addAction(tr("開く（編集）"), lambda: self.open_row(row))
        menu.addAction(tr("経過を見る"), lambda: self.show_timeline(row))
        menu.addAction(tr("訪問記録を入力"), lambda: self.new_contact(row))
        self.context_menu = menu
        menu.popup(self.table.viewport().mapToGlobal(pos))

    def show_timeline(self, row: int) -> None:
        item = self.model.row_at(row)
        if item is not None:
            self.timeline = self.ctx.navigator.open_timeline(item.id, item.head_name, self)

    def new_contact(self, row: int) -> None:
        item = self.model.row_at(row)
        if item is not None:
            self.ctx.navigator.new_contact(self, item.id, household_label(item))

    # ---- opening and creating --------------------------------------------------

    def open_row(self, row: int) -> None:
        item = self.model.row_at(row)
        if item is not None:
            self.open_household(item.id)

    def open_household(self, household_id: str) -> None:
        self.errors.clear_error()
        self.ctx.navigator.open_household(household_id, self, districts=self.districts,
                                          on_opened=self._editor_opened, on_error=self.errors.show_error)

    def _editor_opened(self, editor) -> None:
        self.editor = editor  # saving it announces "household": the list reloads (keep_fresh)

    def new_household(self) -> None:
        self.errors.clear_error()
        dialog = NewHouseholdDialog(self.districts, default_district=self.district.currentData(), parent=self)
        dialog.submitted.connect(self._create)
        self.new_dialog = dialog
        dialog.open()

    def import_list(self) -> None:
        self.errors.clear_error()
        self.import_dialog = open_list_import(self.ctx, self)  # announces "household" when it imported

    def _create(self, values: dict) -> None:
        dialog = self.new_dialog

        def done(household_id: str) -> None:
            dialog.accept()
            self.ctx.changed(HOUSEHOLD)
            self.open_household(household_id)

        self.ctx.executor.submit(add_household, self.ctx.store, values["district_id"], values["name"],
                                 values["kana"], on_done=done, on_error=dialog.errors.show_error, owner=dialog)
