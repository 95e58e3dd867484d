"""Add or edit one 担い手 (issue 19): name, district (or the whole council), what they can do,
consent to be contacted, what they do now. Opened from the 担い手 tab of the 地域 page and, pre-
filled, from a 把握シート whose 「支え手になれそうか」 says yes or maybe."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QFormLayout, QLabel, QLineEdit, QPlainTextEdit, QVBoxLayout,
    QWidget,
)

from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.i18n import tr
from shakyo_desk.store.services.districts import DistrictInfo
from shakyo_desk.store.services.supporters import SheetPrefill, SupporterInfo, add_supporter, update_supporter
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.date_field import DateField
from shakyo_desk.ui.dialogs import ErrorLabel, button_row, fit_to_screen
from shakyo_desk.ui.events import COMMUNITY
from shakyo_desk.ui.widgets import fill_district_combo


class SupporterDialog(QDialog):
    """``info``: edit that supporter; ``prefill``: a new one from a sheet (linked to it)."""

    saved = Signal(str)

    def __init__(self, ctx: AppContext, districts: list[DistrictInfo], *, info: SupporterInfo | None = None,
                 prefill: SheetPrefill | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.info = info
        self.prefill = prefill
        self.setWindowTitle(tr("担い手の編集") if info else tr("担い手の登録"))
        self.name = QLineEdit()
        self.kana = QLineEdit()
        self.kana.setPlaceholderText(tr("例：タナカ カズオ"))
        self.district = QComboBox()
        fill_district_combo(self.district, districts, empty_label=tr("（社協全体）"))
        self.can_do = QPlainTextEdit()
        self.can_do.setPlaceholderText(tr("例：朝の声かけ、買い物の送迎（週1回）、ごみ出し"))
        self.can_do.setFixedHeight(70)
        self.can_do.setTabChangesFocus(True)
        self.consent = QCheckBox(tr("社協から連絡することに同意している(&C)"))
        self.current_role = QLineEdit()
        self.current_role.setPlaceholderText(tr("例：サロン「ひだまり」の世話役"))
        self.since = DateField(optional=True, allow_future=False, placeholder=tr("例：2024/4/1"))
        self.since.setAccessibleName(tr("担い手になった日"))
        form = QFormLayout()
        form.addRow(tr("名前(&N)＊"), self.name)
        form.addRow(tr("フリガナ(&F)"), self.kana)
        form.addRow(tr("地区(&A)"), self.district)
        form.addRow(tr("できること(&D)"), self.can_do)
        form.addRow("", self.consent)
        form.addRow(tr("いまの役割(&R)"), self.current_role)
        form.addRow(tr("担い手になった日"), self.since)
        self.origin = QLabel()
        self.origin.setWordWrap(True)
        self.origin.setStyleSheet("color: #555;")
        self.errors = ErrorLabel()
        buttons, self.save_button = button_row(self, tr("保存する"), self.save, save=True, cancel_text=tr("閉じる"))
        layout = QVBoxLayout(self)
        layout.addWidget(self.origin)
        layout.addLayout(form)
        layout.addStretch(1)
        layout.addWidget(self.errors)
        layout.addWidget(buttons)
        if info is not None:
            self.name.setText(info.name)
            self.kana.setText(info.kana)
            self.district.setCurrentIndex(max(0, self.district.findData(info.district_id)))
            self.can_do.setPlainText(info.can_do)
            self.consent.setChecked(info.contact_consent)
            self.current_role.setText(info.current_role)
            self.since.set_date(info.since)
        elif prefill is not None:
            self.name.setText(prefill.name)
            self.kana.setText(prefill.kana)
            self.district.setCurrentIndex(max(0, self.district.findData(prefill.district_id)))
            self.can_do.setPlainText(prefill.can_do)
            self.origin.setText(tr("把握シートの「支え手になれそうか」から登録します。連絡の同意は、本人に確かめてから"
                                   "チェックしてください。"))
        self.origin.setVisible(bool(self.origin.text()))
        fit_to_screen(self, QSize(600, 460), settings=ctx.ui_settings, key="supporter_dialog")
        self.name.setFocus(Qt.FocusReason.OtherFocusReason)

    def values(self) -> dict:
        return {"name": self.name.text(), "kana": self.kana.text(), "district_id": self.district.currentData(),
                "can_do": self.can_do.toPlainText(), "contact_consent": self.consent.isChecked(),
                "current_role": self.current_role.text(), "since": self.since.checked_date(tr("担い手になった日"))}

    def save(self) -> None:
        self.errors.clear_error()
        try:
            values = self.values()
        except InvalidInput as error:
            self.errors.show_error(error)
            return
        store, info, prefill = self.ctx.store, self.info, self.prefill
        if info is not None:
            def work():
                update_supporter(store, info.id, **values)
                return info.id
        else:
            links = {"person_id": prefill.person_id, "sheet_id": prefill.sheet_id} if prefill else {}

            def work():
                return add_supporter(store, **values, **links)
        self.save_button.setEnabled(False)
        self.ctx.executor.submit(work, on_done=self._saved, on_error=self._failed, owner=self)

    def _saved(self, supporter_id: str) -> None:
        self.save_button.setEnabled(True)
        self.ctx.ui_settings.save_geometry("supporter_dialog", self)
        self.saved.emit(supporter_id)
        self.ctx.changed(COMMUNITY)
        self.accept()

    def _failed(self, error) -> None:
        self.save_button.setEnabled(True)
        self.errors.show_error(error)
