"""会議にかける (受付表, issue 18): a 支援ケース put forward for a type of meeting with its question,
the agencies already involved and those needed, and the 本人 whose consent counts.

``MeetingRequestDialog`` fills in one request (``meeting_requests.request_meeting``);
``RequestsPanel`` is the case detail's tab listing the case's requests (受付中 / 会議で検討 /
取り下げ) with 取り下げ (confirmed); ``RequestPickDialog`` is what the conference editor shows
for 「届いている受付を取り込む」: the waiting requests with check boxes. Saving runs in the worker;
a refusal stays in the dialog as the service's Japanese sentence and nothing is changed."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QTabWidget, QVBoxLayout,
    QWidget,
)

from shakyo_desk.domain.vocab import CASE_CLOSED, CONFERENCE_TYPES, MULTI_AGENCY_CONFERENCE
from shakyo_desk.domain.wareki import format_wareki_short
from shakyo_desk.i18n import tr
from shakyo_desk.store.services import meeting_requests
from shakyo_desk.store.services.agencies import list_agencies
from shakyo_desk.store.services.case_views import get_case
from shakyo_desk.store.services.households import get_household
from shakyo_desk.store.services.meeting_requests import RequestInfo
from shakyo_desk.ui.case_dialogs import CaseFormDialog, Member, text_box
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.dialogs import ErrorLabel, button_row, fit_to_screen
from shakyo_desk.ui.empty_state import set_empty_hint
from shakyo_desk.ui.events import CASE, CONFERENCE, HOUSEHOLD, keep_fresh, on
from shakyo_desk.ui.labels import hint_label
from shakyo_desk.ui.widgets import CheckList, Column, fill_table, make_table, selected_id, text_item

REQUEST_COLUMNS = ("依頼日", "会議の種類", "検討したいこと", "状況")
REQUEST_FIT = (Column("R8.12.31", 90), Column("重層的支援会議", 130), Column("金銭管理をだれが担うか", 260, stretch=True),
               Column("会議で検討（令和8年12月31日）", 200))
STATE_COLOURS = {"受付中": "#1f5f8b", "取り下げ": "#555555"}


def principal_choice(members: list[Member]) -> str | None:
    """The 本人 a request names by default: the member recorded as 本人, else the first (the head)."""
    for m in members:
        if m.relation == "本人":
            return m.id
    return members[0].id if members else None


class AgencyPicker(QWidget):
    """Agencies from the directory (check boxes) and others typed in, separated by 「、」."""

    def __init__(self, agencies: list[str], name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.list = CheckList(agencies)
        self.list.setAccessibleName(name)
        self.list.fit_height(3)
        self.other = QLineEdit()
        self.other.setAccessibleName(tr("{name}（一覧にない機関）", name=name))
        self.other.setPlaceholderText(tr("一覧にない機関（「、」で区切って入力）"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        if agencies:
            layout.addWidget(self.list)
        else:
            self.list.hide()
        layout.addWidget(self.other)

    def names(self) -> list[str]:
        typed = self.other.text().replace("，", "、").replace(",", "、").split("、")
        return list(dict.fromkeys([*self.list.checked(), *(t.strip() for t in typed if t.strip())]))


class MeetingRequestDialog(CaseFormDialog):
    """会議にかける: one 受付表 entry for the case."""

    SIZE = QSize(720, 640)
    KEY = "meeting_request"

    def __init__(self, ctx: AppContext, case_id: str, members: list[Member], agencies: list[str],
                 parent: QWidget | None = None, *, meeting_type: str = MULTI_AGENCY_CONFERENCE,
                 today: date | None = None):
        super().__init__(ctx, tr("会議にかける（受付表）"), tr("依頼する"), parent, today=today,
                         intro=tr("このケースを会議で検討してもらうよう依頼します。会議の担当者が、"
                                  "開催日までに届いた依頼を会議に取り込みます。"))
        self.case_id = case_id
        self.meeting_type = QComboBox()
        self.meeting_type.setAccessibleName(tr("会議の種類"))
        for code, label in CONFERENCE_TYPES.items():
            self.meeting_type.addItem(label, code)
        self.meeting_type.setCurrentIndex(max(0, self.meeting_type.findData(meeting_type)))
        self.question = text_box(tr("例：金銭管理の支援をどの機関が担うか、本人の意向をどう支えるか"), 90)
        self.question.setAccessibleName(tr("検討したいこと"))
        self.involved = AgencyPicker(agencies, tr("関わっている機関"))
        self.needed = AgencyPicker(agencies, tr("今後関わりが必要な機関"))
        self.person = QComboBox()
        self.person.setAccessibleName(tr("本人"))
        for m in members:
            self.person.addItem(m.label, m.id)
        self.person.setCurrentIndex(max(0, self.person.findData(principal_choice(members))))
        self.form.addRow(tr("会議の種類"), self.meeting_type)
        self.form.addRow(tr("検討したいこと＊"), self.question)
        self.form.addRow(tr("関わっている機関"), self.involved)
        self.form.addRow(tr("今後関わりが必要な機関"), self.needed)
        self.form.addRow(tr("本人"), self.person)
        self.body_layout.addWidget(hint_label(tr("重層的支援会議では、ここで選んだ本人の同意を確かめます。")))
        self.finish_layout()
        self.question.setFocus()

    def work(self):
        store, case_id, today = self.ctx.store, self.case_id, self.today
        code, question = self.meeting_type.currentData(), self.question.toPlainText()
        involved, needed, person = self.involved.names(), self.needed.names(), self.person.currentData()
        return lambda: meeting_requests.request_meeting(store, case_id, code, question, agencies_involved=involved,
                                                        agencies_needed=needed, person_id=person, today=today)


def request_state(r: RequestInfo):
    label = r.state_label
    return text_item(label, STATE_COLOURS.get(label), bold=r.pending)


class RequestsPanel(QWidget):
    """The case detail's 「会議への依頼」 tab: the case's requests, 会議にかける and 取り下げ."""

    changed = Signal()

    def __init__(self, ctx: AppContext, case_id: str, parent: QWidget | None = None, *, today: date | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.case_id = case_id
        self._today = today
        self.requests: list[RequestInfo] = []
        self.members: list[Member] = []
        self.agencies: list[str] = []
        self.closed = False
        self.dialog: MeetingRequestDialog | None = None
        self.table = make_table(REQUEST_COLUMNS, fit=REQUEST_FIT, wrap=True)
        self.table.setAccessibleName(tr("会議への依頼"))
        set_empty_hint(self.table, tr("まだ会議への依頼はありません。会議で検討してほしいときは「会議にかける…」から"
                                      "依頼します。"))
        self.table.itemSelectionChanged.connect(self._enable)
        self.request_button = QPushButton(tr("会議にかける…"))
        self.withdraw_button = QPushButton(tr("依頼を取り下げる…"))
        for button in (self.request_button, self.withdraw_button):
            button.setAutoDefault(False)
        self.request_button.clicked.connect(lambda _c=False: self.put_forward())
        self.withdraw_button.clicked.connect(lambda _c=False: self.withdraw())
        self.errors = ErrorLabel()
        buttons = QHBoxLayout()
        buttons.addWidget(self.request_button)
        buttons.addWidget(self.withdraw_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(hint_label(tr("受付中の依頼は、会議の担当者が会議に取り込むまで待っています。"
                                       "取り込まれると「会議で検討」になります。")))
        layout.addWidget(self.table, 1)
        layout.addWidget(self.errors)
        layout.addLayout(buttons)
        keep_fresh(self, ctx.events, on(CASE, HOUSEHOLD, CONFERENCE), self.reload)
        self.reload()

    def reload(self) -> None:
        store, case_id = self.ctx.store, self.case_id

        def load():
            summary = get_case(store, case_id, log=False).summary
            household = get_household(store, summary.household_id, log=False)
            members = [Member(p.id, p.name, p.relation) for p in household.members]
            return (meeting_requests.requests_of_case(store, case_id), members,
                    [a.name for a in list_agencies(store)], summary.status == CASE_CLOSED)

        self.ctx.executor.submit(load, on_done=self._loaded, on_error=self.errors.show_error, owner=self)

    def _loaded(self, result) -> None:
        self.requests, self.members, self.agencies, self.closed = result
        fill_table(self.table, [(format_wareki_short(r.requested_on), r.type_label, r.question, request_state(r))
                                for r in self.requests], [r.id for r in self.requests])
        self._enable()

    def _enable(self) -> None:
        self.request_button.setEnabled(not self.closed)
        self.request_button.setToolTip(tr("終結したケースは会議にかけられません。再開してから依頼してください。")
                                       if self.closed else "")
        current = self.current()
        self.withdraw_button.setEnabled(current is not None and current.pending)

    def current(self) -> RequestInfo | None:
        request_id = selected_id(self.table)
        return next((r for r in self.requests if r.id == request_id), None)

    def put_forward(self) -> MeetingRequestDialog | None:
        """会議にかける…: the 受付表 dialog (its 保存 reloads the case)."""
        self.errors.clear_error()
        if self.closed:
            self.reveal()  # the sentence is on this tab: show it
            self.errors.show_error(tr("このケースは終結しています。会議にかけるには、先にケースを再開してください。"))
            return None
        dialog = MeetingRequestDialog(self.ctx, self.case_id, self.members, self.agencies, self, today=self._today)
        dialog.saved.connect(lambda _id: self._saved())
        self.dialog = dialog
        dialog.open()
        return dialog

    def withdraw(self) -> None:
        from shakyo_desk.ui import dialogs

        r = self.current()
        if r is None or not r.pending:
            return
        if not dialogs.confirm(self, tr("依頼の取り下げ"),
                               tr("{type}への依頼（{d}）を取り下げますか？\n取り下げた依頼は会議に取り込まれません。"
                                  "記録は経過として残ります。", type=r.type_label, d=format_wareki_short(r.requested_on)),
                               yes=tr("取り下げる")):
            return
        store, today = self.ctx.store, self._today
        self.ctx.executor.submit(lambda: meeting_requests.withdraw_request(store, r.id, today=today),
                                 on_done=lambda _r: self._saved(), on_error=self.errors.show_error, owner=self)

    def reveal(self) -> None:
        """Bring this tab to the front of the case detail's tabs."""
        parent = self.parentWidget()
        while parent is not None and not isinstance(parent, QTabWidget):
            parent = parent.parentWidget()
        if parent is not None:
            parent.setCurrentIndex(parent.indexOf(self))

    def _saved(self) -> None:
        self.reveal()  # the new or withdrawn request in view
        self.changed.emit()
        self.ctx.changed(CASE)  # the case detail, this tab and the household's timeline reload


def request_line(r: RequestInfo) -> str:
    """「R8.12.1　山田 花子 さんの世帯（上町）：金銭管理をだれが担うか」"""
    who = tr("{name} さんの世帯", name=r.head_name) if r.head_name else r.household_code
    where = f"（{r.district}）" if r.district else ""
    return f"{format_wareki_short(r.requested_on)}　{who}{where}：{r.question}"


class RequestPickDialog(QDialog):
    """「届いている受付を取り込む」: the waiting requests, ticked; those whose household is already
    on the agenda are listed apart and cannot be ticked."""

    def __init__(self, requests: list[RequestInfo], on_agenda: set[str], type_label: str,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(tr("届いている受付を取り込む"))
        self.requests = [r for r in requests if r.household_id not in on_agenda]
        waiting_elsewhere = [r for r in requests if r.household_id in on_agenda]
        self.list = CheckList([request_line(r) for r in self.requests], [r.id for r in self.requests],
                              data=[r.id for r in self.requests])
        self.list.setAccessibleName(tr("届いている受付"))
        set_empty_hint(self.list, tr("会議の日までに届いた{type}への依頼で、まだ会議に入っていないものはありません。",
                                     type=type_label))
        intro = QLabel(tr("{type}への依頼のうち、会議の日までに届いてまだ会議に入っていないものです。"
                          "取り込む依頼に印を付けてください（「保存」で記録されます）。", type=type_label))
        intro.setWordWrap(True)
        buttons, self.ok_button = button_row(self, tr("取り込む"), self.accept, cancel_text=tr("やめる"))
        self.ok_button.setEnabled(bool(self.requests))
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.list, 1)
        if waiting_elsewhere:
            layout.addWidget(hint_label(tr("すでにこの会議で取り上げている世帯の依頼（{n}件）は、受付中のまま残ります。",
                                           n=len(waiting_elsewhere))))
        layout.addWidget(buttons)
        fit_to_screen(self, QSize(680, 420))
        self.list.setFocus(Qt.FocusReason.OtherFocusReason)
        if self.list.count():
            self.list.setCurrentRow(0)

    def chosen(self) -> list[RequestInfo]:
        ids = set(self.list.checked())
        return [r for r in self.requests if r.id in ids]
