"""地域課題 register (issues 18, 19): one widget, the 地域 page's tab and the dialog the 支援ケース
page opens (ui/case_issues.py). Each issue with its status, district, evidence counts (cases,
地域活動, plans' missing resources) and what the council and the town do; a detail dialog sets
status and response and shows the evidence without naming a household; 「印刷用PDF…」 writes
the A4 register (reports/community_issues_pdf.py) in the worker, audited."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QSize, QStandardPaths, Signal
from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
    QListView, QListWidget, QPushButton, QVBoxLayout, QWidget,
)

from shakyo_desk.domain import clock
from shakyo_desk.domain.errors import UserError
from shakyo_desk.domain.roles import manages_registers
from shakyo_desk.domain.vocab import COMMUNITY_ISSUE_STATUSES
from shakyo_desk.domain.wareki import format_wareki, format_wareki_short
from shakyo_desk.i18n import tr
from shakyo_desk.store.services.community_issues import (
    IssueEvidence, IssueInfo, add_issue, issue_evidence, list_issues, set_status,
)
from shakyo_desk.store.services.districts import list_districts
from shakyo_desk.ui.case_dialogs import text_box
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.dialogs import ErrorLabel, fit_to_screen, scrolling
from shakyo_desk.ui.empty_state import set_empty_hint
from shakyo_desk.ui.events import COMMUNITY, REGISTER
from shakyo_desk.ui.widgets import Column, fill_district_combo, fill_table, make_table, on_enter, selected_id, text_item

COLUMNS = ("把握した日", "地域課題", "地区", "ケース", "地域活動", "不足資源", "状況", "社協と町の取り組み")
FIT = (Column("R8.12.31", 90, drop=4), Column("ひきこもりの人の居場所がない", 230, stretch=True),
       Column("北山地区", 90, drop=3), Column("12件", 55), Column("12件", 65), Column("12件", 65),
       Column("検討中", 65), Column("町と乗合タクシーの冬季運行を協議", 220, stretch=True, drop=2))
STATUS_COLOURS = {"把握": "#6b4c9a", "検討中": "#1f5f8b", "取組中": "#2f6b3a", "解消": "#555555"}


def evidence_line(i: IssueInfo) -> str:
    return tr("ケース {c}件・地域活動 {a}件・不足資源 {r}件", c=i.case_count, a=i.activity_count, r=i.resource_count)


def default_pdf_path(day: date) -> str:
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation) or str(Path.home())
    return str(Path(folder) / tr("地域課題の一覧_{stamp}.pdf", stamp=format_wareki_short(day).replace(".", "-")))


def ask_pdf_path(parent: QWidget, suggested: str) -> str:
    path, _ = QFileDialog.getSaveFileName(parent, tr("地域課題の一覧の保存先"), suggested, tr("PDFファイル (*.pdf)"))
    return path


class CommunityIssuesPanel(QWidget):
    """The register: the table, 「詳しく見る」, 「印刷用PDF…」 and (coordinators) a box to add one."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, today: date | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self._today = today
        self.issues: list[IssueInfo] = []
        self.detail: IssueDetailDialog | None = None
        self.may_add = manages_registers(ctx.role)
        intro = QLabel(tr("個別のケースや地域活動から見えた、地域に共通する課題です。ケースが終わっても残り、"
                          "地域福祉活動計画の評価や協議体の材料になります。"))
        intro.setWordWrap(True)
        self.open_button = QPushButton(tr("詳しく見る・状況を変える(&O)…"))
        self.open_button.clicked.connect(lambda _c=False: self.open_selected())
        self.pdf_button = QPushButton(tr("印刷用PDF(&P)…"))
        self.pdf_button.clicked.connect(lambda _c=False: self.export_pdf())
        top = QHBoxLayout()
        top.addWidget(intro, 1)
        top.addWidget(self.open_button)
        top.addWidget(self.pdf_button)
        self.table = make_table(COLUMNS, fit=FIT, wrap=True)
        self.table.setAccessibleName(tr("地域課題の一覧"))
        set_empty_hint(self.table, tr("まだ地域課題はありません。ケースの終結、地域活動の記録、プランの不足している"
                                      "社会資源から挙げると、ここに加わります。"))
        self.table.doubleClicked.connect(lambda _i: self.open_selected())
        on_enter(self.table, self.open_selected)

        self.title = QLineEdit()
        self.title.setPlaceholderText(tr("例：冬の移動手段がない"))
        self.district = QComboBox()
        self.district.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.note = QLineEdit()
        self.note.setPlaceholderText(tr("任意。例：バスが1日2本しかなく、通院も買い物も家族頼み"))
        self.add_button = QPushButton(tr("地域課題を加える(&D)"))
        self.add_button.setAutoDefault(False)
        self.add_button.clicked.connect(self.add)
        self.title.returnPressed.connect(self.add)
        form = QFormLayout()
        title_label = QLabel(tr("地域課題(&T)＊"))
        title_label.setBuddy(self.title)
        form.addRow(title_label, self.title)
        row = QHBoxLayout()
        row.addWidget(self.district)
        row.addWidget(QLabel(tr("メモ")))
        row.addWidget(self.note, 1)
        row.addWidget(self.add_button)
        form.addRow(tr("地区"), row)
        self.add_box = QGroupBox(tr("地域課題を加える"))
        self.add_box.setLayout(form)
        self.add_box.setVisible(self.may_add)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setVisible(False)
        self.errors = ErrorLabel()
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.add_box)
        layout.addWidget(self.status)
        layout.addWidget(self.errors)

    def today(self) -> date:
        return self._today or clock.today()

    def refresh(self) -> None:
        store = self.ctx.store
        self.ctx.executor.submit(lambda: (list_issues(store), list_districts(store)), on_done=self._loaded,
                                 on_error=self.errors.show_error, owner=self)

    def _loaded(self, result) -> None:
        self.issues, districts = result
        fill_district_combo(self.district, districts, empty_label=tr("（地区を決めない）"),
                            selected=self.district.currentData())
        fill_table(self.table, [
            (format_wareki_short(i.raised_on), i.title, i.district or tr("―"), tr("{n}件", n=i.case_count),
             tr("{n}件", n=i.activity_count), tr("{n}件", n=i.resource_count),
             text_item(tr(i.status), STATUS_COLOURS.get(i.status), bold=True), i.response or i.note)
            for i in self.issues], [i.id for i in self.issues])
        self.open_button.setEnabled(bool(self.issues))

    def add(self) -> None:
        self.errors.clear_error()
        store, today = self.ctx.store, self.today()
        title, district, note = self.title.text(), self.district.currentData(), self.note.text()

        def done(_issue_id) -> None:
            self.title.clear()
            self.note.clear()
            self.ctx.changed(COMMUNITY)
            self.ctx.changed(REGISTER)
            self.refresh()

        self.ctx.executor.submit(lambda: add_issue(store, title, district_id=district, note=note, today=today),
                                 on_done=done, on_error=self.errors.show_error, owner=self)

    def open_selected(self):
        chosen = selected_id(self.table)
        issue = next((i for i in self.issues if i.id == chosen), None)
        if issue is None:
            return None
        self.detail = IssueDetailDialog(self.ctx, issue, self)
        self.detail.saved.connect(lambda: (self.ctx.changed(COMMUNITY), self.refresh()))
        self.detail.open()
        return self.detail

    def export_pdf(self, ask_path=ask_pdf_path) -> None:
        """The A4 register written in the worker and audited (community_issues_pdf)."""
        from shakyo_desk.reports.community_issues_pdf import export_register

        self.errors.clear_error()
        path = ask_path(self, default_pdf_path(self.today()))
        if not path:
            return
        if not path.lower().endswith(".pdf"):
            path += ".pdf"
        council = self.ctx.council
        name, start = (council.name, council.fiscal_year_start_month) if council else ("", 4)
        store, today = self.ctx.store, self.today()
        self.pdf_button.setEnabled(False)
        self.status.setText(tr("PDFを作っています…"))
        self.status.setVisible(True)

        def work():
            try:
                return export_register(store, path, council=name, start_month=start, today=today)
            except OSError as error:  # the folder, not a fault: a sentence to act on
                raise UserError(tr("PDFを保存できませんでした。保存先の空き容量や、"
                                   "同じ名前のファイルを開いていないかを確かめてください。")) from error

        def done(result) -> None:
            written, count = result
            self.pdf_button.setEnabled(True)
            self.status.setText(tr("地域課題の一覧（{n}件）を保存しました：{path}\n内部資料です。配るときは協議体や"
                                   "計画の評価の場に限ってください。", n=count, path=str(written)))

        def failed(error) -> None:
            self.pdf_button.setEnabled(True)
            self.status.setVisible(False)
            self.errors.show_error(error)

        self.ctx.executor.submit(work, on_done=done, on_error=failed, owner=self)


class IssueDetailDialog(QDialog):
    """One issue: its status and the council's and the town's response (coordinators edit them),
    and what shows it — cases (district, opened, status; no name), 地域活動 by date and type,
    missing resources from plans."""

    saved = Signal()

    def __init__(self, ctx: AppContext, issue: IssueInfo, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.issue = issue
        self.evidence: IssueEvidence | None = None
        self.may_edit = manages_registers(ctx.role)
        self.setWindowTitle(tr("地域課題"))
        heading = QLabel(issue.title)
        heading.setWordWrap(True)
        heading.setStyleSheet("font-size: 14pt; font-weight: bold;")
        facts = QLabel(tr("地区：{d}　把握した日：{on}　{e}", d=issue.district or tr("指定なし"),
                          on=format_wareki(issue.raised_on), e=evidence_line(issue)))
        facts.setWordWrap(True)
        self.status = QComboBox()
        self.status.addItems(COMMUNITY_ISSUE_STATUSES)
        self.status.setCurrentText(issue.status)
        self.response = text_box(tr("例：町と乗合タクシーの冬季運行を協議中。社協は送迎ボランティアを募る。"), 80)
        self.response.setPlainText(issue.response)
        self.response.setMaximumHeight(90)
        for widget in (self.status, self.response):
            widget.setEnabled(self.may_edit)
        form = QFormLayout()
        status_label = QLabel(tr("状況(&S)"))
        status_label.setBuddy(self.status)
        response_label = QLabel(tr("社協と町の取り組み(&R)"))
        response_label.setBuddy(self.response)
        form.addRow(status_label, self.status)
        form.addRow(response_label, self.response)
        if issue.note:
            note = QLabel(issue.note)
            note.setWordWrap(True)
            form.addRow(tr("メモ"), note)
        self.cases = QListWidget()
        self.cases.setAccessibleName(tr("この課題を示すケース"))
        self.activities = QListWidget()
        self.activities.setAccessibleName(tr("この課題が挙がった地域活動"))
        self.resources = QListWidget()
        self.resources.setAccessibleName(tr("この課題を示す不足している社会資源"))
        evidence = QVBoxLayout()
        for title, view in ((tr("ケース（世帯名は出しません）"), self.cases), (tr("地域活動"), self.activities),
                            (tr("不足している社会資源（プランから）"), self.resources)):
            view.setMinimumHeight(50)
            view.setMaximumHeight(90)
            view.setWordWrap(True)  # a missing resource is a sentence
            view.setResizeMode(QListView.ResizeMode.Adjust)
            box = QGroupBox(title)
            inner = QVBoxLayout(box)
            inner.addWidget(view)
            evidence.addWidget(box)
        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        body_layout.addWidget(heading)
        body_layout.addWidget(facts)
        body_layout.addLayout(form)
        body_layout.addLayout(evidence, 1)
        self.errors = ErrorLabel()
        buttons = QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close if self.may_edit \
            else QDialogButtonBox.StandardButton.Close
        self.buttons = QDialogButtonBox(buttons)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        if self.save_button is not None:
            self.save_button.setText(tr("保存する"))
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setText(tr("閉じる"))
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(scrolling(body), 1)
        layout.addWidget(self.errors)
        layout.addWidget(self.buttons)
        fit_to_screen(self, QSize(720, 660), settings=ctx.ui_settings, key="community_issue_detail")
        store, issue_id = ctx.store, issue.id
        ctx.executor.submit(lambda: issue_evidence(store, issue_id), on_done=self._loaded,
                            on_error=self.errors.show_error, owner=self)

    def _loaded(self, evidence: IssueEvidence) -> None:
        self.evidence = evidence
        none = tr("（まだありません）")

        def fill(view: QListWidget, lines: list[str], hidden: int = 0) -> None:
            view.clear()
            view.addItems(lines or [none])
            if hidden:
                view.addItem(tr("ほかに担当外の地区の {n}件", n=hidden))

        fill(self.cases, [tr("{d}のケース　{on}受付　{s}", d=c.district or tr("地区なし"),
                             on=format_wareki_short(c.opened_on), s=c.status) for c in evidence.cases],
             evidence.hidden_cases)
        fill(self.activities, [f"{format_wareki_short(a.held_on)}　{a.activity_type}　{a.title}"
                               + (f"（{a.district}）" if a.district else "") for a in evidence.activities])
        fill(self.resources, [tr("{t}（{d}・{on}のプラン）", t=r.text, d=r.district or tr("地区なし"),
                                 on=format_wareki_short(r.made_on)) for r in evidence.resources],
             evidence.hidden_resources)

    def save(self) -> None:
        self.errors.clear_error()
        store, issue_id = self.ctx.store, self.issue.id
        status, response = self.status.currentText(), self.response.toPlainText()

        def done(_r) -> None:
            self.ctx.ui_settings.save_geometry("community_issue_detail", self)
            self.saved.emit()
            self.accept()

        self.ctx.executor.submit(lambda: set_status(store, issue_id, status, response), on_done=done,
                                 on_error=self.errors.show_error, owner=self)

    def reject(self) -> None:
        self.ctx.ui_settings.save_geometry("community_issue_detail", self)
        super().reject()
