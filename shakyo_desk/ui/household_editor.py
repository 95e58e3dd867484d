"""Household editor (世帯の編集) and the small "new household" dialog.

Saving goes through ``save_household`` in the worker; an error is shown in
the dialog, which stays open with the user's input intact."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QDialog, QFormLayout, QHBoxLayout, QHeaderView,
    QLabel, QLineEdit, QPlainTextEdit, QPushButton, QSpinBox, QTableWidget, QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget,
)

from shakyo_desk.domain.vocab import HOUSEHOLD_FLAGS, HOUSING_TYPES, WATCH_LEVELS
from shakyo_desk.i18n import tr
from shakyo_desk.store.services.districts import DistrictInfo, list_districts
from shakyo_desk.store.services.households import HouseholdDetail, PersonInfo, get_household, save_household
from shakyo_desk.ui import dialogs
from shakyo_desk.ui.conflict_notice import show_household_conflicts
from shakyo_desk.ui.consent_widgets import ConsentSection, consents_of_detail, persons_of
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.dialogs import ErrorLabel, button_row
from shakyo_desk.ui.entry_form import EntryForm
from shakyo_desk.ui.events import HOUSEHOLD
from shakyo_desk.ui.household_ties import TiesSection
from shakyo_desk.ui.member_dialog import MemberDialog, birth_text
from shakyo_desk.ui.widgets import CheckList, fill_district_combo

MEMBER_COLUMNS = ("氏名", "フリガナ", "続柄", "性別", "生年月日", "特徴")
INTERVAL_UNITS = (("days", "日ごと"), ("weeks", "週ごと"), ("months", "か月ごと"))


def interval_parts(days: int | None, months: int | None) -> tuple[int, str]:
    """How to show a stored 見守り interval: months, whole weeks, or days."""
    if months:
        return months, "months"
    if days and days % 7 == 0:
        return days // 7, "weeks"
    return days or 0, "days"


def interval_fields(number: int, unit: str) -> dict:
    """What ``save_household`` stores: days (weeks become days) or months; the other is None."""
    if not number:
        return {"watch_interval_days": None, "watch_interval_months": None}
    if unit == "months":
        return {"watch_interval_days": None, "watch_interval_months": number}
    return {"watch_interval_days": number * 7 if unit == "weeks" else number, "watch_interval_months": None}


def member_dict(p: PersonInfo) -> dict:
    return {"id": p.id, "name": p.name, "kana": p.kana, "sex": p.sex, "birth_date": p.birth_date,
            "age_band": p.age_band, "relation": p.relation, "flags": list(p.flags), "roles": list(p.roles),
            "wishes": p.wishes, "notes": p.notes}


class HouseholdEditorDialog(EntryForm, QDialog):
    geometry_key = "household_editor"
    discard_title = "変更の破棄"
    discard_text = "保存していない変更があります。変更を捨てて閉じますか？"
    saved = Signal(str)

    def __init__(self, ctx: AppContext, detail: HouseholdDetail, districts: list[DistrictInfo],
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.detail = detail
        self.members: list[dict] = [member_dict(p) for p in detail.members]
        self._saving = False
        self.setWindowTitle(tr("世帯の編集（{code}）", code=detail.code))

        heading = QLabel(tr("{name} さんの世帯", name=detail.head_name) if detail.head_name else tr("世帯"))
        heading.setStyleSheet("font-size: 15pt; font-weight: bold;")
        code = QLabel(tr("世帯番号：{code}", code=detail.code))
        code.setStyleSheet("color: #555;")

        self.district = QComboBox()
        fill_district_combo(self.district, districts, empty_label=tr("（未設定）"), selected=detail.district_id)
        if detail.district_id and self.district.currentData() != detail.district_id:
            self.district.addItem(detail.district, detail.district_id)
            self.district.setCurrentIndex(self.district.count() - 1)
        self.address = QLineEdit(detail.address)
        self.phone = QLineEdit(detail.phone)
        self.phone.setPlaceholderText(tr("例：0267-00-0000"))
        self.housing = QComboBox()
        self.housing.addItem(tr("（未設定）"), "")
        for h in HOUSING_TYPES:
            self.housing.addItem(h, h)
        self.housing.setCurrentIndex(max(0, self.housing.findData(detail.housing_type)))
        self.commissioner = QLineEdit(detail.welfare_commissioner)
        self.commissioner.setPlaceholderText(tr("担当の民生委員の氏名"))
        self.watch_level = QComboBox()
        self.watch_level.addItems(WATCH_LEVELS)
        self.watch_level.setCurrentText(detail.watch_level or "なし")
        self.watch_interval = QSpinBox()
        self.watch_interval.setRange(0, 3650)
        self.watch_interval.setSpecialValueText(tr("未設定"))
        self.watch_unit = QComboBox()
        for unit, label in INTERVAL_UNITS:
            self.watch_unit.addItem(tr(label), unit)
        number, unit = interval_parts(detail.watch_interval_days, detail.watch_interval_months)
        self.watch_unit.setCurrentIndex(self.watch_unit.findData(unit))
        self.watch_interval.setValue(number)
        watch_row = QHBoxLayout()
        watch_row.addWidget(self.watch_level)
        watch_row.addWidget(QLabel(tr("間隔")))
        watch_row.addWidget(self.watch_interval)
        watch_row.addWidget(self.watch_unit)
        watch_row.addStretch(1)
        self.flags = CheckList(HOUSEHOLD_FLAGS, detail.flags)
        self.notes = QPlainTextEdit(detail.notes)
        self.notes.setFixedHeight(70)
        for widget, name in ((self.watch_level, tr("見守りの程度")), (self.watch_interval, tr("見守りの間隔")),
                             (self.watch_unit, tr("見守りの間隔の単位")), (self.flags, tr("世帯の特徴")),
                             (self.notes, tr("メモ"))):
            widget.setAccessibleName(name)  # for screen readers: their labels are not a form row's

        form = QFormLayout()
        form.addRow(tr("地区"), self.district)
        form.addRow(tr("住所"), self.address)
        form.addRow(tr("電話"), self.phone)
        form.addRow(tr("住まい"), self.housing)
        form.addRow(tr("民生委員"), self.commissioner)
        form.addRow(tr("見守りの程度"), watch_row)
        flags_box = QVBoxLayout()
        flags_box.addWidget(QLabel(tr("世帯の特徴")))
        flags_box.addWidget(self.flags)
        upper = QHBoxLayout()
        upper.addLayout(form, 3)
        upper.addLayout(flags_box, 2)

        self.table = QTableWidget(0, len(MEMBER_COLUMNS))
        self.table.setHorizontalHeaderLabels([tr(c) for c in MEMBER_COLUMNS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate((120, 140, 80, 60, 220)):
            self.table.setColumnWidth(column, width)
        self.table.doubleClicked.connect(lambda index: self.edit_member(index.row()))
        self.add_button = QPushButton(tr("世帯員を追加"))
        self.edit_button = QPushButton(tr("編集"))
        self.remove_button = QPushButton(tr("削除"))
        self.add_button.clicked.connect(self.add_member)
        self.edit_button.clicked.connect(lambda: self.edit_member(self.table.currentRow()))
        self.remove_button.clicked.connect(lambda: self.remove_member(self.table.currentRow()))
        member_buttons = QHBoxLayout()
        member_buttons.addWidget(self.add_button)
        member_buttons.addWidget(self.edit_button)
        member_buttons.addWidget(self.remove_button)
        member_buttons.addStretch(1)
        members_page = QWidget()
        members_layout = QVBoxLayout(members_page)
        members_layout.addWidget(self.table)
        members_layout.addLayout(member_buttons)
        self.consents = ConsentSection(ctx, detail.id, persons_of(detail), consents_of_detail(detail))
        members_group = QTabWidget()
        members_group.addTab(members_page, tr("世帯員"))
        members_group.addTab(self.consents, self.consents.count_text())
        self.consents.changed.connect(lambda: members_group.setTabText(1, self.consents.count_text()))
        self.ties = TiesSection(ctx, detail.id, tr("{name} さんの世帯", name=detail.head_name) if detail.head_name
                                else tr("この世帯"))
        members_group.addTab(self.ties, self.ties.count_text())
        self.ties.changed.connect(lambda: members_group.setTabText(2, self.ties.count_text()))
        self.member_tabs = members_group

        self.errors = ErrorLabel()
        self.buttons, self.save_button = button_row(self, tr("保存"), self.save, save=True, cancel_text=tr("閉じる"))
        self.timeline_button = QPushButton(tr("経過を見る"))
        self.timeline_button.setAutoDefault(False)
        self.timeline_button.clicked.connect(self.show_timeline)
        self.contact_button = QPushButton(tr("訪問記録を入力"))
        self.contact_button.setAutoDefault(False)
        self.contact_button.clicked.connect(self.new_contact)
        bottom_row = QHBoxLayout()
        bottom_row.addWidget(self.timeline_button)
        bottom_row.addWidget(self.contact_button)
        bottom_row.addStretch(1)
        bottom_row.addWidget(self.buttons)

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        title_row = QHBoxLayout()
        title_row.addWidget(heading)
        title_row.addStretch(1)
        title_row.addWidget(code)
        layout.addLayout(title_row)
        self.conflict_notice = QLabel(self)  # 要確認 of this household, filled from the worker
        layout.addWidget(self.conflict_notice)
        layout.addLayout(upper)
        layout.addWidget(members_group, 1)
        layout.addWidget(QLabel(tr("メモ")))
        layout.addWidget(self.notes)
        outer = QVBoxLayout(self)  # the form scrolls on a small screen; the buttons stay in view
        outer.addWidget(dialogs.scrolling(body), 1)
        outer.addWidget(self.errors)
        outer.addLayout(bottom_row)
        self._fill_members()
        self._snapshot = self._current()
        dialogs.fit_to_screen(self, QSize(920, 720), settings=ctx.ui_settings, key="household_editor")
        show_household_conflicts(ctx, detail.id, self.conflict_notice)

    # ---- values -----------------------------------------------------------------

    def fields(self) -> dict:
        return {
            "district_id": self.district.currentData(),
            "address": self.address.text().strip(),
            "phone": self.phone.text().strip(),
            "housing_type": self.housing.currentData() or "",
            "flags": self.flags.checked(),
            "welfare_commissioner": self.commissioner.text().strip(),
            "watch_level": self.watch_level.currentText(),
            **interval_fields(self.watch_interval.value(), self.watch_unit.currentData()),
            "notes": self.notes.toPlainText().strip(),
        }

    def _current(self) -> tuple:
        return (self.fields(), [dict(m) for m in self.members])

    def is_dirty(self) -> bool:
        return self._current() != self._snapshot

    # ---- field records ---------------------------------------------------------------

    def show_timeline(self) -> None:
        self.timeline = self.ctx.navigator.open_timeline(self.detail.id, self.detail.head_name, self)

    def new_contact(self) -> None:
        label = "　".join(x for x in (self.detail.head_name, self.detail.district, self.detail.address) if x)
        self.contact_entry = self.ctx.navigator.new_contact(self, self.detail.id, label)

    # ---- members -------------------------------------------------------------------

    def _fill_members(self) -> None:
        self.table.setRowCount(len(self.members))
        for row, m in enumerate(self.members):
            values = (m["name"], m["kana"], m["relation"], m["sex"], birth_text(m), "・".join(m["flags"]))
            for column, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(row, column, item)
        has = bool(self.members)
        self.edit_button.setEnabled(has)
        self.remove_button.setEnabled(len(self.members) > 1)

    def add_member(self) -> None:
        dialog = MemberDialog(None, self)
        dialog.setWindowTitle(tr("世帯員の追加"))
        if self.members:
            dialog.relation.setCurrentText("子")
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.members.append(dialog.value())
            self._fill_members()
            self.table.selectRow(len(self.members) - 1)

    def edit_member(self, row: int) -> None:
        if not 0 <= row < len(self.members):
            return
        dialog = MemberDialog(self.members[row], self)
        self.member_dialog = dialog
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.members[row] = dialog.value()
            self._fill_members()
            self.table.selectRow(row)

    def remove_member(self, row: int) -> None:
        if not 0 <= row < len(self.members):
            return
        if len(self.members) <= 1:
            self.errors.show_error(tr("世帯には少なくとも1人の世帯員が必要です。"))
            return
        name = self.members[row]["name"]
        if not dialogs.confirm(self, tr("世帯員の削除"),
                               tr("{name} さんを世帯員から外しますか？\n「保存」を押すまでは記録は変わりません。", name=name),
                               yes=tr("外す")):
            return
        del self.members[row]
        self._fill_members()

    # ---- saving and closing ---------------------------------------------------------

    def save(self) -> None:
        if self._saving:
            return
        self._set_saving(True)
        self.errors.clear_error()
        fields, members = self._current()
        self.ctx.executor.submit(save_household, self.ctx.store, self.detail.id, fields, members,
                                 self.detail.version, on_done=self._saved, on_error=self._failed, owner=self)

    def _saved(self, _result) -> None:
        self._set_saving(False)
        self._snapshot = self._current()
        self.ctx.ui_settings.save_geometry(self.geometry_key, self)
        self.saved.emit(self.detail.id)
        self.ctx.changed(HOUSEHOLD)
        self.accept()


def open_household_editor(ctx: AppContext, household_id: str, parent: QWidget, *,
                          districts: list[DistrictInfo] | None = None, consent_for: str | None = None,
                          on_opened: Callable[[HouseholdEditorDialog], None] | None = None,
                          on_error: Callable[[BaseException], None] | None = None) -> None:
    """Load the household (audited as viewed) and, unless given, the districts in the worker, then
    open its editor. ``consent_for``: a person's id — open on the consent tab, adding a consent."""
    store = ctx.store

    def load():
        return get_household(store, household_id), districts if districts is not None else list_districts(store)

    def show(result) -> None:
        detail, loaded = result
        editor = HouseholdEditorDialog(ctx, detail, loaded, parent=parent)
        if on_opened is not None:
            on_opened(editor)
        if consent_for is not None:
            editor.member_tabs.setCurrentWidget(editor.consents)
        editor.open()
        if consent_for is not None:
            editor.consents.add_consent(consent_for)

    ctx.executor.submit(load, on_done=show, on_error=on_error, owner=parent)


class NewHouseholdDialog(QDialog):
    """District and the first member's name; the editor opens right after."""

    submitted = Signal(dict)

    def __init__(self, districts: list[DistrictInfo], default_district: str | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(tr("新しい世帯"))
        intro = QLabel(tr("世帯主（または最初の世帯員）の氏名と地区を入力してください。"
                          "住所や家族は、このあと開く画面で入力できます。"))
        intro.setWordWrap(True)
        self.district = QComboBox()
        fill_district_combo(self.district, districts, empty_label=tr("（選んでください）"), selected=default_district)
        self.name = QLineEdit()
        self.kana = QLineEdit()
        self.kana.setPlaceholderText(tr("例：ヤマダ タロウ"))
        self.errors = ErrorLabel()
        if not districts:
            self.errors.show_error(tr("地区がまだ登録されていません。先に「地区」の画面で地区を登録してください"
                                      "（管理者・コーディネーターが登録できます）。"))
        buttons, _ = button_row(self, tr("登録して開く"), self._submit)
        form = QFormLayout()
        form.addRow(tr("地区"), self.district)
        form.addRow(tr("氏名"), self.name)
        form.addRow(tr("フリガナ"), self.kana)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.errors)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)
        self.name.setFocus(Qt.FocusReason.OtherFocusReason)

    def _submit(self) -> None:
        if self.district.currentData() is None:
            self.errors.show_error(tr("地区を選んでください。"))
            return
        if not self.name.text().strip():
            self.errors.show_error(tr("氏名を入力してください。"))
            return
        self.errors.clear_error()
        self.submitted.emit({"district_id": self.district.currentData(), "name": self.name.text().strip(),
                             "kana": self.kana.text().strip()})
