"""One 支え合いの関係 (issue 19): who helps a household — a registered 担い手 picked from a
searchable list, or a name with its 立場 — the kind of help, how often, since when. Opened from
the household editor's 「支え合い」 tab and from a visit just saved (heard on that visit). Also
the small dialog that ends a tie on a date."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QCompleter, QDialog, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget,
)

from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.domain.vocab import SUPPORTER_KINDS, TIE_KINDS
from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.i18n import tr
from shakyo_desk.store.services.supporters import SupporterInfo, list_supporters
from shakyo_desk.store.services.ties import TieInfo, add_tie, end_tie, household_members, update_tie
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.date_field import DateField
from shakyo_desk.ui.dialogs import ErrorLabel, button_row, fit_to_screen
from shakyo_desk.ui.events import COMMUNITY

SOURCE_TEXT = {"世帯": "世帯の画面で記録", "訪問": "訪問で聞き取り", "懇談会": "地域懇談会で聞き取り"}


def supporter_label(s: SupporterInfo) -> str:
    return f"{s.name}（{s.district}）" if s.district else s.name


def fill_supporter_combo(combo: QComboBox, supporters: list[SupporterInfo]) -> None:
    """An editable combo: a registered 担い手 chosen from the list (typing part of a name finds
    them), or any other name typed in."""
    combo.clear()
    combo.setEditable(True)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    combo.addItem("", None)
    for s in supporters:
        combo.addItem(supporter_label(s), s.id)
        combo.setItemData(combo.count() - 1, s.can_do or s.current_role, Qt.ItemDataRole.ToolTipRole)
    completer = QCompleter(combo.model(), combo)
    completer.setFilterMode(Qt.MatchFlag.MatchContains)
    completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
    combo.setCompleter(completer)
    combo.setCurrentIndex(0)
    combo.lineEdit().setPlaceholderText(tr("担い手の名前を入力して一覧から選ぶか、名前をそのまま入力"))


def supporter_choice(combo: QComboBox, supporters: list[SupporterInfo]) -> tuple[str | None, str]:
    """(registered supporter id, None) or (None, the name typed) from ``fill_supporter_combo``'s combo."""
    text = combo.currentText().strip()
    index = combo.findText(text, Qt.MatchFlag.MatchExactly)
    if text and index > 0:
        return combo.itemData(index), ""
    same = [s for s in supporters if "".join(s.name.split()) == "".join(text.split())]
    if text and len(same) == 1:
        return same[0].id, ""
    return None, text


class TieDialog(QDialog):
    """Record (or, given ``tie``, edit the kind, frequency and note of) one tie of a household."""

    saved = Signal(str)

    def __init__(self, ctx: AppContext, household_id: str, household_label: str, members: list[tuple[str, str]],
                 supporters: list[SupporterInfo], *, tie: TieInfo | None = None, contact_id: str | None = None,
                 source: str = "世帯", parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.household_id = household_id
        self.supporters = supporters
        self.tie = tie
        self.contact_id = contact_id
        self.source = source
        self.setWindowTitle(tr("支え合いの関係の編集") if tie else tr("支え合いの関係を記録"))
        intro = QLabel(tr("だれが、どのように {who} を支えているかを記録します。", who=household_label or tr("この世帯")))
        intro.setWordWrap(True)
        self.supporter = QComboBox()
        fill_supporter_combo(self.supporter, supporters)
        self.supporter.setAccessibleName(tr("支え手"))
        self.supporter_kind = QComboBox()
        self.supporter_kind.addItem(tr("（選んでください）"), "")
        for kind in SUPPORTER_KINDS:
            self.supporter_kind.addItem(kind, kind)
        self.supporter_kind.setAccessibleName(tr("支え手の立場"))
        self.supporter_hint = QLabel()
        self.supporter_hint.setStyleSheet("color: #555;")
        self.supporter_hint.setWordWrap(True)
        self.person = QComboBox()
        self.person.addItem(tr("（世帯全体）"), None)
        for person_id, name in members:
            self.person.addItem(name, person_id)
        self.kind = QComboBox()
        self.kind.addItems(TIE_KINDS)
        self.frequency = QLineEdit()
        self.frequency.setPlaceholderText(tr("例：毎朝、週に2回、雪の日"))
        self.since = DateField(optional=True, allow_future=False, placeholder=tr("例：2024/4/1"))
        self.since.setAccessibleName(tr("始まった日"))
        self.note = QLineEdit()
        self.note.setPlaceholderText(tr("例：お隣の田中さんが毎朝、雨戸が開いたかを見てくれている"))
        heard = QLabel(tr(SOURCE_TEXT.get(source, source)))
        form = QFormLayout()
        form.addRow(tr("支え手(&S)＊"), self.supporter)
        form.addRow(tr("支え手の立場(&R)"), self.supporter_kind)
        form.addRow("", self.supporter_hint)
        form.addRow(tr("支えを受ける方(&P)"), self.person)
        form.addRow(tr("支え合いの種類(&K)＊"), self.kind)
        form.addRow(tr("頻度(&F)"), self.frequency)
        form.addRow(tr("始まった日(&D)"), self.since)
        form.addRow(tr("メモ(&M)"), self.note)
        form.addRow(tr("聞き取った場面"), heard)
        self.errors = ErrorLabel()
        buttons, self.save_button = button_row(self, tr("記録する"), self.save, save=True, cancel_text=tr("閉じる"))
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addStretch(1)
        layout.addWidget(self.errors)
        layout.addWidget(buttons)
        self.supporter.currentTextChanged.connect(self._supporter_changed)
        if tie is not None:
            self._show_tie(tie)
        self._supporter_changed()
        fit_to_screen(self, QSize(620, 470), settings=ctx.ui_settings, key="tie_dialog")
        self.supporter.setFocus(Qt.FocusReason.OtherFocusReason)

    def _show_tie(self, tie: TieInfo) -> None:
        index = self.supporter.findData(tie.supporter_id) if tie.supporter_id else -1
        if index > 0:
            self.supporter.setCurrentIndex(index)
        else:
            self.supporter.setEditText(tie.supporter)
        self.supporter_kind.setCurrentIndex(max(0, self.supporter_kind.findData(tie.supporter_kind)))
        self.person.setCurrentIndex(max(0, self.person.findData(tie.person_id)))
        self.kind.setCurrentText(tie.kind)
        self.frequency.setText(tie.frequency)
        self.since.set_date(tie.since)
        self.note.setText(tie.note)
        for widget in (self.supporter, self.supporter_kind, self.person, self.since):
            widget.setEnabled(False)  # who and since stay; a different supporter is a new tie

    def _supporter_changed(self, *_args) -> None:
        supporter_id, name = supporter_choice(self.supporter, self.supporters)
        if self.tie is None:
            self.supporter_kind.setEnabled(supporter_id is None)
        if supporter_id:
            self.supporter_hint.setText(tr("担い手の台帳に登録されている方です。"))
        elif name:
            self.supporter_hint.setText(tr("担い手の台帳にない方として、名前と立場で記録します。"))
        else:
            self.supporter_hint.setText(tr("担い手の台帳から選ぶか、名前を入力してください（例：隣の田中さん）。"))

    def values(self) -> dict:
        """What goes to ``add_tie``; ``InvalidInput`` when the date cannot be read."""
        supporter_id, name = supporter_choice(self.supporter, self.supporters)
        return {"supporter_id": supporter_id, "supporter_name": name,
                "supporter_kind": "" if supporter_id else self.supporter_kind.currentData(),
                "person_id": self.person.currentData(), "frequency": self.frequency.text(),
                "since": self.since.checked_date(tr("始まった日")), "note": self.note.text(),
                "source": self.source, "contact_id": self.contact_id}

    def save(self) -> None:
        self.errors.clear_error()
        store, kind = self.ctx.store, self.kind.currentText()
        if self.tie is not None:
            tie_id, frequency, note = self.tie.id, self.frequency.text(), self.note.text()

            def work():
                update_tie(store, tie_id, kind=kind, frequency=frequency, note=note)
                return tie_id
        else:
            try:
                values = self.values()
            except InvalidInput as error:
                self.errors.show_error(error)
                return
            household_id = self.household_id

            def work():
                return add_tie(store, household_id, kind, **values)
        self.save_button.setEnabled(False)
        self.ctx.executor.submit(work, on_done=self._saved, on_error=self._failed, owner=self)

    def _saved(self, tie_id: str) -> None:
        self.save_button.setEnabled(True)
        self.ctx.ui_settings.save_geometry("tie_dialog", self)
        self.saved.emit(tie_id)
        self.ctx.changed(COMMUNITY)
        self.accept()

    def _failed(self, error) -> None:
        self.save_button.setEnabled(True)
        self.errors.show_error(error)


def open_tie_dialog(ctx: AppContext, parent: QWidget, household_id: str, household_label: str, *,
                    tie: TieInfo | None = None, contact_id: str | None = None, source: str = "世帯",
                    on_opened: Callable[[TieDialog], None] | None = None,
                    on_error: Callable[[BaseException], None] | None = None) -> None:
    """Load the household's members and the 担い手 in the worker, then open the tie dialog."""
    store = ctx.store

    def show(result) -> None:
        members, supporters = result
        dialog = TieDialog(ctx, household_id, household_label, members, supporters, tie=tie, contact_id=contact_id,
                           source=source, parent=parent)
        parent.tie_dialog = dialog
        if on_opened is not None:
            on_opened(dialog)
        dialog.open()

    ctx.executor.submit(lambda: (household_members(store, household_id), list_supporters(store)), on_done=show,
                        on_error=on_error, owner=parent)


class EndTieDialog(QDialog):
    """The day a tie ended (today unless told otherwise)."""

    saved = Signal(str)

    def __init__(self, ctx: AppContext, tie: TieInfo, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.tie = tie
        self.setWindowTitle(tr("支え合いの関係の終了"))
        what = QLabel(tr("{who}さんの「{kind}」を終わったことにします。記録は経過として残ります。",
                         who=tie.supporter, kind=tie.kind))
        what.setWordWrap(True)
        self.ended_on = DateField(allow_future=False)
        self.ended_on.setAccessibleName(tr("終わった日"))
        if tie.since:
            self.ended_on.set_minimum(tie.since)
        form = QFormLayout()
        form.addRow(tr("終わった日(&D)"), self.ended_on)
        if tie.since:
            form.addRow(tr("始まった日"), QLabel(format_wareki(tie.since)))
        self.errors = ErrorLabel()
        buttons, self.ok_button = button_row(self, tr("終了にする"), self.save, cancel_text=tr("閉じる"))
        layout = QVBoxLayout(self)
        layout.addWidget(what)
        layout.addLayout(form)
        layout.addWidget(self.errors)
        layout.addWidget(buttons)
        self.setMinimumWidth(460)

    def save(self) -> None:
        try:
            day = self.ended_on.checked_date(tr("終わった日"))
        except InvalidInput as error:
            self.errors.show_error(error)
            return
        self.errors.clear_error()
        store, tie_id = self.ctx.store, self.tie.id
        self.ctx.executor.submit(lambda: end_tie(store, tie_id, day), on_done=self._saved,
                                 on_error=self.errors.show_error, owner=self)

    def _saved(self, _result) -> None:
        self.saved.emit(self.tie.id)
        self.ctx.changed(COMMUNITY)
        self.accept()
