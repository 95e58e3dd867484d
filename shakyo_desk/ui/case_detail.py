"""One 支援ケース (issue 18): who is in charge, the next review, and tabs for 経過 (status history),
the 全方位型アセスメント side by side (printable on one A4 sheet), the 支援プラン (the current version,
earlier ones readable), モニタリング and 終結・評価. The actions are buttons down the right with
Alt shortcuts; each opens its dialog (ui/case_dialogs.py), which saves through the services."""

from __future__ import annotations

from datetime import date
from html import escape

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QDialog, QHBoxLayout, QLabel, QPushButton, QTabWidget, QTextBrowser, QVBoxLayout, QWidget,
)

from shakyo_desk.domain import clock
from shakyo_desk.domain.roles import manages_registers, sees_all_households
from shakyo_desk.domain.vocab import CASE_CLOSED, CASE_STATUSES, GOAL_ENDED
from shakyo_desk.domain.wareki import format_wareki, format_wareki_short
from shakyo_desk.i18n import tr
from shakyo_desk.store.services.agencies import list_agencies
from shakyo_desk.store.services.case_views import CaseDetail, Goal, Plan, assignable_staff, get_case
from shakyo_desk.store.services.community_issues import ResourceLinks, case_resources, list_issues
from shakyo_desk.store.services.households import get_household
from shakyo_desk.ui.case_dialogs import (
    PROGRESS_COLOURS, PROGRESS_LABELS, AssessmentDialog, AssignDialog, CloseDialog, GoalDialog, LinkResourceDialog,
    Member, MissingResourceDialog, MonitoringDialog, PolicyDialog, ReopenDialog, goal_label, review_text,
)
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.dialogs import ErrorLabel, confirm, fit_to_screen
from shakyo_desk.ui.empty_state import set_empty_hint
from shakyo_desk.ui.events import CASE, COMMUNITY, CONFERENCE, HOUSEHOLD, keep_fresh, on
from shakyo_desk.ui.style import ERROR_COLOUR
from shakyo_desk.ui.widgets import Column, fill_table, make_table, on_enter, text_item

STATUS_COLOURS = {"受付": "#6b4c9a", "アセスメント": "#1f5f8b", "支援中": "#2f6b3a", "モニタリング": "#1f6b6b",
                  "終結": "#555555"}

ASSESSMENT_COLUMNS = ("対象", "発言した人", "課題", "強み", "本人の意向")
# Short samples: every column stays in view at a large text size; the words wrap inside.
ASSESSMENT_FIT = (Column("山田 一郎", 110), Column("民生委員 山本", 150), Column("昼夜逆転", 200, stretch=True),
                  Column("母親思い", 180, stretch=True), Column("家にいたい", 180, stretch=True))
GOAL_COLUMNS = ("対象", "目標", "役割（だれが・何を・期限）", "見直し日", "最新のモニタリング")
GOAL_FIT = (Column("山田 一郎", 90, drop=2), Column("週1回の買い物ができる", 190, stretch=True),
            Column("住民の支え手 田中さん：送迎", 250, stretch=True), Column("R8.12.31（5日過ぎ）", 140),
            Column("一部達成（R8.12.1）", 150, stretch=True, drop=1))
CHECK_COLUMNS = ("記録日", "目標", "進み具合", "メモ", "次の見直し日")
CHECK_FIT = (Column("R8.12.31", 90), Column("買い物ができる", 200, stretch=True), Column("一部達成", 80),
             Column("2回行けた", 240, stretch=True), Column("R8.12.31", 100, drop=1))
HISTORY_COLUMNS = ("日付", "状況", "メモ")
HISTORY_FIT = (Column("令和8年12月31日", 150), Column("モニタリング", 110), Column("再開", 300, stretch=True))


def missing_text(resources) -> str:
    """「不足している社会資源：冬の送迎がない（地域課題：冬の移動手段がない）、…」"""
    if not resources:
        return ""
    return tr("不足している社会資源：{m}", m="、".join(
        r.text + (tr("（地域課題：{t}）", t="、".join(r.issues)) if r.issues else "") for r in resources))


def members_of(household) -> list[Member]:
    return [Member(p.id, p.name, p.relation) for p in household.members]


def _action_line(a) -> str:
    due = tr("（{d}まで）", d=format_wareki_short(a.due_on)) if a.due_on else ""
    return f"{a.who_label} {a.who}：{a.what}{due}"


def _last_check(goal: Goal) -> str:
    if not goal.monitoring:
        return tr("まだ記録なし")
    c = goal.monitoring[-1]
    text = tr("{p}（{d}）", p=tr(PROGRESS_LABELS.get(c.progress, c.progress_label)), d=format_wareki_short(c.monitored_on))
    return text + (f"　{c.note}" if c.note else "")


def evaluation_html(detail: CaseDetail) -> str:
    if not detail.evaluations:
        return "<p style='color:#555; font-size:12pt;'>" + escape(tr(
            "まだ終結していません。支援を終えるときは「終結…」から、理由と評価を記録します。")) + "</p>"
    parts = []
    for e in reversed(detail.evaluations):  # the latest closure first
        rows = [(tr("終結の理由"), e.reason), (tr("世帯に何が変わったか"), e.changes), (tr("うまくいったこと"), e.worked)]
        parts.append(f"<h3>{escape(tr('{d} 終結', d=format_wareki(e.closed_on)))}</h3><table cellpadding='4'>"
                     + "".join(f"<tr><td valign='top' style='color:#333; white-space:nowrap;'><b>{escape(k)}</b></td>"
                               f"<td>{escape(v or tr('―')).replace(chr(10), '<br>')}</td></tr>" for k, v in rows)
                     + "</table>")
    return "".join(parts)


class CaseDetailDialog(QDialog):
    """``changed(case_id)`` after anything on the case was saved from here."""

    changed = Signal(str)

    def __init__(self, ctx: AppContext, case_id: str, parent: QWidget | None = None, *, today: date | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.case_id = case_id
        self._today = today
        self.detail: CaseDetail | None = None
        self.members: list[Member] = []
        self.staff = []
        self.agencies = []
        self.issues: list[str] = []
        self.register = []  # community_issues.IssueInfo, for 地域課題につなぐ
        self.resources: list[ResourceLinks] = []
        self.sub_dialog: QDialog | None = None
        self.preview = None
        self.timeline = None
        self.coordinator = sees_all_households(ctx.role)
        self.setWindowTitle(tr("支援ケース"))

        self.heading = QLabel()
        self.heading.setStyleSheet("font-size: 15pt; font-weight: bold;")
        self.status_label = QLabel()
        self.status_label.setAccessibleName(tr("ケースの状況"))
        head = QHBoxLayout()
        head.addWidget(self.heading, 1)
        head.addWidget(self.status_label)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.steps = QLabel()
        self.steps.setTextFormat(Qt.TextFormat.RichText)

        self.tabs = QTabWidget()
        self.history = make_table(HISTORY_COLUMNS, fit=HISTORY_FIT)
        self.history.setAccessibleName(tr("ケースの経過"))
        self.tabs.addTab(self.history, tr("経過"))

        self.assessment = make_table(ASSESSMENT_COLUMNS, fit=ASSESSMENT_FIT, wrap=True)
        self.assessment.setAccessibleName(tr("全方位型アセスメント"))
        set_empty_hint(self.assessment, tr("まだ見立てがありません。「見立てを追加」から、参加した人ごとの課題・強み・"
                                           "本人の意向を記録します。"))
        self.assessment_note = QLabel(tr("参加した人ごとの見立てを、対象（世帯全体・世帯員）ごとに並べています。"
                                         "会議では「A4で印刷…」で1枚にして机に広げられます。"))
        self.assessment_note.setWordWrap(True)
        self.assessment_note.setStyleSheet("color: #555;")
        assessment_tab = QWidget()
        assessment_layout = QVBoxLayout(assessment_tab)
        assessment_layout.addWidget(self.assessment_note)
        assessment_layout.addWidget(self.assessment, 1)
        self.tabs.addTab(assessment_tab, tr("全方位型アセスメント"))

        self.version = QComboBox()
        self.version.setAccessibleName(tr("プランの版"))
        self.version.currentIndexChanged.connect(self._show_plan)
        self.policy = QLabel()
        self.policy.setWordWrap(True)
        self.policy.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.goals = make_table(GOAL_COLUMNS, fit=GOAL_FIT, wrap=True)
        self.goals.setAccessibleName(tr("プランの目標"))
        set_empty_hint(self.goals, tr("まだ目標がありません。「目標を追加」から、目標と役割・見直し日を決めます。"))
        self.goals.doubleClicked.connect(lambda _i: self.record_monitoring())
        on_enter(self.goals, self.record_monitoring)  # Enter on a goal: its monitoring
        self.missing = QLabel()
        self.missing.setWordWrap(True)
        plan_tab = QWidget()
        plan_layout = QVBoxLayout(plan_tab)
        version_row = QHBoxLayout()
        version_row.addWidget(QLabel(tr("版")))
        version_row.addWidget(self.version)
        version_row.addStretch(1)
        plan_layout.addLayout(version_row)
        plan_layout.addWidget(self.policy)
        plan_layout.addWidget(self.goals, 1)
        plan_layout.addWidget(self.missing)
        self.tabs.addTab(plan_tab, tr("支援プラン"))

        self.checks = make_table(CHECK_COLUMNS, fit=CHECK_FIT, wrap=True)
        self.checks.setAccessibleName(tr("モニタリングの記録"))
        set_empty_hint(self.checks, tr("まだモニタリングの記録はありません。見直し日が来たら「モニタリングを記録」から"
                                       "目標ごとに記録します。"))
        self.tabs.addTab(self.checks, tr("モニタリング"))

        self.evaluation = QTextBrowser()
        self.evaluation.setAccessibleName(tr("終結・評価"))
        self.tabs.addTab(self.evaluation, tr("終結・評価"))
        from shakyo_desk.ui.meeting_request_dialog import RequestsPanel

        self.requests = RequestsPanel(ctx, case_id, self, today=today)  # 受付表: the case put forward for meetings
        self.tabs.addTab(self.requests, tr("会議への依頼"))

        def button(text: str, slot, *, coordinator: bool = False) -> QPushButton:
            b = QPushButton(tr(text))
            b.setAutoDefault(False)
            b.clicked.connect(lambda _c=False: slot())
            b.setVisible(self.coordinator or not coordinator)
            side.addWidget(b)
            return b

        side = QVBoxLayout()
        self.assign_button = button("担当を変更(&T)…", self.assign, coordinator=True)
        self.assess_button = button("見立てを追加(&A)…", self.add_assessment)
        self.goal_button = button("目標を追加(&G)…", self.add_goal)
        self.missing_button = button("不足している社会資源(&S)…", self.add_missing)
        self.link_button = button("地域課題につなぐ(&L)…", self.link_resource)
        self.link_button.setVisible(manages_registers(ctx.role))
        self.policy_button = button("方針(&H)…", self.edit_policy)
        self.revise_button = button("プランを改訂(&V)…", self.revise)
        self.monitor_button = button("モニタリングを記録(&M)…", self.record_monitoring)
        side.addSpacing(10)
        self.print_button = button("A4で印刷(&P)…", self.print_assessment)
        self.timeline_button = button("世帯の経過(&K)…", self.open_timeline)
        self.request_button = button("会議にかける(&Q)…", lambda: self.requests.put_forward())
        side.addSpacing(10)
        self.close_case_button = button("終結(&E)…", self.close_case, coordinator=True)
        self.reopen_button = button("再開(&R)…", self.reopen, coordinator=True)
        side.addStretch(1)
        self.close_button = QPushButton(tr("閉じる"))
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.reject)
        side.addWidget(self.close_button)

        self.errors = ErrorLabel()
        body = QHBoxLayout()
        body.addWidget(self.tabs, 1)
        body.addLayout(side)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.summary)
        layout.addWidget(self.steps)
        layout.addWidget(self.errors)
        layout.addLayout(body, 1)
        fit_to_screen(self, QSize(1180, 700), settings=ctx.ui_settings, key="case_detail")
        keep_fresh(self, ctx.events, on(CASE, HOUSEHOLD, CONFERENCE, COMMUNITY), self.reload)
        self.reload()

    def today(self) -> date:
        return self._today or clock.today()

    # ---- loading ---------------------------------------------------------------------

    def reload(self) -> None:
        store, case_id, coordinator = self.ctx.store, self.case_id, self.coordinator
        first = self.detail is None

        def load():
            detail = get_case(store, case_id, log=first)
            household = get_household(store, detail.summary.household_id, log=False)
            register = list_issues(store) if coordinator else []
            return (detail, members_of(household), assignable_staff(store), list_agencies(store), register,
                    case_resources(store, case_id))

        self.ctx.executor.submit(load, on_done=self._loaded, on_error=self.errors.show_error, owner=self)

    def _loaded(self, result) -> None:
        self.detail, self.members, self.staff, self.agencies, self.register, self.resources = result
        self.issues = [i.title for i in self.register]
        self.errors.clear_error()
        d, s, today = self.detail, self.detail.summary, self.today()
        self.heading.setText(tr("{name} さんの世帯の支援ケース", name=s.household_name))
        colour = STATUS_COLOURS.get(s.status, "#333")
        self.status_label.setText(tr("状況：{status}", status=s.status))
        self.status_label.setStyleSheet(f"font-size: 13pt; font-weight: bold; padding: 2px 10px; color: {colour};"
                                        f" border: 1px solid {colour}; border-radius: 4px; background: #f4f6f8;")
        review, overdue = review_text(s.next_review_on, today)
        review_html = (f"<span style='color:{ERROR_COLOUR}; font-weight:bold;'>{escape(review)}</span>" if overdue
                       else escape(review or tr("なし")))
        parts = [tr("受付日：{d}", d=format_wareki(s.opened_on)), tr("担当：{who}", who=s.assignee or tr("未定")),
                 tr("主担当機関：{a}", a=s.lead_agency or tr("未定"))]
        if s.status == CASE_CLOSED and s.closed_on:
            parts.append(tr("終結日：{d}", d=format_wareki(s.closed_on)))
        line = "　".join(escape(p) for p in parts)
        if s.status != CASE_CLOSED:
            line += "　" + escape(tr("次の見直し：")) + review_html
        if d.sheet_ids:
            line += "　" + escape(tr("もとの把握シート：{n}枚", n=len(d.sheet_ids)))
        self.summary.setText(line)
        reached = CASE_STATUSES.index(s.status) if s.status in CASE_STATUSES else 0
        self.steps.setText("　→　".join(
            f"<b style='color:{STATUS_COLOURS[st]};'>［{escape(st)}］</b>" if i == reached
            else f"<span style='color:{'#333' if i < reached else '#999'};'>{escape(st)}</span>"
            for i, st in enumerate(CASE_STATUSES)))

        fill_table(self.history, [(format_wareki(h.changed_on), h.status, h.note) for h in d.history])
        self._show_assessment()
        self.version.blockSignals(True)
        self.version.clear()
        for p in reversed(d.plans):
            current = p is d.plans[-1]
            self.version.addItem(tr("第{n}版（{d}作成）", n=p.version, d=format_wareki_short(p.made_on))
                                 + (tr("　今のプラン") if current else ""), p.version)
        self.version.blockSignals(False)
        self.version.setCurrentIndex(0)
        self._show_plan()
        self._show_checks()
        self.evaluation.setHtml(evaluation_html(d))
        self._enable()

    def _show_assessment(self) -> None:
        order = {m.id: i for i, m in enumerate(self.members)}
        labels = {m.id: m.label for m in self.members}
        views = sorted(self.detail.assessment, key=lambda v: (v.person_id is not None, order.get(v.person_id, 0),
                                                              v.recorded_on))
        rows, last = [], object()
        for v in views:
            target = labels.get(v.person_id, v.person) if v.person_id else tr("世帯全体")
            who = v.participant + (f"（{v.organisation}）" if v.organisation else "")
            rows.append((text_item(target if target != last else "", bold=True),
                         f"{who}\n{format_wareki_short(v.recorded_on)}", v.problem, v.strength, v.wish))
            last = target
        fill_table(self.assessment, rows, [v.id for v in views])

    def current_plan(self) -> Plan | None:
        return self.detail.plans[-1] if self.detail and self.detail.plans else None

    def shown_plan(self) -> Plan | None:
        version = self.version.currentData()
        return next((p for p in self.detail.plans if p.version == version), None) if self.detail else None

    def _show_plan(self) -> None:
        plan = self.shown_plan()
        if plan is None:
            self.policy.setText(tr("まだプランがありません。見立てがそろったら「目標を追加」で目標と役割を決めます。"))
            fill_table(self.goals, [])
            self.missing.setText("")
            return
        today = self.today()
        old = plan is not self.current_plan()
        self.policy.setText(tr("支援方針：{p}", p=plan.policy or tr("（まだ書かれていません）"))
                            + (tr("\nこれは以前の版です（読むだけ）。") if old else ""))
        rows = []
        for g in plan.goals:
            review, overdue = review_text(g.next_review_on, today) if not old else (format_wareki_short(g.review_on), False)
            last = _last_check(g)
            ended = bool(g.monitoring) and g.monitoring[-1].progress in GOAL_ENDED
            rows.append((g.person or tr("世帯全体"), g.text, "\n".join(_action_line(a) for a in g.actions) or tr("―"),
                         text_item(review if not ended else tr("終了"), ERROR_COLOUR if overdue else None, bold=overdue),
                         text_item(last, PROGRESS_COLOURS.get(g.monitoring[-1].progress) if g.monitoring else None)))
        fill_table(self.goals, rows, [g.id for g in plan.goals])
        self.missing.setText(missing_text(self.plan_resources()))

    def plan_resources(self) -> list[ResourceLinks]:
        plan = self.shown_plan()
        return [r for r in self.resources if plan is not None and r.plan_id == plan.id]

    def _show_checks(self) -> None:
        rows = []
        for plan in reversed(self.detail.plans):
            for g in plan.goals:
                for c in g.monitoring:
                    rows.append((c.monitored_on, (format_wareki_short(c.monitored_on), goal_label(g),
                                                  text_item(tr(PROGRESS_LABELS.get(c.progress, c.progress_label)),
                                                            PROGRESS_COLOURS.get(c.progress), bold=True),
                                                  c.note, format_wareki_short(c.next_review_on) if c.next_review_on else "")))
        rows.sort(key=lambda r: r[0], reverse=True)
        fill_table(self.checks, [r for _d, r in rows])

    def _enable(self) -> None:
        s = self.detail.summary
        open_case = s.status != CASE_CLOSED
        has_plan = self.current_plan() is not None
        has_goals = has_plan and bool(self.current_plan().goals)
        for b in (self.assign_button, self.assess_button, self.goal_button, self.missing_button, self.policy_button):
            b.setEnabled(open_case)
        self.revise_button.setEnabled(open_case and has_plan)
        self.monitor_button.setEnabled(open_case and has_goals)
        self.close_case_button.setEnabled(open_case)
        self.reopen_button.setEnabled(not open_case)
        self.print_button.setEnabled(bool(self.detail.assessment))
        self.link_button.setEnabled(bool(self.resources))

    # ---- actions -------------------------------------------------------------------------

    def _saved(self, _result=None) -> None:
        self.changed.emit(self.case_id)
        self.ctx.changed(CASE)  # the case page, timelines, 見守り予定 and this dialog (keep_fresh) reload

    def _run(self, dialog: QDialog) -> QDialog:
        dialog.saved.connect(self._saved)
        self.sub_dialog = dialog
        dialog.open()
        return dialog

    def assign(self):
        return self._run(AssignDialog(self.ctx, self.detail, self.staff, self.agencies, self))

    def add_assessment(self):
        return self._run(AssessmentDialog(self.ctx, self.case_id, self.members, self, today=self._today))

    def add_goal(self):
        return self._run(GoalDialog(self.ctx, self.case_id, self.members, self.staff, self.agencies, self,
                                    today=self._today))

    def add_missing(self):
        return self._run(MissingResourceDialog(self.ctx, self.case_id, self, today=self._today))

    def link_resource(self):
        """地域課題につなぐ: the shown plan's missing resources first, then the earlier versions'."""
        if not self.resources:
            return None
        shown = self.plan_resources()
        ordered = shown + [r for r in self.resources if r not in shown]
        dialog = LinkResourceDialog(self.ctx, ordered, self.register, self, today=self._today)
        dialog.saved.connect(lambda _r: self.ctx.changed(COMMUNITY))  # the register, and this case (keep_fresh)
        self.sub_dialog = dialog
        dialog.open()
        return dialog

    def edit_policy(self):
        plan = self.current_plan()
        return self._run(PolicyDialog(self.ctx, self.case_id, plan.policy if plan else "", self, today=self._today))

    def revise(self):
        plan = self.current_plan()
        if plan is None:
            return None
        return self._run(PolicyDialog(self.ctx, self.case_id, plan.policy, self, revise=True, version=plan.version,
                                      today=self._today))

    def record_monitoring(self):
        plan = self.current_plan()
        if plan is None or not plan.goals or self.detail.summary.status == CASE_CLOSED:
            return None
        from shakyo_desk.ui.widgets import selected_id

        goal_id = selected_id(self.goals) if self.shown_plan() is plan else None
        return self._run(MonitoringDialog(self.ctx, self.case_id, plan.goals, self, goal_id=goal_id, today=self._today))

    def close_case(self, ask=confirm):
        who = tr("{name} さんの世帯", name=self.detail.summary.household_name)
        return self._run(CloseDialog(self.ctx, self.case_id, who, self.issues, self, today=self._today, ask=ask))

    def reopen(self, ask=confirm):
        who = tr("{name} さんの世帯", name=self.detail.summary.household_name)
        return self._run(ReopenDialog(self.ctx, self.case_id, who, self, today=self._today, ask=ask))

    def open_timeline(self) -> None:
        s = self.detail.summary if self.detail else None
        if s is not None:
            self.timeline = self.ctx.navigator.open_timeline(s.household_id, s.household_name, self)

    def print_assessment(self):
        """The assessment on one A4 sheet in the preview (made in the worker)."""
        from shakyo_desk.reports.assessment_pdf import assessment_pdf
        from shakyo_desk.ui.pdf_preview import NO_QTPDF, PdfPreviewDialog, qtpdf_available

        if self.detail is None or not self.detail.assessment:
            return None
        if not qtpdf_available():
            self.errors.show_error(tr(NO_QTPDF))
            return None
        detail, members, today = self.detail, self.members, self.today()
        council = self.ctx.council.name if self.ctx.council else ""
        by = self.ctx.store.actor.display_name

        def shown(data: bytes) -> None:
            self.preview = PdfPreviewDialog(data, tr("全方位型アセスメント（A4）"), self,
                                            note=tr("個人情報です。会議が終わったら回収し、処分してください。"))
            self.preview.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            button = QPushButton(tr("印刷…"))
            button.setAutoDefault(False)
            button.clicked.connect(lambda: self._print(data))
            self.preview.actions_row.addWidget(button)
            self.preview.open()

        self.ctx.executor.submit(lambda: assessment_pdf(detail, members, council=council, printed_by=by, today=today),
                                 on_done=shown, on_error=self.errors.show_error, owner=self)
        return None

    def _print(self, data: bytes) -> None:
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        from shakyo_desk.ui.pdf_preview import print_pdf

        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self.preview or self)
        dialog.setWindowTitle(tr("全方位型アセスメントの印刷"))
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        try:
            print_pdf(data, printer)
        except OSError:
            self.errors.show_error(tr("印刷できませんでした。プリンターの電源と用紙を確かめてください。"))
            return
        self.log_printed()

    def log_printed(self) -> None:
        """The printed assessment is personal data leaving the store: audited (in the worker)."""
        from shakyo_desk.store.services.exports import log_export

        s = self.detail.summary
        detail = {"case_id": s.id, "household_id": s.household_id, "views": len(self.detail.assessment)}
        self.ctx.executor.submit(lambda: log_export(self.ctx.store, "assessment_pdf", detail),
                                 on_error=self.errors.show_error, owner=self)

    def reject(self) -> None:
        self.ctx.ui_settings.save_geometry("case_detail", self)
        super().reject()


def open_case_detail(ctx: AppContext, case_id: str, parent: QWidget, *, today: date | None = None) -> CaseDetailDialog:
    dialog = CaseDetailDialog(ctx, case_id, parent, today=today)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
