"""Quick contact entry (訪問記録の入力) and the contact detail view.

Made to be finished in well under half a minute with the keyboard alone:
household search (search as you type, Down/Enter picks) or a place, date
(typed; 和暦 shown beside it), time, method (keys 1–6), companions, what was
seen and heard (Tab leaves it), concerns, urgency, isolation, next action and
next date. Ctrl+Enter saves from anywhere in the form. Saving goes through
``add_contact`` in the worker; a refusal is shown inline and the form stays as
it was. After saving, a short confirmation is shown and the form is ready for
the next contact (household cleared, date kept)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from PySide6.QtCore import QEvent, QModelIndex, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QApplication, QButtonGroup, QComboBox, QCompleter, QDialog, QFormLayout, QGridLayout,
    QHBoxLayout, QLabel, QLineEdit, QListView, QListWidgetItem, QPlainTextEdit, QPushButton, QRadioButton,
    QVBoxLayout, QWidget,
)

from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.domain.schedule import add_months
from shakyo_desk.domain.vocab import COMPANIONS, CONTACT_METHODS, ISOLATION, PLACE_KINDS, URGENCIES
from shakyo_desk.domain.wareki import format_wareki, format_wareki_short
from shakyo_desk.i18n import tr
from shakyo_desk.store.services.concerns import list_concerns
from shakyo_desk.store.services.contacts import ContactInfo, add_contact, get_contact
from shakyo_desk.store.services.households import HouseholdRow, list_households
from shakyo_desk.store.services.places import PlaceInfo, add_place, list_places
from shakyo_desk.store.services.sheets import sheet_from_contact
from shakyo_desk.ui import dialogs
from shakyo_desk.ui.appearance import HC_FOCUS_WIDTH
from shakyo_desk.ui.context import AppContext
from shakyo_desk.ui.date_field import DateField
from shakyo_desk.ui.dialogs import ErrorLabel, button_row
from shakyo_desk.ui.entry_form import EntryForm
from shakyo_desk.ui.events import CONTACT
from shakyo_desk.ui.field_widgets import household_label
from shakyo_desk.ui.widgets import CheckList
from shakyo_desk.ui.worker import LatestOnly
from shakyo_desk.domain import clock

SEARCH_DEBOUNCE_MS = 150
OK_COLOUR = "#2f6b3a"
def normalise_time(text: str) -> str:
    """14:30, 1430, 14時30分, 9:05 → HH:MM; empty stays empty; otherwise returned as typed
    (the service explains what is wrong)."""
    s = (text or "").strip().translate(str.maketrans("０１２３４５６７８９：", "0123456789:"))
    if not s:
        return ""
    m = re.fullmatch(r"(\d{1,2})[:時](\d{2})?分?", s) or re.fullmatch(r"(\d{1,2})(\d{2})", s)
    if m:
        return f"{int(m[1]):02d}:{int(m[2] or 0):02d}"
    return s


def compact_checklist(choices, *, data=None, rows: int = 2) -> CheckList:
    """A checkable list laid out in rows (one Tab stop; arrows move, Space ticks)."""
    widget = CheckList(choices, data=data)
    widget.setFlow(QListView.Flow.LeftToRight)
    widget.setWrapping(True)
    widget.setResizeMode(QListView.ResizeMode.Adjust)
    widget.setSpacing(1)
    widget.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    widget.setStyleSheet("QListWidget::item { padding: 2px 6px 2px 2px; }")
    widget.fit_height(rows)
    return widget


# ---- turning a contact into a concern sheet --------------------------------------------

def open_sheet_from_contact(ctx: AppContext, contact_id: str, parent: QWidget) -> None:
    """「把握シートにする」: prefill a new concern sheet from a contact (``ctx.navigator``)."""
    ctx.executor.submit(sheet_from_contact, ctx.store, contact_id,
                        on_done=lambda prefill: ctx.navigator.open_sheet_form(prefill),
                        on_error=lambda e: dialogs.inform_error(parent, tr("把握シート"), e),
                        owner=parent)


# ---- a new place ----------------------------------------------------------------------

class PlaceDialog(QDialog):
    """Register a place (店・郵便局・公民館…) for community contacts."""

    def __init__(self, districts, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(tr("地域の拠点の登録"))
        self.name = QLineEdit()
        self.name.setPlaceholderText(tr("例：みどり商店"))
        self.kind = QComboBox()
        self.kind.addItems(PLACE_KINDS)
        self.district = QComboBox()
        from shakyo_desk.ui.widgets import fill_district_combo

        fill_district_combo(self.district, districts, empty_label=tr("（未設定）"))
        self.address = QLineEdit()
        self.errors = ErrorLabel()
        buttons, _ = button_row(self, tr("登録"), self._submit, cancel_text=tr("キャンセル"))
        form = QFormLayout(self)
        form.addRow(tr("名前"), self.name)
        form.addRow(tr("種類"), self.kind)
        form.addRow(tr("地区"), self.district)
        form.addRow(tr("住所"), self.address)
        form.addRow(self.errors)
        form.addRow(buttons)
        self.setMinimumWidth(420)

    def _submit(self) -> None:
        if not self.name.text().strip():
            self.errors.show_error(tr("拠点の名前を入力してください。"))
            return
        self.accept()

    def values(self) -> tuple:
        return (self.name.text().strip(), self.kind.currentText(), self.district.currentData(),
                self.address.text().strip())


# ---- the entry dialog -------------------------------------------------------------------

class MethodChooser(QWidget):
    """The contact method as radio buttons; keys 1–6 choose while it has focus."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.group = QButtonGroup(self)
        self.buttons: dict[str, QRadioButton] = {}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        for number, method in enumerate(CONTACT_METHODS, start=1):
            button = QRadioButton(f"{number} {tr(method)}")
            button.setStyleSheet("QRadioButton { padding: 3px 10px 3px 2px; }")
            button.installEventFilter(self)
            self.group.addButton(button, number)
            self.buttons[method] = button
            layout.addWidget(button)
        layout.addStretch(1)
        self.set_value(CONTACT_METHODS[0])

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.KeyPress and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            text = event.text().translate(str.maketrans("０１２３４５６７８９", "0123456789"))
            if text.isdigit() and 1 <= int(text) <= len(CONTACT_METHODS):
                button = self.group.button(int(text))
                button.setChecked(True)
                button.setFocus()
                return True
        return super().eventFilter(watched, event)

    def value(self) -> str:
        for method, button in self.buttons.items():
            if button.isChecked():
                return method
        return CONTACT_METHODS[0]

    def set_value(self, method: str) -> None:
        self.buttons.get(method, self.buttons[CONTACT_METHODS[0]]).setChecked(True)

    def focus_button(self) -> QRadioButton:
        return self.buttons[self.value()]


class ContactEntryDialog(EntryForm, QDialog):
    """``saved(contact_id)`` after each contact is recorded."""

    geometry_key = "contact_entry"

    saved = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, household_id: str | None = None,
                 household_label: str = "", today: date | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self._today = today
        self.household_id: str | None = None
        self.household_rows: list[HouseholdRow] = []
        self.places: list[PlaceInfo] = []
        self.districts = []
        self.last_saved_id: str | None = None
        self._saving = False
        self._latest = LatestOnly()
        self.setWindowTitle(tr("訪問記録の入力"))

        heading = QLabel(tr("訪問記録の入力"))
        heading.setStyleSheet("font-size: 14pt; font-weight: bold;")
        hint = QLabel(tr("Tabキーで次の項目へ　Ctrl+Enterで保存"))
        hint.setStyleSheet("color: #555;")

        # who: a household or a place
        self.to_household = QRadioButton(tr("世帯(&H)"))
        self.to_place = QRadioButton(tr("地域の拠点(&P)"))
        self.to_household.setChecked(True)
        target_group = QButtonGroup(self)
        target_group.addButton(self.to_household)
        target_group.addButton(self.to_place)
        self.to_household.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.to_place.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.household = QLineEdit()
        self.household.setPlaceholderText(tr("氏名・フリガナ・住所の一部を入力し、↓キーで選んでください"))
        self.household.setClearButtonEnabled(True)
        self.household_model = QStandardItemModel(self)
        self.completer = QCompleter(self.household_model, self)
        self.completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setMaxVisibleItems(10)
        self.completer.popup().setStyleSheet("QListView::item { padding: 4px 6px; }")  # rows apart, easy to read
        self.completer.setWidget(self.household)
        self.household_chosen = QLabel()
        self.place = QComboBox()
        self.place.setMinimumWidth(260)
        self.add_place_button = QPushButton(tr("拠点を登録…"))
        self.add_place_button.setAutoDefault(False)
        target_row = QHBoxLayout()
        target_row.addWidget(self.to_household)
        target_row.addWidget(self.to_place)
        target_row.addStretch(1)
        household_box = QWidget()
        hb = QVBoxLayout(household_box)
        # The keyboard focus frame (appearance.FocusFrames) is drawn around a field, outside it: the
        # line under the field keeps clear of it, from the field above and from the date below.
        clearance = HC_FOCUS_WIDTH + 2
        hb.setContentsMargins(0, 0, 0, clearance)
        hb.setSpacing(clearance)
        hb.addWidget(self.household)
        hb.addWidget(self.household_chosen)
        place_box = QWidget()
        pb = QHBoxLayout(place_box)
        pb.setContentsMargins(0, 0, 0, 0)
        pb.addWidget(self.place, 1)
        pb.addWidget(self.add_place_button)
        self.household_box, self.place_box = household_box, place_box
        place_box.setVisible(False)

        # when and how
        self.contact_date = DateField(self.today())
        self.contact_time = QLineEdit()
        self.contact_time.setPlaceholderText(tr("例：14:30"))
        self.contact_time.setMaximumWidth(max(110, self.contact_time.fontMetrics().horizontalAdvance(tr("例：14:30")) + 24))
        when_row = QHBoxLayout()
        when_row.addWidget(self.contact_date, 1)
        when_row.addWidget(QLabel(tr("時刻（省略可）")))
        when_row.addWidget(self.contact_time)
        self.method = MethodChooser()
        self.companions = compact_checklist([tr(c) for c in COMPANIONS], data=COMPANIONS, rows=2)
        self.companion_text = QLineEdit()
        self.companion_text.setPlaceholderText(tr("同行した方の氏名など（省略可。読点「、」で区切る）"))

        # what
        self.seen_heard = QPlainTextEdit()
        self.seen_heard.setTabChangesFocus(True)
        self.seen_heard.setPlaceholderText(tr("様子、本人や家族の話、気づいたこと"))
        self.seen_heard.setMinimumHeight(90)
        self.concerns = compact_checklist([], rows=3)
        self.urgency = QComboBox()
        self.urgency.addItem(tr("（なし）"), "")
        for u in URGENCIES:
            self.urgency.addItem(tr(u), u)
        self.isolation = QComboBox()
        self.isolation.addItem(tr("（未確認）"), "")
        for i in ISOLATION:
            self.isolation.addItem(tr(i), i)
        status_row = QHBoxLayout()
        status_row.addWidget(self.urgency)
        status_row.addSpacing(16)
        status_row.addWidget(QLabel(tr("孤立")))
        status_row.addWidget(self.isolation)
        status_row.addStretch(1)
        self.next_action = QLineEdit()
        self.next_action.setPlaceholderText(tr("例：来週、娘さんに電話で様子を伝える"))
        self.next_date = DateField(optional=True, placeholder=tr("空欄なら未定"))
        self.quick_next: list[QPushButton] = []
        next_row = QHBoxLayout()
        next_row.addWidget(self.next_date, 1)
        for label, delta in ((tr("1週間後"), ("d", 7)), (tr("2週間後"), ("d", 14)), (tr("1か月後"), ("m", 1))):
            button = QPushButton(label)
            button.setAutoDefault(False)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(lambda _c=False, d=delta: self._set_next(d))
            next_row.addWidget(button)
            self.quick_next.append(button)

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.addRow(tr("相手"), target_row)
        form.addRow("", household_box)
        form.addRow("", place_box)
        form.addRow(tr("日付"), when_row)
        form.addRow(tr("方法"), self.method)
        form.addRow(tr("同行"), self.companions)
        form.addRow("", self.companion_text)
        form.addRow(tr("見たこと\n聞いたこと"), self.seen_heard)
        form.addRow(tr("困りごと"), self.concerns)
        form.addRow(tr("緊急度"), status_row)
        form.addRow(tr("次にすること"), self.next_action)
        form.addRow(tr("次回の予定日"), next_row)

        self.errors = ErrorLabel()
        self.confirmation = QLabel()
        self.confirmation.setWordWrap(True)
        self.confirmation.setStyleSheet(f"color: {OK_COLOUR}; font-weight: bold;")
        self.confirmation.setVisible(False)
        self.save_button = QPushButton(tr("保存（Ctrl+Enter）"))
        self.sheet_button = QPushButton(tr("把握シートにする"))
        self.sheet_button.setToolTip(tr("いま保存した訪問記録から、困っている家庭把握シートを作ります"))
        self.sheet_button.setEnabled(False)
        self.tie_button = QPushButton(tr("支え合いを記録…"))
        self.tie_button.setToolTip(tr("いま保存した訪問で聞いた「お隣の方が毎朝声をかけている」などを、"
                                      "その世帯の支え合いの関係として記録します"))
        self.tie_button.setEnabled(False)
        self.last_saved_household: tuple[str, str] | None = None  # (id, label) of the visit just saved
        self.close_button = QPushButton(tr("閉じる"))
        for b in (self.save_button, self.tie_button, self.sheet_button, self.close_button):
            b.setAutoDefault(False)
            b.setDefault(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.tie_button)
        buttons.addWidget(self.sheet_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.close_button)

        # The fields scroll on a short screen or at a large text size; messages and buttons stay.
        body = QWidget()
        fields = QVBoxLayout(body)
        fields.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(heading)
        top.addStretch(1)
        top.addWidget(hint)
        fields.addLayout(top)
        fields.addLayout(form, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(dialogs.scrolling(body), 1)
        layout.addWidget(self.errors)
        layout.addWidget(self.confirmation)
        layout.addLayout(buttons)

        # names for screen readers where a row's label covers more than one field
        for widget, name in ((self.household, tr("世帯の検索")), (self.place, tr("地域の拠点")),
                             (self.contact_date, tr("日付")), (self.contact_time, tr("時刻（省略可）")),
                             (self.companion_text, tr("同行した方の氏名")), (self.urgency, tr("緊急度")),
                             (self.isolation, tr("孤立")), (self.next_date, tr("次回の予定日"))):
            widget.setAccessibleName(name)

        # tab order: the way the form is read, top to bottom and left to right (focusNextPrevChild
        # walks tab_stops; the focus chain follows the same order for assistive tools)
        order = [self.household, self.place, self.add_place_button, self.contact_date.edit, self.contact_time,
                 self.method.buttons[CONTACT_METHODS[0]], self.companions, self.companion_text, self.seen_heard,
                 self.concerns, self.urgency, self.isolation, self.next_action, self.next_date.edit,
                 self.tie_button, self.sheet_button, self.save_button, self.close_button]
        for first, second in zip(order, order[1:]):
            QWidget.setTabOrder(first, second)

        # signals
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self.run_search)
        self.household.textEdited.connect(self._household_edited)
        self.household.installEventFilter(self)
        self.completer.activated[QModelIndex].connect(self._completer_chosen)
        self.to_household.toggled.connect(self._target_changed)
        self.add_place_button.clicked.connect(self.new_place)
        self.save_button.clicked.connect(self.save)
        self.sheet_button.clicked.connect(self.turn_into_sheet)
        self.tie_button.clicked.connect(self.record_tie)
        self.close_button.clicked.connect(self.reject)
        for widget in [self, *self.findChildren(QWidget)]:
            widget.installEventFilter(self)
        self._show_household_choice()
        self.setMinimumSize(680, 480)
        # As wide as the fields want at a large text size (the screen permitting), else 780.
        wanted = max(780, body.sizeHint().width() + 2 * layout.contentsMargins().left() + 24)
        dialogs.fit_to_screen(self, QSize(wanted, 720), settings=ctx.ui_settings, key="contact_entry")

        self.load()
        if household_id:
            self.set_household(household_id, household_label)
        self._snapshot = self._values_for_dirty()
        self.household.setFocus(Qt.FocusReason.OtherFocusReason)
        if household_id:
            self.contact_date.edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def today(self) -> date:
        return self._today or clock.today()

    # ---- loading choices ------------------------------------------------------------

    def load(self) -> None:
        def loaded(result) -> None:
            concerns, places, districts = result
            self.concerns.clear()
            for c in concerns:
                item = QListWidgetItem(c.name)
                item.setData(Qt.ItemDataRole.UserRole, c.name)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Unchecked)
                self.concerns.addItem(item)
            self.concerns.fit_height(3)
            self.districts = districts
            self._fill_places(places)

        def work():
            from shakyo_desk.store.services.districts import list_districts

            return list_concerns(self.ctx.store), list_places(self.ctx.store), list_districts(self.ctx.store)

        self.ctx.executor.submit(work, on_done=loaded, on_error=self.errors.show_error, owner=self)

    def _fill_places(self, places: list[PlaceInfo], selected: str | None = None) -> None:
        self.places = places
        self.place.clear()
        self.place.addItem(tr("（拠点を選んでください）"), None)
        for p in places:
            label = f"{p.name}（{p.kind}）" + (f"　{p.district}" if p.district else "")
            self.place.addItem(label, p.id)
        if selected:
            self.place.setCurrentIndex(max(0, self.place.findData(selected)))

    def new_place(self) -> None:
        dialog = PlaceDialog(self.districts, self)
        self.place_dialog = dialog
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        name, kind, district_id, address = dialog.values()

        def added(place_id: str) -> None:
            self.ctx.executor.submit(list_places, self.ctx.store,
                                     on_done=lambda places: self._fill_places(places, place_id),
                                     on_error=self.errors.show_error, owner=self)

        self.ctx.executor.submit(add_place, self.ctx.store, name, kind, district_id, address,
                                 on_done=added, on_error=self.errors.show_error, owner=self)

    # ---- household search --------------------------------------------------------------

    def _household_edited(self, _text: str) -> None:
        if self.household_id is not None:
            self.household_id = None
            self._show_household_choice()
        self._debounce.start()

    def run_search(self) -> None:
        self._debounce.stop()
        text = self.household.text().strip()
        if not text:
            self.household_model.clear()
            self.completer.popup().hide()
            return
        seq = self._latest.next()
        self.ctx.executor.submit(list_households, self.ctx.store, text, None, 30,
                                 on_done=self._latest.wrap(seq, self._show_matches),
                                 on_error=self._latest.wrap(seq, self.errors.show_error), owner=self)

    def _show_matches(self, rows: list[HouseholdRow]) -> None:
        self.household_rows = rows
        self.household_model.clear()
        for row in rows:
            item = QStandardItem(household_label(row))
            item.setData(row.id, Qt.ItemDataRole.UserRole)
            item.setToolTip(household_label(row))
            self.household_model.appendRow(item)
        if rows and self.household.hasFocus():
            self.completer.complete()
        elif not rows:
            self.completer.popup().hide()
            self.household_chosen.setText(tr("該当する世帯がありません。名前の一部やフリガナで探してください。"))
            self.household_chosen.setStyleSheet("color: #555;")

    def _completer_chosen(self, index) -> None:
        household_id = index.data(Qt.ItemDataRole.UserRole)
        label = index.data(Qt.ItemDataRole.DisplayRole)
        if household_id:
            self.set_household(household_id, label)
            QTimer.singleShot(0, lambda: self.household.setText(label))  # after the completer wrote its text

    def set_household(self, household_id: str, label: str) -> None:
        self.to_household.setChecked(True)
        self.household_id = household_id
        self.household.setText(label)
        self._show_household_choice(label)

    def _show_household_choice(self, label: str = "") -> None:
        if self.household_id:
            self.household_chosen.setText("✓ " + tr("「{name}」の世帯に記録します", name=label.split("　")[0]))
            self.household_chosen.setStyleSheet(f"color: {OK_COLOUR};")
        else:
            self.household_chosen.setText(tr("世帯が選ばれていません"))
            self.household_chosen.setStyleSheet("color: #555;")

    def _target_changed(self, to_household: bool) -> None:
        self.household_box.setVisible(to_household)
        self.place_box.setVisible(not to_household)
        (self.household if to_household else self.place).setFocus()

    def _set_next(self, delta: tuple[str, int]) -> None:
        try:
            start = self.contact_date.date() or self.today()
        except ValueError:
            start = self.today()
        unit, n = delta
        self.next_date.set_date(add_months(start, n) if unit == "m" else start + timedelta(days=n))

    # ---- keyboard ------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.KeyPress:
            key, mods = event.key(), event.modifiers()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and mods & Qt.KeyboardModifier.ControlModifier:
                self.completer.popup().hide()
                self.save()
                return True
            if watched is self.household and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                popup = self.completer.popup()
                if not popup.isVisible() and self.household_id is None and len(self.household_rows) == 1:
                    row = self.household_rows[0]
                    self.set_household(row.id, household_label(row))
                    return True
            if watched is self.household and key == Qt.Key.Key_Down and not self.completer.popup().isVisible():
                if self.household_model.rowCount():
                    self.completer.complete()
                    return True
        return super().eventFilter(watched, event)

    def tab_stops(self) -> list[QWidget]:
        """Where Tab stops, in the order the form is read: top to bottom, left to right on a line
        (日付 → 時刻 → 方法; 支え合いを記録 → 把握シートにする → 保存 → 閉じる), one stop for the row of methods
        (the chosen one), only what can take the focus now."""
        first = [self.household] if self.to_household.isChecked() else [self.place, self.add_place_button]
        stops = [*first, self.contact_date.edit, self.contact_time, self.method.focus_button(), self.companions,
                 self.companion_text, self.seen_heard, self.concerns, self.urgency, self.isolation, self.next_action,
                 self.next_date.edit, self.tie_button, self.sheet_button, self.save_button, self.close_button]
        return [w for w in stops if w.isVisibleTo(self) and w.isEnabled()]

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: N802, A002 - Qt's name
        """Tab and Shift+Tab (from any field: a child asks its window) walk ``tab_stops`` round
        and round: 閉じる → the first field, and back."""
        stops = self.tab_stops()
        current = QApplication.focusWidget()
        if current in self.method.buttons.values():
            current = self.method.focus_button()
        if current not in stops or not stops:
            return super().focusNextPrevChild(next)
        target = stops[(stops.index(current) + (1 if next else -1)) % len(stops)]
        target.setFocus(Qt.FocusReason.TabFocusReason if next else Qt.FocusReason.BacktabFocusReason)
        return True

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers():
            return  # Enter alone never saves or closes: it is too easy to press by accident
        super().keyPressEvent(event)

    # ---- saving ------------------------------------------------------------------------------

    def values(self) -> dict:
        """What goes to ``add_contact``; ``InvalidInput`` when a date cannot be read."""
        contact_date = self.contact_date.checked_date(tr("日付"))
        next_date = self.next_date.checked_date(tr("次回の予定日"), tr("11/30、R7.11.30、令和7年11月30日、2025/11/30"))
        companions = list(self.companions.checked())
        extra = [s.strip() for s in re.split(r"[、,，]", self.companion_text.text()) if s.strip()]
        companions += [c for c in extra if c not in companions]
        to_household = self.to_household.isChecked()
        return {
            "today": self.today(),
            "method": self.method.value(),
            "contact_date": contact_date,
            "contact_time": normalise_time(self.contact_time.text()),
            "household_id": self.household_id if to_household else None,
            "place_id": None if to_household else self.place.currentData(),
            "companions": companions,
            "seen_heard": self.seen_heard.toPlainText(),
            "concerns": self.concerns.checked(),
            "urgency": self.urgency.currentData() or "",
            "isolation": self.isolation.currentData() or "",
            "next_action": self.next_action.text(),
            "next_contact_date": next_date,
        }

    def save(self) -> None:
        if self._saving:
            return
        self.errors.clear_error()
        self.confirmation.setVisible(False)
        if self.to_household.isChecked() and self.household_id is None and self.household.text().strip():
            self.errors.show_error(tr("世帯が選ばれていません。名前を入力したあと、↓キーで一覧から選んでください。"))
            self.household.setFocus()
            return
        try:
            values = self.values()
        except InvalidInput as error:
            self.errors.show_error(error)
            return
        self._set_saving(True)
        who = self.household.text().split("　")[0] if values["household_id"] else self.place.currentText()
        self.ctx.executor.submit(lambda: add_contact(self.ctx.store, **values), on_done=lambda cid: self._saved(cid, who, values),
                                 on_error=self._failed, owner=self)

    def _saved(self, contact_id: str, who: str, values: dict) -> None:
        self._set_saving(False)
        self.last_saved_id = contact_id
        self.sheet_button.setEnabled(True)
        self.last_saved_household = (values["household_id"], who) if values["household_id"] else None
        self.tie_button.setEnabled(self.last_saved_household is not None)
        when = format_wareki_short(values["contact_date"] or self.today())
        self.confirmation.setText(tr("保存しました：{who}（{when}・{method}）。続けて次の記録を入力できます。",
                                     who=who, when=when, method=values["method"]))
        self.confirmation.setVisible(True)
        self.reset()
        self.saved.emit(contact_id)
        self.ctx.changed(CONTACT, contact_id)  # 訪問記録 selects it (it is listed first: store.services.contacts)

    def reset(self) -> None:
        """Ready for the next contact: household cleared, the date kept."""
        self.household_id = None
        self.household.clear()
        self.household_model.clear()
        self.household_rows = []
        self._show_household_choice()
        self.place.setCurrentIndex(0)
        self.contact_time.clear()
        self.method.set_value(CONTACT_METHODS[0])
        self.companions.set_checked([])
        self.companion_text.clear()
        self.seen_heard.clear()
        self.concerns.set_checked([])
        self.urgency.setCurrentIndex(0)
        self.isolation.setCurrentIndex(0)
        self.next_action.clear()
        self.next_date.set_date(None)
        self._snapshot = self._values_for_dirty()
        (self.household if self.to_household.isChecked() else self.place).setFocus()

    def turn_into_sheet(self) -> None:
        if self.last_saved_id:
            open_sheet_from_contact(self.ctx, self.last_saved_id, self)

    def record_tie(self) -> None:
        """A tie heard on the visit just saved, for the household visited."""
        if self.last_saved_id and self.last_saved_household:
            from shakyo_desk.ui.tie_dialog import open_tie_dialog

            household_id, label = self.last_saved_household
            open_tie_dialog(self.ctx, self, household_id, tr("{name} さんの世帯", name=label),
                            contact_id=self.last_saved_id, source="訪問", on_error=self.errors.show_error)

    # ---- closing --------------------------------------------------------------------------

    def _values_for_dirty(self) -> tuple:
        return (self.household_id, self.place.currentData(), self.contact_time.text(), self.method.value(),
                tuple(self.companions.checked()), self.companion_text.text(), self.seen_heard.toPlainText(),
                tuple(self.concerns.checked()), self.urgency.currentIndex(), self.isolation.currentIndex(),
                self.next_action.text(), self.next_date.text())

    def is_dirty(self) -> bool:
        return self._values_for_dirty() != self._snapshot


# ---- one contact, read only ---------------------------------------------------------

class ContactDetailDialog(QDialog):
    """A recorded contact; from here it can become a concern sheet."""

    def __init__(self, ctx: AppContext, info: ContactInfo, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.info = info
        self.setWindowTitle(tr("訪問記録"))
        who = info.household_name or info.place_name
        heading = QLabel(tr("{who}　{method}", who=who, method=info.method))
        heading.setStyleSheet("font-size: 14pt; font-weight: bold;")
        grid = QGridLayout()
        rows = [
            (tr("日付"), format_wareki(info.contact_date, weekday=True) + (f"　{info.contact_time}" if info.contact_time else "")),
            (tr("方法"), info.method + (tr("（会えず）") if info.failed else "")),
            (tr("世帯・拠点"), who),
            (tr("地区"), info.district),
            (tr("担当"), info.staff_name),
            (tr("同行"), "、".join(info.companions)),
            (tr("見たこと・聞いたこと"), info.seen_heard),
            (tr("困りごと"), "・".join(info.concerns)),
            (tr("緊急度"), info.urgency),
            (tr("孤立"), info.isolation),
            (tr("次にすること"), info.next_action),
            (tr("次回の予定日"), format_wareki(info.next_contact_date, weekday=True)),
        ]
        for r, (label, value) in enumerate(rows):
            name = QLabel(label)
            name.setStyleSheet("color: #555;")
            name.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            text = QLabel(value or "—")
            text.setWordWrap(True)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(name, r, 0)
            grid.addWidget(text, r, 1)
        grid.setColumnStretch(1, 1)
        self.sheet_button = QPushButton(tr("把握シートにする"))
        self.timeline_button = QPushButton(tr("経過を見る"))
        self.timeline_button.setVisible(bool(info.household_id))
        close = QPushButton(tr("閉じる"))
        self.sheet_button.clicked.connect(lambda: open_sheet_from_contact(ctx, info.id, self))
        self.timeline_button.clicked.connect(self.show_timeline)
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.sheet_button)
        buttons.addWidget(self.timeline_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(grid)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self.setMinimumWidth(560)

    def show_timeline(self) -> None:
        self.timeline = self.ctx.navigator.open_timeline(self.info.household_id, self.info.household_name, self)


def open_contact_detail(ctx: AppContext, contact_id: str, parent: QWidget) -> None:
    def show(info: ContactInfo) -> None:
        dialog = ContactDetailDialog(ctx, info, parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        parent.contact_detail = dialog
        dialog.open()

    ctx.executor.submit(get_contact, ctx.store, contact_id, on_done=show,
                        on_error=lambda e: dialogs.inform_error(parent, tr("訪問記録"), e), owner=parent)


def open_contact_entry(ctx: AppContext, parent: QWidget, household_id: str | None = None,
                       household_label: str = "") -> ContactEntryDialog:
    dialog = ContactEntryDialog(ctx, parent, household_id=household_id, household_label=household_label)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    parent.contact_entry = dialog
    dialog.open()
    return dialog
