"""操作の記録 page (issue 6, admins only): who viewed, changed or exported what, filtered by
account, period, kind of operation and household; 「さらに読み込む」 pages back 500 at a time;
「改ざんがないか確かめる」 checks the hash chain and every witness of its head in the worker with a
progress dialog; the head (last id and its hash) is shown to be noted down;
「書き出す…」 writes the filtered entries to a CSV for an inspection (itself recorded)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtWidgets import (
    QComboBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit, QProgressDialog, QPushButton, QVBoxLayout, QWidget,
)

from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.domain.wareki import format_wareki_short
from shakyo_desk.i18n import tr
from shakyo_desk.store.services import audit_log
from shakyo_desk.store.services.audit_log import AuditEntry, AuditFilters, AuditPage
from shakyo_desk.store.services.households import list_households
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.date_field import DateField
from shakyo_desk.ui.dialogs import ErrorLabel
from shakyo_desk.ui.events import KINDS, keep_fresh
from shakyo_desk.ui.labels import hint_label, set_notice
from shakyo_desk.ui.pages.contacts import PERIODS, period_range
from shakyo_desk.ui.pages.sync import ProgressRelay
from shakyo_desk.ui.widgets import Column, make_table, table_or_empty, text_item
from shakyo_desk.ui.worker import LatestOnly
from shakyo_desk.domain import clock

PAGE = 500
COLUMNS = ("日時", "アカウント", "操作", "対象", "内容")
# When, who, what and on what stay; the details take what is left.
FIT = (Column("R8.12.31 10:30", 150), Column("佐々木 花子", 130), Column("訪問記録を入力", 200),
       Column("世帯 佐々木 花子", 260, drop=1), Column("見たこと・聞いたこと", 200, stretch=True))
CSV_FILTERS = {
    "CSV（Excel用・UTF-8 BOM付き） (*.csv)": "utf-8",
    "CSV（Shift_JIS・古いExcel用） (*.csv)": "cp932",
}
GROUP_COLOURS = {"account": "#7a3e00", "export": "#1f4e79", "view": "#2f6b3a"}


def ask_save_path(parent: QWidget, title: str, suggested: str, filters: list[str]) -> tuple[str, str]:
    """(path, chosen filter); ("", "") when cancelled. Tests replace this."""
    path, chosen = QFileDialog.getSaveFileName(parent, title, suggested, ";;".join(filters), filters[0])
    return path, chosen


def when_text(entry: AuditEntry) -> str:
    local = entry.local_time
    return f"{format_wareki_short(local.date())} {local:%H:%M:%S}"


def entry_cells(entry: AuditEntry) -> list:
    who = text_item(entry.staff_name or entry.login)
    who.setToolTip(tr("{name}（{login}）・端末：{device}", name=entry.staff_name, login=entry.login, device=entry.device))
    action = text_item(entry.label, GROUP_COLOURS.get(entry.group))
    action.setToolTip(tr("{group}：{action}", group=entry.group_label, action=entry.action))
    return [text_item(when_text(entry)), who, action, text_item(entry.target), text_item(entry.summary)]


class AuditPageWidget(QWidget):
    refresh_on = KINDS  # every write is audited

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        keep_fresh(self, ctx.events, self.refresh_on)
        self.entries: list[AuditEntry] = []
        self.more = False
        self.filters_shown: AuditFilters | None = None
        self.progress: QProgressDialog | None = None
        self.last_export = None
        self._latest = LatestOnly()
        self._household_search = LatestOnly()
        self._choices_loaded = False

        title = QLabel(tr("操作の記録"))
        title.setStyleSheet("font-size: 15pt; font-weight: bold;")
        self.count_label = QLabel()
        self.account = QComboBox()
        self.account.setMinimumWidth(160)
        self.account.setAccessibleName(tr("アカウント"))
        self.group = QComboBox()
        self.group.addItem(tr("すべての操作"), None)
        for key, label in audit_log.GROUPS.items():
            self.group.addItem(tr(label), key)
        self.group.setAccessibleName(tr("操作の種類"))
        self.period = QComboBox()
        self.period.setAccessibleName(tr("期間"))
        self.period.addItems([tr(p) for p in PERIODS])
        self.date_from = DateField(optional=True, placeholder=tr("はじめ"), allow_future=False)
        self.date_to = DateField(optional=True, placeholder=tr("おわり"), allow_future=False)
        self.date_from.setAccessibleName(tr("期間のはじめ"))
        self.date_to.setAccessibleName(tr("期間のおわり"))
        for line in (self.date_from, self.date_to):
            line.wareki.setMinimumWidth(0)
            line.wareki.setVisible(False)
            line.edit.setMaximumWidth(110)
        self.apply_button = QPushButton(tr("この期間で表示"))
        self.household_search = QLineEdit()
        self.household_search.setAccessibleName(tr("世帯を探す"))
        self.household_search.setPlaceholderText(tr("世帯を名前・フリガナ・住所で探す"))
        self.household_search.setClearButtonEnabled(True)
        self.household_search.setMinimumWidth(220)
        self.household = QComboBox()
        self.household.setMinimumWidth(260)
        self.household.setAccessibleName(tr("世帯"))
        self.household.addItem(tr("すべての世帯"), None)
        self.clear_household = QPushButton(tr("世帯の指定を外す"))
        self.errors = ErrorLabel()
        self.table = make_table(COLUMNS, fit=FIT)
        self.table.setAccessibleName(tr("操作の記録の一覧"))
        self.stack, self.empty = table_or_empty(self.table)
        self.more_button = QPushButton(tr("さらに読み込む"))
        self.verify_button = QPushButton(tr("改ざんがないか確かめる"))
        self.export_button = QPushButton(tr("書き出す…"))
        self.head_label = hint_label()
        self.head_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.head_label.setAccessibleName(tr("最新の記録の番号と指紋"))
        self.result = hint_label()
        self.result.setVisible(False)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        explain = hint_label(tr("誰が、いつ、どの世帯を見たか・変えたか・書き出したかの記録です。"
                                "記録は一つずつ前の記録とつながっていて、後から書き換えるとわかります。"))

        top = QHBoxLayout()
        top.addWidget(title)
        top.addSpacing(12)
        top.addWidget(self.count_label)
        top.addStretch(1)
        top.addWidget(self.export_button)
        filters = QHBoxLayout()
        for label, widget in ((tr("アカウント"), self.account), (tr("操作"), self.group)):
            filters.addWidget(QLabel(label))
            filters.addWidget(widget)
            filters.addSpacing(6)
        filters.addStretch(1)
        period_row = QHBoxLayout()  # a row of its own: the filters fit at the largest text size too
        period_row.addWidget(QLabel(tr("期間")))
        period_row.addWidget(self.period)
        period_row.addWidget(self.date_from)
        period_row.addWidget(QLabel(tr("〜")))
        period_row.addWidget(self.date_to)
        period_row.addWidget(self.apply_button)
        period_row.addStretch(1)
        household_row = QHBoxLayout()
        household_row.addWidget(QLabel(tr("世帯")))
        household_row.addWidget(self.household_search)
        household_row.addWidget(self.household, 1)
        household_row.addWidget(self.clear_household)
        household_row.addStretch(0)
        bottom = QHBoxLayout()
        bottom.addWidget(self.more_button)
        bottom.addStretch(1)
        bottom.addWidget(self.verify_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(explain)
        layout.addLayout(filters)
        layout.addLayout(period_row)
        layout.addLayout(household_row)
        layout.addWidget(self.errors)
        layout.addWidget(self.stack, 1)
        layout.addLayout(bottom)
        layout.addWidget(self.head_label)
        layout.addWidget(self.result)

        self.account.currentIndexChanged.connect(self.run_query)
        self.group.currentIndexChanged.connect(self.run_query)
        self.household.currentIndexChanged.connect(self.run_query)
        self.period.currentIndexChanged.connect(self._period_chosen)
        self.apply_button.clicked.connect(self.run_query)
        for line in (self.date_from, self.date_to):
            line.edit.returnPressed.connect(self.run_query)
            line.edit.textEdited.connect(lambda _t: self._custom_period())
        self.household_search.textChanged.connect(self._search_households)
        self.clear_household.clicked.connect(self._clear_household)
        self.more_button.clicked.connect(self.load_more)
        self.verify_button.clicked.connect(self.verify)
        self.export_button.clicked.connect(self.export)
        self.more_button.setEnabled(False)

    # ---- choices --------------------------------------------------------------------------

    def refresh(self) -> None:
        store = self.ctx.store
        self.ctx.executor.submit(lambda: audit_log.account_choices(store), on_done=self._accounts,
                                 on_error=self.errors.show_error, owner=self)
        self.ctx.executor.submit(lambda: audit_log.head(store), on_done=self._show_head,
                                 on_error=self.errors.show_error, owner=self)

    def _show_head(self, head) -> None:
        if head.entry_id is None:
            self.head_label.setText("")
            return
        local = head.local_time
        self.head_label.setText(tr(
            "最新の記録：第{id}件（{when}）・指紋 {short}…　この番号と指紋を控えておくと、"
            "後で記録が消されたり書き換えられたりしていないか確かめられます。",
            id=head.entry_id, when=f"{format_wareki_short(local.date())} {local:%H:%M}", short=head.hash[:16]))
        self.head_label.setToolTip(tr("指紋（全体）：{hash}", hash=head.hash))

    def _accounts(self, choices) -> None:
        current = self.account.currentData()
        self.account.blockSignals(True)
        self.account.clear()
        self.account.addItem(tr("すべてのアカウント"), None)
        for c in choices:
            self.account.addItem(f"{c.display_name}（{c.login}）" if c.display_name != c.login else c.login, c.login)
        self.account.setCurrentIndex(max(0, self.account.findData(current)) if current else 0)
        self.account.blockSignals(False)
        self.run_query()

    def _period_chosen(self) -> None:
        name = PERIODS[self.period.currentIndex()]
        if name == "期間を指定":
            self.date_from.edit.setFocus()
            return
        fiscal_start = self.ctx.council.fiscal_year_start_month if self.ctx.council else 4
        start, end = period_range(name, clock.today(), fiscal_start)
        self.date_from.set_date(start)
        self.date_to.set_date(end)
        self.run_query()

    def _custom_period(self) -> None:
        self.period.blockSignals(True)
        self.period.setCurrentIndex(PERIODS.index("期間を指定"))
        self.period.blockSignals(False)

    def _search_households(self, text: str) -> None:
        text = text.strip()
        if not text:
            return
        seq = self._household_search.next()
        store = self.ctx.store
        self.ctx.executor.submit(lambda: list_households(store, text, limit=50),
                                 on_done=self._household_search.wrap(seq, self._households_found),
                                 on_error=self.errors.show_error, owner=self)

    def _households_found(self, rows) -> None:
        self.household.blockSignals(True)
        self.household.clear()
        self.household.addItem(tr("すべての世帯"), None)
        for r in rows:
            self.household.addItem(f"{r.head_name}（{r.code}・{r.district}）", r.id)
        self.household.blockSignals(False)
        if len(rows) == 1:
            self.household.setCurrentIndex(1)  # runs the query
        elif rows:
            self.errors.clear_error()
            self.household.setItemText(0, tr("すべての世帯（{n}世帯が見つかりました。ここから選んでください）", n=len(rows)))
        else:
            self.errors.show_error(tr("「{text}」に当てはまる世帯はありません。", text=self.household_search.text()))

    def choose_household(self, household_id: str, label: str) -> None:
        """Show one household's entries (also used by tests and other screens)."""
        self.household.blockSignals(True)
        index = self.household.findData(household_id)
        if index < 0:
            self.household.addItem(label, household_id)
            index = self.household.count() - 1
        self.household.blockSignals(False)
        self.household.setCurrentIndex(index)

    def _clear_household(self) -> None:
        self.household_search.blockSignals(True)
        self.household_search.clear()
        self.household_search.blockSignals(False)
        self.household.blockSignals(True)
        self.household.clear()
        self.household.addItem(tr("すべての世帯"), None)
        self.household.blockSignals(False)
        self.run_query()

    # ---- loading ----------------------------------------------------------------------------

    def filters(self) -> AuditFilters:
        try:
            start, end = DateField.checked_period(self.date_from, self.date_to)
        except InvalidInput as error:
            raise ValueError(error.message) from None
        return AuditFilters(self.account.currentData(), start, end, self.group.currentData(),
                            self.household.currentData())

    def run_query(self) -> None:
        try:
            f = self.filters()
        except ValueError as error:
            self.errors.show_error(str(error))
            return
        self._load(f, None)

    def load_more(self) -> None:
        if self.filters_shown is None or not self.more or not self.entries:
            return
        self._load(self.filters_shown, self.entries[-1].id)

    def _load(self, f: AuditFilters, before_id: int | None) -> None:
        seq = self._latest.next()
        store = self.ctx.store

        def work() -> AuditPage:
            return audit_log.query(store, login=f.login, start=f.start, end=f.end, action_group=f.action_group,
                                   household_id=f.household_id, limit=PAGE, before_id=before_id)

        self.ctx.executor.submit(work, on_done=self._latest.wrap(seq, lambda page: self._show(page, f, before_id)),
                                 on_error=self._latest.wrap(seq, self.errors.show_error), owner=self)

    def _show(self, page: AuditPage, f: AuditFilters, before_id: int | None) -> None:
        self.errors.clear_error()
        if before_id is None:
            self.entries = []
            self.table.setRowCount(0)
        start = len(self.entries)
        self.entries += page.entries
        self.more = page.more
        self.filters_shown = f
        self.table.setRowCount(len(self.entries))
        for r, entry in enumerate(page.entries, start):
            for c, item in enumerate(entry_cells(entry)):
                self.table.setItem(r, c, item)
            self.table.item(r, 0).setData(Qt.ItemDataRole.UserRole, entry.id)
        n = len(self.entries)
        self.count_label.setText(tr("{n}件を表示（さらにあります）", n=n) if self.more else tr("{n}件", n=n))
        self.more_button.setEnabled(self.more)
        if n:
            self.stack.setCurrentWidget(self.table)
        else:
            filtered = any((f.login, f.start, f.end, f.action_group, f.household_id))
            self.empty.setText(tr("条件に合う記録はありません。\nアカウント・操作・期間・世帯の条件を変えてみてください。")
                               if filtered else tr("まだ記録がありません。"))
            self.stack.setCurrentWidget(self.empty)

    # ---- verifying ----------------------------------------------------------------------------

    def verify(self) -> None:
        if self.progress is not None:
            return
        dialog = QProgressDialog(self)
        dialog.setWindowTitle(tr("記録を確かめています"))
        dialog.setLabelText(tr("記録のつながりを一件ずつ確かめています…"))
        dialog.setCancelButton(None)
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumWidth(420)
        dialog.setRange(0, 1)
        dialog.setValue(0)
        dialog.show()
        self.progress = dialog
        relay = ProgressRelay(self)
        relay.moved.connect(self._verify_moved)
        self.verify_button.setEnabled(False)
        store = self.ctx.store
        self.ctx.executor.submit(lambda: audit_log.verify(store, lambda done, total: relay.report(done, total, "")),
                                 on_done=self._verified, on_error=self._verify_failed, owner=self)

    def _verify_moved(self, done: int, total: int, _label: str) -> None:
        if self.progress is not None:
            self.progress.setMaximum(max(1, total))
            self.progress.setValue(min(done, max(1, total)))
            self.progress.setLabelText(tr("記録のつながりを確かめています（{done}/{total}件）", done=done, total=total))

    def _end_verify(self) -> None:
        if self.progress is not None:
            self.progress.close()
            self.progress.deleteLater()
            self.progress = None
        self.verify_button.setEnabled(True)

    def _verified(self, report) -> None:
        self._end_verify()
        if report.sound:
            text = tr("記録はすべて正しくつながっています（{n}件）。", n=f"{report.entries:,}")
            if report.witnesses:
                text += tr("同期ファイルやバックアップに残した控え{w}件とも合っています。", w=report.witnesses)
            self.result.setText("\n".join([text, *report.notices]))
            set_notice(self.result, "ok")
        else:
            start = tr("記録の番号 {id} で、つながりが切れています。", id=report.chain_broken_at) \
                if report.chain_broken_at is not None else ""
            self.result.setText(start + "".join(report.sentences) + tr(
                "画面をそのままにして管理者・システムの担当者に相談してください（確かめた件数：{n}件）。",
                n=f"{report.entries:,}"))
            set_notice(self.result, "refused")
        self.result.setVisible(True)

    def _verify_failed(self, error: BaseException) -> None:
        self._end_verify()
        self.errors.show_error(error)

    # ---- export ---------------------------------------------------------------------------------

    def export(self) -> None:
        try:
            f = self.filters()
        except ValueError as error:
            self.errors.show_error(str(error))
            return
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation) or str(Path.home())
        suggested = str(Path(folder) / tr("操作の記録_{day}.csv", day=clock.today().strftime("%Y%m%d")))
        filters = [tr(x) for x in CSV_FILTERS]
        path, chosen = ask_save_path(self, tr("操作の記録の保存先"), suggested, filters)
        if not path:
            return
        if not path.lower().endswith(".csv"):
            path += ".csv"
        encoding = dict(zip(filters, CSV_FILTERS.values())).get(chosen, "utf-8")
        store = self.ctx.store
        self.export_button.setEnabled(False)

        def work():
            from shakyo_desk.reports.audit_csv import export_csv

            return export_csv(store, path, f, encoding=encoding)

        self.ctx.executor.submit(work, on_done=self._exported, on_error=self._export_failed, owner=self)

    def _exported(self, result) -> None:
        self.export_button.setEnabled(True)
        self.last_export = result
        label = "UTF-8" if result.encoding == "utf-8" else "Shift_JIS"
        self.result.setText(tr("{n}件をCSV（{enc}）に書き出しました：{path}\n書き出したことも記録に残ります。",
                               n=f"{result.rows:,}", enc=label, path=str(result.path)))
        set_notice(self.result, "info")
        self.result.setVisible(True)
        self.run_query()  # the export's own entry appears

    def _export_failed(self, error: BaseException) -> None:
        self.export_button.setEnabled(True)
        self.errors.show_error(error)
