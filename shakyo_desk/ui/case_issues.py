"""地域課題 register (issue 18), opened from the 支援ケース page: the problems cases have shown
(raised at a closure, or added here by a coordinator), kept after the cases end. The register
names no household; each issue shows how many cases showed it."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QSize
from PySide6.QtWidgets import (
    QComboBox, QDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget,
)

from shakyo_desk.domain import clock
from shakyo_desk.domain.roles import manages_registers
from shakyo_desk.domain.wareki import format_wareki_short
from shakyo_desk.i18n import tr
from shakyo_desk.store.services.community_issues import IssueInfo, add_issue, list_issues
from shakyo_desk.store.services.districts import list_districts
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.dialogs import ErrorLabel, fit_to_screen
from shakyo_desk.ui.empty_state import set_empty_hint
from shakyo_desk.ui.events import REGISTER
from shakyo_desk.ui.widgets import Column, fill_district_combo, fill_table, make_table

COLUMNS = ("挙がった日", "地域課題", "地区", "ケース", "メモ")
FIT = (Column("R8.12.31", 90), Column("ひきこもりの人の居場所がない", 260, stretch=True), Column("北山地区", 90, drop=2),
       Column("12件", 60), Column("除雪の担い手も高齢", 220, stretch=True, drop=1))


class CommunityIssuesDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, today: date | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.today = today or clock.today()
        self.issues: list[IssueInfo] = []
        self.may_add = manages_registers(ctx.role)
        self.setWindowTitle(tr("地域課題の一覧"))
        heading = QLabel(tr("地域課題の一覧"))
        heading.setStyleSheet("font-size: 14pt; font-weight: bold;")
        intro = QLabel(tr("個別のケースから見えた、地域に共通する課題です。ケースが終わっても残り、"
                          "地域福祉活動計画や地域懇談会の材料になります。ケースの終結時に書いた課題もここに入ります。"))
        intro.setWordWrap(True)
        self.table = make_table(COLUMNS, fit=FIT)
        self.table.setAccessibleName(tr("地域課題の一覧"))
        set_empty_hint(self.table, tr("まだ地域課題はありません。ケースを終結するときに「見えた地域課題」を書くと、ここに加わります。"))

        self.title = QLineEdit()
        self.title.setPlaceholderText(tr("例：冬の移動手段がない"))
        self.district = QComboBox()
        self.note = QLineEdit()
        self.note.setPlaceholderText(tr("任意。例：バスが1日2本しかなく、通院も買い物も家族頼み"))
        self.add_button = QPushButton(tr("地域課題を加える(&D)"))
        self.add_button.setAutoDefault(False)
        self.add_button.clicked.connect(self.add)
        form = QFormLayout()
        form.addRow(tr("地域課題＊"), self.title)
        form.addRow(tr("地区"), self.district)
        form.addRow(tr("メモ"), self.note)
        add_row = QHBoxLayout()
        add_row.addStretch(1)
        add_row.addWidget(self.add_button)
        form.addRow("", add_row)
        add_box = QGroupBox(tr("地域課題を加える"))
        add_box.setLayout(form)
        add_box.setVisible(self.may_add)

        self.errors = ErrorLabel()
        self.close_button = QPushButton(tr("閉じる"))
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(add_box)
        layout.addWidget(self.errors)
        layout.addLayout(bottom)
        fit_to_screen(self, QSize(820, 560), settings=ctx.ui_settings, key="community_issues")
        self.load()

    def load(self) -> None:
        store = self.ctx.store
        self.ctx.executor.submit(lambda: (list_issues(store), list_districts(store)), on_done=self._loaded,
                                 on_error=self.errors.show_error, owner=self)

    def _loaded(self, result) -> None:
        self.issues, districts = result
        fill_district_combo(self.district, districts, empty_label=tr("（地区を決めない）"),
                            selected=self.district.currentData())
        fill_table(self.table, [(format_wareki_short(i.raised_on), i.title, i.district or tr("―"),
                                 tr("{n}件", n=i.case_count), i.note) for i in self.issues], [i.id for i in self.issues])

    def add(self) -> None:
        self.errors.clear_error()
        store, today = self.ctx.store, self.today
        title, district, note = self.title.text(), self.district.currentData(), self.note.text()

        def done(_issue_id) -> None:
            self.title.clear()
            self.note.clear()
            self.ctx.changed(REGISTER)
            self.load()

        self.ctx.executor.submit(lambda: add_issue(store, title, district_id=district, note=note, today=today),
                                 on_done=done, on_error=self.errors.show_error, owner=self)

    def reject(self) -> None:
        self.ctx.ui_settings.save_geometry("community_issues", self)
        super().reject()
