"""Sub-dialog for one household member (世帯員)."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, QSize, Qt
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDateEdit, QDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
    QPlainTextEdit, QVBoxLayout, QWidget,
)

from shakyo_desk.domain.people import AGE_BANDS, age_band
from shakyo_desk.domain.vocab import PERSON_FLAGS, PERSON_ROLES, RELATIONS, SEXES
from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.i18n import tr
from shakyo_desk.ui.appearance import fit_width_to_contents
from shakyo_desk.ui.dialogs import ErrorLabel, button_row, fit_to_screen, scrolling
from shakyo_desk.ui.widgets import CheckList
from shakyo_desk.domain import clock


def empty_member() -> dict:
    return {"name": "", "kana": "", "sex": "不明", "birth_date": None, "age_band": "", "relation": "本人",
            "flags": [], "roles": [], "wishes": "", "notes": ""}


def birth_text(member: dict, today: date | None = None) -> str:
    """生年月日 in 和暦 with the age band, or 不明 with the recorded band."""
    today = today or clock.today()
    born = member.get("birth_date")
    if born:
        return f"{format_wareki(born)}（{age_band(born, today)}）"
    band = member.get("age_band") or ""
    return tr("不明（{band}）", band=band) if band and band != "不明" else tr("不明")


class MemberDialog(QDialog):
    def __init__(self, member: dict | None = None, parent: QWidget | None = None, *, title: str | None = None):
        super().__init__(parent)
        self.member = dict(member or empty_member())
        self.setWindowTitle(title or (tr("世帯員の編集") if member else tr("世帯員の追加")))
        m = self.member
        self.name = QLineEdit(m.get("name", ""))
        self.kana = QLineEdit(m.get("kana", ""))
        self.kana.setPlaceholderText(tr("例：ヤマダ ハナコ"))
        self.sex = QComboBox()
        self.sex.addItems(SEXES)
        self.sex.setCurrentText(m.get("sex") or "不明")
        self.relation = QComboBox()
        self.relation.addItems(RELATIONS)
        self.relation.setCurrentText(m.get("relation") or "本人")

        self.birth = QDateEdit()
        self.birth.setCalendarPopup(True)
        self.birth.setDisplayFormat("yyyy/MM/dd")
        self.birth.setDateRange(QDate(1900, 1, 1), QDate.currentDate())
        born = m.get("birth_date")
        self.birth.setDate(QDate(born.year, born.month, born.day) if born else QDate(1950, 1, 1))
        self.unknown = QCheckBox(tr("不明（年代のみ）"))
        self.unknown.setChecked(born is None)
        self.band = QComboBox()
        self.band.addItems(AGE_BANDS)
        self.band.setCurrentText(m.get("age_band") or "不明")
        self.birth_hint = QLabel()
        birth_row = QHBoxLayout()
        birth_row.addWidget(self.birth)
        birth_row.addWidget(self.birth_hint, 1)
        band_row = QHBoxLayout()
        band_row.addWidget(self.unknown)
        band_row.addWidget(self.band)
        band_row.addStretch(1)

        self.flags = CheckList(PERSON_FLAGS, m.get("flags", ()))
        self.flags.fit_height(len(PERSON_FLAGS))
        self.roles = CheckList(PERSON_ROLES, m.get("roles", ()))
        self.roles.fit_height(len(PERSON_FLAGS))
        lists = QHBoxLayout()
        for label, widget in ((tr("本人の特徴"), self.flags), (tr("地域での役割"), self.roles)):
            box = QVBoxLayout()
            box.addWidget(QLabel(label))
            box.addWidget(widget)
            box.addStretch(1)
            lists.addLayout(box)
        self.wishes = QPlainTextEdit(m.get("wishes", ""))
        self.wishes.setPlaceholderText(tr("本人のことばで。例：「できるだけ家で暮らしたい」"))
        self.wishes.setFixedHeight(70)
        self.notes = QPlainTextEdit(m.get("notes", ""))
        self.notes.setFixedHeight(60)
        self.errors = ErrorLabel()

        form = QFormLayout()
        form.addRow(tr("氏名（必須）"), self.name)
        form.addRow(tr("フリガナ"), self.kana)
        form.addRow(tr("続柄"), self.relation)
        form.addRow(tr("性別"), self.sex)
        form.addRow(tr("生年月日"), birth_row)
        form.addRow("", band_row)
        buttons, _ = button_row(self, None, self._accept)
        for widget, name in ((self.birth, tr("生年月日")), (self.band, tr("年代")), (self.flags, tr("本人の特徴")),
                             (self.roles, tr("地域での役割")), (self.wishes, tr("本人の意向")), (self.notes, tr("メモ"))):
            widget.setAccessibleName(name)  # for screen readers: their labels are not a form row's
        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        body_layout.addLayout(form)
        body_layout.addLayout(lists)
        body_layout.addWidget(QLabel(tr("本人の意向")))
        body_layout.addWidget(self.wishes)
        body_layout.addWidget(QLabel(tr("メモ")))
        body_layout.addWidget(self.notes)
        scroll = scrolling(body)  # a small laptop screen at a large text size: the form scrolls
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        fit_width_to_contents(scroll)
        scroll.setMinimumHeight(min(body.sizeHint().height(), 360))
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.errors)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)
        fit_to_screen(self, QSize(self.width(), body.sizeHint().height() + buttons.sizeHint().height() + 40))

        self.unknown.toggled.connect(self._sync_birth)
        self.birth.dateChanged.connect(self._sync_birth)
        self._sync_birth()

    def _sync_birth(self) -> None:
        unknown = self.unknown.isChecked()
        self.birth.setEnabled(not unknown)
        self.band.setEnabled(unknown)
        if unknown:
            self.birth_hint.setText("")
        else:
            d = self.birth.date()
            born = date(d.year(), d.month(), d.day())
            self.birth_hint.setText(f"{format_wareki(born)}・{age_band(born, clock.today())}")

    def value(self) -> dict:
        d = self.birth.date()
        unknown = self.unknown.isChecked()
        result = dict(self.member)
        result.update({
            "name": self.name.text().strip(),
            "kana": self.kana.text().strip(),
            "sex": self.sex.currentText(),
            "relation": self.relation.currentText(),
            "birth_date": None if unknown else date(d.year(), d.month(), d.day()),
            "age_band": self.band.currentText() if unknown else "",
            "flags": self.flags.checked(),
            "roles": self.roles.checked(),
            "wishes": self.wishes.toPlainText().strip(),
            "notes": self.notes.toPlainText().strip(),
        })
        return result

    def _accept(self) -> None:
        if not self.name.text().strip():
            self.errors.show_error(tr("氏名を入力してください。"))
            self.name.setFocus()
            return
        self.accept()
