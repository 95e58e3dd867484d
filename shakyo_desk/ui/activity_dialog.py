"""地域活動を記録 / 直す (issue 19): type, date, district, name, how many came and which
organisations, what was raised (話し合われたこと) and what followed (その後), and the 地域課題 it
raises — ticked from the register or typed as a new title (a coordinator's). Saving runs
``activities.add_activity`` / ``update_activity`` in the worker; refusals show in the ErrorLabel."""

from __future__ import annotations

import re
from datetime import date

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QWidget

from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.domain.roles import manages_registers
from shakyo_desk.domain.vocab import ACTIVITY_TYPES
from shakyo_desk.i18n import tr
from shakyo_desk.store.services import activities
from shakyo_desk.store.services.activities import ActivityInfo
from shakyo_desk.ui.case_dialogs import CaseFormDialog, text_box
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.date_field import DateField
from shakyo_desk.ui.widgets import CheckList, fill_district_combo

COUNCIL_WIDE = "（社協全体）"


def split_names(text: str) -> list[str]:
    """「自治会、民生委員協議会」 or with commas: the organisations one by one."""
    return [t.strip() for t in re.split(r"[、,，/／\n]", text or "") if t.strip()]


def parse_count(text: str) -> int | None:
    text = (text or "").strip().translate(str.maketrans("０１２３４５６７８９", "0123456789")).removesuffix("人")
    if not text:
        return None
    if not text.isdigit():
        raise InvalidInput(tr("参加者数は0以上の整数で入力してください（例：18）。分からなければ空けておけます。"))
    return int(text)


class ActivityDialog(CaseFormDialog):
    """New when ``activity`` is None; otherwise its fields, saved with ``update_activity``.
    ``issues``: the register (community_issues.IssueInfo), offered as check boxes."""

    SIZE = QSize(800, 660)
    KEY = "community_activity"

    def __init__(self, ctx: AppContext, districts, issues, parent: QWidget | None = None, *,
                 activity: ActivityInfo | None = None, district_id: str | None = None, today: date | None = None):
        editing = activity is not None
        super().__init__(ctx, tr("地域活動を直す") if editing else tr("地域活動を記録"),
                         tr("保存する") if editing else tr("記録する"), parent, today=today,
                         intro=tr("地域懇談会・学習会・協議体・サロンの立ち上げ・出張相談など、地域で開いた活動を記録します。"
                                  "出された課題は「地域課題として挙げる」で台帳につなげます。"))
        self.activity = activity
        self.kind = QComboBox()
        self.kind.addItems(ACTIVITY_TYPES)
        self.held_on = DateField(activity.held_on if editing else self.today, allow_future=False)
        self.district = QComboBox()
        fill_district_combo(self.district, districts, empty_label=tr(COUNCIL_WIDE),
                            selected=activity.district_id if editing else district_id)
        self.title = QLineEdit()
        self.title.setPlaceholderText(tr("例：上町 なるほど地域懇談会"))
        self.participants = QLineEdit()
        self.participants.setPlaceholderText(tr("人数（例：18）"))
        self.participants.setMaximumWidth(160)
        self.organisations = QLineEdit()
        self.organisations.setPlaceholderText(tr("「、」で区切る（例：自治会、民生委員協議会、老人クラブ）"))
        self.raised = text_box(tr("例：冬はバスが減り、通院や買い物に行けない人が多い"), 80)
        self.followed = text_box(tr("例：協議体で移動支援を話し合うことになった"), 60)
        self.raised.setMaximumHeight(130)  # the 地域課題 below stay in view
        self.followed.setMaximumHeight(100)
        self.may_raise = manages_registers(ctx.role)
        chosen = set(activity.issue_ids) if editing else set()
        self.issues = CheckList([i.title for i in issues], chosen, data=[i.id for i in issues])
        self.issues.setAccessibleName(tr("地域課題として挙げる"))
        self.issues.setMaximumHeight(130)
        self.new_issue = QLineEdit()
        self.new_issue.setPlaceholderText(tr("台帳にない課題の題名（例：冬の移動手段がない）"))
        self.new_issue.setVisible(self.may_raise)
        for label, field in ((tr("種類(&K)＊"), self.kind), (tr("開催日(&D)＊"), self.held_on),
                             (tr("地区(&R)"), self.district), (tr("名前(&T)＊"), self.title),
                             (tr("参加者数(&N)"), self.participants), (tr("参加した団体(&O)"), self.organisations),
                             (tr("話し合われたこと(&W)"), self.raised), (tr("その後(&F)"), self.followed)):
            self.form.addRow(label, field)
        if issues:
            self.form.addRow(tr("地域課題として挙げる(&I)"), self.issues)
        else:
            self.issues.setVisible(False)
        if self.may_raise:
            self.form.addRow(tr("新しい地域課題(&U)") if issues else tr("地域課題として挙げる(&U)"), self.new_issue)
        elif not issues:
            hint = QLabel(tr("台帳にはまだ地域課題がありません。コーディネーターが台帳に加えると、ここで選べます。"))
            hint.setWordWrap(True)
            self.form.addRow(tr("地域課題"), hint)
        if editing:
            self.kind.setCurrentText(activity.activity_type)
            self.title.setText(activity.title)
            self.participants.setText("" if activity.participants is None else str(activity.participants))
            self.organisations.setText("、".join(activity.organisations))
            self.raised.setPlainText(activity.raised)
            self.followed.setPlainText(activity.followed)
        self.title.returnPressed.connect(self.save)  # Enter saves from the one-line fields
        self.new_issue.returnPressed.connect(self.save)
        self.finish_layout()
        self.kind.setFocus()

    def work(self):
        held_on = self.held_on.checked_date(tr("開催日"))
        fields = {"district_id": self.district.currentData(), "participants": parse_count(self.participants.text()),
                  "organisations": split_names(self.organisations.text()), "raised": self.raised.toPlainText(),
                  "followed": self.followed.toPlainText(), "issue_ids": self.issues.checked(),
                  "new_issues": [self.new_issue.text()] if self.new_issue.text().strip() else [],
                  "today": self.today}
        store, kind, title, activity = self.ctx.store, self.kind.currentText(), self.title.text(), self.activity
        if activity is None:
            return lambda: activities.add_activity(store, kind, held_on, title, **fields)
        fields["note"] = activity.note
        return lambda: activities.update_activity(store, activity.id, kind, held_on, title, **fields)
