"""One 把握シート: every field, the dated and attributed status history, the
status buttons the workflow allows, the household link, referrals, and (issue 18) its 担当 and
the 「ケース検討にかける」 step that opens a 支援ケース from it (or the case already opened)."""

from __future__ import annotations


from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
    QPushButton, QVBoxLayout, QWidget,
)

from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.domain.roles import Role, manages_registers, sees_all_households
from shakyo_desk.domain.vocab import SHEET_TRANSITIONS
from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.i18n import tr
from shakyo_desk.store.services.agencies import AgencyInfo, list_agencies
from shakyo_desk.store.services.districts import DistrictInfo, list_districts
from shakyo_desk.store.services.referrals import ReferralInfo, list_referrals
from shakyo_desk.store.services.case_views import CaseSummary, StaffChoice, assignable_staff, case_of_sheet
from shakyo_desk.store.services.sheets import (
    SheetInfo, assign_sheet, change_status, create_household_from_sheet, get_sheet, link_household,
)
from shakyo_desk.store.services.supporters import sheet_suggests_supporter
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.dialogs import ErrorLabel, button_row, fit_to_screen, scrolling
from shakyo_desk.ui.date_field import DateField
from shakyo_desk.ui.empty_state import set_empty_hint
from shakyo_desk.ui.events import CASE, HOUSEHOLD, SHEET
from shakyo_desk.ui.field_widgets import URGENCY_COLOURS, URGENCY_MARKS, HouseholdPickDialog
from shakyo_desk.ui.pages.referrals import OutcomeDialog, ReferralDialog, fill_agency_combo, referral_row
from shakyo_desk.ui.widgets import fill_district_combo, fill_table, make_table, selected_id
from shakyo_desk.domain import clock

STATUS_VERBS = {
    "確認中": "確認中にする", "対応中": "対応中にする", "つないだ": "つないだ…", "見守り": "見守りにする",
    "終結": "終結にする", "受付": "受付に戻す",
}


def follows_sheets(role: Role) -> bool:
    return role in (Role.ADMIN, Role.COORDINATOR, Role.STAFF)


class StatusDialog(QDialog):
    """Date, note and (for つないだ) the agency of one status change."""

    def __init__(self, sheet: SheetInfo, status: str, agencies: list[AgencyInfo], parent: QWidget | None = None):
        super().__init__(parent)
        self.status = status
        reopening = sheet.status == "終結"
        self.setWindowTitle(tr("シートを開き直す") if reopening else tr("状況の変更"))
        what = QLabel(tr("「{old}」から「{new}」に変えます。", old=sheet.status, new=status))
        what.setStyleSheet("font-weight: bold;")
        self.changed_on = DateField(allow_future=False)
        self.changed_on.set_minimum(sheet.noticed_on)
        self.agency = QComboBox()
        fill_agency_combo(self.agency, agencies)
        self.note = QLineEdit()
        self.note.setPlaceholderText(tr("例：民生委員と訪問し、本人と話せた") if not reopening
                                     else tr("開き直す理由（例：再び様子が気になると連絡あり）"))
        form = QFormLayout()
        form.addRow(tr("変更日"), self.changed_on)
        if status == "つないだ":
            form.addRow(tr("つないだ先＊"), self.agency)
        form.addRow(tr("メモ"), self.note)
        self.errors = ErrorLabel()
        buttons, _ = button_row(self, tr("変更する"), self._accept)
        layout = QVBoxLayout(self)
        layout.addWidget(what)
        layout.addLayout(form)
        layout.addWidget(self.errors)
        layout.addWidget(buttons)
        self.setMinimumWidth(480)

    def _accept(self) -> None:
        if self.status == "つないだ" and not self.agency.currentData():
            self.errors.show_error(tr("つないだ先の関係機関を選んでください。"))
            return
        try:
            self.changed_on.checked_date(tr("変更日"))
        except InvalidInput as error:
            self.errors.show_error(error)
            return
        self.accept()

    def values(self) -> dict:
        return {"changed_on": self.changed_on.date(), "note": self.note.text().strip(),
                "agency_id": self.agency.currentData() if self.status == "つないだ" else None}


class NewHouseholdFromSheetDialog(QDialog):
    def __init__(self, districts: list[DistrictInfo], name: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(tr("シートから世帯を登録"))
        intro = QLabel(tr("このシートの世帯を新しく登録し、シートと結び付けます。"
                          "住所や家族は、あとで「世帯」の画面で入力できます。"))
        intro.setWordWrap(True)
        self.district = QComboBox()
        fill_district_combo(self.district, districts, empty_label=tr("（選んでください）"))
        self.name = QLineEdit(name)
        self.kana = QLineEdit()
        self.kana.setPlaceholderText(tr("例：ヤマダ タロウ"))
        form = QFormLayout()
        form.addRow(tr("地区"), self.district)
        form.addRow(tr("世帯主などの氏名"), self.name)
        form.addRow(tr("フリガナ"), self.kana)
        self.errors = ErrorLabel()
        buttons, _ = button_row(self, tr("登録する"), self._accept)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.errors)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)

    def _accept(self) -> None:
        if self.district.currentData() is None:
            self.errors.show_error(tr("地区を選んでください。"))
            return
        if not self.name.text().strip():
            self.errors.show_error(tr("氏名を入力してください。"))
            return
        self.accept()


class AssignSheetDialog(QDialog):
    """担当を決める: the staff member the sheet is handed on to."""

    def __init__(self, staff: list[StaffChoice], current: str | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(tr("シートの担当を決める"))
        intro = QLabel(tr("このシートを引き継いで対応する職員を選んでください。状況は変わりません。"))
        intro.setWordWrap(True)
        self.staff = QComboBox()
        self.staff.setAccessibleName(tr("担当"))
        self.staff.addItem(tr("（選んでください）"), None)
        for s in staff:
            self.staff.addItem(s.display_name, s.id)
        self.staff.setCurrentIndex(max(self.staff.findData(current), 0))
        form = QFormLayout()
        form.addRow(tr("担当"), self.staff)
        self.errors = ErrorLabel()
        buttons, _ = button_row(self, tr("担当にする"), self._accept)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.errors)
        layout.addWidget(buttons)
        self.setMinimumWidth(440)

    def _accept(self) -> None:
        if not self.staff.currentData():
            self.errors.show_error(tr("担当にする職員を選んでください。"))
            return
        self.accept()


def _value_label(text: str) -> QLabel:
    label = QLabel(text or tr("―"))
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class SheetDetailDialog(QDialog):
    """``changed(sheet_id)`` after anything on the sheet changed."""

    changed = Signal(str)

    def __init__(self, ctx: AppContext, sheet_id: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.sheet_id = sheet_id
        self.sheet: SheetInfo | None = None
        self.agencies: list[AgencyInfo] = []
        self.districts: list[DistrictInfo] = []
        self.referrals: list[ReferralInfo] = []
        self.staff: list[StaffChoice] = []
        self.case: CaseSummary | None = None
        self.case_detail = None
        self.coordinator = sees_all_households(ctx.role)
        self.status_buttons: dict[str, QPushButton] = {}
        self.sub_dialog: QDialog | None = None
        self.follower = follows_sheets(ctx.role)
        self.setWindowTitle(tr("把握シート"))

        self.heading = QLabel()
        self.heading.setStyleSheet("font-size: 15pt; font-weight: bold;")
        self.status_label = QLabel()
        self.status_label.setStyleSheet("font-size: 13pt; font-weight: bold; padding: 2px 10px;"
                                        " border: 1px solid #8a99a8; border-radius: 4px; background: #eef2f6;")
        head = QHBoxLayout()
        head.addWidget(self.heading, 1)
        head.addWidget(self.status_label)

        self.fields = QFormLayout()
        self.fields.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        fields_box = QGroupBox(tr("シートの内容"))
        fields_box.setLayout(self.fields)

        self.history = make_table(("日付", "状況", "変更した人", "つないだ先", "メモ"), (130, 80, 110, 170))
        self.history.setMinimumHeight(130)
        self.status_row = QHBoxLayout()
        history_box = QGroupBox(tr("対応の経過"))
        history_layout = QVBoxLayout(history_box)
        history_layout.addWidget(self.history)
        history_layout.addLayout(self.status_row)

        self.household_text = QLabel()
        self.household_text.setWordWrap(True)
        self.link_button = QPushButton(tr("登録済みの世帯と結び付ける…"))
        self.create_button = QPushButton(tr("この内容で世帯を登録…"))
        self.timeline_button = QPushButton(tr("世帯の経過を見る…"))
        self.link_button.clicked.connect(self.link)
        self.create_button.clicked.connect(self.create_household)
        self.timeline_button.clicked.connect(self.open_timeline)
        household_box = QGroupBox(tr("世帯"))
        household_layout = QHBoxLayout(household_box)
        household_layout.addWidget(self.household_text, 1)
        household_layout.addWidget(self.timeline_button)
        household_layout.addWidget(self.link_button)
        household_layout.addWidget(self.create_button)

        self.referral_table = make_table(("つないだ日", "世帯", "つなぎ先", "理由", "結果", "確認する日"),
                                         (100, 110, 180, 180, 120))
        self.referral_table.setMinimumHeight(90)
        set_empty_hint(self.referral_table, tr("まだどこにもつないでいません。関係機関へつないだら、"
                                               "「つなぎを記録…」を押してください。"))
        self.add_referral_button = QPushButton(tr("つなぎを記録…"))
        self.outcome_button = QPushButton(tr("結果を記録…"))
        self.add_referral_button.clicked.connect(self.add_referral)
        self.outcome_button.clicked.connect(self.record_outcome)
        self.assignee_text = QLabel()
        self.case_text = QLabel()
        self.case_text.setWordWrap(True)
        self.assign_button = QPushButton(tr("担当を決める…"))
        self.assign_button.clicked.connect(self.assign)
        self.assign_button.setVisible(self.coordinator)
        self.case_button = QPushButton(tr("ケース検討にかける…"))
        self.case_button.clicked.connect(self.to_case)
        case_box = QGroupBox(tr("担当と支援ケース"))
        case_layout = QHBoxLayout(case_box)
        texts = QVBoxLayout()
        texts.addWidget(self.assignee_text)
        texts.addWidget(self.case_text)
        case_layout.addLayout(texts, 1)
        case_layout.addWidget(self.assign_button)
        case_layout.addWidget(self.case_button)
        referral_box = QGroupBox(tr("つなぎ（関係機関への紹介）"))
        referral_layout = QVBoxLayout(referral_box)
        referral_layout.addWidget(self.referral_table)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.add_referral_button)
        row.addWidget(self.outcome_button)
        referral_layout.addLayout(row)

        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.addWidget(fields_box)
        body_layout.addWidget(history_box)
        body_layout.addWidget(household_box)
        body_layout.addWidget(case_box)
        body_layout.addWidget(referral_box)
        case_box.setVisible(self.follower)
        household_box.setVisible(self.follower)
        referral_box.setVisible(self.follower)
        scroll = scrolling(body)

        self.errors = ErrorLabel()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(tr("閉じる"))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.errors)
        layout.addWidget(buttons)
        fit_to_screen(self, QSize(900, 760), settings=ctx.ui_settings, key="sheet_detail")
        self.reload()

    # ---- loading ---------------------------------------------------------------------

    def reload(self) -> None:
        store, follower, sheet_id = self.ctx.store, self.follower, self.sheet_id

        def load():
            sheet = get_sheet(store, sheet_id)
            if not follower:  # a reporter reads their own sheet; agency names only for display
                return sheet, list_agencies(store), [], []
            referrals = list_referrals(store, sheet_id=sheet_id, limit=None)
            return sheet, list_agencies(store), list_districts(store), referrals, assignable_staff(store), \
                case_of_sheet(store, sheet_id)

        self.ctx.executor.submit(load, on_done=self._loaded, on_error=self.errors.show_error, owner=self)

    def _loaded(self, result) -> None:
        self.sheet, self.agencies, self.districts, self.referrals, *more = result
        self.staff, self.case = more if more else ([], None)
        self.errors.clear_error()
        s = self.sheet
        agency_names = {a.id: a.name for a in self.agencies}
        who = s.household_name or s.household_hint or tr("（世帯不明）")
        self.heading.setText(tr("{who}についてのシート", who=who))
        self.status_label.setText(tr("状況：{status}", status=s.status))

        while self.fields.rowCount():
            self.fields.removeRow(0)
        urgency = _value_label(tr(URGENCY_MARKS.get(s.urgency, s.urgency)))
        urgency.setStyleSheet(f"color: {URGENCY_COLOURS.get(s.urgency, '#000')}; font-weight: bold;")
        rows = [
            (tr("気づいた日"), _value_label(tr("{date}（{days}日前）", date=format_wareki(s.noticed_on),
                                             days=s.age_days(clock.today())) if s.age_days(clock.today())
                                          else tr("{date}（今日）", date=format_wareki(s.noticed_on)))),
            (tr("気づいた人"), _value_label("　".join(x for x in (s.noticed_by_name, s.section) if x))),
            (tr("気づいた場面"), _value_label(s.setting)),
            (tr("だれから聞いたか"), _value_label(s.source)),
            (tr("世帯"), _value_label(tr("{name} さんの世帯", name=s.household_name) if s.household_id else "")),
            (tr("世帯の手がかり"), _value_label(s.household_hint)),
            (tr("気になる方"), _value_label(s.person_of_concern)),
            (tr("気になること"), _value_label("・".join(s.concerns))),
            (tr("緊急度"), urgency),
            (tr("関わっている機関"), _value_label("、".join(agency_names.get(a, tr("（登録済みの機関）"))
                                                      for a in s.connected_agencies))),
            (tr("本人の意思"), _value_label(s.wish_for_help)),
            (tr("気になった様子"), _value_label(s.situation)),
            (tr("本人・世帯の強み"), _value_label(s.strengths)),
            (tr("支え手になれそうか"), self._supporter_row(s)),
            (tr("つなぎ先の案"), _value_label(s.suggested_handoff)),
        ]
        for label, widget in rows:
            self.fields.addRow(label, widget)

        fill_table(self.history, [(format_wareki(h.changed_on), h.status, h.by, h.agency, h.note) for h in s.history])

        while self.status_row.count():
            item = self.status_row.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.status_buttons = {}
        if self.follower:
            self.status_row.addWidget(QLabel(tr("状況を変える：")))
            for status in SHEET_TRANSITIONS.get(s.status, []):
                text = tr("開き直す（確認中に戻す）") if s.status == "終結" else tr(STATUS_VERBS.get(status, status))
                button = QPushButton(text)
                button.clicked.connect(lambda _c=False, st=status: self.change(st))
                self.status_row.addWidget(button)
                self.status_buttons[status] = button
            self.status_row.addStretch(1)
        else:
            note = QLabel(tr("このシートは地域福祉係が確認します。状況が変わると、ここに表示されます。"))
            note.setStyleSheet("color: #555;")
            self.status_row.addWidget(note)

        if s.household_id:
            self.household_text.setText(tr("{name} さんの世帯と結び付いています。", name=s.household_name))
        else:
            self.household_text.setText(tr("まだ世帯と結び付いていません。手がかり：{hint}",
                                           hint=s.household_hint or tr("なし")))
        self.link_button.setVisible(not s.household_id)
        self.create_button.setVisible(not s.household_id)
        self.timeline_button.setVisible(bool(s.household_id))
        names = {st.id: st.display_name for st in self.staff}
        self.assignee_text.setText(tr("担当：{who}", who=names.get(s.assignee_id, tr("（まだ決まっていません）"))
                                      if s.assignee_id else tr("（まだ決まっていません）")))
        if self.case is not None:
            self.case_text.setText(tr("このシートから支援ケースを開いています（状況：{status}）。", status=self.case.status))
            self.case_button.setText(tr("支援ケースを開く…"))
        else:
            self.case_text.setText(tr("まだケース検討にかけていません。世帯全体で支援を考えるときは「ケース検討にかける」を"
                                      "押すと、このシートから支援ケースを開きます。") if self.coordinator
                                   else tr("まだ支援ケースにはなっていません。"))
            self.case_button.setText(tr("ケース検討にかける…"))
        self.case_button.setVisible(self.case is not None or self.coordinator)
        fill_table(self.referral_table, [referral_row(r) for r in self.referrals], [r.id for r in self.referrals])
        self.outcome_button.setEnabled(bool(self.referrals))

    def _supporter_row(self, s: SheetInfo) -> QWidget:
        """The sheet's 「支え手になれそうか」, and when it says yes or maybe, 「担い手に登録…」
        (coordinators and admins keep the 担い手 register)."""
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(_value_label(s.possible_supporter), 1)
        self.supporter_button = QPushButton(tr("担い手に登録…"))
        self.supporter_button.setToolTip(tr("この方を地域の担い手として登録します（シートの内容を写します）"))
        self.supporter_button.setAutoDefault(False)
        self.supporter_button.clicked.connect(self.register_supporter)
        self.supporter_button.setVisible(manages_registers(self.ctx.role) and sheet_suggests_supporter(s.possible_supporter))
        line.addWidget(self.supporter_button, 0, Qt.AlignmentFlag.AlignTop)
        return row

    def register_supporter(self) -> None:
        from shakyo_desk.store.services.supporters import prefill_from_sheet
        from shakyo_desk.ui.supporter_dialog import SupporterDialog

        store, sheet_id = self.ctx.store, self.sheet_id

        def show(result) -> None:
            prefill, districts = result
            dialog = SupporterDialog(self.ctx, districts, prefill=prefill, parent=self)
            self.sub_dialog = dialog
            dialog.open()

        self.errors.clear_error()
        self.ctx.executor.submit(lambda: (prefill_from_sheet(store, sheet_id), list_districts(store)), on_done=show,
                                 on_error=self.errors.show_error, owner=self)

    # ---- actions -------------------------------------------------------------------------

    def open_timeline(self) -> None:
        s = self.sheet
        if s is not None and s.household_id:
            self.timeline = self.ctx.navigator.open_timeline(s.household_id, s.household_name, self)

    def _done(self, _result=None, *also: str) -> None:
        """After a change of the sheet (``also``: other kinds it wrote, e.g. a new household)."""
        self.changed.emit(self.sheet_id)
        for kind in (SHEET, *also):
            self.ctx.changed(kind)
        self.reload()

    def change(self, status: str) -> None:
        dialog = StatusDialog(self.sheet, status, self.agencies, self)
        self.sub_dialog = dialog
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        values = dialog.values()
        self.errors.clear_error()
        self.ctx.executor.submit(lambda: change_status(self.ctx.store, self.sheet_id, status, **values),
                                 on_done=self._done, on_error=self.errors.show_error, owner=self)

    def link(self) -> None:
        dialog = HouseholdPickDialog(self.ctx, self, title=tr("シートを世帯と結び付ける"))
        self.sub_dialog = dialog
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.choice is None:
            return
        self.ctx.executor.submit(link_household, self.ctx.store, self.sheet_id, dialog.choice.id,
                                 on_done=self._done, on_error=self.errors.show_error, owner=self)

    def create_household(self) -> None:
        s = self.sheet
        dialog = NewHouseholdFromSheetDialog(self.districts, s.person_of_concern if s else "", self)
        self.sub_dialog = dialog
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        args = (self.ctx.store, self.sheet_id, dialog.district.currentData(), dialog.name.text().strip(),
                dialog.kana.text().strip())
        self.ctx.executor.submit(create_household_from_sheet, *args, on_done=lambda r: self._done(r, HOUSEHOLD),
                                 on_error=self.errors.show_error, owner=self)

    def assign(self):
        dialog = AssignSheetDialog(self.staff, self.sheet.assignee_id if self.sheet else None, self)
        self.sub_dialog = dialog
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        staff_id = dialog.staff.currentData()
        self.ctx.executor.submit(assign_sheet, self.ctx.store, self.sheet_id, staff_id, on_done=self._done,
                                 on_error=self.errors.show_error, owner=self)
        return dialog

    def to_case(self):
        """The case already opened from this sheet, or a new one opened from it (the household first)."""
        s = self.sheet
        if self.case is not None:
            self.case_detail = self.ctx.navigator.open_case(self.case.id, self)
            return self.case_detail
        if s is None:
            return None
        if not s.household_id:
            self.errors.show_error(tr("支援ケースは世帯ごとに開きます。先に「登録済みの世帯と結び付ける」か"
                                      "「この内容で世帯を登録」で、シートを世帯と結び付けてください。"))
            return None

        def opened(case_id: str) -> None:
            self._done(None, CASE)
            self.case_detail = self.ctx.navigator.open_case(case_id, self)

        dialog = self.ctx.navigator.new_case(
            self, self.staff, self.agencies, household_id=s.household_id,
            household_label=tr("{name} さんの世帯", name=s.household_name), sheet_ids=(s.id,),
            assignee_id=s.assignee_id,  # the sheet's 担当, and the first agency already involved
            lead_agency_id=next(iter(s.connected_agencies), None))
        dialog.saved.connect(opened)
        self.sub_dialog = dialog
        dialog.open()
        return dialog

    def add_referral(self) -> None:
        s = self.sheet
        dialog = ReferralDialog(self.ctx, self.agencies, household_id=s.household_id, household_name=s.household_name,
                                sheet_id=s.id, parent=self)
        dialog.saved.connect(self._done)
        self.sub_dialog = dialog
        dialog.open()

    def record_outcome(self) -> None:
        referral_id = selected_id(self.referral_table) or (self.referrals[0].id if len(self.referrals) == 1 else None)
        referral = next((r for r in self.referrals if r.id == referral_id), None)
        if referral is None:
            self.errors.show_error(tr("一覧からつなぎを選んでください。"))
            return
        dialog = OutcomeDialog(self.ctx, referral, self)
        dialog.saved.connect(self._done)
        self.sub_dialog = dialog
        dialog.open()

    def reject(self) -> None:
        self.ctx.ui_settings.save_geometry("sheet_detail", self)
        super().reject()
