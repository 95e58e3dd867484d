"""The one date entry of the app: a date typed as people write it (2025/11/23,
11/23, R7.11.23, 令和7年11月23日, 今日, 昨日 — read by ``domain.dates.parse_date_text``)
or picked from a calendar, with the 和暦 shown beside it.

A date that cannot be used is explained beside the field in the parser's own sentence
(「令和7年2月30日という日はありません（2025年2月は28日までです）。」); text that is not a date at
all gets the forms the field accepts. Saving names the field with the same sentence."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, QEvent, Qt, Signal
from PySide6.QtWidgets import QCalendarWidget, QHBoxLayout, QLabel, QLineEdit, QMenu, QToolButton, QWidget, QWidgetAction

from shakyo_desk.domain.dates import DateTextError, parse_date_text
from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.i18n import tr
from shakyo_desk.ui.appearance import current_scale, keep_wrapped_text_visible
from shakyo_desk.ui.style import ERROR_COLOUR
from shakyo_desk.domain import clock

WAREKI_SAMPLE = "令和10年12月31日（水）"  # about the longest 和暦 a date field shows
DATE_EXAMPLES = "R7.4.1、令和7年4月1日、2025/4/1、今日、昨日"  # the forms a date field accepts, for people


def date_problem(error: ValueError) -> str:
    """What a date field says about text it cannot use: the parser's sentence for a date that
    is wrong (平成31年5月1日, 令和7年2月30日), the accepted forms for text that is no date at all."""
    if isinstance(error, DateTextError) and not error.unreadable:
        return error.message
    return tr("日付として読み取れません。例：{examples}", examples=tr(DATE_EXAMPLES))


def date_text(d: date | None) -> str:
    return d.strftime("%Y/%m/%d") if d else ""


def to_qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


class DateField(QWidget):
    """A date typed as text (or picked from a calendar), with the 和暦 shown beside it.
    A required field starts at today; ``optional`` fields may stay empty. The calendar
    offers no day after today unless ``allow_future``."""

    changed = Signal()

    def __init__(self, value: date | None = None, parent: QWidget | None = None, *, optional: bool = False,
                 placeholder: str = "", allow_future: bool = True):
        super().__init__(parent)
        self.optional = optional
        if value is None and not optional:
            value = clock.today()
        self.edit = QLineEdit(date_text(value))
        self.edit.setPlaceholderText(placeholder or tr("例：2025/11/23"))
        self.calendar_button = QToolButton()
        self.calendar_button.setArrowType(Qt.ArrowType.DownArrow)
        self.calendar_button.setStyleSheet("QToolButton::menu-indicator { image: none; width: 0px; }")
        self.calendar_button.setToolTip(tr("カレンダーから選ぶ"))
        self.calendar_button.setAccessibleName(tr("カレンダーから選ぶ"))
        self.calendar_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.calendar_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.calendar = QCalendarWidget()
        self.calendar.setGridVisible(True)
        if not allow_future:
            self.calendar.setMaximumDate(QDate.currentDate())
        menu = QMenu(self.calendar_button)
        action = QWidgetAction(menu)
        action.setDefaultWidget(self.calendar)
        menu.addAction(action)
        self.calendar_button.setMenu(menu)
        menu.aboutToShow.connect(self._sync_calendar)
        self.calendar.clicked.connect(lambda q: (self.set_date(date(q.year(), q.month(), q.day())), menu.close()))
        self.wareki = QLabel()
        keep_wrapped_text_visible(self.wareki)  # a sentence about a wrong date wraps (see _update)
        self._widths: dict[str, int] = {}
        self._fit_widths()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.edit)
        layout.addWidget(self.calendar_button)
        layout.addWidget(self.wareki, 1)
        self.setFocusProxy(self.edit)
        self.edit.textChanged.connect(self._update)
        self._update()

    def _fit_widths(self) -> None:
        """Widths that hold a date and its 和暦 at the current text size. A width a screen set
        itself (e.g. a narrower field) is left alone."""
        scale = current_scale()
        wanted = {
            "edit_min": round(120 * scale), "edit_max": round(150 * scale),
            "wareki": max(round(170 * scale), self.fontMetrics().horizontalAdvance(WAREKI_SAMPLE) + 6),
        }
        current = {"edit_min": self.edit.minimumWidth(), "edit_max": self.edit.maximumWidth(),
                   "wareki": self.wareki.minimumWidth()}
        setters = {"edit_min": self.edit.setMinimumWidth, "edit_max": self.edit.setMaximumWidth,
                   "wareki": self.wareki.setMinimumWidth}
        for key, width in wanted.items():
            if key not in self._widths or current[key] == self._widths[key]:
                setters[key](width)
                self._widths[key] = width

    def setAccessibleName(self, name: str) -> None:  # noqa: N802 - names the text box a person types in
        super().setAccessibleName(name)
        self.edit.setAccessibleName(name)

    def showEvent(self, event) -> None:  # noqa: N802
        """A row label (QFormLayout) names this field; screen readers look at the text box."""
        if not self.edit.accessibleName() and self.parentWidget() is not None:
            for label in self.parentWidget().findChildren(QLabel, options=Qt.FindChildOption.FindDirectChildrenOnly):
                if label.buddy() is self and label.text().strip():
                    self.edit.setAccessibleName(label.text().replace("&", "").strip())
                    break
        super().showEvent(event)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.FontChange:
            self._fit_widths()
        super().changeEvent(event)

    def set_minimum(self, value: date) -> None:
        """The earliest day the calendar offers."""
        self.calendar.setMinimumDate(to_qdate(value))

    def _sync_calendar(self) -> None:
        try:
            d = self.date()
        except ValueError:
            d = None
        d = d or clock.today()
        self.calendar.setSelectedDate(to_qdate(d))

    def _update(self) -> None:
        try:
            d = parse_date_text(self.edit.text())
        except ValueError as error:
            problem = date_problem(error)
            self.wareki.setWordWrap(True)
            self.wareki.setText(problem)
            self.wareki.setToolTip(problem)
            self.wareki.setStyleSheet(f"color: {ERROR_COLOUR};")
        else:
            self.wareki.setWordWrap(False)  # one line, as wide as it needs: the layout sizes itself on it
            self.wareki.setText(format_wareki(d, weekday=True) if d else (tr("（未定）") if self.optional else ""))
            self.wareki.setToolTip("")
            self.wareki.setStyleSheet("color: #333;")
        self._fit_wareki_height()
        self.changed.emit()

    def _fit_wareki_height(self) -> None:
        """Room for every line of the text beside the field (a sentence about a wrong date is
        longer than a 和暦), now that the text changed: the label's width has not."""
        width = self.wareki.width()
        need = self.wareki.heightForWidth(width) if self.wareki.wordWrap() and self.isVisible() else 0
        if need != self.wareki.minimumHeight():
            self.wareki.setMinimumHeight(max(0, need))
            self.updateGeometry()

    def date(self) -> date | None:
        """The typed date; ``ValueError`` when it cannot be read."""
        return parse_date_text(self.edit.text())

    def checked_date(self, what: str, examples: str = "") -> date | None:
        """The typed date for saving; ``InvalidInput`` naming the field when it cannot be used:
        「開催日：令和7年2月30日という日はありません…」, or for text that is no date at all the
        forms to write (``examples``, the usual ones unless given)."""
        try:
            return self.date()
        except ValueError as error:
            if isinstance(error, DateTextError) and not error.unreadable:
                raise InvalidInput(tr("{what}：{problem}", what=what, problem=error.message)) from None
            raise InvalidInput(tr("{what}「{t}」は日付として読み取れません。次のように入力してください（例：{examples}）。",
                                  what=what, t=self.text().strip(),
                                  examples=examples or tr(DATE_EXAMPLES))) from None

    @staticmethod
    def checked_period(start: DateField, end: DateField) -> tuple[date | None, date | None]:
        """The two ends of a period filter; ``InvalidInput`` naming the end that cannot be used."""
        return start.checked_date(tr("期間のはじめ")), end.checked_date(tr("期間のおわり"))

    def set_date(self, value: date | None) -> None:
        self.edit.setText(date_text(value))

    def text(self) -> str:
        return self.edit.text()
