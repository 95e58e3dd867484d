"""会議 editor: a case conference with its members, cases, what was decided for each case,
the minutes (never on a handout), the fields shown in full on the handout, and the handout
itself (会議資料: check, preview, save, print — ``handout_actions``). Issue 18: cases may be added
to and removed from a recorded meeting, waiting 受付表 requests taken in (「届いている受付を取り込む」,
``meeting_request_dialog.RequestPickDialog``), the members who sit for each case ticked (none:
everyone), a 支援会議 may have a theme and no household, and a member under a 委嘱 for the meeting's
type and day shows 「委嘱（〜…）」 instead of needing the meeting's acknowledgement.

Saving runs in the worker: the whole form becomes one ``ConferenceDraft`` and
``meeting_agenda.save_agenda`` writes it in one transaction (fields, minutes, members, cases
with their decisions, removals, disclosures, the requests taken and the per-case seats), refused as a whole when the conference changed
since the editor loaded it (another window, another person, an imported bundle). The form
checks what it can first (names, times, review dates) to answer at once; any refusal, the
form's or the service's, writes nothing and keeps everything typed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QComboBox, QCompleter, QDialog, QDialogButtonBox, QFormLayout, QGroupBox,
    QHBoxLayout, QHeaderView, QLabel, QLineEdit, QListWidget, QListWidgetItem, QPlainTextEdit, QPushButton,
    QScrollArea, QSplitter, QTableWidget, QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget,
)

from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.domain.text import fold
from shakyo_desk.domain.vocab import (
    CONFERENCE_TYPES, DEFAULT_LEGAL_BASIS, DISCLOSABLE_FIELDS, LEGAL_BASES, MULTI_AGENCY_CONFERENCE, SUPPORT_CONFERENCE,
)
from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.i18n import tr
from shakyo_desk.store.services import conferences as conference_service
from shakyo_desk.store.services.agencies import list_agencies
from shakyo_desk.store.services.appointments import AppointmentInfo, list_appointments
from shakyo_desk.store.services.conferences import (
    TOPIC_TYPES, CaseDraft, ConferenceDetail, ConferenceDraft, MemberDraft,
)
from shakyo_desk.store.services.meeting_agenda import save_agenda
from shakyo_desk.store.store import Store
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.date_field import DateField
from shakyo_desk.ui.dialogs import ErrorLabel, button_row, fit_to_screen, scrolling
from shakyo_desk.ui.empty_state import set_empty_hint
from shakyo_desk.ui.entry_form import EntryForm
from shakyo_desk.ui.events import CONFERENCE
from shakyo_desk.ui.field_widgets import HouseholdPickDialog, RadioRow
from shakyo_desk.ui.handout_actions import HandoutPanel
from shakyo_desk.ui.labels import hint_label, notice_label
from shakyo_desk.ui.style import ERROR_COLOUR
from shakyo_desk.ui.widgets import CheckList, fill_table, make_table, text_item
from shakyo_desk.domain import clock

TYPE_NOTES = {
    "support": "構成員には法律上の守秘義務があります。本人の同意がなくても情報を共有できます。"
               "資料には守秘義務についての注意書きが入ります。世帯を取り上げず、テーマ（地域資源の検討など）だけを"
               "話し合う回も記録できます。",
    "multi-agency": "ケースごとに、本人の同意が記録されている世帯だけを取り上げます。同意のない本人がいると、資料は作れません。",
    "case-review": "社協の中で行うケース検討会です。",
    "community-care": "地域ケア会議は、世帯を取り上げずに地域の課題だけを話し合う回も記録できます。",
}
MEMBER_COLUMNS = ("氏名", "所属", "守秘義務の確認")
DISCLOSURE_NOTE = ("会議資料は、ふだんは個人が分かりにくい形で作ります（世帯番号とイニシャル、年代のみ。住所・電話・生年月日は載せません）。"
                   "この会議でどうしても必要な項目だけを選んでください。選んだことと変更したことは、監査ログに記録されます。"
                   "税に関する情報は、どの項目を選んでも資料には載りません。")
MINUTES_NOTE = "議事録は記録として残すためのものです。会議資料（配布資料）には載りません。"


# ---- saving (no Qt: runs in the worker) -------------------------------------------------

def draft_of(state: dict) -> ConferenceDraft:
    """The editor's ``state`` (see ``ConferenceEditorDialog.values``) as the service's draft."""
    f = state["fields"]
    return ConferenceDraft(
        meeting_type=f["meeting_type"], held_on=f["held_on"], legal_basis=f["legal_basis"], title=f["title"],
        start_time=f["start_time"], end_time=f["end_time"], place=f["place"], convenor=f["convenor"],
        agenda=f["agenda"], minutes=state["minutes"], disclosures=tuple(state["disclosures"]),
        members=tuple(MemberDraft(m["name"], m["organisation"], m["acknowledged_on"], m["id"])
                      for m in state["members"]),
        cases=tuple(CaseDraft(c["household_id"], c["question"], c["support_policy"], c["lead_agency"],
                              tuple(c["roles"]), c["next_review_on"], c["id"], c.get("case_id"))
                    for c in state["cases"]),
        topic=f.get("topic", ""), body=f.get("body", ""))


def requests_of(state: dict) -> dict[str, str]:
    """Household id → 受付表 request id, for the cases taken from a request."""
    return {c["household_id"]: c["request_id"] for c in state["cases"] if c.get("request_id")}


def seats_of(state: dict) -> dict[str, list[tuple[str, str]]]:
    """Household id → who sits for the case, for the cases whose members were changed here."""
    return {c["household_id"]: list(c["seats"]) for c in state["cases"] if c.get("seats_changed")}


def save_conference(store: Store, detail: ConferenceDetail | None, state: dict, *,
                    today: date | None = None) -> ConferenceDetail:
    """Write the editor's ``state`` in one transaction, checked against the version ``detail``
    was loaded at; returns the conference as stored. A refusal writes nothing."""
    conference_id = save_agenda(
        store, draft_of(state), detail.id if detail else None, expected_version=detail.version if detail else None,
        requests=requests_of(state), seats=seats_of(state), today=today)
    return conference_service.get_conference(store, conference_id, log=False)


# ---- form checks before saving ---------------------------------------------------------

def check_time(text: str, label: str) -> str:
    text = text.strip().replace("：", ":")
    if not text:
        return ""
    if text.isdigit() and len(text) in (3, 4):  # 1400 → 14:00
        text = f"{text[:-2]}:{text[-2:]}"
    parts = text.split(":")
    if len(parts) == 2 and all(p.isdigit() for p in parts) and int(parts[0]) < 24 and int(parts[1]) < 60:
        return f"{int(parts[0]):02d}:{int(parts[1]):02d}"
    raise InvalidInput(tr("{label}は 14:30 のように入力してください。", label=label))


def check_state(state: dict) -> None:
    """The refusals the form can give at once, naming the case (the service checks them again)."""
    f = state["fields"]
    if f["end_time"] and not f["start_time"]:
        raise InvalidInput(tr("終了時刻だけでなく、開始時刻も入力してください。"))
    if f["start_time"] and f["end_time"] and f["end_time"] <= f["start_time"]:
        raise InvalidInput(tr("終了時刻が開始時刻より前になっています。時刻を確かめてください。"))
    if not state["members"]:
        raise InvalidInput(tr("構成員（出席者）を1人以上入力してください。"))
    seen = set()
    for m in state["members"]:
        if not m["name"]:
            raise InvalidInput(tr("構成員の氏名を入力してください。"))
        key = (m["name"], m["organisation"])
        if key in seen:
            raise InvalidInput(tr("構成員「{name}」が2回入力されています。1回だけにしてください。", name=m["name"]))
        seen.add(key)
    if not state["cases"] and f["meeting_type"] != "community-care" and not (
            f.get("topic") and f["meeting_type"] in TOPIC_TYPES):
        raise InvalidInput(tr("会議で取り上げる世帯（ケース）を1つ以上選ぶか、支援会議なら「検討するテーマ」を"
                              "入力してください。"))
    for c in state["cases"]:
        if c["next_review_on"] and f["held_on"] and c["next_review_on"] < f["held_on"]:
            raise InvalidInput(tr("{label}：次回の見直し日が会議の日より前になっています。日付を確かめてください。",
                                  label=c["label"]))
        for agency, role in c["roles"]:
            if not agency or not role:
                raise InvalidInput(tr("{label}：役割分担は、機関名と役割の両方を入力してください。", label=c["label"]))


# ---- small dialogs -----------------------------------------------------------------------

class MemberDialog(QDialog):
    """One member: name, organisation, the day they confirmed the duty of confidentiality."""

    def __init__(self, member: dict, agencies: list[str], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(tr("構成員の編集"))
        self.member = dict(member)
        self.name = QLineEdit(member["name"])
        self.organisation = QLineEdit(member["organisation"])
        self.organisation.setCompleter(QCompleter(agencies, self.organisation))
        self.acknowledged = DateField(member["acknowledged_on"], optional=True, allow_future=False,
                                      placeholder=tr("未確認のときは空欄"))
        self.errors = ErrorLabel()
        buttons, _ = button_row(self, None, self._accept)
        form = QFormLayout()
        form.addRow(tr("氏名（必須）"), self.name)
        form.addRow(tr("所属"), self.organisation)
        form.addRow(tr("守秘義務を確認した日"), self.acknowledged)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.errors)
        layout.addWidget(buttons)
        self.setMinimumWidth(480)

    def _accept(self) -> None:
        if not self.name.text().strip():
            self.errors.show_error(tr("氏名を入力してください。"))
            return
        try:
            day = self.acknowledged.checked_date(tr("守秘義務を確認した日"))
        except InvalidInput as error:
            self.errors.show_error(error)
            return
        if day is not None and day > clock.today():
            self.errors.show_error(tr("守秘義務を確認した日が未来の日付になっています。今日までの日付を入力してください。"))
            return
        self.member.update(name=self.name.text().strip(), organisation=self.organisation.text().strip(),
                           acknowledged_on=day)
        self.accept()


class RolesTable(QWidget):
    """役割分担: rows of (agency, role), typed in place."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels([tr("機関"), tr("役割")])
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setColumnWidth(0, 220)
        self.table.setMinimumHeight(120)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move inside
        self.table.setAccessibleName(tr("役割分担"))
        set_empty_hint(self.table, tr("役割分担はまだありません。「行を追加」を押して、機関と役割を書いてください。"))
        self.add_button = QPushButton(tr("行を追加"))
        self.remove_button = QPushButton(tr("選んだ行を削除"))
        for button in (self.add_button, self.remove_button):
            button.setAutoDefault(False)
        self.add_button.clicked.connect(lambda: self.add_row())
        self.remove_button.clicked.connect(self.remove_row)
        buttons = QVBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

    def add_row(self, agency: str = "", role: str = "") -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, 0, QTableWidgetItem(agency))
        self.table.setItem(row, 1, QTableWidgetItem(role))
        if not agency and not role:
            self.table.setCurrentCell(row, 0)
            self.table.editItem(self.table.item(row, 0))

    def remove_row(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.table.removeRow(row)

    def set_roles(self, roles: list[tuple[str, str]]) -> None:
        self.table.setRowCount(0)
        for agency, role in roles:
            self.add_row(agency, role)

    def roles(self) -> list[tuple[str, str]]:
        rows = []
        for r in range(self.table.rowCount()):
            cells = [self.table.item(r, c).text().strip() if self.table.item(r, c) else "" for c in (0, 1)]
            if any(cells):
                rows.append((cells[0], cells[1]))
        return rows


# ---- the editor --------------------------------------------------------------------------

def member_dicts(detail: ConferenceDetail | None) -> list[dict]:
    if detail is None:
        return []
    return [{"id": m.id, "name": m.name, "organisation": m.organisation,
             "acknowledged_on": m.confidentiality_acknowledged_on} for m in detail.members]


def case_label(code: str, head_name: str, district: str = "") -> str:
    name = tr("{name} さんの世帯", name=head_name) if head_name else tr("（世帯主未登録）")
    return "　".join(x for x in (code, name, district) if x)


def case_list_text(code: str, head_name: str, district: str = "") -> str:
    """Two lines for the case list: the household, then its code and district."""
    name = tr("{name} さんの世帯", name=head_name) if head_name else tr("（世帯主未登録）")
    return name + "\n" + "　".join(x for x in (code, district) if x)


def member_key(member) -> tuple[str, str]:
    """A member as a case's seat names it (a member added in this edit has no id yet)."""
    if isinstance(member, dict):
        return member["name"], member["organisation"]
    return member.name, member.organisation


def case_dicts(detail: ConferenceDetail | None) -> list[dict]:
    if detail is None:
        return []
    return [{"id": c.id, "household_id": c.household_id, "label": case_label(c.household_code, c.head_name, c.district),
             "list_text": case_list_text(c.household_code, c.head_name, c.district)
             + (tr("・受付表") if c.request_id else "") + (tr("・出席者を限定") if c.limited else ""),
             "question": c.question, "support_policy": c.support_policy, "lead_agency": c.lead_agency,
             "roles": [(r.agency, r.role) for r in c.roles], "next_review_on": c.next_review_on,
             "case_id": c.case_id, "request_id": c.request_id,
             "seats": [member_key(m) for m in detail.members if c.limited and m.id in c.member_ids],
             "seats_changed": False}
            for c in detail.cases]


def appointment_of(appointments: list[AppointmentInfo], member: dict, meeting_type: str | None,
                   held_on: date | None) -> AppointmentInfo | None:
    """The 委嘱 whose pledge covers this member at this meeting (name and organisation folded)."""
    if not meeting_type or held_on is None:
        return None
    key = (fold(member["name"]), fold(member["organisation"]))
    return next((a for a in appointments if (fold(a.name), fold(a.organisation)) == key
                 and a.covers(meeting_type, held_on)), None)


class ConferenceEditorDialog(EntryForm, QDialog):
    geometry_key = "conference_editor"
    discard_title = "変更の破棄"
    discard_text = "保存していない変更があります。変更を捨てて閉じますか？"
    saved = Signal(str)
    copies_made = Signal()

    def __init__(self, ctx: AppContext, detail: ConferenceDetail | None, agencies: list[str] | None = None,
                 parent: QWidget | None = None, *, today: date | None = None,
                 appointments: list[AppointmentInfo] | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.detail = detail
        self.agencies = list(agencies or [])
        self.appointments = list(appointments or [])
        self.request_picker = None
        self._today = today
        self.members = member_dicts(detail)
        self.cases = case_dicts(detail)
        self._case_row = -1
        self._after_save: Callable[[], None] | None = None
        self.household_editor = None
        self.picker = None

        self.heading = QLabel()
        self.heading.setStyleSheet("font-size: 15pt; font-weight: bold;")
        # each tab scrolls on a small screen; 保存 and 閉じる stay in view below them
        self.tabs = QTabWidget()
        self.tabs.addTab(scrolling(self._basic_tab()), tr("会議の内容"))
        self.tabs.addTab(scrolling(self._members_tab()), tr("構成員"))
        self.tabs.addTab(scrolling(self._cases_tab()), tr("ケースと決定事項"))
        self.tabs.addTab(scrolling(self._minutes_tab()), tr("議事録"))
        self.tabs.addTab(scrolling(self._disclosures_tab()), tr("資料に載せる項目"))
        self.handout = HandoutPanel(ctx, self, ensure_saved=self.ensure_saved)
        self.handout.copies_made.connect(self.copies_made)
        self.saved.connect(lambda _id: ctx.changed(CONFERENCE))  # lists and timelines reload
        self.tabs.addTab(scrolling(self.handout), tr("会議資料"))
        self.tabs.currentChanged.connect(self._tab_changed)

        self.errors = ErrorLabel()
        self.status = QLabel()
        self.status.setStyleSheet("color: #2f6b3a; font-weight: bold;")
        # 保存 is an action, not the dialog's default button: Enter in a field (adding a member,
        # a review date) never saves; Ctrl+S does.
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.save_button = self.buttons.addButton(tr("保存"), QDialogButtonBox.ButtonRole.ActionRole)
        self.save_button.setToolTip(tr("保存（Ctrl+S）"))
        self.save_button.setShortcut("Ctrl+S")
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setText(tr("閉じる"))
        for button in self.buttons.buttons():
            button.setAutoDefault(False)
        self.save_button.clicked.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.errors)
        layout.addLayout(bottom)
        fit_to_screen(self, QSize(1000, 760), settings=ctx.ui_settings, key=self.geometry_key)
        self._fill(detail)
        first = self.meeting_type.group.checkedButton() if detail is None else self.title
        first.setFocus(Qt.FocusReason.OtherFocusReason)

    def today(self) -> date:
        return self._today or clock.today()

    # ---- tabs ----------------------------------------------------------------------

    def _basic_tab(self) -> QWidget:
        self.meeting_type = RadioRow(CONFERENCE_TYPES, labels=CONFERENCE_TYPES)
        self.legal_basis = QComboBox()
        for code, label in LEGAL_BASES.items():
            self.legal_basis.addItem(label, code)
        self.legal_basis_label = QLabel(tr("根拠法"))
        self.legal_basis.setAccessibleName(tr("根拠法"))
        self.type_note = notice_label("", "info")
        self.title = QLineEdit()
        self.title.setPlaceholderText(tr("例：みどり村支援会議（空欄のときは会議の種類を名前にします）"))
        self.held_on = DateField()
        self.start_time = QLineEdit()
        self.start_time.setPlaceholderText("14:00")
        self.start_time.setMaximumWidth(90)
        self.start_time.setAccessibleName(tr("開始時刻"))
        self.end_time = QLineEdit()
        self.end_time.setPlaceholderText("15:30")
        self.end_time.setMaximumWidth(90)
        self.end_time.setAccessibleName(tr("終了時刻"))
        time_row = QHBoxLayout()
        time_row.addWidget(self.start_time)
        time_row.addWidget(QLabel(tr("〜")))
        time_row.addWidget(self.end_time)
        time_row.addStretch(1)
        self.place = QLineEdit()
        self.place.setPlaceholderText(tr("例：福祉センター 研修室"))
        self.convenor = QLineEdit()
        self.convenor.setPlaceholderText(tr("例：役場 住民福祉課"))
        self.agenda = QPlainTextEdit()
        self.agenda.setTabChangesFocus(True)
        self.agenda.setPlaceholderText(tr("議題（資料の表紙に載ります）"))
        self.agenda.setFixedHeight(150)
        self.topic = QPlainTextEdit()
        self.topic.setTabChangesFocus(True)
        self.topic.setAccessibleName(tr("検討するテーマ"))
        self.topic.setPlaceholderText(tr("世帯を取り上げずに話し合うとき（例：冬の買い物の足をどう確保するか）"))
        self.topic.setFixedHeight(70)
        self.topic_label = QLabel(tr("検討するテーマ"))
        self.body = QLineEdit()
        self.body.setAccessibleName(tr("開催形態（会議体）"))
        self.body.setPlaceholderText(tr("例：地域ケア会議（既存の会議を支援会議として開くとき）"))
        self.created_label = hint_label()
        form = QFormLayout()
        form.addRow(tr("会議の種類"), self.meeting_type)
        form.addRow(self.legal_basis_label, self.legal_basis)
        form.addRow("", self.type_note)
        form.addRow(tr("会議の名前"), self.title)
        form.addRow(tr("開催日"), self.held_on)
        form.addRow(tr("時間"), time_row)
        form.addRow(tr("場所"), self.place)
        form.addRow(tr("主催・招集者"), self.convenor)
        form.addRow(tr("議題"), self.agenda)
        form.addRow(self.topic_label, self.topic)
        form.addRow(tr("開催形態（会議体）"), self.body)
        form.addRow("", self.created_label)
        self.meeting_type.group.buttonToggled.connect(lambda *_: self._type_changed())
        self.held_on.changed.connect(self._fill_members)  # a 委嘱 covers the meetings of its period
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addLayout(form)
        layout.addStretch(1)
        return page

    def _members_tab(self) -> QWidget:
        self.member_table = make_table(MEMBER_COLUMNS, (200, 320))
        self.member_table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.member_table.setAccessibleName(tr("構成員の一覧"))
        set_empty_hint(self.member_table, tr("まだ構成員がいません。上の欄に氏名と所属を入力して、"
                                             "「構成員を追加」を押してください。"))
        self.member_table.doubleClicked.connect(lambda index: self.edit_member(index.row()))
        self.new_member_name = QLineEdit()
        self.new_member_name.setPlaceholderText(tr("氏名"))
        self.new_member_name.setAccessibleName(tr("追加する構成員の氏名"))
        self.new_member_org = QLineEdit()
        self.new_member_org.setPlaceholderText(tr("所属（例：地域包括支援センター）"))
        self.new_member_org.setAccessibleName(tr("追加する構成員の所属"))
        self.new_member_org.setCompleter(QCompleter(self.agencies, self.new_member_org))
        self.add_member_button = QPushButton(tr("構成員を追加"))
        self.add_member_button.setAutoDefault(False)
        self.add_member_button.clicked.connect(self.add_member)
        self.new_member_name.returnPressed.connect(self.new_member_org.setFocus)
        self.new_member_org.returnPressed.connect(self.add_member)
        add_row = QHBoxLayout()
        add_row.addWidget(self.new_member_name, 2)
        add_row.addWidget(self.new_member_org, 3)
        add_row.addWidget(self.add_member_button)
        self.ack_button = QPushButton(tr("選んだ人の守秘義務確認を記録（今日）"))
        self.edit_member_button = QPushButton(tr("編集…"))
        self.remove_member_button = QPushButton(tr("削除"))
        for button in (self.ack_button, self.edit_member_button, self.remove_member_button):
            button.setAutoDefault(False)
        self.ack_button.clicked.connect(self.acknowledge_selected)
        self.edit_member_button.clicked.connect(lambda: self.edit_member(self.member_table.currentRow()))
        self.remove_member_button.clicked.connect(self.remove_members)
        self.member_table.itemSelectionChanged.connect(self._member_selection_changed)
        buttons = QHBoxLayout()
        buttons.addWidget(self.ack_button)
        buttons.addStretch(1)
        buttons.addWidget(self.edit_member_button)
        buttons.addWidget(self.remove_member_button)
        hint = hint_label(tr("資料は構成員1人に1部ずつ、番号と配布先を入れて作ります。"
                             "守秘義務の確認が記録されていない構成員がいると、資料を作る前にお知らせします。"))
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addLayout(add_row)
        layout.addWidget(self.member_table, 1)
        layout.addLayout(buttons)
        layout.addWidget(hint)
        return page

    def _cases_tab(self) -> QWidget:
        self.case_list = QListWidget()
        self.case_list.setAccessibleName(tr("取り上げる世帯"))
        set_empty_hint(self.case_list, tr("まだ世帯を選んでいません。「世帯を追加…」から、"
                                          "この会議で取り上げる世帯を選んでください。"))
        self.case_list.setStyleSheet("QListWidget::item { padding: 6px 4px; }")
        self.add_case_button = QPushButton(tr("世帯を追加…"))
        self.remove_case_button = QPushButton(tr("取り除く"))
        self.requests_button = QPushButton(tr("届いている受付を取り込む…"))
        self.requests_button.setToolTip(tr("この会議の種類への検討依頼（受付表）のうち、会議の日までに届いたものを選んで加えます。"))
        for button in (self.add_case_button, self.remove_case_button, self.requests_button):
            button.setAutoDefault(False)
        self.add_case_button.clicked.connect(self.pick_case)
        self.remove_case_button.clicked.connect(self.remove_case)
        self.requests_button.clicked.connect(self.collect_requests)
        self.cases_fixed = hint_label(tr("登録した会議にも、世帯を加えたり取り除いたりできます。「保存」を押すと記録されます。"))
        left = QVBoxLayout()
        left.addWidget(QLabel(tr("取り上げる世帯")))
        left.addWidget(self.case_list, 1)
        case_buttons = QHBoxLayout()
        case_buttons.addWidget(self.add_case_button)
        case_buttons.addWidget(self.remove_case_button)
        left.addLayout(case_buttons)
        left.addWidget(self.requests_button)
        left.addWidget(self.cases_fixed)
        left_widget = QWidget()
        left_widget.setLayout(left)

        self.case_heading = QLabel()
        self.case_heading.setStyleSheet("font-size: 12pt; font-weight: bold;")
        self.question = QPlainTextEdit()
        self.question.setTabChangesFocus(True)
        self.question.setPlaceholderText(tr("例：金銭管理の支援をどの機関が担うか"))
        self.question.setAccessibleName(tr("この会議で検討したいこと"))
        self.question.setFixedHeight(70)
        self.support_policy = QPlainTextEdit()
        self.support_policy.setTabChangesFocus(True)
        self.support_policy.setFixedHeight(80)
        self.lead_agency = QComboBox()
        self.lead_agency.setEditable(True)
        self.lead_agency.addItem("")
        self.lead_agency.addItems(self.agencies)
        self.lead_agency.setAccessibleName(tr("主担当"))
        self.roles = RolesTable()
        self.next_review = DateField(optional=True, placeholder=tr("未定のときは空欄"))
        outcome = QGroupBox(tr("決定したこと（会議のあとで記入）"))
        outcome_form = QFormLayout(outcome)
        outcome_form.addRow(tr("支援方針"), self.support_policy)
        outcome_form.addRow(tr("主担当"), self.lead_agency)
        outcome_form.addRow(tr("役割分担"), self.roles)
        outcome_form.addRow(tr("次回の見直し日"), self.next_review)
        self.seat_list = CheckList([])
        self.seat_list.setAccessibleName(tr("この事例に出席する構成員"))
        self.seat_list.fit_height(4)
        self.seat_list.itemChanged.connect(self._seat_changed)
        seats = QGroupBox(tr("この事例に出席する構成員"))
        seats_layout = QVBoxLayout(seats)
        seats_layout.addWidget(hint_label(tr("だれにも印を付けなければ、構成員全員が出席します。印を付けた人の資料にだけ、"
                                             "この事例が載ります（例：その地区の民生委員だけ）。")))
        seats_layout.addWidget(self.seat_list)
        right = QVBoxLayout()
        right.addWidget(self.case_heading)
        right.addWidget(QLabel(tr("この会議で検討したいこと（資料に載ります）")))
        right.addWidget(self.question)
        right.addWidget(seats)
        right.addWidget(outcome)
        right.addStretch(1)
        self.case_form = QWidget()
        self.case_form.setLayout(right)
        self.no_case = QLabel(tr("左の一覧で世帯を選ぶと、検討したいことと決定事項を入力できます。"))
        self.no_case.setWordWrap(True)
        self.no_case.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.no_case.setStyleSheet("color: #555; font-size: 12pt;")
        right_box = QVBoxLayout()
        right_box.addWidget(self.no_case)
        right_box.addWidget(self.case_form)
        right_widget = QWidget()
        right_widget.setLayout(right_box)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(right_widget)
        scroll.viewport().setAutoFillBackground(False)
        right_widget.setAutoFillBackground(False)
        splitter = QSplitter()
        splitter.addWidget(left_widget)
        splitter.addWidget(scroll)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([300, 660])
        self.case_list.currentRowChanged.connect(self._case_changed)
        return splitter

    def _minutes_tab(self) -> QWidget:
        note = notice_label(tr(MINUTES_NOTE), "caution")
        self.minutes = QPlainTextEdit()
        self.minutes.setTabChangesFocus(True)
        self.minutes.setAccessibleName(tr("議事録"))
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(note)
        layout.addWidget(self.minutes, 1)
        return page

    def _disclosures_tab(self) -> QWidget:
        note = notice_label(tr(DISCLOSURE_NOTE), "warning")
        self.disclosure_boxes: dict[str, QCheckBox] = {}
        boxes = QVBoxLayout()
        boxes.addWidget(QLabel(tr("この会議の資料に省略せずに載せる項目")))
        for key, label in DISCLOSABLE_FIELDS.items():
            box = QCheckBox(tr("{label}を省略せずに載せる", label=label))
            box.setStyleSheet("QCheckBox { font-size: 12pt; padding: 4px; }")
            self.disclosure_boxes[key] = box
            boxes.addWidget(box)
        default = hint_label(tr("選ばない場合：氏名はイニシャル、年齢は年代（例：80代）で載せ、住所・電話・生年月日は載せません。"))
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(note)
        layout.addLayout(boxes)
        layout.addWidget(default)
        layout.addStretch(1)
        return page

    # ---- filling ---------------------------------------------------------------------

    def _fill(self, detail: ConferenceDetail | None) -> None:
        self.members = member_dicts(detail)
        self.cases = case_dicts(detail)
        self.meeting_type.set_value(detail.meeting_type if detail else MULTI_AGENCY_CONFERENCE)
        self.legal_basis.setCurrentIndex(max(0, self.legal_basis.findData(
            detail.legal_basis if detail and detail.legal_basis else DEFAULT_LEGAL_BASIS)))
        if detail is not None:
            self.title.setText(detail.title)
            self.held_on.set_date(detail.held_on)
            self.start_time.setText(detail.start_time)
            self.end_time.setText(detail.end_time)
            self.place.setText(detail.place)
            self.convenor.setText(detail.convenor)
            self.agenda.setPlainText(detail.agenda)
            self.topic.setPlainText(detail.topic)
            self.body.setText(detail.body)
            self.minutes.setPlainText(detail.minutes)
            self.created_label.setText(tr("登録：{who}（{when}）", who=detail.created_by_name or tr("不明"),
                                          when=format_wareki(detail.created_at.date())))
        for key, box in self.disclosure_boxes.items():
            box.setChecked(bool(detail) and key in detail.disclosures)
        self._fill_members()
        self._case_row = -1
        self._fill_cases()
        self._type_changed()
        self._update_title()
        self.handout.set_conference(detail)
        self._snapshot = self.values()

    def _update_title(self) -> None:
        d = self.detail
        if d is None:
            self.setWindowTitle(tr("新しい会議"))
            self.heading.setText(tr("新しい会議の登録"))
        else:
            self.setWindowTitle(tr("会議の編集（{title}）", title=d.display_title))
            self.heading.setText(tr("{title}　{date}", title=d.display_title, date=format_wareki(d.held_on, weekday=True)))
        self.cases_fixed.setVisible(d is not None)

    def _type_changed(self) -> None:
        code = self.meeting_type.value()
        is_support = code == SUPPORT_CONFERENCE
        self.legal_basis.setVisible(is_support)
        self.legal_basis_label.setVisible(is_support)
        self.type_note.setText(tr(TYPE_NOTES.get(code, "")))
        self.topic.setVisible(code in TOPIC_TYPES)
        self.topic_label.setVisible(code in TOPIC_TYPES)
        self._fill_members()

    def _held_on_or_none(self) -> date | None:
        try:
            return self.held_on.date()
        except ValueError:
            return None

    def appointment(self, member: dict) -> AppointmentInfo | None:
        """The 委嘱 covering this member at the meeting as typed (type and day)."""
        return appointment_of(self.appointments, member, self.meeting_type.value(), self._held_on_or_none())

    def ack_text(self, member: dict) -> str:
        """「令和8年12月1日」, 「委嘱（〜令和9年3月31日）」 or 「未確認」."""
        if member["acknowledged_on"]:
            return format_wareki(member["acknowledged_on"])
        appointment = self.appointment(member)
        if appointment is not None:
            return tr("委嘱（〜{d}）", d=format_wareki(appointment.valid_to))
        return tr("未確認")

    def _fill_members(self) -> None:
        rows, unack = [], 0
        for m in self.members:
            text = self.ack_text(m)
            if m["acknowledged_on"] or self.appointment(m) is not None:
                ack = text_item(text)
            else:
                unack += 1
                ack = text_item(text, ERROR_COLOUR, bold=True)
            rows.append((text_item(m["name"], bold=True), m["organisation"], ack))
        fill_table(self.member_table, rows)
        index = self._tab_of(self.member_table)
        self.tabs.setTabText(index, tr("構成員（{n}）", n=len(self.members)) + (tr("・未確認{n}", n=unack) if unack else ""))
        self._member_selection_changed()
        self._fill_seats()

    def _fill_cases(self) -> None:
        self.case_list.blockSignals(True)
        self.case_list.clear()
        for case in self.cases:
            item = QListWidgetItem(case["list_text"])
            item.setToolTip(case["label"])
            self.case_list.addItem(item)
        self.case_list.blockSignals(False)
        self._case_row = -1
        if self.cases:
            self.case_list.setCurrentRow(0)
        else:
            self._show_case(-1)
        index = self._tab_of(self.case_list)
        self.tabs.setTabText(index, tr("ケースと決定事項（{n}）", n=len(self.cases)))
        self.remove_case_button.setEnabled(bool(self.cases))

    # ---- members ---------------------------------------------------------------------

    def _selected_member_rows(self) -> list[int]:
        return sorted({i.row() for i in self.member_table.selectedIndexes()})

    def _member_selection_changed(self) -> None:
        rows = self._selected_member_rows()
        self.ack_button.setEnabled(bool(rows))
        self.edit_member_button.setEnabled(len(rows) == 1)
        self.remove_member_button.setEnabled(bool(rows))

    def add_member(self) -> None:
        name, organisation = self.new_member_name.text().strip(), self.new_member_org.text().strip()
        if not name:
            self.errors.show_error(tr("追加する構成員の氏名を入力してください。"))
            self.new_member_name.setFocus()
            return
        if any((m["name"], m["organisation"]) == (name, organisation) for m in self.members):
            self.errors.show_error(tr("構成員「{name}」はすでに入っています。", name=name))
            return
        self.errors.clear_error()
        self.members.append({"id": None, "name": name, "organisation": organisation, "acknowledged_on": None})
        self._fill_members()
        self.new_member_name.clear()
        self.new_member_org.clear()
        self.new_member_name.setFocus()

    def edit_member(self, row: int) -> None:
        if not 0 <= row < len(self.members):
            return
        dialog = MemberDialog(self.members[row], self.agencies, self)
        self.member_dialog = dialog
        if dialog.exec() == QDialog.DialogCode.Accepted:
            old, new = member_key(self.members[row]), member_key(dialog.member)
            for case in self.cases:  # a renamed member keeps their seats
                case["seats"] = [new if key == old else key for key in case["seats"]]
            self.members[row] = dialog.member
            self._fill_members()
            self.member_table.selectRow(row)

    def acknowledge_selected(self) -> None:
        rows = self._selected_member_rows()
        for row in rows:
            self.members[row]["acknowledged_on"] = self.members[row]["acknowledged_on"] or self.today()
        self._fill_members()
        if rows:
            self.status.setText(tr("守秘義務の確認日を入れました。「保存」で記録されます。"))

    def remove_members(self) -> None:
        rows = self._selected_member_rows()
        if not rows:
            return
        for row in reversed(rows):
            gone = member_key(self.members[row])
            for case in self.cases:
                case["seats"] = [key for key in case["seats"] if key != gone]
            del self.members[row]
        self._fill_members()

    # ---- cases -----------------------------------------------------------------------

    def _show_case(self, row: int) -> None:
        has = 0 <= row < len(self.cases)
        self.case_form.setVisible(has)
        self.no_case.setVisible(not has)
        if not has:
            return
        case = self.cases[row]
        self.case_heading.setText(case["label"])
        self.question.setPlainText(case["question"])
        self.support_policy.setPlainText(case["support_policy"])
        self.lead_agency.setCurrentText(case["lead_agency"])
        self.roles.set_roles(case["roles"])
        self.next_review.set_date(case["next_review_on"])
        self._fill_seats()

    def _fill_seats(self) -> None:
        """The meeting's members, those who sit for the shown case ticked (none: everyone)."""
        row = self._case_row if 0 <= self._case_row < len(self.cases) else self.case_list.currentRow()
        chosen = set(self.cases[row]["seats"]) if 0 <= row < len(self.cases) else set()
        self.seat_list.blockSignals(True)
        self.seat_list.clear()
        for m in self.members:
            item = QListWidgetItem(f"{m['name']}（{m['organisation']}）" if m["organisation"] else m["name"])
            item.setData(Qt.ItemDataRole.UserRole, member_key(m))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if member_key(m) in chosen else Qt.CheckState.Unchecked)
            self.seat_list.addItem(item)
        self.seat_list.blockSignals(False)
        self.seat_list.fit_height(4)

    def _seat_changed(self, _item=None) -> None:
        row = self._case_row
        if 0 <= row < len(self.cases):
            self.cases[row]["seats"] = self.seat_list.checked()
            self.cases[row]["seats_changed"] = True

    def _store_case(self) -> None:
        """Keep what is typed in the case form in ``self.cases``."""
        row = self._case_row
        if not 0 <= row < len(self.cases):
            return
        case = self.cases[row]
        case.update(question=self.question.toPlainText().strip(), support_policy=self.support_policy.toPlainText().strip(),
                    lead_agency=self.lead_agency.currentText().strip(), roles=self.roles.roles(),
                    next_review_on=self.next_review.checked_date(tr("次回の見直し日")))

    def _case_changed(self, row: int) -> None:
        try:
            self._store_case()
        except InvalidInput as error:
            self.errors.show_error(error)
            self.case_list.blockSignals(True)
            self.case_list.setCurrentRow(self._case_row)
            self.case_list.blockSignals(False)
            return
        self._case_row = row
        self._show_case(row)

    def pick_case(self) -> None:
        dialog = HouseholdPickDialog(self.ctx, self, title=tr("会議で取り上げる世帯を選ぶ"))
        self.picker = dialog
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.choice is not None:
            self.add_case(dialog.choice)

    def add_case(self, row) -> None:
        """Add a household (a HouseholdRow from the search) as a case."""
        if any(c["household_id"] == row.id for c in self.cases):
            self.errors.show_error(tr("この世帯はすでに選ばれています。"))
            return
        try:
            self._store_case()
        except InvalidInput as error:
            self.errors.show_error(error)
            return
        self.errors.clear_error()
        self.cases.append({"id": None, "household_id": row.id, "label": case_label(row.code, row.head_name, row.district),
                           "list_text": case_list_text(row.code, row.head_name, row.district),
                           "question": "", "support_policy": "", "lead_agency": "", "roles": [],
                           "next_review_on": None, "case_id": None, "request_id": None, "seats": [],
                           "seats_changed": False})
        self._fill_cases()
        self.case_list.setCurrentRow(len(self.cases) - 1)
        self.question.setFocus()

    def collect_requests(self) -> None:
        """「届いている受付を取り込む」: the waiting requests of this meeting's type made until its day."""
        from shakyo_desk.store.services.meeting_requests import pending_requests

        self.errors.clear_error()
        try:
            held_on = self.held_on.checked_date(tr("開催日"))
        except InvalidInput as error:
            self.errors.show_error(error)
            return
        if held_on is None:
            self.errors.show_error(tr("先に開催日を入力してください。会議の日までに届いた受付を取り込みます。"))
            return
        store, code = self.ctx.store, self.meeting_type.value() or MULTI_AGENCY_CONFERENCE
        self.ctx.executor.submit(lambda: pending_requests(store, code, until=held_on),
                                 on_done=self._show_requests, on_error=self.errors.show_error, owner=self)

    def _show_requests(self, requests) -> None:
        from shakyo_desk.ui.meeting_request_dialog import RequestPickDialog

        on_agenda = {c["household_id"] for c in self.cases}
        dialog = RequestPickDialog(requests, on_agenda, CONFERENCE_TYPES.get(self.meeting_type.value(), ""), self)
        self.request_picker = dialog
        dialog.accepted.connect(lambda: self.add_requests(dialog.chosen()))
        dialog.open()

    def add_requests(self, requests) -> None:
        """Add 受付表 requests as cases (taken into the meeting when it is saved)."""
        try:
            self._store_case()
        except InvalidInput as error:
            self.errors.show_error(error)
            return
        added = 0
        for r in requests:
            if any(c["household_id"] == r.household_id for c in self.cases):
                continue
            self.cases.append({"id": None, "household_id": r.household_id,
                               "label": case_label(r.household_code, r.head_name, r.district),
                               "list_text": case_list_text(r.household_code, r.head_name, r.district) + tr("・受付表"),
                               "question": r.question, "support_policy": "", "lead_agency": "", "roles": [],
                               "next_review_on": None, "case_id": r.case_id, "request_id": r.id, "seats": [],
                               "seats_changed": False})
            added += 1
        if not added:
            return
        self._fill_cases()
        self.case_list.setCurrentRow(len(self.cases) - 1)
        self.status.setText(tr("受付から{n}件を加えました。「保存」で記録されます。", n=added))

    def remove_case(self) -> None:
        row = self.case_list.currentRow()
        if not 0 <= row < len(self.cases):
            return
        from shakyo_desk.ui import dialogs

        if self.cases[row]["id"] and not dialogs.confirm(
                self, tr("ケースを取り除く"),
                tr("{label}をこの会議から取り除きますか？\n決定事項も一緒に消えます。受付表から入ったケースは、受付中に戻ります。"
                   "「保存」を押すまでは記録は変わりません。",
                   label=self.cases[row]["label"]), yes=tr("取り除く")):
            return
        self._case_row = -1
        del self.cases[row]
        self._fill_cases()

    # ---- values ----------------------------------------------------------------------

    def values(self) -> dict:
        self._store_case()
        code = self.meeting_type.value() or MULTI_AGENCY_CONFERENCE
        return {
            "fields": {
                "meeting_type": code,
                "legal_basis": self.legal_basis.currentData() if code == SUPPORT_CONFERENCE else "",
                "title": self.title.text().strip(),
                "held_on": self.held_on.checked_date(tr("開催日")),
                "start_time": check_time(self.start_time.text(), tr("開始時刻")),
                "end_time": check_time(self.end_time.text(), tr("終了時刻")),
                "place": self.place.text().strip(),
                "convenor": self.convenor.text().strip(),
                "agenda": self.agenda.toPlainText().strip(),
                "topic": self.topic.toPlainText().strip() if code in TOPIC_TYPES else "",
                "body": self.body.text().strip(),
            },
            "members": [dict(m) for m in self.members],
            "cases": [dict(c, roles=list(c["roles"])) for c in self.cases],
            "minutes": self.minutes.toPlainText().strip(),
            "disclosures": [k for k, box in self.disclosure_boxes.items() if box.isChecked()],
        }

    # ---- saving ----------------------------------------------------------------------

    def save(self) -> None:
        if self._saving:
            return
        self.errors.clear_error()
        self.status.setText("")
        state = self._values_or_show_error()
        if state is None:
            return
        if state["fields"]["held_on"] is None:
            self.errors.show_error(tr("開催日を入力してください。"))
            return
        try:
            check_state(state)
        except InvalidInput as error:
            self.errors.show_error(error)
            return
        self._set_saving(True)
        store, detail, today = self.ctx.store, self.detail, self._today
        self.ctx.executor.submit(lambda: save_conference(store, detail, state, today=today), on_done=self._saved,
                                 on_error=self._save_failed, owner=self)

    def _saved(self, detail: ConferenceDetail) -> None:
        self._set_saving(False)
        row = self.case_list.currentRow()
        self.detail = detail
        self._fill(detail)
        if 0 <= row < len(self.cases):
            self.case_list.setCurrentRow(row)
        self.status.setText(tr("保存しました。"))
        self.saved.emit(detail.id)
        then, self._after_save = self._after_save, None
        if then is not None:
            then()

    def _save_failed(self, error: BaseException) -> None:
        """Nothing was written: the typed values stay for the user to correct and save again."""
        self._after_save = None
        self._failed(error)

    def ensure_saved(self, then: Callable[[], None]) -> None:
        """Run ``then`` once the conference is saved as shown (asks to save unsaved changes first)."""
        from shakyo_desk.ui import dialogs

        if self.detail is not None and not self.is_dirty():
            then()
            return
        text = (tr("会議をまだ登録していません。登録してから会議資料を作りますか？") if self.detail is None
                else tr("保存していない変更があります。保存してから会議資料を作りますか？"))
        if dialogs.confirm(self, tr("会議資料"), text, yes=tr("保存して続ける")):
            self._after_save = then
            self.save()
            if not self._saving and self._after_save is then and self.errors.isVisible():
                self._after_save = None  # refused before it started: the error is shown

    def _tab_changed(self, index: int) -> None:
        if index == self._tab_of(self.handout) and self.detail is not None and not self.is_dirty():
            self.handout.run_check()

    def _tab_of(self, widget: QWidget) -> int:
        """The index of the tab showing ``widget``."""
        return next((i for i in range(self.tabs.count()) if self.tabs.widget(i).isAncestorOf(widget)), -1)

    def show_tab(self, name: str) -> None:
        """Select a tab by its start (「構成員」, 「会議資料」 …)."""
        for i in range(self.tabs.count()):
            if self.tabs.tabText(i).startswith(name):
                self.tabs.setCurrentIndex(i)
                return


def open_conference_editor(ctx: AppContext, conference_id: str | None, parent: QWidget, *,
                           on_open: Callable[[ConferenceEditorDialog], None] | None = None,
                           on_error: Callable[[BaseException], None] | None = None, today: date | None = None) -> None:
    """Load the conference (audited as viewed) and the agency names in the worker, then open the editor."""
    store = ctx.store

    def load():
        detail = conference_service.get_conference(store, conference_id) if conference_id else None
        return detail, [a.name for a in list_agencies(store)], list_appointments(store)

    def show(result) -> None:
        detail, agencies, appointments = result
        dialog = ConferenceEditorDialog(ctx, detail, agencies, parent, today=today, appointments=appointments)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        if on_open is not None:
            on_open(dialog)

    ctx.executor.submit(load, on_done=show, on_error=on_error, owner=parent)

