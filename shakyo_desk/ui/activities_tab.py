"""地域活動 tab of the 地域 page (issue 19): the 地域懇談会, 学習会, 協議体 … recorded, newest
first, filtered by district (with its 集落) and 年度; 記録 and 直す open ``ActivityDialog``."""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from shakyo_desk.domain import clock
from shakyo_desk.domain.wareki import fiscal_year, format_fiscal_year, format_wareki_short
from shakyo_desk.i18n import tr
from shakyo_desk.store.services.activities import ActivityInfo, list_activities
from shakyo_desk.store.services.community_issues import list_issues
from shakyo_desk.store.services.districts import list_districts
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.dialogs import ErrorLabel
from shakyo_desk.ui.empty_state import set_empty_hint
from shakyo_desk.ui.events import COMMUNITY
from shakyo_desk.ui.widgets import Column, fill_district_combo, fill_table, make_table, on_enter, selected_id

COLUMNS = ("日付", "種類", "地区", "名前", "参加", "参加した団体", "話し合われたこと", "地域課題")
FIT = (Column("R8.12.31", 90), Column("サロン立ち上げ", 110), Column("北山地区", 90, drop=3),
       Column("上町 なるほど地域懇談会", 190, stretch=True), Column("120人", 55),
       Column("自治会、民生委員協議会", 170, stretch=True, drop=1),
       Column("冬はバスが減り通院に困る", 220, stretch=True, drop=2), Column("冬の移動手段がない", 160, stretch=True))
YEARS_BACK = 5  # 年度 offered in the filter besides the current one


class ActivitiesTab(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, today: date | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self._today = today
        self.rows: list[ActivityInfo] = []
        self.districts = []
        self.issues = []
        self.dialog = None
        start = ctx.council.fiscal_year_start_month if ctx.council else 4
        self.start_month = start
        self.district = QComboBox()
        self.district.setAccessibleName(tr("地区で絞り込む"))
        self.district.addItem(tr("すべての地区"), None)
        self.year = QComboBox()
        self.year.setAccessibleName(tr("年度で絞り込む"))
        current = fiscal_year(self.today(), start)
        self.year.addItem(tr("すべての年度"), None)
        for y in range(current, current - YEARS_BACK - 1, -1):
            self.year.addItem(format_fiscal_year(y, start), y)
        self.year.setCurrentIndex(1)  # this 年度
        self.district.currentIndexChanged.connect(lambda _i: self.refresh())
        self.year.currentIndexChanged.connect(lambda _i: self.refresh())
        district_label = QLabel(tr("地区(&C)"))
        district_label.setBuddy(self.district)
        year_label = QLabel(tr("年度(&Y)"))
        year_label.setBuddy(self.year)
        self.add_button = QPushButton(tr("地域活動を記録(&N)…"))
        self.add_button.clicked.connect(lambda _c=False: self.add())
        self.edit_button = QPushButton(tr("開いて直す(&E)…"))
        self.edit_button.clicked.connect(lambda _c=False: self.edit())
        top = QHBoxLayout()
        top.addWidget(district_label)
        top.addWidget(self.district)
        top.addWidget(year_label)
        top.addWidget(self.year)
        top.addStretch(1)
        top.addWidget(self.add_button)
        top.addWidget(self.edit_button)
        self.table = make_table(COLUMNS, fit=FIT, wrap=True)
        self.table.setAccessibleName(tr("地域活動の一覧"))
        self.empty_hint = set_empty_hint(self.table, tr(
            "この条件の地域活動はまだありません。「地域活動を記録」から、地域懇談会や学習会を記録します。"))
        self.table.doubleClicked.connect(lambda _i: self.edit())
        on_enter(self.table, self.edit)
        self.summary = QLabel()
        self.errors = ErrorLabel()
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.errors)

    def today(self) -> date:
        return self._today or clock.today()

    def refresh(self) -> None:
        store, district, year, start = self.ctx.store, self.district.currentData(), self.year.currentData(), self.start_month

        def load():
            return (list_activities(store, district, fiscal_year=year, start_month=start), list_districts(store),
                    list_issues(store))

        self.ctx.executor.submit(load, on_done=self._loaded, on_error=self.errors.show_error, owner=self)

    def _loaded(self, result) -> None:
        self.rows, self.districts, self.issues = result
        self.errors.clear_error()
        fill_district_combo(self.district, self.districts, empty_label=tr("すべての地区"),
                            selected=self.district.currentData())
        titles = {i.id: i.title for i in self.issues}
        fill_table(self.table, [
            (format_wareki_short(a.held_on), a.activity_type, a.district or tr("社協全体"), a.title,
             tr("{n}人", n=a.participants) if a.participants is not None else tr("―"), "、".join(a.organisations),
             a.raised, "、".join(titles[i] for i in a.issue_ids if i in titles))
            for a in self.rows], [a.id for a in self.rows])
        people = sum(a.participants or 0 for a in self.rows)
        self.summary.setText(tr("{n}件の活動　参加 延べ{p}人", n=len(self.rows), p=people) if self.rows else "")
        self.edit_button.setEnabled(bool(self.rows))

    def _open(self, activity: ActivityInfo | None):
        from shakyo_desk.ui.activity_dialog import ActivityDialog

        dialog = ActivityDialog(self.ctx, self.districts, self.issues, self, activity=activity,
                                district_id=self.district.currentData(), today=self._today)
        dialog.saved.connect(self._saved)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _saved(self, _result) -> None:
        self.ctx.changed(COMMUNITY)  # the 地域 page, the register, the case screens
        self.refresh()

    def add(self):
        return self._open(None)

    def edit(self):
        chosen = selected_id(self.table)
        activity = next((a for a in self.rows if a.id == chosen), None)
        return self._open(activity) if activity is not None else None
