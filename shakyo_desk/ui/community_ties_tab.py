"""支え合い tab of the 地域 page (issue 19): the ties that hold in a district (and its 集落), or —
with the toggle — the 一人暮らし高齢者 and 高齢者のみ households that have no tie at all (the
whole council for coordinators); 一括入力… for a 地域懇談会, and the household's editor."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QPushButton, QStackedWidget, QVBoxLayout, QWidget

from shakyo_desk.domain import clock
from shakyo_desk.i18n import tr
from shakyo_desk.store.services.districts import DistrictInfo, list_districts, subtree_ids
from shakyo_desk.store.services.ties import households_without_tie, list_tie_rows
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.dialogs import ErrorLabel
from shakyo_desk.ui.empty_state import set_empty_hint
from shakyo_desk.ui.household_ties import confirmed_item
from shakyo_desk.ui.widgets import Column, fill_district_combo, fill_table, make_table, selected_id

TIE_COLUMNS = ("世帯", "地区", "支え手", "立場", "種類", "頻度", "最後の確認")
TIE_FIT = (Column("佐々木 花子", 120), Column("北山地区", 90, drop=2), Column("佐藤 キヨ（上町）", 150, stretch=True),
           Column("ボランティア", 90, drop=3), Column("安否確認", 80), Column("毎朝と夕方", 100, drop=1),
           Column("R8.12.31（1年以上前）", 160))
UNTIED_COLUMNS = ("世帯", "地区", "世帯の特徴")
UNTIED_FIT = (Column("佐々木 花子", 140), Column("北山地区", 120), Column("一人暮らし高齢者", 200, stretch=True))


def load_ties_tab(store, district_id: str | None, untied: bool):
    wanted = set(subtree_ids(store, district_id)) if district_id else None
    if untied:
        rows = [u for u in households_without_tie(store) if wanted is None or u.district_id in wanted]
    else:
        rows = list_tie_rows(store, [district_id] if district_id else None)
    return list_districts(store), rows


class CommunityTiesTab(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.districts: list[DistrictInfo] = []
        self.district = QComboBox()
        self.district.setAccessibleName(tr("地区"))
        fill_district_combo(self.district, [], empty_label=tr("（すべての地区）"))
        self.untied = QCheckBox(tr("支え合いの関係がない世帯を表示(&U)"))
        self.untied.setToolTip(tr("一人暮らし高齢者・高齢者のみの世帯のうち、続いている支え合いの関係がひとつもない世帯"))
        self.table = make_table(TIE_COLUMNS, fit=TIE_FIT)
        self.table.setAccessibleName(tr("支え合いの関係の一覧"))
        set_empty_hint(self.table, tr("この地区には、まだ支え合いの関係が記録されていません。世帯の画面の「支え合い」や、"
                                      "「一括入力…」で記録できます。"))
        self.untied_table = make_table(UNTIED_COLUMNS, fit=UNTIED_FIT)
        self.untied_table.setAccessibleName(tr("支え合いの関係がない世帯の一覧"))
        set_empty_hint(self.untied_table, tr("一人暮らし高齢者・高齢者のみの世帯には、どこも支え合いの関係があります。"))
        self.stack = QStackedWidget()
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.untied_table)
        self.count = QLabel()
        self.count.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.bulk_button = QPushButton(tr("一括入力(&B)…"))
        self.bulk_button.setToolTip(tr("地域懇談会などで聞いた支え合いを、地区の世帯ごとにまとめて入力します"))
        self.open_button = QPushButton(tr("世帯を開く(&O)"))
        self.bulk_button.clicked.connect(self.bulk)
        self.open_button.clicked.connect(self.open_household)
        for button in (self.bulk_button, self.open_button):
            button.setAutoDefault(False)
        self.errors = ErrorLabel()
        top = QHBoxLayout()
        top.addWidget(QLabel(tr("地区")))
        top.addWidget(self.district)
        top.addWidget(self.untied)
        top.addStretch(1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.bulk_button)
        bottom.addWidget(self.count, 1)
        bottom.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.errors)
        layout.addLayout(bottom)
        self.district.currentIndexChanged.connect(lambda _i: self.refresh())
        self.untied.toggled.connect(lambda _on: self.refresh())
        self.table.doubleClicked.connect(lambda _index: self.open_household())
        self.untied_table.doubleClicked.connect(lambda _index: self.open_household())
        self.household_ids: list[str] = []

    def refresh(self) -> None:
        store, district_id, untied = self.ctx.store, self.district.currentData(), self.untied.isChecked()
        self.ctx.executor.submit(lambda: (untied, *load_ties_tab(store, district_id, untied)), on_done=self._loaded,
                                 on_error=self.errors.show_error, owner=self)

    def _loaded(self, result) -> None:
        untied, self.districts, rows = result
        self.errors.clear_error()
        fill_district_combo(self.district, self.districts, empty_label=tr("（すべての地区）"),
                            selected=self.district.currentData())
        today = clock.today()
        if untied:
            fill_table(self.untied_table, [(u.head_name, u.district, "・".join(u.flags)) for u in rows],
                       [u.household_id for u in rows])
            self.household_ids = [u.household_id for u in rows]
            self.count.setText(tr("関係のない世帯：{n}世帯", n=len(rows)))
        else:
            fill_table(self.table, [(r.household, r.district, r.tie.supporter, r.tie.supporter_kind or tr("担い手"),
                                     r.tie.kind, r.tie.frequency, confirmed_item(r.tie, today)) for r in rows],
                       [r.tie.household_id for r in rows])
            self.count.setText(tr("{n}件の関係（{h}世帯）", n=len(rows), h=len({r.tie.household_id for r in rows})))
        self.stack.setCurrentWidget(self.untied_table if untied else self.table)

    def open_household(self) -> None:
        from shakyo_desk.ui.household_editor import open_household_editor

        household_id = selected_id(self.stack.currentWidget())
        if household_id:
            def opened(editor) -> None:
                self.editor = editor

            open_household_editor(self.ctx, household_id, self, districts=self.districts, on_opened=opened,
                                  on_error=self.errors.show_error)

    def bulk(self):
        from shakyo_desk.ui.tie_bulk_dialog import TieBulkDialog

        dialog = TieBulkDialog(self.ctx, self.districts, district_id=self.district.currentData(), parent=self)
        self.bulk_dialog = dialog
        dialog.finished.connect(lambda _r: self.refresh())
        dialog.open()
        return dialog
