"""つなぎ page: referrals to agencies, the ones whose follow-up date has come
(確認が必要なつなぎ) first; dialogs to record a referral and its outcome."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
    QPlainTextEdit, QPushButton, QVBoxLayout, QWidget,
)

from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.domain.vocab import REFERRAL_OUTCOMES
from shakyo_desk.domain.wareki import format_wareki, format_wareki_short
from shakyo_desk.i18n import tr
from shakyo_desk.store.services.agencies import AgencyInfo, list_agencies
from shakyo_desk.store.services.referrals import (
    ReferralInfo, add_referral, list_referrals, overdue_follow_ups, record_outcome,
)
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.dialogs import ErrorLabel, button_row
from shakyo_desk.ui.date_field import DateField
from shakyo_desk.ui.field_widgets import HouseholdPickDialog
from shakyo_desk.ui.empty_state import set_empty_hint
from shakyo_desk.ui.events import HOUSEHOLD, REFERRAL, REGISTER, SHEET, keep_fresh, on
from shakyo_desk.ui.widgets import Column, fill_table, make_table, selected_id
from shakyo_desk.domain import clock

REFERRAL_COLUMNS = ("つないだ日", "世帯", "つなぎ先", "理由", "結果", "確認する日")
# When, who, to whom and when to check stay; the outcome, then the reason give way.
REFERRAL_FIT = (Column("R8.12.31", 110), Column("佐々木 花子", 140), Column("地域包括支援センター", 220),
                Column("介護保険の申請の相談", 260, stretch=True, drop=1), Column("つながった：申請済み", 140, drop=2),
                Column("R8.12.31（123日過ぎ）", 140))
DEFAULT_FOLLOW_UP_DAYS = 14


def referral_row(r: ReferralInfo) -> tuple:
    return (format_wareki_short(r.referred_on), r.household_name or tr("（世帯未登録）"), r.agency, r.reason,
            r.outcome + (f"：{r.outcome_note}" if r.outcome_note else ""), format_wareki_short(r.follow_up_on))


def fill_agency_combo(combo: QComboBox, agencies: list[AgencyInfo], selected: str | None = None) -> None:
    combo.clear()
    combo.addItem(tr("（選んでください）"), None)
    for a in agencies:
        combo.addItem(f"{a.name}（{a.field}）" if a.field else a.name, a.id)
    combo.setCurrentIndex(max(0, combo.findData(selected)) if selected else 0)


class ReferralDialog(QDialog):
    """Record a referral (つなぎ) for a household and/or a sheet."""

    saved = Signal(str)

    def __init__(self, ctx: AppContext, agencies: list[AgencyInfo], *, household_id: str | None = None,
                 household_name: str = "", sheet_id: str | None = None, agency_id: str | None = None,
                 reason: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.household_id = household_id
        self.sheet_id = sheet_id
        self.setWindowTitle(tr("つなぎの記録"))
        self.agency = QComboBox()
        fill_agency_combo(self.agency, agencies, agency_id)
        self.reason = QPlainTextEdit(reason)
        self.reason.setFixedHeight(70)
        self.reason.setPlaceholderText(tr("例：介護保険の申請について相談したい"))
        self.referred_on = DateField(allow_future=False)
        self.use_follow_up = QCheckBox(tr("確認する日を決める"))
        self.use_follow_up.setChecked(True)
        self.follow_up = DateField(clock.today() + timedelta(days=DEFAULT_FOLLOW_UP_DAYS))
        self.use_follow_up.toggled.connect(self.follow_up.setEnabled)
        follow_row = QHBoxLayout()
        follow_row.addWidget(self.use_follow_up)
        follow_row.addWidget(self.follow_up, 1)
        self.household_label = QLabel(tr("{name} さんの世帯", name=household_name) if household_id
                                      else tr("（世帯を選んでいません）"))
        self.pick_button = QPushButton(tr("世帯を選ぶ…"))
        self.pick_button.clicked.connect(self.pick_household)
        self.pick_button.setVisible(sheet_id is None)
        household_row = QHBoxLayout()
        household_row.addWidget(self.household_label, 1)
        household_row.addWidget(self.pick_button)
        form = QFormLayout()
        form.addRow(tr("世帯"), household_row)
        form.addRow(tr("つなぎ先＊"), self.agency)
        form.addRow(tr("つなぐ理由＊"), self.reason)
        form.addRow(tr("つないだ日"), self.referred_on)
        form.addRow(tr("確認する日"), follow_row)
        self.errors = ErrorLabel()
        if not agencies:
            self.errors.show_error(tr("関係機関がまだ登録されていません。先に「関係機関」の画面で登録してください。"))
        buttons, self.save_button = button_row(self, tr("記録する"), self.save, save=True, cancel_text=tr("閉じる"))
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.errors)
        layout.addWidget(buttons)
        self.setMinimumWidth(560)

    def pick_household(self) -> None:
        dialog = HouseholdPickDialog(self.ctx, self)
        self.pick_dialog = dialog
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.choice is not None:
            self.household_id = dialog.choice.id
            self.household_label.setText(tr("{name} さんの世帯", name=dialog.choice.head_name))

    def save(self) -> None:
        agency_id = self.agency.currentData()
        if not agency_id:
            self.errors.show_error(tr("つなぎ先の関係機関を選んでください。"))
            return
        try:
            referred_on = self.referred_on.checked_date(tr("つないだ日"))
            follow = self.follow_up.checked_date(tr("確認する日")) if self.use_follow_up.isChecked() else None
        except InvalidInput as error:
            self.errors.show_error(error)
            return
        self.errors.clear_error()
        self.save_button.setEnabled(False)
        args = dict(household_id=self.household_id, sheet_id=self.sheet_id, referred_on=referred_on,
                    follow_up_on=follow)
        reason = self.reason.toPlainText()
        self.ctx.executor.submit(lambda: add_referral(self.ctx.store, agency_id, reason, **args),
                                 on_done=self._saved, on_error=self._failed, owner=self)

    def _saved(self, referral_id: str) -> None:
        self.save_button.setEnabled(True)
        self.saved.emit(referral_id)
        self.ctx.changed(REFERRAL)
        self.accept()

    def _failed(self, error) -> None:
        self.save_button.setEnabled(True)
        self.errors.show_error(error)


class OutcomeDialog(QDialog):
    """What came of a referral; optionally the next date to check again."""

    saved = Signal(str)

    def __init__(self, ctx: AppContext, referral: ReferralInfo, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.referral = referral
        self.setWindowTitle(tr("つなぎの結果"))
        summary = QLabel(tr("{date}に{agency}へつないだ件（{who}）\n理由：{reason}",
                            date=format_wareki(referral.referred_on), agency=referral.agency,
                            who=referral.household_name or tr("世帯未登録"), reason=referral.reason))
        summary.setWordWrap(True)
        self.outcome = QComboBox()
        self.outcome.addItems(REFERRAL_OUTCOMES)
        self.outcome.setCurrentText(referral.outcome if referral.outcome != "確認中" else "つながった")
        self.note = QLineEdit(referral.outcome_note)
        self.note.setPlaceholderText(tr("例：申請の手続きを始めたと包括から連絡あり"))
        self.again = QCheckBox(tr("また確認する日"))
        self.again.setChecked(False)
        self.follow_up = DateField(clock.today() + timedelta(days=DEFAULT_FOLLOW_UP_DAYS))
        self.follow_up.setEnabled(False)
        self.again.toggled.connect(self.follow_up.setEnabled)
        again_row = QHBoxLayout()
        again_row.addWidget(self.again)
        again_row.addWidget(self.follow_up, 1)
        form = QFormLayout()
        form.addRow(tr("結果"), self.outcome)
        form.addRow(tr("メモ"), self.note)
        form.addRow("", again_row)
        self.errors = ErrorLabel()
        buttons, self.save_button = button_row(self, tr("記録する"), self.save, save=True, cancel_text=tr("閉じる"))
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addLayout(form)
        layout.addWidget(self.errors)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)

    def save(self) -> None:
        try:
            follow = self.follow_up.checked_date(tr("確認する日")) if self.again.isChecked() else None
        except InvalidInput as error:
            self.errors.show_error(error)
            return
        outcome, note = self.outcome.currentText(), self.note.text()
        self.errors.clear_error()
        self.ctx.executor.submit(record_outcome, self.ctx.store, self.referral.id, outcome, note, follow,
                                 on_done=self._saved, on_error=self.errors.show_error, owner=self)

    def _saved(self, _result) -> None:
        self.saved.emit(self.referral.id)
        self.ctx.changed(REFERRAL)
        self.accept()


class ReferralsPage(QWidget):
    refresh_on = on(REFERRAL, SHEET, HOUSEHOLD, REGISTER)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.agencies: list[AgencyInfo] = []
        self.overdue: list[ReferralInfo] = []
        self.referrals: list[ReferralInfo] = []
        self.dialog: QDialog | None = None
        title = QLabel(tr("つなぎ"))
        title.setStyleSheet("font-size: 15pt; font-weight: bold;")
        intro = QLabel(tr("関係機関へつないだ記録です。確認する日が来た「確認中」のつなぎは、上の一覧に出ます。"
                          "先方に様子を聞いて、結果を記録してください。"))
        intro.setWordWrap(True)
        self.new_button = QPushButton(tr("つなぎを記録"))
        self.new_button.clicked.connect(self.new_referral)
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(self.new_button)

        self.overdue_table = make_table(REFERRAL_COLUMNS, fit=REFERRAL_FIT)
        self.overdue_table.doubleClicked.connect(lambda _i: self.record(self.overdue_table))
        self.overdue_empty = QLabel(tr("確認が必要なつなぎはありません。"))
        self.overdue_empty.setStyleSheet("color: #555; padding: 6px;")
        self.overdue_button = QPushButton(tr("結果を記録…"))
        self.overdue_button.clicked.connect(lambda: self.record(self.overdue_table))
        self.overdue_box = QGroupBox(tr("確認が必要なつなぎ"))
        self.overdue_box.setStyleSheet("QGroupBox { font-weight: bold; }")
        overdue_layout = QVBoxLayout(self.overdue_box)
        overdue_layout.addWidget(self.overdue_empty)
        overdue_layout.addWidget(self.overdue_table)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.overdue_button)
        overdue_layout.addLayout(row)

        self.table = make_table(REFERRAL_COLUMNS, fit=REFERRAL_FIT)
        self.table.doubleClicked.connect(lambda _i: self.record(self.table))
        set_empty_hint(self.table, tr("まだつなぎの記録がありません。関係機関へつないだら、"
                                      "右上の「つなぎを記録」ボタンから記録してください。"))
        self.record_button = QPushButton(tr("結果を記録…"))
        self.record_button.clicked.connect(lambda: self.record(self.table))
        self.timeline_button = QPushButton(tr("世帯の経過を見る…"))
        self.timeline_button.clicked.connect(lambda: self.open_timeline(self.table))
        all_box = QGroupBox(tr("つなぎの一覧（新しい順）"))
        all_layout = QVBoxLayout(all_box)
        all_layout.addWidget(self.table)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.timeline_button)
        row.addWidget(self.record_button)
        all_layout.addLayout(row)
        self.errors = ErrorLabel()
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(intro)
        layout.addWidget(self.errors)
        layout.addWidget(self.overdue_box, 2)
        layout.addWidget(all_box, 3)
        keep_fresh(self, ctx.events, self.refresh_on)

    def refresh(self) -> None:
        store = self.ctx.store
        self.ctx.executor.submit(lambda: (list_agencies(store), overdue_follow_ups(store), list_referrals(store)),
                                 on_done=self._loaded, on_error=self.errors.show_error, owner=self)

    def _loaded(self, result) -> None:
        self.errors.clear_error()
        self.agencies, self.overdue, self.referrals = result
        today = clock.today()
        rows = [referral_row(r)[:-1] + (tr("{date}（{n}日過ぎ）", date=format_wareki_short(r.follow_up_on),
                                           n=(today - r.follow_up_on).days)
                                        if r.follow_up_on < today else tr("{date}（今日）", date=format_wareki_short(r.follow_up_on)),)
                for r in self.overdue]
        fill_table(self.overdue_table, rows, [r.id for r in self.overdue])
        fill_table(self.table, [referral_row(r) for r in self.referrals], [r.id for r in self.referrals])
        self.overdue_table.setVisible(bool(self.overdue))
        self.overdue_button.setVisible(bool(self.overdue))
        self.overdue_empty.setVisible(not self.overdue)
        self.overdue_box.setTitle(tr("確認が必要なつなぎ（{n}件）", n=len(self.overdue)) if self.overdue
                                  else tr("確認が必要なつなぎ"))

    def record(self, table) -> None:
        referral_id = selected_id(table)
        referral = next((r for r in self.overdue + self.referrals if r.id == referral_id), None)
        if referral is None:
            self.errors.show_error(tr("一覧からつなぎを選んでください。"))
            return
        self.dialog = OutcomeDialog(self.ctx, referral, self)
        self.dialog.open()

    def open_timeline(self, table) -> None:
        referral_id = selected_id(table)
        referral = next((r for r in self.overdue + self.referrals if r.id == referral_id), None)
        if referral is None or not referral.household_id:
            self.errors.show_error(tr("世帯と結び付いたつなぎを一覧から選んでください。"))
            return
        self.timeline = self.ctx.navigator.open_timeline(referral.household_id, referral.household_name, self)

    def new_referral(self) -> None:
        self.dialog = ReferralDialog(self.ctx, self.agencies, parent=self)
        self.dialog.open()

