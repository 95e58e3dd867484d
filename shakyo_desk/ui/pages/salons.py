"""サロン page: the salon register, regulars, the session screen, past sessions
with their remarks (つぶやき → 把握シート) and the discreet 「最近お見かけしない方」."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QListWidget,
    QListWidgetItem, QPlainTextEdit, QPushButton, QSpinBox, QSplitter, QVBoxLayout, QWidget,
)

from shakyo_desk.domain.roles import Role, manages_registers
from shakyo_desk.domain.vocab import SALON_ORGANISERS
from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.i18n import tr
from shakyo_desk.store.services.districts import DistrictInfo, list_districts
from shakyo_desk.store.services.households import get_household
from shakyo_desk.store.services.salons import (
    Regular, SalonInfo, SessionInfo, add_salon, list_salons, list_sessions, not_seen_lately, regulars, set_regulars,
    update_salon,
)
from shakyo_desk.store.services.sheets import sheet_from_remark
from shakyo_desk.ui.appearance import keep_wrapped_text_visible
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.dialogs import ErrorLabel, button_row, fit_to_screen
from shakyo_desk.ui.field_widgets import HouseholdSearch, RadioRow
from shakyo_desk.ui.empty_state import set_empty_hint
from shakyo_desk.ui.events import HOUSEHOLD, SALON, SHEET, keep_fresh, on
from shakyo_desk.ui.salon_session import SalonSessionDialog
from shakyo_desk.ui.widgets import Column, fill_district_combo, fill_table, make_table, selected_id

SALON_COLUMNS = ("サロン名", "地区", "会場", "運営", "開催日", "参加費", "常連")
SESSION_COLUMNS = ("開催日", "参加", "名前あり", "その他", "活動内容", "つぶやき")
# The salon's name and when it meets stay; the fee, who runs it, the venue, then the district give way.
SALON_FIT = (Column("新町よりあい処", 200), Column("北山地区", 100, drop=2), Column("林地区センター", 150, drop=3),
             Column("住民主体", 80, drop=4), Column("毎月第3金曜 13:30〜15:30", 220, stretch=True),
             Column("100円", 70, drop=5), Column("12人", 70, drop=1))
SESSION_FIT = (Column("令和8年10月16日", 130), Column("12人", 60), Column("12人", 70, drop=2), Column("12人", 60, drop=2),
               Column("カラオケ、お茶飲み", 220, stretch=True), Column("膝が痛いと話していた", 160, stretch=True, drop=1))
DEFAULT_NOT_SEEN_SESSIONS = 3


def sees_absences(role: Role) -> bool:
    """「最近お見かけしない方」 is for council staff only, never reporters."""
    return role in (Role.ADMIN, Role.COORDINATOR, Role.STAFF)


def fee_text(fee: int | None) -> str:
    if fee is None:
        return ""
    return tr("無料") if fee == 0 else tr("{fee}円", fee=f"{fee:,}")


class SalonDialog(QDialog):
    """Register or edit a salon; ``submitted(values)``."""

    submitted = Signal(dict)

    def __init__(self, districts: list[DistrictInfo], salon: SalonInfo | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.salon = salon
        self.setWindowTitle(tr("サロンの編集") if salon else tr("新しいサロン"))
        self.name = QLineEdit(salon.name if salon else "")
        self.name.setPlaceholderText(tr("例：上町ふれあいサロン"))
        self.district = QComboBox()
        fill_district_combo(self.district, districts, empty_label=tr("（選んでください）"),
                            selected=salon.district_id if salon else None)
        self.venue = QLineEdit(salon.venue if salon else "")
        self.venue.setPlaceholderText(tr("例：上町公民館"))
        self.organiser = RadioRow(SALON_ORGANISERS, salon.organiser if salon else "住民主体")
        self.schedule = QLineEdit(salon.schedule if salon else "")
        self.schedule.setPlaceholderText(tr("例：毎月第2・第4火曜 10時〜12時"))
        self.fee = QSpinBox()
        self.fee.setRange(-1, 100_000)
        self.fee.setSingleStep(100)
        self.fee.setSpecialValueText(tr("未設定"))
        self.fee.setSuffix(tr(" 円"))
        self.fee.setValue(-1 if not salon or salon.fee_yen is None else salon.fee_yen)
        self.transport = QLineEdit(salon.transport if salon else "")
        self.transport.setPlaceholderText(tr("例：社協の車で送迎あり（要予約）"))
        self.notes = QPlainTextEdit(salon.notes if salon else "")
        self.notes.setFixedHeight(60)
        form = QFormLayout()
        form.addRow(tr("サロン名＊"), self.name)
        form.addRow(tr("地区"), self.district)
        form.addRow(tr("会場"), self.venue)
        form.addRow(tr("運営"), self.organiser)
        form.addRow(tr("開催日"), self.schedule)
        form.addRow(tr("参加費"), self.fee)
        form.addRow(tr("送迎"), self.transport)
        form.addRow(tr("メモ"), self.notes)
        self.errors = ErrorLabel()
        buttons, _ = button_row(self, tr("保存"), self._submit, save=True, cancel_text=tr("閉じる"))
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.errors)
        layout.addWidget(buttons)
        self.setMinimumWidth(560)

    def values(self) -> dict:
        fee = self.fee.value()
        return {"name": self.name.text().strip(), "district_id": self.district.currentData(),
                "venue": self.venue.text().strip(), "organiser": self.organiser.value() or "住民主体",
                "schedule": self.schedule.text().strip(), "fee_yen": None if fee < 0 else fee,
                "transport": self.transport.text().strip(), "notes": self.notes.toPlainText().strip()}

    def _submit(self) -> None:
        if not self.name.text().strip():
            self.errors.show_error(tr("サロン名を入力してください。"))
            return
        self.errors.clear_error()
        self.submitted.emit(self.values())


class RegularsDialog(QDialog):
    """Choose the salon's regulars: search a household, add its members."""

    saved = Signal(str)

    def __init__(self, ctx: AppContext, salon: SalonInfo, current: list[Regular], parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.salon = salon
        self.chosen: dict[str, Regular] = {r.person_id: r for r in current}
        self._initial = set(self.chosen)
        self.household_members: list[Regular] = []
        self.setWindowTitle(tr("常連の方（{name}）", name=salon.name))

        self.list = QListWidget()
        self.list.setStyleSheet("QListWidget { font-size: 12pt; } QListWidget::item { padding: 4px; }")
        self.list.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        set_empty_hint(self.list, tr("まだ常連の方がいません。右の欄で世帯を探し、加える方を選んで"
                                     "「← 常連に加える」を押してください。"))
        self.remove_button = QPushButton(tr("選んだ方を外す"))
        self.remove_button.clicked.connect(self.remove_selected)
        self.count = QLabel()
        left_box = QGroupBox(tr("常連の方"))
        left = QVBoxLayout(left_box)
        left.addWidget(self.count)
        left.addWidget(self.list, 1)
        left.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignRight)

        self.search = HouseholdSearch(ctx)
        self.search.results.currentRowChanged.connect(self._household_selected)
        self.members = QListWidget()
        self.members.setStyleSheet("QListWidget::item { padding: 4px; }")
        self.members.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.members.itemDoubleClicked.connect(lambda _i: self.add_selected())
        set_empty_hint(self.members, tr("上の一覧から世帯を選ぶと、その世帯の方がここに出ます。"))
        self.add_button = QPushButton(tr("← 常連に加える"))
        self.add_button.clicked.connect(self.add_selected)
        right_box = QGroupBox(tr("世帯から探して加える"))
        right = QVBoxLayout(right_box)
        right.addWidget(self.search, 3)
        right.addWidget(QLabel(tr("この世帯の方")))
        right.addWidget(self.members, 2)
        right.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignLeft)

        body = QHBoxLayout()
        body.addWidget(left_box, 1)
        body.addWidget(right_box, 1)
        self.errors = ErrorLabel()
        buttons, self.save_button = button_row(self, tr("保存"), self.save, save=True, cancel_text=tr("閉じる"))
        for button in buttons.buttons():
            button.setAutoDefault(False)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(self.errors)
        layout.addWidget(buttons)
        fit_to_screen(self, QSize(900, 600))
        self._fill()
        self.search.run_search()

    def _fill(self) -> None:
        self.list.clear()
        for r in sorted(self.chosen.values(), key=lambda r: (r.kana, r.name)):
            item = QListWidgetItem(f"{r.name}　{r.kana}" if r.kana else r.name)
            item.setData(Qt.ItemDataRole.UserRole, r.person_id)
            self.list.addItem(item)
        self.count.setText(tr("{n}人", n=len(self.chosen)))

    def _household_selected(self, _row: int) -> None:
        row = self.search.current()
        self.members.clear()
        if row is None:
            return
        self.ctx.executor.submit(get_household, self.ctx.store, row.id, on_done=self._members_loaded,
                                 on_error=self.errors.show_error, owner=self)

    def _members_loaded(self, detail) -> None:
        self.household_members = [Regular(p.id, p.name, p.kana, detail.id) for p in detail.members]
        self.members.clear()
        for r in self.household_members:
            mark = tr("（常連）") if r.person_id in self.chosen else ""
            item = QListWidgetItem(f"{r.name}　{r.kana}{mark}")
            item.setData(Qt.ItemDataRole.UserRole, r.person_id)
            self.members.addItem(item)
        if self.members.count():
            self.members.setCurrentRow(0)

    def add_selected(self) -> None:
        wanted = {i.data(Qt.ItemDataRole.UserRole) for i in self.members.selectedItems()}
        for r in self.household_members:
            if r.person_id in wanted:
                self.chosen[r.person_id] = r
        self._fill()
        self._members_loaded_refresh()

    def _members_loaded_refresh(self) -> None:
        for i in range(self.members.count()):
            item = self.members.item(i)
            r = self.household_members[i]
            item.setText(f"{r.name}　{r.kana}" + (tr("（常連）") if r.person_id in self.chosen else ""))

    def remove_selected(self) -> None:
        for item in self.list.selectedItems():
            self.chosen.pop(item.data(Qt.ItemDataRole.UserRole), None)
        self._fill()
        self._members_loaded_refresh()

    def is_dirty(self) -> bool:
        return set(self.chosen) != self._initial

    def save(self) -> None:
        self.errors.clear_error()
        self.ctx.executor.submit(set_regulars, self.ctx.store, self.salon.id, list(self.chosen),
                                 on_done=self._saved, on_error=self.errors.show_error, owner=self)

    def _saved(self, _result) -> None:
        self._initial = set(self.chosen)
        self.saved.emit(self.salon.id)
        self.ctx.changed(SALON)
        self.accept()


class SalonsPage(QWidget):
    refresh_on = on(SALON, HOUSEHOLD, SHEET)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.manages = manages_registers(ctx.role)
        self.salons: list[SalonInfo] = []
        self.districts: list[DistrictInfo] = []
        self.sessions: list[SessionInfo] = []
        self.regulars: list[Regular] = []
        self.dialog: QDialog | None = None
        self.session_dialog = None

        title = QLabel(tr("サロン"))
        title.setStyleSheet("font-size: 15pt; font-weight: bold;")
        self.new_button = QPushButton(tr("新しいサロン"))
        self.edit_button = QPushButton(tr("サロンの編集"))
        self.regulars_button = QPushButton(tr("常連の方…"))
        self.session_button = QPushButton(tr("開催記録を入力"))
        self.session_button.setStyleSheet("QPushButton { font-size: 12pt; font-weight: bold; padding: 6px 18px; }")
        self.new_button.setVisible(self.manages)
        self.edit_button.setVisible(self.manages)
        self.new_button.clicked.connect(self.new_salon)
        self.edit_button.clicked.connect(self.edit_salon)
        self.regulars_button.clicked.connect(self.edit_regulars)
        self.session_button.clicked.connect(self.new_session)
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        for button in (self.new_button, self.edit_button, self.regulars_button, self.session_button):
            top.addWidget(button)
        self.errors = ErrorLabel()

        self.table = make_table(SALON_COLUMNS, fit=SALON_FIT)
        self.table.currentCellChanged.connect(lambda *_a: self.load_salon())
        self.table.doubleClicked.connect(lambda _i: self.new_session())
        self.empty = QLabel()
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet("color: #555; font-size: 12pt; padding: 20px;")

        # sessions of the selected salon
        self.sessions_table = make_table(SESSION_COLUMNS, fit=SESSION_FIT)
        self.sessions_table.currentCellChanged.connect(lambda *_a: self.show_remarks())
        self.sessions_table.doubleClicked.connect(lambda _i: self.correct_session())
        set_empty_hint(self.sessions_table, tr("上の一覧からサロンを選ぶと、これまでの開催がここに出ます。"))
        self.correct_button = QPushButton(tr("出欠を直す…"))
        self.correct_button.clicked.connect(self.correct_session)
        self.remarks = QListWidget()
        self.remarks.setWordWrap(True)
        self.remarks.setStyleSheet("QListWidget::item { padding: 4px; }")
        self.remarks.currentRowChanged.connect(lambda _r: self._remark_buttons())
        self.to_sheet_button = QPushButton(tr("把握シートにする…"))
        self.to_sheet_button.clicked.connect(self.remark_to_sheet)
        self.sessions_box = QGroupBox(tr("これまでの開催"))
        sessions_layout = QVBoxLayout(self.sessions_box)
        sessions_layout.addWidget(self.sessions_table, 3)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.correct_button)
        sessions_layout.addLayout(row)
        sessions_layout.addWidget(QLabel(tr("この回のつぶやき")))
        sessions_layout.addWidget(self.remarks, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.to_sheet_button)
        sessions_layout.addLayout(row)

        # 最近お見かけしない方 (staff only, worded with care, never a score)
        self.absence_box = QGroupBox(tr("最近お見かけしない方"))
        absence_layout = QVBoxLayout(self.absence_box)
        absence_intro = QLabel(tr("常連の方のうち、直近の開催に続けて見えていない方です。"
                                  "体調やご都合のこともあります。気になるときは、声をかけたり様子を聞いたりしてみてください。"))
        absence_intro.setWordWrap(True)
        keep_wrapped_text_visible(absence_intro)  # five lines at a large text size
        absence_intro.setStyleSheet("color: #444;")
        self.absence_sessions = QSpinBox()
        self.absence_sessions.setRange(2, 12)
        self.absence_sessions.setValue(DEFAULT_NOT_SEEN_SESSIONS)
        self.absence_sessions.setSuffix(tr(" 回"))
        self.absence_sessions.valueChanged.connect(lambda _v: self.load_absences())
        n_row = QHBoxLayout()
        n_row.addWidget(QLabel(tr("直近の開催")))
        n_row.addWidget(self.absence_sessions)
        n_row.addWidget(QLabel(tr("続けて")))
        n_row.addStretch(1)
        self.absences = QListWidget()
        self.absences.setStyleSheet("QListWidget::item { padding: 4px; border-bottom: 1px solid #e3e7eb; }")
        self.absences.setWordWrap(True)
        self.absences.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # wrap, never scroll sideways
        self.absence_note = QLabel()
        self.absence_note.setWordWrap(True)
        self.absence_note.setStyleSheet("color: #555;")
        absence_layout.addWidget(absence_intro)
        absence_layout.addLayout(n_row)
        absence_layout.addWidget(self.absence_note)
        absence_layout.addWidget(self.absences, 1)
        self.absence_box.setVisible(sees_absences(ctx.role))

        lower = QSplitter()
        lower.addWidget(self.sessions_box)
        lower.addWidget(self.absence_box)
        lower.setSizes([640, 360])
        upper = QWidget()
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addWidget(self.table)
        upper_layout.addWidget(self.empty)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(upper)
        split.addWidget(lower)
        split.setSizes([200, 480])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.errors)
        layout.addWidget(split, 1)
        self._selection_buttons()
        keep_fresh(self, ctx.events, self.refresh_on)  # saving a session, regulars or a salon reloads

    # ---- loading -----------------------------------------------------------------------

    def refresh(self) -> None:
        store = self.ctx.store
        self.ctx.executor.submit(lambda: (list_salons(store), list_districts(store)), on_done=self._loaded,
                                 on_error=self.errors.show_error, owner=self)

    def _loaded(self, result) -> None:
        self.errors.clear_error()
        current = self.current_salon_id()
        self.salons, self.districts = result
        rows = [(s.name, s.district, s.venue, s.organiser, s.schedule, fee_text(s.fee_yen),
                 tr("{n}人", n=s.regular_count)) for s in self.salons]
        self.table.blockSignals(True)
        fill_table(self.table, rows, [s.id for s in self.salons])
        self.table.blockSignals(False)
        self.table.setVisible(bool(self.salons))
        self.empty.setVisible(not self.salons)
        self.empty.setText(tr("まだサロンが登録されていません。「新しいサロン」から登録してください。") if self.manages
                           else tr("まだサロンが登録されていません。登録は地域福祉係（コーディネーター）にお願いしてください。"))
        ids = [s.id for s in self.salons]
        if self.salons:
            self.table.selectRow(ids.index(current) if current in ids else 0)
        self.load_salon()

    def current_salon_id(self) -> str | None:
        return selected_id(self.table)

    def current_salon(self) -> SalonInfo | None:
        salon_id = self.current_salon_id()
        return next((s for s in self.salons if s.id == salon_id), None)

    def _selection_buttons(self) -> None:
        has = self.current_salon() is not None
        for button in (self.edit_button, self.regulars_button, self.session_button):
            button.setEnabled(has)
        self.correct_button.setEnabled(bool(self.sessions))
        self._remark_buttons()

    def load_salon(self) -> None:
        salon = self.current_salon()
        self._selection_buttons()
        if salon is None:
            set_empty_hint(self.sessions_table, tr("上の一覧からサロンを選ぶと、これまでの開催がここに出ます。"))
            set_empty_hint(self.absences, tr("上の一覧からサロンを選ぶと、ここに出ます。"))
            self.sessions, self.regulars = [], []
            fill_table(self.sessions_table, [])
            self.show_remarks()
            self.absences.clear()
            return
        store, salon_id = self.ctx.store, salon.id
        self.sessions_box.setTitle(tr("これまでの開催（{name}）", name=salon.name))
        self.ctx.executor.submit(lambda: (salon_id, regulars(store, salon_id), list_sessions(store, salon_id)),
                                 on_done=self._salon_loaded, on_error=self.errors.show_error, owner=self)
        self.load_absences()

    def _salon_loaded(self, result) -> None:
        salon_id, self.regulars, self.sessions = result
        if salon_id != self.current_salon_id():
            return
        rows = [(format_wareki(s.session_date), tr("{n}人", n=s.total), tr("{n}人", n=len(s.attendee_ids)),
                 tr("{n}人", n=s.unnamed_count), s.activities, tr("{n}件", n=len(s.remarks)) if s.remarks else "")
                for s in self.sessions]
        fill_table(self.sessions_table, rows, [s.id for s in self.sessions])
        set_empty_hint(self.sessions_table, tr("まだ開催の記録がありません。開催した日に、右上の「開催記録を入力」から"
                                               "参加した方を記録してください。"))
        if self.sessions:
            self.sessions_table.selectRow(0)
        self.show_remarks()
        self._selection_buttons()

    def load_absences(self) -> None:
        salon = self.current_salon()
        if salon is None or not sees_absences(self.ctx.role):
            return
        n = self.absence_sessions.value()
        self.ctx.executor.submit(not_seen_lately, self.ctx.store, salon.id, n, on_done=self._absences_loaded,
                                 on_error=self.errors.show_error, owner=self)

    def _absences_loaded(self, rows) -> None:
        self.absences.clear()
        n = self.absence_sessions.value()
        for regular, last_seen in rows:
            when = tr("最後においでになった日：{date}", date=format_wareki(last_seen)) if last_seen \
                else tr("この記録では、まだおいでになっていません")
            item = QListWidgetItem(f"{regular.name}\n　{when}")
            item.setToolTip(f"{regular.name}（{regular.kana}）")
            item.setData(Qt.ItemDataRole.UserRole, regular.person_id)
            self.absences.addItem(item)
        if rows:
            self.absence_note.setText(tr("直近{n}回の開催に続けて見えていない方：{k}人", n=n, k=len(rows)))
        else:
            set_empty_hint(self.absences, tr("該当する方はいません（開催記録が{n}回分たまると表示されます）。", n=n))
        self.absence_note.setVisible(bool(rows))

    def current_session(self) -> SessionInfo | None:
        session_id = selected_id(self.sessions_table)
        return next((s for s in self.sessions if s.id == session_id), None)

    def show_remarks(self) -> None:
        self.remarks.clear()
        session = self.current_session()
        set_empty_hint(self.remarks, tr("開催を選ぶと、その回のつぶやきがここに出ます。") if session is None
                       else tr("この回のつぶやきは記録されていません。"
                               "開催記録の「聞こえてきたつぶやき」に書くと、ここに出ます。"))
        if session is not None:
            for remark_id, text, sheet_id in session.remarks:
                item = QListWidgetItem(text + (tr("　［把握シート作成済み］") if sheet_id else ""))
                item.setData(Qt.ItemDataRole.UserRole, remark_id)
                item.setData(Qt.ItemDataRole.UserRole + 1, sheet_id)
                self.remarks.addItem(item)
            if self.remarks.count():
                self.remarks.setCurrentRow(0)
        self._remark_buttons()

    def _remark_buttons(self) -> None:
        item = self.remarks.currentItem()
        self.to_sheet_button.setEnabled(item is not None and not item.data(Qt.ItemDataRole.UserRole + 1))

    # ---- salons and regulars ---------------------------------------------------------------

    def new_salon(self) -> None:
        self._open_salon_dialog(None)

    def edit_salon(self) -> None:
        salon = self.current_salon()
        if salon is not None:
            self._open_salon_dialog(salon)

    def _open_salon_dialog(self, salon: SalonInfo | None) -> None:
        dialog = SalonDialog(self.districts, salon, self)
        self.dialog = dialog

        def submit(values: dict) -> None:
            store = self.ctx.store
            if salon is None:
                work = lambda: add_salon(store, values.pop("name"), values.pop("district_id"), **values)  # noqa: E731
            else:
                work = lambda: update_salon(store, salon.id, **values)  # noqa: E731
            self.ctx.executor.submit(work, on_done=lambda _r: (dialog.accept(), self.ctx.changed(SALON)),
                                     on_error=dialog.errors.show_error, owner=dialog)

        dialog.submitted.connect(submit)
        dialog.open()

    def edit_regulars(self) -> None:
        salon = self.current_salon()
        if salon is None:
            return
        dialog = RegularsDialog(self.ctx, salon, self.regulars, self)
        self.dialog = dialog
        dialog.open()

    # ---- sessions ------------------------------------------------------------------------

    def new_session(self):
        salon = self.current_salon()
        if salon is None:
            return None
        self.session_dialog = SalonSessionDialog(self.ctx, salon, self.regulars, parent=self)
        self.session_dialog.open()
        return self.session_dialog

    def correct_session(self):
        salon, session = self.current_salon(), self.current_session()
        if salon is None or session is None:
            return None
        self.session_dialog = SalonSessionDialog(self.ctx, salon, self.regulars, session, parent=self)
        self.session_dialog.open()
        return self.session_dialog

    def remark_to_sheet(self) -> None:
        item = self.remarks.currentItem()
        if item is None:
            return
        self.ctx.executor.submit(sheet_from_remark, self.ctx.store, item.data(Qt.ItemDataRole.UserRole),
                                 on_done=self._open_sheet_form, on_error=self.errors.show_error, owner=self)

    def _open_sheet_form(self, prefill: dict) -> None:
        self.sheet_form = self.ctx.navigator.open_sheet_form(prefill, self)  # filing it reloads (a remark is marked)
