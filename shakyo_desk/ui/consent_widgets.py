"""本人同意 on the household screen: each member's consents (which meetings, which agencies,
method, date, withdrawn) and the dialogs to record a consent or its withdrawal.

Consent is recorded at once through ``consents.add_consent`` / ``withdraw_consent`` in the
worker; it does not wait for the household editor's 「保存」. Staff may record consent for the
households they see (the service checks)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
    QPushButton, QVBoxLayout, QWidget,
)

from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.domain.vocab import CONFERENCE_TYPES, CONSENT_METHODS
from shakyo_desk.domain.wareki import format_wareki, format_wareki_short
from shakyo_desk.i18n import tr
from shakyo_desk.store.services.agencies import list_agencies
from shakyo_desk.store.services.consents import ConsentInfo, add_consent, consents_of_household, withdraw_consent
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.date_field import DateField
from shakyo_desk.ui.dialogs import ErrorLabel, button_row
from shakyo_desk.ui.events import HOUSEHOLD
from shakyo_desk.ui.field_widgets import RadioRow
from shakyo_desk.ui.labels import hint_label
from shakyo_desk.ui.style import ERROR_COLOUR
from shakyo_desk.ui.widgets import CheckList, fill_table, make_table, table_or_empty, text_item

CONSENT_COLUMNS = ("世帯員", "同意した会議", "共有先", "方法", "同意を得た日", "状態", "記録した人")
CONSENT_WIDTHS = (110, 190, 170, 50, 100, 110)
ACTIVE_COLOUR = "#2f6b3a"


def agencies_text(consent: ConsentInfo) -> str:
    return "、".join(consent.agencies) if consent.agencies else tr("（機関を限らない）")


def state_text(consent: ConsentInfo) -> tuple[str, str]:
    """「有効」 (green) or 「撤回 R7.4.1」 (red)."""
    if consent.withdrawn_on is not None:
        return tr("撤回（{d}）", d=format_wareki_short(consent.withdrawn_on)), ERROR_COLOUR
    return tr("有効"), ACTIVE_COLOUR


def consent_row(c: ConsentInfo) -> tuple:
    state, colour = state_text(c)
    return (text_item(c.person_name, bold=True), "・".join(c.meeting_type_labels), agencies_text(c), c.method,
            format_wareki_short(c.given_on), text_item(state, colour, bold=True), c.recorded_by_name)


class _RecordDialog(QDialog):
    """A small dialog that records one thing in the worker: 「記録」 and 「キャンセル」, one save at a
    time, a refusal shown inline with the input kept."""

    saved = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None, save_text: str):
        super().__init__(parent)
        self.ctx = ctx
        self._saving = False
        self.errors = ErrorLabel()
        self.buttons, self.save_button = button_row(self, save_text, self.save, save=True, cancel_text=tr("キャンセル"))

    def save(self) -> None:
        raise NotImplementedError

    def _submit(self, work: Callable[[], object], saved_id: str | None = None) -> None:
        self._saving = True
        self.save_button.setEnabled(False)
        self.errors.clear_error()
        self.ctx.executor.submit(work, on_done=lambda result: self._saved(saved_id or result), on_error=self._failed,
                                 owner=self)

    def _failed(self, error: BaseException) -> None:
        self._saving = False
        self.save_button.setEnabled(True)
        self.errors.show_error(error)

    def _saved(self, record_id: str) -> None:
        self._saving = False
        self.saved.emit(record_id)
        self.accept()


class ConsentDialog(_RecordDialog):
    """Record one person's consent: which meetings, which agencies, how and when."""

    def __init__(self, ctx: AppContext, persons: list[tuple[str, str]], agencies: list[str], *,
                 person_id: str | None = None, parent: QWidget | None = None):
        super().__init__(ctx, parent, tr("同意を記録"))
        self.setWindowTitle(tr("本人同意の記録"))
        intro = QLabel(tr("会議で情報を共有することについて、ご本人から同意を得たときに記録します。"
                          "重層的支援会議では、同意のない方の世帯は取り上げられません。"))
        intro.setWordWrap(True)
        self.person = QComboBox()
        for pid, name in persons:
            self.person.addItem(name, pid)
        if person_id is not None:
            self.person.setCurrentIndex(max(0, self.person.findData(person_id)))
        self.scope = CheckList(list(CONFERENCE_TYPES.values()), data=list(CONFERENCE_TYPES))
        self.scope.fit_height(len(CONFERENCE_TYPES))
        self.scope.setAccessibleName(tr("同意した会議"))
        self.agencies = CheckList(agencies)
        self.agencies.fit_height(6)
        self.agencies.setAccessibleName(tr("共有先の関係機関"))
        self.other_agencies = QLineEdit()
        self.other_agencies.setPlaceholderText(tr("一覧にない共有先（「、」で区切って入力）"))
        agencies_hint = hint_label(tr("共有先を選ばないときは、関係機関を限らない同意として記録します。"))
        self.method = RadioRow(CONSENT_METHODS, "書面")
        self.given_on = DateField(allow_future=False)
        self.note = QLineEdit()
        self.note.setPlaceholderText(tr("例：同意書は相談記録のファイルに保管"))

        agencies_box = QVBoxLayout()
        agencies_box.addWidget(self.agencies)
        agencies_box.addWidget(self.other_agencies)
        agencies_box.addWidget(agencies_hint)
        form = QFormLayout()
        form.addRow(tr("同意した方"), self.person)
        form.addRow(tr("同意した会議"), self.scope)
        form.addRow(tr("共有先"), agencies_box)
        form.addRow(tr("方法"), self.method)
        form.addRow(tr("同意を得た日"), self.given_on)
        form.addRow(tr("メモ"), self.note)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.errors)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(640)
        self.scope.setFocus(Qt.FocusReason.OtherFocusReason)

    def chosen_agencies(self) -> list[str]:
        typed = self.other_agencies.text().replace("，", "、").replace(",", "、").split("、")
        return self.agencies.checked() + [t.strip() for t in typed if t.strip()]

    def save(self) -> None:
        if self._saving:
            return
        if self.person.currentData() is None:
            self.errors.show_error(tr("同意した方を選んでください。"))
            return
        try:
            given_on = self.given_on.checked_date(tr("同意を得た日"))
        except InvalidInput as error:
            self.errors.show_error(error)
            return
        store, person_id = self.ctx.store, self.person.currentData()
        scope, agencies, method, note = (self.scope.checked(), self.chosen_agencies(), self.method.value() or "書面",
                                         self.note.text().strip())
        self._submit(lambda: add_consent(store, person_id, scope, agencies=agencies, method=method, given_on=given_on,
                                         note=note))


class WithdrawConsentDialog(_RecordDialog):
    """The person withdrew a consent: from that day on it counts as none."""

    def __init__(self, ctx: AppContext, consent: ConsentInfo, parent: QWidget | None = None):
        super().__init__(ctx, parent, tr("撤回を記録"))
        self.consent = consent
        self.setWindowTitle(tr("同意の撤回"))
        what = QLabel(tr("{name} さんの同意（{d}）\n{summary}", name=consent.person_name,
                         d=format_wareki(consent.given_on), summary=consent.summary))
        what.setWordWrap(True)
        what.setStyleSheet("font-weight: bold;")
        hint = hint_label(tr("撤回した日から、この同意はないものとして扱います。撤回の前に開かれた会議の記録は変わりません。"))
        self.withdrawn_on = DateField(allow_future=False)
        form = QFormLayout()
        form.addRow(tr("撤回の日"), self.withdrawn_on)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.addWidget(what)
        layout.addWidget(hint)
        layout.addLayout(form)
        layout.addWidget(self.errors)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(540)

    def save(self) -> None:
        if self._saving:
            return
        try:
            day = self.withdrawn_on.checked_date(tr("撤回の日"))
        except InvalidInput as error:
            self.errors.show_error(error)
            return
        store, consent_id = self.ctx.store, self.consent.id
        self._submit(lambda: withdraw_consent(store, consent_id, day), consent_id)


class ConsentSection(QWidget):
    """The consents of a household's members, with 「同意を記録」 and 「撤回を記録」."""

    changed = Signal()

    def __init__(self, ctx: AppContext, household_id: str, persons: list[tuple[str, str]],
                 consents: list[ConsentInfo] | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.household_id = household_id
        self.persons = persons  # (person id, name) of the members already saved
        self.consents: list[ConsentInfo] = []
        self.dialog: QDialog | None = None
        self.table = make_table(CONSENT_COLUMNS, CONSENT_WIDTHS)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAccessibleName(tr("本人同意の一覧"))
        self.stack, self.empty = table_or_empty(self.table)
        self.add_button = QPushButton(tr("同意を記録…"))
        self.add_button.setAutoDefault(False)
        self.withdraw_button = QPushButton(tr("撤回を記録…"))
        self.withdraw_button.setAutoDefault(False)
        hint = hint_label(tr("同意の記録と撤回は、この画面の「保存」を待たずにすぐ記録されます。"
                             "新しく加えた世帯員の同意は、世帯を保存してから記録できます。"))
        self.errors = ErrorLabel()
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.withdraw_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.errors)
        layout.addWidget(hint)
        layout.addLayout(buttons)
        self.add_button.clicked.connect(lambda: self.add_consent())
        self.withdraw_button.clicked.connect(self.withdraw_selected)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _i: self.withdraw_selected())
        self.show_consents(consents or [])

    # ---- showing ---------------------------------------------------------------------

    def show_consents(self, consents: list[ConsentInfo]) -> None:
        self.consents = list(consents)
        fill_table(self.table, [consent_row(c) for c in self.consents], [c.id for c in self.consents])
        if self.consents:
            self.stack.setCurrentWidget(self.table)
        else:
            self.empty.setText(tr("この世帯には、本人同意の記録がありません。\n"
                                  "重層的支援会議で取り上げるには、ご本人の同意の記録が必要です。"))
            self.stack.setCurrentWidget(self.empty)
        self.add_button.setEnabled(bool(self.persons))
        self._selection_changed()

    def reload(self) -> None:
        self.ctx.executor.submit(consents_of_household, self.ctx.store, self.household_id, on_done=self._reloaded,
                                 on_error=self.errors.show_error, owner=self)

    def _saved(self, _record_id: str) -> None:
        self.ctx.changed(HOUSEHOLD)
        self.reload()

    def _reloaded(self, consents: list[ConsentInfo]) -> None:
        self.errors.clear_error()
        self.show_consents(consents)
        self.changed.emit()

    def selected(self) -> ConsentInfo | None:
        row = self.table.currentRow()
        return self.consents[row] if 0 <= row < len(self.consents) and self.table.selectedItems() else None

    def _selection_changed(self) -> None:
        chosen = self.selected()
        self.withdraw_button.setEnabled(chosen is not None and chosen.withdrawn_on is None)

    def count_text(self) -> str:
        active = sum(1 for c in self.consents if c.withdrawn_on is None)
        return tr("本人同意（{n}）", n=active) if active else tr("本人同意")

    # ---- actions -----------------------------------------------------------------------

    def add_consent(self, person_id: str | None = None, on_open: Callable[[ConsentDialog], None] | None = None) -> None:
        """Open the consent dialog (agencies from the directory, loaded in the worker)."""
        if not self.persons:
            return

        def show(agencies) -> None:
            dialog = ConsentDialog(self.ctx, self.persons, [a.name for a in agencies], person_id=person_id,
                                   parent=self)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.saved.connect(self._saved)
            self.dialog = dialog
            dialog.open()
            if on_open is not None:
                on_open(dialog)

        self.ctx.executor.submit(list_agencies, self.ctx.store, on_done=show, on_error=lambda _e: show([]), owner=self)

    def withdraw_selected(self) -> None:
        chosen = self.selected()
        if chosen is None or chosen.withdrawn_on is not None:
            return
        dialog = WithdrawConsentDialog(self.ctx, chosen, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(self._saved)
        self.dialog = dialog
        dialog.open()


def persons_of(detail) -> list[tuple[str, str]]:
    """(id, name) of a HouseholdDetail's members."""
    return [(p.id, p.name) for p in detail.members]


def consents_of_detail(detail) -> list[ConsentInfo]:
    """Every member's consents from a HouseholdDetail, newest first."""
    found = [c for p in detail.members for c in p.consents]
    return sorted(found, key=lambda c: (c.given_on, c.created_at), reverse=True)
