"""関係機関 page (admin, coordinator): the agency directory referrals point to."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QVBoxLayout,
    QWidget,
)

from shakyo_desk.domain.vocab import AGENCY_FIELDS
from shakyo_desk.i18n import tr
from shakyo_desk.store.services.agencies import AgencyInfo, add_agency, list_agencies, update_agency
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.dialogs import ErrorLabel
from shakyo_desk.ui.events import REGISTER, keep_fresh, on
from shakyo_desk.ui.empty_state import set_empty_hint
from shakyo_desk.ui.widgets import Column, fill_table, make_table, selected_id

COLUMNS = ("機関名", "分野", "電話", "担当・連絡先", "できること")
# The name and the phone stay; the contact person, then the field give way before できること.
FIT = (Column("地域包括支援センター", 230), Column("子ども・子育て", 80, drop=2), Column("090-0000-0000", 120),
       Column("主任ケアマネ 山本さん", 150, drop=3), Column("高齢者の総合相談", 150, stretch=True, drop=1))


class AgenciesPage(QWidget):
    refresh_on = on(REGISTER)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        keep_fresh(self, ctx.events, self.refresh_on)
        self.agencies: list[AgencyInfo] = []
        self.editing: str | None = None
        title = QLabel(tr("関係機関"))
        title.setStyleSheet("font-size: 15pt; font-weight: bold;")
        intro = QLabel(tr("つなぎ先になる関係機関（地域包括支援センター、役場の担当課、まいさぽ など）を登録します。"
                          "一覧の行を選ぶと、右で内容を直せます。"))
        intro.setWordWrap(True)
        self.table = make_table(COLUMNS, fit=FIT)
        self.table.currentCellChanged.connect(lambda *_a: self._selected())
        set_empty_hint(self.table, tr("まだ関係機関が登録されていません。右の欄に機関名などを入力して、"
                                      "「追加」を押してください。"))

        self.name = QLineEdit()
        self.kana = QLineEdit()
        self.kana.setPlaceholderText(tr("例：ちいきほうかつしえんせんたー"))
        self.field = QComboBox()
        self.field.addItem(tr("（選んでください）"), "")
        for f in AGENCY_FIELDS:
            self.field.addItem(f, f)
        self.contact = QLineEdit()
        self.contact.setPlaceholderText(tr("例：主任ケアマネ 山本さん"))
        self.phone = QLineEdit()
        self.phone.setPlaceholderText(tr("例：0267-00-0000"))
        self.services = QPlainTextEdit()
        self.services.setPlaceholderText(tr("例：介護保険の申請、高齢者の総合相談"))
        self.services.setFixedHeight(90)
        self.form_box = QGroupBox(tr("関係機関を追加"))
        form = QFormLayout(self.form_box)
        form.addRow(tr("機関名＊"), self.name)
        form.addRow(tr("ふりがな"), self.kana)
        form.addRow(tr("分野"), self.field)
        form.addRow(tr("担当・連絡先"), self.contact)
        form.addRow(tr("電話"), self.phone)
        form.addRow(tr("できること"), self.services)
        self.save_button = QPushButton(tr("追加"))
        self.save_button.clicked.connect(self.save)
        self.new_button = QPushButton(tr("新しく追加する"))
        self.new_button.clicked.connect(self.clear_form)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        form.addRow(buttons)
        self.errors = ErrorLabel()
        side = QVBoxLayout()
        side.addWidget(self.form_box)
        side.addWidget(self.errors)
        side.addStretch(1)
        body = QHBoxLayout()
        body.addWidget(self.table, 3)
        body.addLayout(side, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addLayout(body, 1)
        self.clear_form()

    def refresh(self) -> None:
        self.ctx.executor.submit(list_agencies, self.ctx.store, on_done=self._loaded,
                                 on_error=self.errors.show_error, owner=self)

    def _loaded(self, agencies: list[AgencyInfo]) -> None:
        self.agencies = agencies
        self.table.blockSignals(True)
        fill_table(self.table, [(a.name, a.field, a.phone, a.contact, a.services) for a in agencies],
                   [a.id for a in agencies])
        for row, a in enumerate(agencies):
            if a.kana:
                self.table.item(row, 0).setToolTip(f"{a.name}（{a.kana}）")
        self.table.clearSelection()
        self.table.setCurrentCell(-1, -1)
        self.table.blockSignals(False)

    def _selected(self) -> None:
        agency_id = selected_id(self.table)
        agency = next((a for a in self.agencies if a.id == agency_id), None)
        if agency is None:
            return
        self.editing = agency.id
        self.name.setText(agency.name)
        self.kana.setText(agency.kana)
        self.field.setCurrentIndex(max(0, self.field.findData(agency.field)))
        self.contact.setText(agency.contact)
        self.phone.setText(agency.phone)
        self.services.setPlainText(agency.services)
        self.form_box.setTitle(tr("「{name}」を編集", name=agency.name))
        self.save_button.setText(tr("変更を保存"))
        self.errors.clear_error()

    def clear_form(self) -> None:
        self.editing = None
        for edit in (self.name, self.kana, self.contact, self.phone):
            edit.clear()
        self.services.clear()
        self.field.setCurrentIndex(0)
        self.form_box.setTitle(tr("関係機関を追加"))
        self.save_button.setText(tr("追加"))
        self.table.clearSelection()

    def values(self) -> dict:
        return {"name": self.name.text(), "kana": self.kana.text(), "field": self.field.currentData() or "",
                "contact": self.contact.text(), "phone": self.phone.text(), "services": self.services.toPlainText()}

    def save(self) -> None:
        self.errors.clear_error()
        values, editing, store = self.values(), self.editing, self.ctx.store
        if editing:
            work = lambda: update_agency(store, editing, **values)  # noqa: E731
        else:
            work = lambda: add_agency(store, values.pop("name"), **values)  # noqa: E731

        def done(_result) -> None:
            self.clear_form()
            self.ctx.changed(REGISTER)

        self.ctx.executor.submit(work, on_done=done, on_error=self.errors.show_error, owner=self)
