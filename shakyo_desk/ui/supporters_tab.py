"""担い手 tab of the 地域 page (issue 19): at the top, the supporters per district against the
council's target for this 年度 (「北地区 12 / 目標 15」); below, the register — name, district,
what they can do, consent to be contacted, what they do now, how many households they carry.
Coordinators and admins add and edit, and set the targets (「目標を設定…」); staff read."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from shakyo_desk.domain import clock
from shakyo_desk.domain.roles import manages_registers
from shakyo_desk.domain.wareki import fiscal_year, format_fiscal_year
from shakyo_desk.i18n import tr
from shakyo_desk.store.services.districts import DistrictInfo, list_districts
from shakyo_desk.store.services.supporters import DistrictCount, SupporterInfo, carried_counts, counts, list_supporters
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.dialogs import ErrorLabel
from shakyo_desk.ui.empty_state import set_empty_hint
from shakyo_desk.ui.supporter_dialog import SupporterDialog
from shakyo_desk.ui.supporter_targets import TargetsDialog
from shakyo_desk.ui.style import ERROR_COLOUR
from shakyo_desk.ui.widgets import Column, fill_table, make_table, selected_id, text_item

MANY = 5  # a supporter carrying this many households or more is marked (too much on one person)
COLUMNS = ("名前", "地区", "できること", "連絡の同意", "いまの役割", "支えている世帯")
FIT = (Column("佐々木 花子", 120), Column("北山地区", 90, drop=2), Column("朝の声かけ、買い物の送迎", 220, stretch=True),
       Column("あり", 80), Column("サロンの世話役", 140, drop=1), Column("12世帯（多い）", 110))


def count_text(c: DistrictCount) -> str:
    if c.target is None:
        return tr("{district} {n}人", district=c.district, n=c.supporters)
    return tr("{district} {n} / 目標 {target}", district=c.district, n=c.supporters, target=c.target)


def start_month(ctx: AppContext) -> int:
    return ctx.council.fiscal_year_start_month if ctx.council is not None else 4


class SupportersTab(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.supporters: list[SupporterInfo] = []
        self.districts: list[DistrictInfo] = []
        self.may_edit = manages_registers(ctx.role)
        self.year_label = QLabel()
        self.year_label.setStyleSheet("font-weight: bold;")
        self.counts_label = QLabel()
        self.counts_label.setWordWrap(True)
        self.table = make_table(COLUMNS, fit=FIT)
        self.table.setAccessibleName(tr("担い手の一覧"))
        set_empty_hint(self.table, tr("まだ担い手が登録されていません。把握シートの「支え手になれそうか」や、サロン・"
                                      "地域懇談会で出会った方を「担い手を登録…」で登録してください。"))
        self.table.doubleClicked.connect(lambda _index: self.edit())
        self.add_button = QPushButton(tr("担い手を登録(&N)…"))
        self.edit_button = QPushButton(tr("編集(&E)…"))
        self.targets_button = QPushButton(tr("目標を設定(&T)…"))
        self.add_button.clicked.connect(self.add)
        self.edit_button.clicked.connect(self.edit)
        self.targets_button.clicked.connect(self.set_targets)
        for button in (self.add_button, self.edit_button, self.targets_button):
            button.setAutoDefault(False)
            button.setVisible(self.may_edit)
        self.errors = ErrorLabel()
        row = QHBoxLayout()
        row.addWidget(self.add_button)
        row.addWidget(self.edit_button)
        row.addStretch(1)
        row.addWidget(self.targets_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.year_label)
        layout.addWidget(self.counts_label)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.errors)
        layout.addLayout(row)
        self.table.itemSelectionChanged.connect(lambda: self.edit_button.setEnabled(self.current() is not None))
        self.edit_button.setEnabled(False)

    def refresh(self) -> None:
        store, year = self.ctx.store, fiscal_year(clock.today(), start_month(self.ctx))
        self.ctx.executor.submit(lambda: (year, list_supporters(store), carried_counts(store), counts(store, year),
                                          list_districts(store)),
                                 on_done=self._loaded, on_error=self.errors.show_error, owner=self)

    def _loaded(self, result) -> None:
        year, self.supporters, carried, per_district, self.districts = result
        self.errors.clear_error()
        self.year_label.setText(tr("{year}の担い手と目標", year=format_fiscal_year(year, start_month(self.ctx))))
        shown = [c for c in per_district if c.supporters or c.target is not None]
        self.counts_label.setText("　".join(count_text(c) for c in shown) or tr("担い手も目標もまだありません。"))
        rows = []
        for s in self.supporters:
            n = carried.get(s.id, 0)
            rows.append((s.name, s.district or tr("社協全体"), s.can_do, tr("あり") if s.contact_consent else tr("なし"),
                         s.current_role, text_item(tr("{n}世帯（多い）", n=n), ERROR_COLOUR, bold=True) if n >= MANY
                         else tr("{n}世帯", n=n)))
        fill_table(self.table, rows, [s.id for s in self.supporters])
        self.edit_button.setEnabled(self.current() is not None)

    def current(self) -> SupporterInfo | None:
        supporter_id = selected_id(self.table)
        return next((s for s in self.supporters if s.id == supporter_id), None)

    def _open(self, info: SupporterInfo | None) -> SupporterDialog:
        dialog = SupporterDialog(self.ctx, self.districts, info=info, parent=self)
        self.dialog = dialog
        dialog.saved.connect(lambda _id: self.refresh())
        dialog.open()
        return dialog

    def add(self) -> SupporterDialog | None:
        return self._open(None) if self.may_edit else None

    def edit(self) -> SupporterDialog | None:
        info = self.current()
        return self._open(info) if info is not None and self.may_edit else None

    def set_targets(self) -> TargetsDialog | None:
        if not self.may_edit:
            return None
        dialog = TargetsDialog(self.ctx, parent=self)
        self.dialog = dialog
        dialog.finished.connect(lambda _result: self.refresh())
        dialog.open()
        return dialog
