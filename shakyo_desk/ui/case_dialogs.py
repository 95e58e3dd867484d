"""The entry dialogs of a 支援ケース (issue 18): open, assign, an assessment view, a goal with its
actions, a missing local resource, the policy and a new plan version, monitoring, closure and
reopening. Each dialog saves through its service in the worker; a refusal (InvalidInput) stays
in the dialog as the service's Japanese sentence and nothing is changed; ``saved(result)`` is
emitted and the dialog closes once the service returned."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QPushButton,
    QVBoxLayout, QWidget,
)

from shakyo_desk.domain import clock
from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.domain.vocab import ACTION_WHO, GOAL_ENDED
from shakyo_desk.domain.wareki import format_wareki, format_wareki_short
from shakyo_desk.i18n import tr
from shakyo_desk.store.services import case_plans, cases
from shakyo_desk.store.services.case_plans import ActionDraft
from shakyo_desk.store.services.case_views import CaseDetail, Goal, StaffChoice
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.date_field import DateField
from shakyo_desk.ui.dialogs import ErrorLabel, button_row, confirm, fit_to_screen, scrolling
from shakyo_desk.ui.empty_state import set_empty_hint
from shakyo_desk.ui.field_widgets import HouseholdPickDialog, RadioRow, household_label
from shakyo_desk.ui.widgets import Column, fill_table, make_table, on_enter

# How far a goal got, as the screen says it (codes of vocab.MONITORING_PROGRESS).
PROGRESS_LABELS = {"achieved": "達成", "partly": "一部達成", "not-yet": "未達成", "stopped": "中止"}
PROGRESS_COLOURS = {"achieved": "#2f6b3a", "partly": "#1f5f8b", "not-yet": "#b35c00", "stopped": "#555555"}
# Who may take on an action, in the order a coordinator thinks of them.
WHO_ORDER = ("staff", "agency", "resident", "family")
ORGANISATION_HINTS = ("本人", "家族", "民生委員", "社会福祉協議会", "地域包括支援センター", "ケアマネジャー", "近所の人")


@dataclass(frozen=True)
class Member:
    id: str
    name: str
    relation: str

    @property
    def label(self) -> str:
        return f"{self.name}（{self.relation}）" if self.relation else self.name


def fill_staff_combo(combo: QComboBox, staff: list[StaffChoice], selected: str | None, *, empty: str) -> None:
    combo.clear()
    combo.addItem(empty, None)
    for s in staff:
        combo.addItem(s.display_name, s.id)
    index = combo.findData(selected)
    combo.setCurrentIndex(max(index, 0))


def fill_agency_choices(combo: QComboBox, agencies, selected: str | None, *, empty: str) -> None:
    combo.clear()
    combo.addItem(empty, None)
    for a in agencies:
        combo.addItem(a.name, a.id)
    index = combo.findData(selected)
    combo.setCurrentIndex(max(index, 0))


def fill_target_combo(combo: QComboBox, members: list[Member], selected: str | None = None) -> None:
    combo.clear()
    combo.addItem(tr("世帯全体"), None)
    for m in members:
        combo.addItem(m.label, m.id)
    index = combo.findData(selected)
    combo.setCurrentIndex(max(index, 0))


def text_box(placeholder: str, height: int = 70) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setPlaceholderText(placeholder)
    box.setTabChangesFocus(True)  # keyboard: Tab goes on to the next field
    box.setMinimumHeight(height)
    return box


def goal_label(goal: Goal) -> str:
    who = goal.person or tr("世帯全体")
    return f"{goal.text}（{who}）"


class CaseFormDialog(QDialog):
    """A form whose 保存 runs ``work()`` (built on the UI thread, run in the worker)."""

    saved = Signal(object)
    SIZE = QSize(620, 480)
    KEY = ""

    def __init__(self, ctx: AppContext, title: str, ok_text: str, parent: QWidget | None = None, *,
                 intro: str = "", today: date | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.today = today or clock.today()
        self.setWindowTitle(title)
        self.body = QWidget()
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setContentsMargins(0, 0, 0, 0)
        if intro:
            label = QLabel(intro)
            label.setWordWrap(True)
            self.body_layout.addWidget(label)
        self.form = QFormLayout()
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.body_layout.addLayout(self.form)
        self.errors = ErrorLabel()
        self.buttons, self.ok_button = button_row(self, ok_text, self.save, cancel_text=tr("やめる"))
        layout = QVBoxLayout(self)
        layout.addWidget(scrolling(self.body), 1)
        layout.addWidget(self.errors)
        layout.addWidget(self.buttons)

    def finish_layout(self) -> None:
        self.body_layout.addStretch(1)
        fit_to_screen(self, self.SIZE, settings=self.ctx.ui_settings, key=self.KEY)

    def work(self) -> Callable[[], object]:
        raise NotImplementedError

    def confirmed(self) -> bool:
        return True

    def save(self) -> None:
        self.errors.clear_error()
        try:
            job = self.work()
        except InvalidInput as error:
            self.errors.show_error(error)
            return
        if not self.confirmed():
            return
        self.ok_button.setEnabled(False)
        self.ctx.executor.submit(job, on_done=self._saved, on_error=self._failed, owner=self)

    def _saved(self, result) -> None:
        self.ok_button.setEnabled(True)
        if self.KEY:
            self.ctx.ui_settings.save_geometry(self.KEY, self)
        self.saved.emit(result)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.ok_button.setEnabled(True)
        self.errors.show_error(error)


class OpenCaseDialog(CaseFormDialog):
    """ケースを開く: for a household chosen here (or given), optionally from 把握シート."""

    SIZE = QSize(640, 360)
    KEY = "case_open"

    def __init__(self, ctx: AppContext, staff: list[StaffChoice], agencies, parent: QWidget | None = None, *,
                 household_id: str | None = None, household_label: str = "", sheet_ids: tuple[str, ...] = (),
                 assignee_id: str | None = None, lead_agency_id: str | None = None, today: date | None = None):
        intro = (tr("この把握シートから支援ケースを開きます。担当と主担当機関は、あとから変えられます。") if sheet_ids
                 else tr("支援ケースを開く世帯を選び、担当を決めてください。担当と主担当機関は、あとから変えられます。"))
        super().__init__(ctx, tr("支援ケースを開く"), tr("ケースを開く"), parent, intro=intro, today=today)
        self.household_id = household_id
        self.sheet_ids = tuple(sheet_ids)
        self.household_text = QLabel(household_label or tr("（選んだ世帯）") if household_id
                                     else tr("（まだ選んでいません）"))
        self.household_text.setStyleSheet("font-weight: bold;")
        self.household_text.setWordWrap(True)
        self.pick_button: QPushButton | None = None
        self.picker: HouseholdPickDialog | None = None
        if household_id:
            self.form.addRow(tr("世帯"), self.household_text)
        else:
            self.pick_button = QPushButton(tr("世帯を選ぶ(&F)…"))
            self.pick_button.setAutoDefault(False)
            self.pick_button.clicked.connect(self.pick_household)
            row = QHBoxLayout()
            row.addWidget(self.household_text, 1)
            row.addWidget(self.pick_button)
            self.form.addRow(tr("世帯＊"), row)
        self.assignee = QComboBox()
        fill_staff_combo(self.assignee, staff, assignee_id or ctx.store.actor.staff_id, empty=tr("（まだ決めない）"))
        self.agency = QComboBox()
        fill_agency_choices(self.agency, agencies, lead_agency_id, empty=tr("（まだ決めない）"))
        self.opened_on = DateField(self.today, allow_future=False)
        self.form.addRow(tr("担当"), self.assignee)
        self.form.addRow(tr("主担当機関"), self.agency)
        self.form.addRow(tr("受付日"), self.opened_on)
        self.assignee.setAccessibleName(tr("担当"))
        self.agency.setAccessibleName(tr("主担当機関"))
        self.finish_layout()
        if self.pick_button is not None:
            self.pick_button.setFocus()

    def pick_household(self) -> None:
        """The shared household picker (search by name, kana or address; Enter chooses)."""
        self.picker = HouseholdPickDialog(self.ctx, self, title=tr("支援ケースを開く世帯を選ぶ"))
        if self.picker.exec() != QDialog.DialogCode.Accepted or self.picker.choice is None:
            return
        self.set_household(self.picker.choice.id, household_label(self.picker.choice))
        self.assignee.setFocus()

    def set_household(self, household_id: str, label: str) -> None:
        self.household_id = household_id
        self.household_text.setText(label)
        self.errors.clear_error()

    def work(self):
        household_id = self.household_id
        if household_id is None:
            raise InvalidInput(tr("「世帯を選ぶ」で、ケースを開く世帯を選んでください（名前やフリガナで探せます）。"))
        opened_on = self.opened_on.checked_date(tr("受付日"))
        store, today = self.ctx.store, self.today
        assignee, agency, sheets = self.assignee.currentData(), self.agency.currentData(), list(self.sheet_ids)
        return lambda: cases.open_case(store, household_id, sheet_ids=sheets, assignee_id=assignee,
                                       lead_agency_id=agency, opened_on=opened_on, today=today)


class AssignDialog(CaseFormDialog):
    SIZE = QSize(520, 260)

    def __init__(self, ctx: AppContext, detail: CaseDetail, staff: list[StaffChoice], agencies,
                 parent: QWidget | None = None):
        super().__init__(ctx, tr("担当を変更"), tr("変更する"), parent,
                         intro=tr("このケースの担当（職員）と主担当機関を選んでください。"))
        self.case_id = detail.summary.id
        self.assignee = QComboBox()
        fill_staff_combo(self.assignee, staff, detail.summary.assignee_id, empty=tr("（変えない）"))
        self.agency = QComboBox()
        fill_agency_choices(self.agency, agencies, detail.summary.lead_agency_id, empty=tr("（変えない）"))
        self.form.addRow(tr("担当"), self.assignee)
        self.form.addRow(tr("主担当機関"), self.agency)
        self.finish_layout()

    def work(self):
        assignee, agency = self.assignee.currentData(), self.agency.currentData()
        if not assignee and not agency:
            raise InvalidInput(tr("担当か主担当機関のどちらかを選んでください。"))
        store, case_id = self.ctx.store, self.case_id
        return lambda: cases.assign_case(store, case_id, assignee_id=assignee, lead_agency_id=agency)


class AssessmentDialog(CaseFormDialog):
    """見立てを追加: one participant's view of a member or the household, in their own words."""

    SIZE = QSize(680, 600)
    KEY = "case_assessment"

    def __init__(self, ctx: AppContext, case_id: str, members: list[Member], parent: QWidget | None = None, *,
                 today: date | None = None):
        super().__init__(ctx, tr("見立てを追加（全方位型アセスメント）"), tr("追加する"), parent, today=today,
                         intro=tr("参加した人ごとに、見えている課題・強み・本人の意向を、その人の言葉のまま記録します。"
                                  "3つのうち1つ以上を入力してください。"))
        self.case_id = case_id
        self.target = QComboBox()
        fill_target_combo(self.target, members)
        self.participant = QLineEdit()
        self.participant.setPlaceholderText(tr("例：民生委員 山本さん"))
        self.organisation = QComboBox()
        self.organisation.setEditable(True)
        self.organisation.addItems(["", *ORGANISATION_HINTS])
        self.organisation.lineEdit().setPlaceholderText(tr("例：民生委員、地域包括支援センター"))
        self.recorded_on = DateField(self.today, allow_future=False)
        self.problem = text_box(tr("例：夜中に外へ出てしまうことがある"))
        self.strength = text_box(tr("例：近所の人と顔なじみで、声をかけてもらえる"))
        self.wish = text_box(tr("例：「できるだけこの家で暮らしたい」"))
        self.form.addRow(tr("対象"), self.target)
        self.form.addRow(tr("発言した人＊"), self.participant)
        self.form.addRow(tr("所属"), self.organisation)
        self.form.addRow(tr("記録日"), self.recorded_on)
        self.form.addRow(tr("課題"), self.problem)
        self.form.addRow(tr("強み"), self.strength)
        self.form.addRow(tr("本人の意向"), self.wish)
        for widget, name in ((self.target, "対象"), (self.organisation, "所属"), (self.problem, "課題"),
                             (self.strength, "強み"), (self.wish, "本人の意向")):
            widget.setAccessibleName(tr(name))
        self.finish_layout()

    def work(self):
        recorded_on = self.recorded_on.checked_date(tr("記録日"))
        values = {"organisation": self.organisation.currentText().strip(), "person_id": self.target.currentData(),
                  "problem": self.problem.toPlainText(), "strength": self.strength.toPlainText(),
                  "wish": self.wish.toPlainText(), "recorded_on": recorded_on, "today": self.today}
        store, case_id, participant = self.ctx.store, self.case_id, self.participant.text()
        return lambda: case_plans.add_assessment(store, case_id, participant, **values)


class GoalDialog(CaseFormDialog):
    """目標を追加: the goal, its review date and the actions (who does what by when)."""

    SIZE = QSize(900, 680)
    KEY = "case_goal"

    def __init__(self, ctx: AppContext, case_id: str, members: list[Member], staff: list[StaffChoice], agencies,
                 parent: QWidget | None = None, *, today: date | None = None):
        super().__init__(ctx, tr("目標を追加（支援プラン）"), tr("追加する"), parent, today=today,
                         intro=tr("目標と見直し日を決め、だれが何をいつまでにするか（役割）を加えます。"
                                  "役割の欄に書いて「役割を加える」を押すと、下の一覧に入ります。"))
        self.case_id = case_id
        self.staff = staff
        self.agencies = agencies
        self.drafts: list[ActionDraft] = []
        self.target = QComboBox()
        fill_target_combo(self.target, members)
        self.text = text_box(tr("例：週に1回、買い物に行ける"), 60)
        self.review_on = DateField(None, optional=True, placeholder=tr("例：2026/3/31"))
        self.form.addRow(tr("対象"), self.target)
        self.form.addRow(tr("目標＊"), self.text)
        self.form.addRow(tr("見直し日＊"), self.review_on)

        self.who_kind = QComboBox()
        for kind in WHO_ORDER:
            self.who_kind.addItem(tr(ACTION_WHO[kind]), kind)
        self.who = QComboBox()
        self.who.setEditable(True)
        self.who.setMinimumWidth(200)
        self.who_kind.currentIndexChanged.connect(self._who_choices)
        self.what = QLineEdit()
        self.what.setPlaceholderText(tr("例：介護保険の申請を手伝う"))
        self.due_on = DateField(None, optional=True, placeholder=tr("期限（任意）"))
        self.due_on.setAccessibleName(tr("役割の期限"))
        self.add_action_button = QPushButton(tr("役割を加える(&R)"))
        self.add_action_button.setAutoDefault(False)
        self.add_action_button.clicked.connect(self.add_action)
        on_enter(self.what, self.add_action)  # Enter here adds the action (not the whole goal)
        self.remove_action_button = QPushButton(tr("選んだ役割を外す"))
        self.remove_action_button.setAutoDefault(False)
        self.remove_action_button.clicked.connect(self.remove_action)
        who_row = QHBoxLayout()
        who_row.addWidget(self.who_kind)
        who_row.addWidget(self.who, 1)
        self.form.addRow(tr("だれが"), who_row)
        self.form.addRow(tr("何をするか"), self.what)
        due_row = QHBoxLayout()
        due_row.addWidget(self.due_on)
        due_row.addStretch(1)
        due_row.addWidget(self.add_action_button)
        self.form.addRow(tr("期限"), due_row)
        self.actions = make_table(("種類", "だれが", "何をするか", "期限"),
                                  fit=(Column("住民の支え手", 100, drop=2), Column("地域包括支援センター", 170),
                                       Column("介護保険の申請", 200, stretch=True), Column("R8.12.31", 90, drop=1)))
        self.actions.setMinimumHeight(110)
        self.actions.setAccessibleName(tr("役割の一覧"))
        set_empty_hint(self.actions, tr("まだ役割はありません。上の欄に書いて「役割を加える」を押します。"))
        actions_box = QVBoxLayout()
        actions_box.addWidget(self.actions)
        remove_row = QHBoxLayout()
        remove_row.addStretch(1)
        remove_row.addWidget(self.remove_action_button)
        actions_box.addLayout(remove_row)
        self.form.addRow(tr("役割"), actions_box)
        self.missing = QLineEdit()
        self.missing.setPlaceholderText(tr("この目標に要るのに地域にないもの（任意。例：移動販売がない）"))
        self.form.addRow(tr("不足している社会資源"), self.missing)
        for widget, name in ((self.target, "対象"), (self.text, "目標"), (self.who_kind, "役割を担う人の種類"),
                             (self.who, "役割を担う人"), (self.what, "何をするか")):
            widget.setAccessibleName(tr(name))
        self._who_choices()
        self.finish_layout()

    def _who_choices(self) -> None:
        kind = self.who_kind.currentData()
        self.who.clear()
        if kind == "staff":
            self.who.addItems([s.display_name for s in self.staff])
        elif kind == "agency":
            self.who.addItems([a.name for a in self.agencies])
        elif kind == "family":
            self.who.addItems([tr("本人")])
        self.who.lineEdit().setPlaceholderText(tr("例：隣の田中さん") if kind == "resident" else "")
        if kind == "resident":
            self.who.setEditText("")

    def _draft(self) -> ActionDraft | None:
        """The action typed in the fields (None when they are empty); InvalidInput when half done."""
        who, what = self.who.currentText().strip(), self.what.text().strip()
        if not what:
            return None
        if not who:
            raise InvalidInput(tr("役割を担う人（だれが）を入力してください。"))
        due = self.due_on.checked_date(tr("役割の期限"))
        if due is not None and due < self.today:
            raise InvalidInput(tr("役割の期限が過去の日付になっています。今日以降の日付を入力してください。"))
        return ActionDraft(self.who_kind.currentData(), who, what, due)

    def add_action(self) -> None:
        self.errors.clear_error()
        try:
            draft = self._draft()
        except InvalidInput as error:
            self.errors.show_error(error)
            return
        if draft is None:
            self.errors.show_error(tr("何をするかを入力してから「役割を加える」を押してください。"))
            return
        self.drafts.append(draft)
        self._show_actions()
        self.what.clear()
        self.due_on.set_date(None)
        self.what.setFocus()

    def remove_action(self) -> None:
        row = self.actions.currentRow()
        if 0 <= row < len(self.drafts):
            del self.drafts[row]
            self._show_actions()

    def _show_actions(self) -> None:
        fill_table(self.actions, [(tr(ACTION_WHO[d.who_kind]), d.who, d.what,
                                   format_wareki_short(d.due_on) if d.due_on else "") for d in self.drafts])

    def work(self):
        review_on = self.review_on.checked_date(tr("見直し日"))
        if review_on is None:
            raise InvalidInput(tr("見直し日を入力してください。目標をいつ見直すかを決めておきます。"))
        drafts = list(self.drafts)
        pending = self._draft()  # typed but not yet added: kept, not lost
        if pending is not None:
            drafts.append(pending)
        store, case_id, today = self.ctx.store, self.case_id, self.today
        text, person, missing = self.text.toPlainText(), self.target.currentData(), [self.missing.text()]
        return lambda: case_plans.add_goal(store, case_id, text, review_on, person_id=person, actions=drafts,
                                           missing=missing, today=today)


class MissingResourceDialog(CaseFormDialog):
    SIZE = QSize(560, 240)

    def __init__(self, ctx: AppContext, case_id: str, parent: QWidget | None = None, *, today: date | None = None):
        super().__init__(ctx, tr("不足している社会資源を追加"), tr("追加する"), parent, today=today,
                         intro=tr("プランに必要なのに、地域にだれも担い手がいないものを記録します。"
                                  "終結のあと、地域課題を考える材料になります。"))
        self.case_id = case_id
        self.text = QLineEdit()
        self.text.setPlaceholderText(tr("例：冬の除雪を頼める人がいない"))
        self.form.addRow(tr("足りないもの＊"), self.text)
        self.finish_layout()

    def work(self):
        store, case_id, text, today = self.ctx.store, self.case_id, self.text.text(), self.today
        return lambda: case_plans.add_missing_resource(store, case_id, text, today=today)


class LinkResourceDialog(CaseFormDialog):
    """地域課題につなぐ: one of the case's 不足している社会資源 linked to a 地域課題 of the register,
    or raised as a new one (``community_issues.link_resource`` / ``raise_from_resource``)."""

    SIZE = QSize(620, 260)
    NEW = "__new__"

    def __init__(self, ctx: AppContext, resources, issues, parent: QWidget | None = None, *,
                 resource_id: str | None = None, today: date | None = None):
        super().__init__(ctx, tr("地域課題につなぐ"), tr("つなぐ"), parent, today=today,
                         intro=tr("この世帯だけでなく地域に共通する課題なら、地域課題の台帳につなぎます。"
                                  "台帳には世帯名は載りません。"))
        self.resource = QComboBox()
        for r in resources:
            self.resource.addItem(r.text + (tr("（地域課題：{t}）", t="、".join(r.issues)) if r.issues else ""), r.id)
        if resource_id:
            self.resource.setCurrentIndex(max(0, self.resource.findData(resource_id)))
        self.issue = QComboBox()
        self.issue.addItem(tr("（新しい地域課題を挙げる）"), self.NEW)
        for i in issues:
            self.issue.addItem(i.title, i.id)
        self.title = QLineEdit()
        self.title.setPlaceholderText(tr("新しい地域課題の題名（例：冬の移動手段がない）"))
        self.issue.currentIndexChanged.connect(lambda _i: self.title.setEnabled(self.issue.currentData() == self.NEW))
        self.title.returnPressed.connect(self.save)
        self.form.addRow(tr("不足している社会資源(&S)"), self.resource)
        self.form.addRow(tr("地域課題(&I)"), self.issue)
        self.form.addRow(tr("新しい題名(&T)"), self.title)
        self.finish_layout()
        self.issue.setFocus()

    def work(self):
        from shakyo_desk.store.services import community_issues

        store, resource_id, issue_id = self.ctx.store, self.resource.currentData(), self.issue.currentData()
        if resource_id is None:
            raise InvalidInput(tr("つなぐ不足している社会資源を選んでください。"))
        if issue_id != self.NEW:
            return lambda: community_issues.link_resource(store, issue_id, resource_id)
        title, today = self.title.text(), self.today
        return lambda: community_issues.raise_from_resource(store, resource_id, title, today=today)


class PolicyDialog(CaseFormDialog):
    """方針 (the current plan's), or プランを改訂 (a new version, the earlier one kept)."""

    SIZE = QSize(640, 400)

    def __init__(self, ctx: AppContext, case_id: str, policy: str, parent: QWidget | None = None, *,
                 revise: bool = False, version: int = 0, today: date | None = None):
        intro = (tr("プランの新しい版（第{n}版）を作ります。終わっていない目標と役割は新しい版に引き継がれ、"
                    "今の版（第{old}版）はモニタリングの記録とともにそのまま残ります。", n=version + 1, old=version)
                 if revise else tr("このケースの支援方針を書きます（今のプランの方針になります）。"))
        super().__init__(ctx, tr("プランを改訂") if revise else tr("支援方針"),
                         tr("新しい版を作る") if revise else tr("保存する"), parent, intro=intro, today=today)
        self.case_id = case_id
        self.revise = revise
        self.policy = text_box(tr("例：本人の「家で暮らしたい」という意向を大切にし、近所の支え手と見守る"), 140)
        self.policy.setPlainText(policy)
        self.policy.setAccessibleName(tr("支援方針"))
        self.form.addRow(tr("支援方針"), self.policy)
        self.finish_layout()

    def work(self):
        store, case_id, policy, today = self.ctx.store, self.case_id, self.policy.toPlainText(), self.today
        if self.revise:
            return lambda: case_plans.revise_plan(store, case_id, policy=policy, today=today)
        return lambda: case_plans.set_policy(store, case_id, policy, today=today)


class MonitoringDialog(CaseFormDialog):
    """モニタリングを記録: one goal of the current plan, how far it got, a note, the next review."""

    SIZE = QSize(640, 480)
    KEY = "case_monitoring"

    def __init__(self, ctx: AppContext, case_id: str, goals: tuple[Goal, ...], parent: QWidget | None = None, *,
                 goal_id: str | None = None, today: date | None = None):
        super().__init__(ctx, tr("モニタリングを記録"), tr("記録する"), parent, today=today,
                         intro=tr("目標ごとに、どこまで進んだかを記録します。達成・中止にした目標は見直しを終えます。"))
        self.case_id = case_id
        self.goal = QComboBox()
        for g in goals:
            ended = bool(g.monitoring) and g.monitoring[-1].progress in GOAL_ENDED
            self.goal.addItem(goal_label(g) + (tr("　［終了］") if ended else ""), g.id)
        index = self.goal.findData(goal_id)
        if index < 0:
            index = next((i for i, g in enumerate(goals) if g.next_review_on is not None), 0)
        self.goal.setCurrentIndex(index)
        self.monitored_on = DateField(self.today, allow_future=False)
        self.progress = RadioRow(list(PROGRESS_LABELS), labels={k: tr(v) for k, v in PROGRESS_LABELS.items()},
                                 colours=PROGRESS_COLOURS)
        self.note = text_box(tr("例：2回買い物に行けた。雪の日は行けなかった"), 80)
        self.next_review_on = DateField(None, optional=True, placeholder=tr("例：2026/4/30"))
        self.form.addRow(tr("目標"), self.goal)
        self.form.addRow(tr("記録日"), self.monitored_on)
        self.form.addRow(tr("進み具合＊"), self.progress)
        self.form.addRow(tr("メモ"), self.note)
        self.form.addRow(tr("次の見直し日"), self.next_review_on)
        self.goal.setAccessibleName(tr("目標"))
        self.note.setAccessibleName(tr("メモ"))
        self.finish_layout()

    def work(self):
        goal_id = self.goal.currentData()
        if not goal_id:
            raise InvalidInput(tr("まだ目標がありません。先に「目標を追加」で目標を決めてください。"))
        progress = self.progress.value()
        if progress is None:
            raise InvalidInput(tr("進み具合（達成・一部達成・未達成・中止）を選んでください。"))
        monitored_on = self.monitored_on.checked_date(tr("記録日"))
        if monitored_on is None:
            raise InvalidInput(tr("記録日を入力してください。"))
        next_review = self.next_review_on.checked_date(tr("次の見直し日"))
        store, case_id, note, today = self.ctx.store, self.case_id, self.note.toPlainText(), self.today
        return lambda: case_plans.record_monitoring(store, case_id, goal_id, monitored_on, progress, note=note,
                                                    next_review_on=next_review, today=today)


class CloseDialog(CaseFormDialog):
    """終結: the reason and the evaluation; a 地域課題 the case shows (kept in the register)."""

    SIZE = QSize(680, 620)
    KEY = "case_close"

    def __init__(self, ctx: AppContext, case_id: str, household: str, issues: list[str],
                 parent: QWidget | None = None, *, today: date | None = None, ask: Callable[..., bool] = confirm):
        super().__init__(ctx, tr("ケースを終結"), tr("終結する"), parent, today=today,
                         intro=tr("終結の理由と、世帯に何が変わったか、何がうまくいったかを残します。"
                                  "このケースから見えた地域課題があれば、地域課題の一覧に加わります。"))
        self.case_id = case_id
        self.household = household
        self.ask = ask
        self.closed_on = DateField(self.today, allow_future=False)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(tr("例：目標を達成し、本人も「もう大丈夫」と話している"))
        self.changes = text_box(tr("例：週1回の買い物ができるようになり、近所の人との行き来が戻った"), 90)
        self.worked = text_box(tr("例：民生委員と隣の人が交代で声をかけたこと"), 70)
        self.issue = QComboBox()
        self.issue.setEditable(True)
        self.issue.addItems(["", *issues])
        self.issue.lineEdit().setPlaceholderText(tr("任意。例：冬の移動手段がない"))
        self.form.addRow(tr("終結日"), self.closed_on)
        self.form.addRow(tr("終結の理由＊"), self.reason)
        self.form.addRow(tr("世帯に何が変わったか＊"), self.changes)
        self.form.addRow(tr("うまくいったこと"), self.worked)
        self.form.addRow(tr("見えた地域課題"), self.issue)
        self.changes.setAccessibleName(tr("世帯に何が変わったか"))
        self.worked.setAccessibleName(tr("うまくいったこと"))
        self.issue.setAccessibleName(tr("見えた地域課題"))
        self.finish_layout()

    def confirmed(self) -> bool:
        return self.ask(self, tr("ケースを終結"),
                        tr("{who}のケースを終結します。終結したあとは記録を加えられません（再開はできます）。よろしいですか。",
                           who=self.household), yes=tr("終結する"))

    def work(self):
        closed_on = self.closed_on.checked_date(tr("終結日"))
        if not self.reason.text().strip():
            raise InvalidInput(tr("終結の理由を入力してください。"))
        if not self.changes.toPlainText().strip():
            raise InvalidInput(tr("世帯に何が変わったか（評価）を入力してください。"))
        store, case_id, today = self.ctx.store, self.case_id, self.today
        reason, changes, worked = self.reason.text(), self.changes.toPlainText(), self.worked.toPlainText()
        issue = self.issue.currentText()
        return lambda: cases.close_case(store, case_id, reason, changes, worked=worked, community_issue=issue,
                                        closed_on=closed_on, today=today)


class ReopenDialog(CaseFormDialog):
    SIZE = QSize(560, 260)

    def __init__(self, ctx: AppContext, case_id: str, household: str, parent: QWidget | None = None, *,
                 today: date | None = None, ask: Callable[..., bool] = confirm):
        super().__init__(ctx, tr("ケースを再開"), tr("再開する"), parent, today=today,
                         intro=tr("終結したケースを、アセスメントから再開します。これまでのプラン・モニタリング・"
                                  "終結時の評価は、そのまま残ります。"))
        self.case_id = case_id
        self.household = household
        self.ask = ask
        self.note = QLineEdit()
        self.note.setPlaceholderText(tr("例：冬になり、また買い物に困っていると民生委員から連絡"))
        self.form.addRow(tr("再開の理由"), self.note)
        self.finish_layout()

    def confirmed(self) -> bool:
        return self.ask(self, tr("ケースを再開"), tr("{who}のケースを再開します。よろしいですか。", who=self.household),
                        yes=tr("再開する"))

    def work(self):
        store, case_id, note, today = self.ctx.store, self.case_id, self.note.text(), self.today
        return lambda: cases.reopen_case(store, case_id, note, today=today)


def review_text(day: date | None, today: date) -> tuple[str, bool]:
    """「R8.3.31」, 「R8.3.31（5日過ぎ）」 and whether it is overdue."""
    if day is None:
        return "", False
    late = (today - day).days
    if late > 0:
        return tr("{d}（{n}日過ぎ）", d=format_wareki_short(day), n=late), True
    if late == 0:
        return tr("{d}（今日）", d=format_wareki_short(day)), False
    return format_wareki_short(day), False


def long_date(day: date | None) -> str:
    return format_wareki(day) if day else ""

