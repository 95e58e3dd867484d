"""Empty states: a list with nothing in it says what to do, in one short sentence.

Two ways are used in the app:

- ``widgets.table_or_empty(table)`` puts the table in a stack with a large message in its
  place (the main lists of the pages: 世帯, 訪問記録, 見守り予定 …);
- ``set_empty_hint(view, text)`` (here) lays the sentence over the view's empty area, so a
  list inside a dialog or a panel keeps its place and its column headers. The hint shows
  itself whenever the view's model has no rows, and hides when rows come.

Wording: "nothing yet" names the button that adds the first one (「まだ…がありません。
「○○」から…」); "nothing matches" says so and asks to change the conditions
(``no_match``)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractItemView, QLabel

from shakyo_desk.i18n import tr

HINT_PROPERTY = "shakyoEmptyHint"


def no_match(what: str, how: str = "") -> str:
    """「条件に合う{what}はありません。{how}条件を変えてください。」"""
    return tr("条件に合う{what}はありません。{how}条件を変えてください。", what=what, how=how)


class EmptyHint(QLabel):
    """The sentence over an empty item view (a child of its viewport; clicks go through)."""

    ROOMY = "QLabel#emptyHint { color: #555; font-size: 11pt; padding: 16px; background: transparent; }"
    TIGHT = "QLabel#emptyHint { color: #555; font-size: 11pt; padding: 2px 6px; background: transparent; }"
    SAVED = 2 * (16 - 2)  # height the tight padding saves

    def __init__(self, view: QAbstractItemView):
        super().__init__(view.viewport())
        self.view = view
        self._model = None
        self.setObjectName("emptyHint")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self._tight = False
        self.setStyleSheet(self.ROOMY)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        view.viewport().installEventFilter(self)
        self.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() in (QEvent.Type.Resize, QEvent.Type.Show):
            self.update_state()
        return False

    def _bind(self) -> None:
        model = self.view.model()
        if model is self._model or model is None:
            return
        self._model = model
        for signal in (model.rowsInserted, model.rowsRemoved, model.modelReset, model.layoutChanged):
            signal.connect(self.update_state)

    def is_empty(self) -> bool:
        model = self.view.model()
        return model is None or model.rowCount() == 0

    def update_state(self, *_args) -> None:
        self._bind()
        area = self.view.viewport().rect()
        self.setGeometry(area)
        shown = self.is_empty() and bool(self.text())
        if shown:
            self._fit(area.width(), area.height())
        self.setVisible(shown)
        self.view.setAccessibleDescription(self.text() if shown else "")


    def _fit(self, width: int, height: int) -> None:
        """Less padding when the sentence would not fit a short list otherwise (large text)."""
        need = self.heightForWidth(width)
        tight = need > height if not self._tight else need + self.SAVED > height
        if tight != self._tight:
            self._tight = tight
            self.setStyleSheet(self.TIGHT if tight else self.ROOMY)


def set_empty_hint(view: QAbstractItemView, text: str) -> EmptyHint:
    """Show ``text`` over ``view`` whenever it has no rows (call again to change the sentence)."""
    hint = empty_hint(view)
    if hint is None:
        hint = EmptyHint(view)
        view.setProperty(HINT_PROPERTY, True)
        view._empty_hint = hint  # keep the Python wrapper with the view
    hint.setText(text)
    hint.update_state()
    return hint


def empty_hint(view: QAbstractItemView) -> EmptyHint | None:
    hint = getattr(view, "_empty_hint", None)
    if hint is None:
        hint = view.viewport().findChild(QLabel, "emptyHint")
    return hint if isinstance(hint, EmptyHint) else None


def shown_empty_text(view: QAbstractItemView) -> str:
    """The hint a person sees over ``view`` now ('' when none: rows, or no hint)."""
    hint = empty_hint(view)
    return hint.text() if hint is not None and hint.is_empty() and not hint.isHidden() else ""
