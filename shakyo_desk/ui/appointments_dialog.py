"""委嘱の一覧 (issue 18): standing appointments — a member appointed to a type of meeting for a
period, whose confidentiality pledge (守秘義務の誓約) is recorded once instead of at every
meeting. Opened from the 会議 page; lists them (name, organisation, meeting type, period in 和暦,
誓約日, state), adds one (``appointments.add_appointment``) and ends one early (confirmed,
``end_appointment``). A refusal is shown as the service's Japanese sentence; nothing changes."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QComboBox, QDialog, QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget,
)

from shakyo_desk.domain import clock
from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.domain.vocab import CONFERENCE_TYPES, SUPPORT_CONFERENCE
from shakyo_desk.domain.wareki import format_wareki, format_wareki_short
from shakyo_desk.i18n import tr
from shakyo_desk.store.services import appointments
from shakyo_desk.store.services.agencies import list_agencies
from shakyo_desk.store.services.appointments import AppointmentInfo
from shakyo_desk.ui.case_dialogs import CaseFormDialog
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.date_field import DateField
from shakyo_desk.ui.dialogs import ErrorLabel, fit_to_screen
from shakyo_desk.ui.empty_state import set_empty_hint
from shakyo_desk.ui.events import CONFERENCE
from shakyo_desk.ui.labels import hint_label
from shakyo_desk.ui.widgets import Column, fill_table, make_table, selected_id, text_item

COLUMNS = ("氏名", "所属", "会議の種類", "委嘱の期間", "誓約日", "状況")
# Short 和暦 in the list (R8.4.1〜R10.3.31), whole in each cell's tooltip; the organisation gives way.
FIT = (Column("山田 太郎", 110), Column("民生委員協議会", 220, stretch=True), Column("重層的支援会議", 130, drop=2),
       Column("R8.12.31〜R10.12.31", 190), Column("R8.12.31", 100, drop=1), Column("終了（R8.12.31）", 140))


def period_short(a: AppointmentInfo) -> str:
    return f"{format_wareki_short(a.valid_from)}〜{format_wareki_short(a.valid_to)}"


def state_text(a: AppointmentInfo, today: date) -> tuple[str, str | None]:
    if a.ended_on is not None:
        return tr("終了（{d}）", d=format_wareki_short(a.ended_on)), "#555555"
    if today > a.valid_to:
        return tr("期間満了"), "#555555"
    if today < a.valid_from:
        return tr("これから"), "#1f5f8b"
    return tr("委嘱中"), "#2f6b3a"


class AppointmentAddDialog(CaseFormDialog):
    """委嘱を追加: who, their organisation, the meeting type, the period and the day they pledged."""

    SIZE = QSize(620, 460)
    KEY = "appointment_add"

    def __init__(self, ctx: AppContext, agencies: list[str], parent: QWidget | None = None, *,
                 today: date | None = None):
        super().__init__(ctx, tr("委嘱を追加"), tr("追加する"), parent, today=today,
                         intro=tr("会議の構成員として委嘱し、守秘義務の誓約を受けた方を登録します。"
                                  "期間中のこの種類の会議では、会議ごとの守秘義務の確認がいりません。"))
        self.name = QLineEdit()
        self.name.setAccessibleName(tr("氏名"))
        self.name.setPlaceholderText(tr("例：山本 和子"))
        self.organisation = QComboBox()
        self.organisation.setEditable(True)
        self.organisation.addItems(["", *agencies])
        self.organisation.setAccessibleName(tr("所属"))
        self.meeting_type = QComboBox()
        self.meeting_type.setAccessibleName(tr("会議の種類"))
        for code, label in CONFERENCE_TYPES.items():
            self.meeting_type.addItem(label, code)
        self.meeting_type.setCurrentIndex(max(0, self.meeting_type.findData(SUPPORT_CONFERENCE)))
        self.valid_from = DateField(self.today, allow_future=True)
        self.valid_from.setAccessibleName(tr("委嘱の開始日"))
        self.valid_to = DateField(None, optional=True, allow_future=True, placeholder=tr("例：R10.3.31"))
        self.valid_to.setAccessibleName(tr("委嘱の終了日"))
        self.pledge_on = DateField(self.today)
        self.pledge_on.setAccessibleName(tr("守秘義務を誓約した日"))
        self.note = QLineEdit()
        self.note.setAccessibleName(tr("メモ"))
        self.note.setPlaceholderText(tr("例：民生委員の改選まで"))
        self.form.addRow(tr("氏名＊"), self.name)
        self.form.addRow(tr("所属"), self.organisation)
        self.form.addRow(tr("会議の種類"), self.meeting_type)
        self.form.addRow(tr("委嘱の開始日"), self.valid_from)
        self.form.addRow(tr("委嘱の終了日＊"), self.valid_to)
        self.form.addRow(tr("守秘義務を誓約した日"), self.pledge_on)
        self.form.addRow(tr("メモ"), self.note)
        self.finish_layout()
        self.name.setFocus()

    def work(self):
        start = self.valid_from.checked_date(tr("委嘱の開始日"))
        end = self.valid_to.checked_date(tr("委嘱の終了日"))
        pledge = self.pledge_on.checked_date(tr("守秘義務を誓約した日"))
        if end is None:
            raise InvalidInput(tr("委嘱の終了日を入力してください（例：R10.3.31）。"))
        store, today = self.ctx.store, self.today
        name, organisation = self.name.text(), self.organisation.currentText()
        code, note = self.meeting_type.currentData(), self.note.text()
        return lambda: appointments.add_appointment(store, name, organisation, code, start, end, pledge, note=note,
                                                    today=today)


class AppointmentsDialog(QDialog):
    """委嘱の一覧 with 追加 and 終了."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, today: date | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self._today = today
        self.rows: list[AppointmentInfo] = []
        self.agencies: list[str] = []
        self.add_dialog: AppointmentAddDialog | None = None
        self.setWindowTitle(tr("委嘱の一覧"))
        self.table = make_table(COLUMNS, fit=FIT)
        self.table.setAccessibleName(tr("委嘱の一覧"))
        set_empty_hint(self.table, tr("まだ委嘱は登録されていません。「委嘱を追加…」から、構成員として委嘱した方と"
                                      "守秘義務の誓約を登録します。"))
        self.table.itemSelectionChanged.connect(self._enable)
        self.add_button = QPushButton(tr("委嘱を追加(&A)…"))
        self.end_button = QPushButton(tr("委嘱を終える(&E)…"))
        self.close_button = QPushButton(tr("閉じる"))
        for button in (self.add_button, self.end_button, self.close_button):
            button.setAutoDefault(False)
        self.add_button.clicked.connect(lambda _c=False: self.add())
        self.end_button.clicked.connect(lambda _c=False: self.end())
        self.close_button.clicked.connect(self.reject)
        self.errors = ErrorLabel()
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.end_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(hint_label(tr("委嘱した構成員は、期間中のその種類の会議で「委嘱（〜終了日）」と表示され、"
                                       "会議ごとに守秘義務の確認を記録する必要がありません。")))
        layout.addWidget(self.table, 1)
        layout.addWidget(self.errors)
        layout.addLayout(buttons)
        fit_to_screen(self, QSize(1000, 520), settings=ctx.ui_settings, key="appointments")
        self.reload()
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def today(self) -> date:
        return self._today or clock.today()

    def reload(self) -> None:
        store = self.ctx.store
        self.ctx.executor.submit(lambda: (appointments.list_appointments(store), [a.name for a in list_agencies(store)]),
                                 on_done=self._loaded, on_error=self.errors.show_error, owner=self)

    def _loaded(self, result) -> None:
        self.rows, self.agencies = result
        today = self.today()
        cells = []
        for a in self.rows:
            state, colour = state_text(a, today)
            period = text_item(period_short(a))
            period.setToolTip(a.period_text)
            pledged = text_item(format_wareki_short(a.pledge_on))
            pledged.setToolTip(format_wareki(a.pledge_on))
            cells.append((text_item(a.name, bold=True), a.organisation, a.type_label, period, pledged,
                          text_item(state, colour)))
        fill_table(self.table, cells, [a.id for a in self.rows])
        if self.rows and self.table.currentRow() < 0:
            self.table.selectRow(0)
        self._enable()

    def current(self) -> AppointmentInfo | None:
        appointment_id = selected_id(self.table)
        return next((a for a in self.rows if a.id == appointment_id), None)

    def _enable(self) -> None:
        a = self.current()
        self.end_button.setEnabled(a is not None and a.ended_on is None and self.today() <= a.valid_to)

    def add(self) -> AppointmentAddDialog:
        dialog = AppointmentAddDialog(self.ctx, self.agencies, self, today=self._today)
        dialog.saved.connect(lambda _id: self._changed())
        self.add_dialog = dialog
        dialog.open()
        return dialog

    def end(self) -> None:
        from shakyo_desk.ui import dialogs

        a = self.current()
        if a is None or a.ended_on is not None:
            return
        today = self.today()
        if not dialogs.confirm(self, tr("委嘱を終える"),
                               tr("{name}さん（{type}）の委嘱を、今日（{d}）で終えますか？\n"
                                  "今日からの会議では、会議ごとに守秘義務の確認が必要になります。",
                                  name=a.name, type=a.type_label, d=format_wareki(today)), yes=tr("委嘱を終える")):
            return
        store = self.ctx.store
        self.ctx.executor.submit(lambda: appointments.end_appointment(store, a.id, today, today=today),
                                 on_done=lambda _r: self._changed(), on_error=self.errors.show_error, owner=self)

    def _changed(self) -> None:
        self.errors.clear_error()
        self.ctx.changed(CONFERENCE)  # members shown as appointed change with it
        self.reload()


def open_appointments(ctx: AppContext, parent: QWidget, *, today: date | None = None) -> AppointmentsDialog:
    dialog = AppointmentsDialog(ctx, parent, today=today)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
