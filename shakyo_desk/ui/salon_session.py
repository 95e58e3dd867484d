"""開催記録: one salon session — date, activities, helpers, attendance by large
checkboxes, unnamed attendees, newcomers met on the day and remarks heard.

Made so that thirty regulars are entered in well under a minute:
- the regulars are a grid of large checkboxes in kana order (read down the
  columns); a click anywhere on a name toggles it;
- keyboard: arrow keys move between names, Space ticks, and typing a name's
  reading (かな, カナ or romaji) in 「名前で探す」 jumps to it — Enter ticks it and
  clears the field for the next name;
- 「全員チェック」 then untick the few who were absent.
In correction mode (a past session) only the attendance and the unnamed count
can change (``update_attendance``)."""

from __future__ import annotations

import re

import jaconv
from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QFormLayout, QFrame, QGridLayout, QGroupBox, QHBoxLayout,
    QLabel, QLineEdit, QPushButton, QScrollArea, QSpinBox, QVBoxLayout, QWidget,
)

from shakyo_desk.domain.text import fold
from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.i18n import tr
from shakyo_desk.store.services.salons import Regular, SalonInfo, SessionInfo, record_session, update_attendance
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.dialogs import ErrorLabel, button_row, fit_to_screen, scrolling
from shakyo_desk.ui.date_field import DateField
from shakyo_desk.ui.entry_form import EntryForm
from shakyo_desk.ui.events import HOUSEHOLD, SALON

GRID_COLUMNS = 4
_UNFINISHED_SYLLABLE = re.compile(r"[bcdfghjklmpqrstvwxyz]+$")  # "kob" is こ and the start of ば

CHECK_STYLE = """
QCheckBox { font-size: 13pt; padding: 6px 8px; border: 1px solid #c8d0d8; border-radius: 6px; background: #ffffff; }
QCheckBox:checked { background: #dff0e0; border: 2px solid #2f6b3a; font-weight: bold; }
QCheckBox:focus { border: 2px solid #1a5fb4; }
QCheckBox[match="true"] { border: 2px dashed #1a5fb4; }
QCheckBox::indicator { width: 24px; height: 24px; }
"""


def reading_keys(query: str) -> list[str]:
    """What a typed query may mean: kana as typed, or romaji turned into kana."""
    folded = fold(query)
    if not folded:
        return []
    keys = [folded]
    if folded.isascii():
        kana = jaconv.alphabet2kana(_UNFINISHED_SYLLABLE.sub("", folded))
        if kana and kana != folded:
            keys.append(fold(kana))
    return keys


def matches(regular: Regular, keys: list[str]) -> bool:
    if not keys:
        return False
    reading, name = fold(regular.kana), fold(regular.name)
    return any(reading.startswith(k) or name.startswith(k) for k in keys)


class PersonCheck(QCheckBox):
    def __init__(self, regular: Regular, parent: QWidget | None = None):
        super().__init__(regular.name, parent)
        self.regular = regular
        self.setToolTip(regular.kana)
        self.setMinimumHeight(44)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def hitButton(self, pos) -> bool:  # noqa: N802 - the whole box is the target, not only the small square
        return self.rect().contains(pos)


class NewcomerRow(QWidget):
    removed = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.name = QLineEdit()
        self.name.setPlaceholderText(tr("氏名"))
        self.name.setAccessibleName(tr("初めての方の氏名"))
        self.kana = QLineEdit()
        self.kana.setPlaceholderText(tr("フリガナ"))
        self.kana.setAccessibleName(tr("初めての方のフリガナ"))
        remove = QPushButton(tr("取り消す"))
        remove.clicked.connect(lambda: self.removed.emit(self))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.name, 3)
        layout.addWidget(self.kana, 3)
        layout.addWidget(remove)

    def value(self) -> dict:
        return {"name": self.name.text().strip(), "kana": self.kana.text().strip()}


class RemarkRow(QWidget):
    removed = Signal(object)

    def __init__(self, people: list[Regular], parent: QWidget | None = None):
        super().__init__(parent)
        self.text = QLineEdit()
        self.text.setPlaceholderText(tr("聞いたことをそのまま（例：最近、夜に眠れないと話していた）"))
        self.text.setAccessibleName(tr("つぶやき"))
        self.person = QComboBox()
        self.person.setAccessibleName(tr("つぶやいた方"))
        self.person.addItem(tr("（どなたか選ばない）"), None)
        for p in people:
            self.person.addItem(p.name, p.person_id)
        self.person.setMinimumWidth(160)
        remove = QPushButton(tr("取り消す"))
        remove.clicked.connect(lambda: self.removed.emit(self))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.person)
        layout.addWidget(remove)

    def value(self) -> dict:
        return {"text": self.text.text().strip(), "person_id": self.person.currentData()}


class SalonSessionDialog(EntryForm, QDialog):
    """``saved(session_id)`` once the session (or its correction) is stored."""

    geometry_key = "salon_session"

    saved = Signal(str)

    def __init__(self, ctx: AppContext, salon: SalonInfo, regulars: list[Regular], session: SessionInfo | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.salon = salon
        self.session = session
        self.correcting = session is not None
        self.regulars = sorted(regulars, key=lambda r: (fold(r.kana) or fold(r.name), r.name))
        self.checks: list[PersonCheck] = []
        self.newcomer_rows: list[NewcomerRow] = []
        self.remark_rows: list[RemarkRow] = []
        self._saving = False
        self._match: PersonCheck | None = None
        self.setWindowTitle(tr("開催記録の修正") if self.correcting else tr("開催記録の入力"))

        heading = QLabel(tr("{name}　開催記録の修正", name=salon.name) if self.correcting
                         else tr("{name}　開催記録", name=salon.name))
        heading.setStyleSheet("font-size: 15pt; font-weight: bold;")
        place = QLabel("　".join(x for x in (salon.district, salon.venue) if x))
        place.setStyleSheet("color: #555;")
        head = QHBoxLayout()
        head.addWidget(heading)
        head.addStretch(1)
        head.addWidget(place)

        # the day
        self.session_date = DateField(session.session_date if session else None, allow_future=False)
        self.activities = QLineEdit(session.activities if session else "")
        self.activities.setPlaceholderText(tr("例：体操、お茶会、健康相談"))
        self.helpers = QLineEdit(session.helpers if session else "")
        self.helpers.setPlaceholderText(tr("例：世話人 佐藤さん、民生委員 鈴木さん"))
        day_form = QFormLayout()
        day_form.addRow(tr("開催日"), self.session_date)
        day_form.addRow(tr("活動内容"), self.activities)
        day_form.addRow(tr("世話人・協力者"), self.helpers)
        for widget in (self.session_date, self.activities, self.helpers):
            widget.setEnabled(not self.correcting)

        # attendance grid
        self.find = QLineEdit()
        self.find.setPlaceholderText(tr("名前で探す（よみの最初の数文字 → Enterでチェック）"))
        self.find.setClearButtonEnabled(True)
        self.find.setMinimumWidth(320)
        self.find.textChanged.connect(self._find_changed)
        self.find.installEventFilter(self)
        self.all_button = QPushButton(tr("全員チェック"))
        self.none_button = QPushButton(tr("全員外す"))
        self.all_button.clicked.connect(lambda: self.set_all(True))
        self.none_button.clicked.connect(lambda: self.set_all(False))
        tools = QHBoxLayout()
        tools.addWidget(self.find, 1)
        tools.addWidget(self.all_button)
        tools.addWidget(self.none_button)

        grid_widget = QWidget()
        grid_widget.setStyleSheet(CHECK_STYLE)
        self.grid = QGridLayout(grid_widget)
        self.grid.setSpacing(6)
        rows = max(1, -(-len(self.regulars) // GRID_COLUMNS))
        attended = set(session.attendee_ids) if session else set()
        for i, regular in enumerate(self.regulars):
            check = PersonCheck(regular)
            check.setChecked(regular.person_id in attended)
            check.toggled.connect(self.update_total)
            check.installEventFilter(self)
            self.grid.addWidget(check, i % rows, i // rows)  # down the columns, like a printed list
            self.checks.append(check)
        for column in range(GRID_COLUMNS):
            self.grid.setColumnStretch(column, 1)
        self.grid.setRowStretch(rows, 1)
        scroll = QScrollArea()
        scroll.setWidget(grid_widget)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setMinimumHeight(min(rows, 4) * 50 + 10)  # taller where the screen has room (stretch)
        self.grid_scroll = scroll
        attendance_box = QGroupBox(tr("参加された常連の方（{n}人）にチェック", n=len(self.regulars)))
        attendance_layout = QVBoxLayout(attendance_box)
        attendance_layout.addLayout(tools)
        if self.regulars:
            attendance_layout.addWidget(scroll, 1)
        else:
            empty = QLabel(tr("このサロンには常連の方がまだ登録されていません。"
                              "初めての方は下の「初めて参加された方」に入力すると、次回から一覧に出ます。"))
            empty.setWordWrap(True)
            empty.setStyleSheet("color: #555; padding: 10px;")
            attendance_layout.addWidget(empty)
        self.others = set(attended) - {r.person_id for r in self.regulars}
        if self.others:
            note = QLabel(tr("このほか、常連の一覧にない方 {n}人の出席が記録されています（そのまま残ります）。",
                             n=len(self.others)))
            note.setStyleSheet("color: #555;")
            attendance_layout.addWidget(note)

        # unnamed attendees
        self.unnamed = QSpinBox()
        self.unnamed.setRange(0, 500)
        self.unnamed.setSuffix(tr(" 人"))
        self.unnamed.setMinimumWidth(110)
        self.unnamed.setStyleSheet("QSpinBox { font-size: 13pt; padding: 4px; }")
        self.unnamed.setValue(session.unnamed_count if session else 0)
        self.unnamed.setAccessibleName(tr("名前を記録しない参加者"))
        self.unnamed.valueChanged.connect(self.update_total)
        unnamed_row = QHBoxLayout()
        unnamed_row.addWidget(QLabel(tr("名前を記録しない参加者")))
        unnamed_row.addWidget(self.unnamed)
        hint = QLabel(tr("（見学の方、名前を残したくない方など）"))
        hint.setStyleSheet("color: #555;")
        unnamed_row.addWidget(hint)
        unnamed_row.addStretch(1)

        # newcomers and remarks
        self.newcomer_layout = QVBoxLayout()
        self.add_newcomer_button = QPushButton(tr("初めての方を追加"))
        self.add_newcomer_button.clicked.connect(lambda: self.add_newcomer())
        newcomer_box = QGroupBox(tr("初めて参加された方"))
        newcomer_outer = QVBoxLayout(newcomer_box)
        newcomer_hint = QLabel(tr("保存すると、このサロンの地区に新しい世帯として登録され、常連の一覧に加わります。"))
        newcomer_hint.setStyleSheet("color: #555;")
        newcomer_hint.setWordWrap(True)
        newcomer_outer.addWidget(newcomer_hint)
        newcomer_outer.addLayout(self.newcomer_layout)
        newcomer_outer.addWidget(self.add_newcomer_button, 0, Qt.AlignmentFlag.AlignLeft)

        self.remark_layout = QVBoxLayout()
        self.add_remark_button = QPushButton(tr("つぶやきを追加"))
        self.add_remark_button.clicked.connect(lambda: self.add_remark())
        remark_box = QGroupBox(tr("聞こえてきたつぶやき"))
        remark_outer = QVBoxLayout(remark_box)
        remark_outer.addLayout(self.remark_layout)
        remark_outer.addWidget(self.add_remark_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.notes = QLineEdit(session.notes if session else "")
        self.notes.setPlaceholderText(tr("メモ（会場のこと、次回の連絡など）"))
        self.notes.setAccessibleName(tr("メモ"))
        self.notes.setEnabled(not self.correcting)
        lower = QHBoxLayout()
        lower.addWidget(newcomer_box, 2)
        lower.addWidget(remark_box, 3)
        newcomer_box.setVisible(not self.correcting)
        remark_box.setVisible(not self.correcting)

        # total and buttons
        self.total = QLabel()
        self.total.setStyleSheet("font-size: 14pt; font-weight: bold; color: #1a3d5c;")
        self.errors = ErrorLabel()
        self.buttons, self.save_button = button_row(
            self, tr("出欠の修正を保存") if self.correcting else tr("記録する"), self.save, save=True,
            cancel_text=tr("閉じる"))
        for button in self.buttons.buttons():  # Enter in a field must not save half a record
            button.setAutoDefault(False)
            button.setDefault(False)
        bottom = QHBoxLayout()
        bottom.addWidget(self.total, 1)
        bottom.addWidget(self.buttons)

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        if self.correcting:
            note = QLabel(tr("出欠と、名前を記録しない参加者の人数を直せます。つぶやきは「サロン」の画面から把握シートにできます。"))
            note.setWordWrap(True)
            note.setStyleSheet("color: #555;")
            layout.addWidget(note)
        layout.addLayout(day_form)
        layout.addWidget(attendance_box, 1)
        layout.addLayout(unnamed_row)
        layout.addLayout(lower)
        if not self.correcting:
            layout.addWidget(self.notes)
        outer = QVBoxLayout(self)  # the form scrolls on a small screen; the total and buttons stay
        outer.addWidget(scrolling(body), 1)
        outer.addWidget(self.errors)
        outer.addLayout(bottom)
        fit_to_screen(self, QSize(1100, 740 if not self.correcting else 680), settings=ctx.ui_settings,
                      key="salon_session")
        self.update_total()
        self._snapshot = self.values()
        (self.checks[0] if self.checks else self.activities).setFocus(Qt.FocusReason.OtherFocusReason)

    # ---- attendance -----------------------------------------------------------------

    def attendee_ids(self) -> list[str]:
        ticked = [c.regular.person_id for c in self.checks if c.isChecked()]
        return ticked + sorted(self.others)

    def newcomers(self) -> list[dict]:
        return [v for v in (row.value() for row in self.newcomer_rows) if v["name"]]

    def remarks(self) -> list[dict]:
        return [v for v in (row.value() for row in self.remark_rows) if v["text"]]

    def counts(self) -> tuple[int, int, int]:
        named = len(self.attendee_ids()) + len(self.newcomers())
        others = self.unnamed.value()
        return named + others, named, others

    def update_total(self, *_args) -> None:
        total, named, others = self.counts()
        self.total.setText(tr("参加 {n}人（名前あり {m}人＋その他 {k}人）", n=total, m=named, k=others))

    def set_all(self, checked: bool) -> None:
        for check in self.checks:
            check.blockSignals(True)
            check.setChecked(checked)
            check.blockSignals(False)
        self.update_total()

    def _set_match(self, check: PersonCheck | None) -> None:
        if self._match is not None:
            self._match.setProperty("match", False)
            self._match.style().unpolish(self._match)
            self._match.style().polish(self._match)
        self._match = check
        if check is not None:
            check.setProperty("match", True)
            check.style().unpolish(check)
            check.style().polish(check)
            self.grid_scroll.ensureWidgetVisible(check)

    def _find_changed(self, text: str) -> None:
        keys = reading_keys(text)
        self._set_match(next((c for c in self.checks if matches(c.regular, keys)), None))

    def jump_to(self, text: str) -> PersonCheck | None:
        """Type-to-jump: the first regular whose reading starts with ``text``."""
        self.find.setText(text)
        return self._match

    def _move(self, check: PersonCheck, key: int) -> None:
        i = self.checks.index(check)
        rows = max(1, -(-len(self.checks) // GRID_COLUMNS))
        step = {Qt.Key.Key_Down: 1, Qt.Key.Key_Up: -1, Qt.Key.Key_Right: rows, Qt.Key.Key_Left: -rows}[key]
        j = i + step
        if 0 <= j < len(self.checks):
            self.checks[j].setFocus(Qt.FocusReason.OtherFocusReason)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() != QEvent.Type.KeyPress:
            return super().eventFilter(watched, event)
        key = event.key()
        if watched is self.find:
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                if self._match is not None:
                    self._match.setChecked(not self._match.isChecked())
                    self.find.clear()
                return True  # never the dialog's default button
            if key == Qt.Key.Key_Down and self._match is not None:
                self._match.setFocus(Qt.FocusReason.OtherFocusReason)
                return True
            return False
        if isinstance(watched, PersonCheck):
            if key in (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Left, Qt.Key.Key_Right):
                self._move(watched, key)
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                watched.setChecked(not watched.isChecked())
                return True
            text = event.text()
            if text and text.isprintable() and not text.isspace() and not event.modifiers() & (
                    Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier):
                self.find.setFocus(Qt.FocusReason.OtherFocusReason)
                self.find.setText(self.find.text() + text)
                return True
        return super().eventFilter(watched, event)

    # ---- newcomers and remarks -----------------------------------------------------

    def add_newcomer(self, name: str = "", kana: str = "") -> NewcomerRow:
        row = NewcomerRow()
        row.name.setText(name)
        row.kana.setText(kana)
        row.name.textChanged.connect(self.update_total)
        row.removed.connect(self._remove_newcomer)
        self.newcomer_layout.addWidget(row)
        self.newcomer_rows.append(row)
        row.name.setFocus(Qt.FocusReason.OtherFocusReason)
        self.update_total()
        return row

    def _remove_newcomer(self, row: NewcomerRow) -> None:
        self.newcomer_rows.remove(row)
        row.deleteLater()
        self.update_total()

    def add_remark(self, text: str = "", person_id: str | None = None) -> RemarkRow:
        people = [c.regular for c in self.checks if c.isChecked()] or self.regulars
        row = RemarkRow(people)
        row.text.setText(text)
        if person_id:
            row.person.setCurrentIndex(max(0, row.person.findData(person_id)))
        row.removed.connect(self._remove_remark)
        self.remark_layout.addWidget(row)
        self.remark_rows.append(row)
        row.text.setFocus(Qt.FocusReason.OtherFocusReason)
        return row

    def _remove_remark(self, row: RemarkRow) -> None:
        self.remark_rows.remove(row)
        row.deleteLater()

    # ---- saving ----------------------------------------------------------------------

    def values(self) -> dict:
        """What goes to ``record_session``; ``InvalidInput`` when the date cannot be read."""
        return {"session_date": self.session_date.checked_date(tr("開催日")), "attendee_ids": self.attendee_ids(),
                "unnamed_count": self.unnamed.value(), "activities": self.activities.text().strip(),
                "helpers": self.helpers.text().strip(), "notes": self.notes.text().strip(),
                "newcomers": self.newcomers(), "remarks": self.remarks()}

    def save(self) -> None:
        if self._saving:
            return
        values = self._values_or_show_error()
        if values is None:
            return
        if not self.correcting and not values["attendee_ids"] and not values["newcomers"] \
                and not values["unnamed_count"]:
            self.errors.show_error(tr("参加された方にチェックを入れるか、名前を記録しない参加者の人数を入力してください。"))
            return
        self._set_saving(True)
        self.errors.clear_error()
        store = self.ctx.store
        if self.correcting:
            session_id = self.session.id

            def work():
                update_attendance(store, session_id, values["attendee_ids"], values["unnamed_count"])
                return session_id
        else:
            salon_id = self.salon.id

            def work():
                date_value = values.pop("session_date")
                return record_session(store, salon_id, date_value, **values)
        self.ctx.executor.submit(work, on_done=self._saved, on_error=self._failed, owner=self)

    def _saved(self, session_id: str) -> None:
        self._set_saving(False)
        self._snapshot = self.values()
        self.ctx.ui_settings.save_geometry(self.geometry_key, self)
        self.saved.emit(session_id)
        self.ctx.changed(SALON)
        self.ctx.changed(HOUSEHOLD)  # newcomers are registered as households
        self.accept()


def session_summary(session: SessionInfo) -> str:
    return tr("{date}　参加 {n}人（名前あり {m}人＋その他 {k}人）", date=format_wareki(session.session_date),
              n=session.total, m=len(session.attendee_ids), k=session.unnamed_count)
