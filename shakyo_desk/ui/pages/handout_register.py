"""配布資料 page (配布資料の台帳): every handout copy made — number, recipient, who made it and
when, collected (回収) and destroyed (廃棄) — with three views: copies not yet back from
meetings already held, copies past the council's retention period and not destroyed, and all
copies of one conference. Copies are ticked and marked collected or destroyed in one go.
The navigation shows how many copies need one of those two actions."""

from __future__ import annotations

from datetime import timezone

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QHBoxLayout, QLabel, QPushButton, QTableWidgetItem, QVBoxLayout, QWidget,
)

from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.domain.wareki import format_wareki_short
from shakyo_desk.i18n import tr
from shakyo_desk.store.services import handout_register
from shakyo_desk.store.services.conferences import list_conferences
from shakyo_desk.store.services.handout_register import CopyInfo
from shakyo_desk.store.store import Store
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.date_field import DateField
from shakyo_desk.ui.dialogs import ErrorLabel
from shakyo_desk.ui.events import CONFERENCE, HANDOUT, keep_fresh, on
from shakyo_desk.ui.labels import hint_label
from shakyo_desk.ui.style import ERROR_COLOUR
from shakyo_desk.ui.widgets import Column, fill_table, make_table, table_or_empty, text_item
from shakyo_desk.ui.worker import LatestOnly
from shakyo_desk.domain import clock

COLUMNS = ("配布番号", "会議の日", "会議", "配布先", "作った人", "作った日時", "回収", "廃棄")
# The copy, its meeting, who holds it and whether it came back stay; who made it and when give way.
FIT = (Column("12番", 90), Column("R8.12.31", 90), Column("支援会議（個別支援会議）", 200, stretch=True),
       Column("民生委員 佐々木 花子", 260, stretch=True), Column("佐々木 花子", 110, drop=2),
       Column("R8.12.31 10:30", 130, drop=1), Column("R8.12.31", 90), Column("R8.12.31", 90))
VIEWS = {
    "uncollected": "回収されていない資料",
    "past_retention": "保存期間を過ぎて廃棄されていない資料",
    "conference": "会議ごとにすべて",
}
OK_COLOUR = "#2f6b3a"


def copies_needing_action(store: Store) -> int:
    """The badge: copies not back from meetings held, or past retention and not destroyed."""
    ids = {c.id for c in handout_register.uncollected(store)}
    ids |= {c.id for c in handout_register.past_retention(store)}
    return len(ids)


def made_text(copy: CopyInfo) -> str:
    """When the copy was made, in local time (stored as naive UTC)."""
    local = copy.made_at.replace(tzinfo=timezone.utc).astimezone()
    return f"{format_wareki_short(local.date())} {local:%H:%M}"


def copy_cells(copy: CopyInfo) -> tuple:
    number = QTableWidgetItem(tr("{n}番", n=copy.copy_number))
    number.setFlags(number.flags() | Qt.ItemFlag.ItemIsUserCheckable)
    number.setCheckState(Qt.CheckState.Unchecked)
    collected = (text_item(format_wareki_short(copy.collected_on), OK_COLOUR) if copy.collected_on
                 else text_item(tr("未回収"), ERROR_COLOUR, bold=True) if copy.destroyed_on is None else text_item("—"))
    destroyed = text_item(format_wareki_short(copy.destroyed_on), OK_COLOUR) if copy.destroyed_on else text_item(tr("未"))
    title = copy.conference_title or copy.type_label
    return (number, format_wareki_short(copy.held_on), f"{title}（{copy.type_label}）" if copy.conference_title else title,
            copy.recipient, copy.made_by_name, made_text(copy), collected, destroyed)


def load_view(store: Store, view: str, conference_id: str | None) -> dict:
    """One view's copies, the register counts, the retention period and how many copies each
    of the two lists holds (for the view choice), in the worker."""
    lists = {"uncollected": handout_register.uncollected(store), "past_retention": handout_register.past_retention(store)}
    if view == "conference":
        copies = handout_register.copies_of(store, conference_id) if conference_id else []
    else:
        copies = lists[view]
    return {"copies": copies, "sizes": {k: len(v) for k, v in lists.items()},
            "counts": handout_register.counts(store, conference_id if view == "conference" and conference_id else None),
            "retention": handout_register.retention_days(store)}


class HandoutRegisterPage(QWidget):
    rows_on = frozenset({HANDOUT})
    refresh_on = on(CONFERENCE)  # the list of conferences, then the rows

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.copies: list[CopyInfo] = []
        self._latest = LatestOnly()
        self._wanted_conference: str | None = None

        title = QLabel(tr("配布資料の台帳"))
        title.setStyleSheet("font-size: 15pt; font-weight: bold;")
        self.counts_label = QLabel()
        self.view = QComboBox()
        for key, label in VIEWS.items():
            self.view.addItem(tr(label), key)
        self.view.setAccessibleName(tr("表示する資料"))
        self.view.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.conference = QComboBox()
        self.conference.setMinimumWidth(320)
        self.conference.setAccessibleName(tr("会議"))
        self.conference_label = QLabel(tr("会議"))
        self.explain = hint_label()
        self.table = make_table(COLUMNS, fit=FIT)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAccessibleName(tr("配布資料の一覧"))
        self.stack, self.empty = table_or_empty(self.table)
        self.check_all = QPushButton(tr("すべてにチェック"))
        self.check_none = QPushButton(tr("チェックを外す"))
        self.on_date = DateField(allow_future=False)
        self.on_date.setAccessibleName(tr("回収・廃棄した日"))
        self.collect_button = QPushButton(tr("チェックした資料を回収済みにする"))
        self.destroy_button = QPushButton(tr("チェックした資料を廃棄済みにする"))
        self.checked_label = QLabel()
        self.errors = ErrorLabel()
        self.status = QLabel()
        self.status.setStyleSheet(f"color: {OK_COLOUR}; font-weight: bold;")

        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(self.counts_label)
        bar = QHBoxLayout()
        bar.addWidget(QLabel(tr("表示")))
        bar.addWidget(self.view)
        bar.addSpacing(8)
        bar.addWidget(self.conference_label)
        bar.addWidget(self.conference, 1)
        bar.addStretch(0)
        ticks = QHBoxLayout()
        ticks.addWidget(self.check_all)
        ticks.addWidget(self.check_none)
        ticks.addWidget(self.checked_label)
        ticks.addStretch(1)
        dated = QHBoxLayout()  # the date on its own row: the buttons fit beside nothing at a large text size
        dated.addWidget(QLabel(tr("日付")))
        dated.addWidget(self.on_date)
        dated.addStretch(1)
        actions = QHBoxLayout()
        actions.addWidget(self.collect_button)
        actions.addWidget(self.destroy_button)
        actions.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(bar)
        layout.addWidget(self.explain)
        layout.addWidget(self.errors)
        layout.addWidget(self.stack, 1)
        layout.addLayout(ticks)
        layout.addLayout(dated)
        layout.addLayout(actions)
        layout.addWidget(self.status)

        self.view.currentIndexChanged.connect(self._view_changed)
        self.conference.currentIndexChanged.connect(self.load)
        self.check_all.clicked.connect(lambda: self.set_all_checked(True))
        self.check_none.clicked.connect(lambda: self.set_all_checked(False))
        self.collect_button.clicked.connect(lambda: self.mark("collected"))
        self.destroy_button.clicked.connect(lambda: self.mark("destroyed"))
        self.table.itemChanged.connect(lambda _item: self._update_checked())
        self.table.doubleClicked.connect(self._toggle_row)
        self.table.installEventFilter(self)
        self._view_changed()
        keep_fresh(self, ctx.events, self.rows_on, self.load)
        keep_fresh(self, ctx.events, self.refresh_on)

    # ---- loading ---------------------------------------------------------------------

    def refresh(self) -> None:
        self.ctx.executor.submit(list_conferences, self.ctx.store, on_done=self._conferences,
                                 on_error=self.errors.show_error, owner=self)

    def _conferences(self, rows) -> None:
        current = self._wanted_conference or self.conference.currentData()
        self.conference.blockSignals(True)
        self.conference.clear()
        for r in rows:
            self.conference.addItem(f"{format_wareki_short(r.held_on)}　{r.display_title}（{r.type_label}）", r.id)
        self.conference.setCurrentIndex(max(0, self.conference.findData(current)) if current else 0)
        self.conference.blockSignals(False)
        self._wanted_conference = None
        self.load()

    def show_conference(self, conference_id: str) -> None:
        """All copies of one conference (from the conference editor)."""
        self._wanted_conference = conference_id
        self.view.setCurrentIndex(self.view.findData("conference"))
        self.refresh()

    def _view_changed(self) -> None:
        view = self.view.currentData()
        by_conference = view == "conference"
        self.conference.setVisible(by_conference)
        self.conference_label.setVisible(by_conference)
        self.load()

    def load(self) -> None:
        seq = self._latest.next()
        store, view, conference_id = self.ctx.store, self.view.currentData(), self.conference.currentData()
        self.ctx.executor.submit(lambda: load_view(store, view, conference_id), on_done=self._latest.wrap(seq, self._show),
                                 on_error=self._latest.wrap(seq, self.errors.show_error), owner=self)

    def _show(self, result: dict) -> None:
        copies, counts, retention = result["copies"], result["counts"], result["retention"]
        for key, n in result["sizes"].items():
            index = self.view.findData(key)
            self.view.setItemText(index, tr("{label}（{n}部）", label=tr(VIEWS[key]), n=n) if n else tr(VIEWS[key]))
        self.errors.clear_error()
        self.copies = copies
        self.table.blockSignals(True)
        fill_table(self.table, [copy_cells(c) for c in copies], [c.id for c in copies])
        self.table.blockSignals(False)
        view = self.view.currentData()
        scope = tr("この会議") if view == "conference" else tr("全体")
        self.counts_label.setText(tr("{scope}：作成 {m}部・回収 {c}部・廃棄 {d}部・手元にない {o}部", scope=scope,
                                     m=counts.made, c=counts.collected, d=counts.destroyed, o=counts.outstanding))
        self.explain.setText({
            "uncollected": tr("開催日を過ぎた会議の資料のうち、回収も廃棄も記録されていないものです。"
                              "戻ってきた資料にチェックを付けて「回収済みにする」を押してください。"),
            "past_retention": tr("会議から{n}日（保存期間）を過ぎても廃棄が記録されていない資料です。"
                                 "シュレッダーなどで廃棄したら「廃棄済みにする」を押してください。", n=retention),
            "conference": tr("この会議で作った資料のすべてです。"),
        }[view])
        if copies:
            self.stack.setCurrentWidget(self.table)
        else:
            self.empty.setText({
                "uncollected": tr("回収されていない資料はありません。"),
                "past_retention": tr("保存期間を過ぎて残っている資料はありません。"),
                "conference": tr("この会議の資料は、まだ作られていません。") if self.conference.count()
                else tr("会議がまだ登録されていません。「会議」の画面の「新しい会議を登録…」から会議を登録し、"
                        "「会議資料…」から資料を作ってください。"),
            }[view])
            self.stack.setCurrentWidget(self.empty)
        self._update_checked()

    # ---- ticking ---------------------------------------------------------------------

    def checked_ids(self) -> list[str]:
        return [self.table.item(r, 0).data(Qt.ItemDataRole.UserRole) for r in range(self.table.rowCount())
                if self.table.item(r, 0).checkState() == Qt.CheckState.Checked]

    def set_checked(self, copy_ids, checked: bool = True) -> None:
        wanted = set(copy_ids)
        for r in range(self.table.rowCount()):
            item = self.table.item(r, 0)
            if item.data(Qt.ItemDataRole.UserRole) in wanted:
                item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def set_all_checked(self, checked: bool) -> None:
        self.set_checked([c.id for c in self.copies], checked)

    def _toggle_row(self, index) -> None:
        item = self.table.item(index.row(), 0)
        if item is not None:
            item.setCheckState(Qt.CheckState.Unchecked if item.checkState() == Qt.CheckState.Checked
                               else Qt.CheckState.Checked)

    def _update_checked(self) -> None:
        n = len(self.checked_ids())
        self.checked_label.setText(tr("{n}部にチェック", n=n) if n else "")
        self.collect_button.setEnabled(bool(n))
        self.destroy_button.setEnabled(bool(n))
        has = bool(self.copies)
        self.check_all.setEnabled(has)
        self.check_none.setEnabled(has)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        """Space ticks (or unticks) every selected row, whichever cell is current."""
        if watched is self.table and event.type() == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Space:
            for row in sorted({i.row() for i in self.table.selectedIndexes()}):
                self._toggle_row(self.table.model().index(row, 0))
            return True
        return super().eventFilter(watched, event)

    def mark(self, what: str) -> None:
        ids = self.checked_ids()
        if not ids:
            return
        try:
            day = self.on_date.checked_date(tr("日付"))
        except InvalidInput as error:
            self.errors.show_error(error)
            return
        fn = handout_register.mark_collected if what == "collected" else handout_register.mark_destroyed
        store = self.ctx.store
        self.status.setText("")

        def done(changed: int) -> None:
            label = tr("回収済み") if what == "collected" else tr("廃棄済み")
            self.status.setText(tr("{n}部を{label}にしました（{d}）。", n=changed, label=label,
                                   d=format_wareki_short(day or clock.today())))
            self.ctx.changed(HANDOUT)  # the rows reload, and the badge

        self.ctx.executor.submit(lambda: fn(store, ids, day), on_done=done, on_error=self.errors.show_error, owner=self)
