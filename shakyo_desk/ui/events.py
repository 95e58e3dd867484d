"""Screens announce what they changed; lists and badges listen and refresh only what it touched.

A screen that wrote something calls ``ctx.changed(kind)`` after the service returned (its
``on_done``). Pages keep themselves fresh with ``keep_fresh``: a visible page reloads at once,
a hidden one the next time it is shown, and nothing reloads merely because a page was shown
again. The main window recounts the navigation badges whose kinds were announced.

Kinds (what was written, not which screen wrote it):

- ``household`` households, members, consents; ``contact`` 訪問記録; ``sheet`` 把握シート and
  their status; ``referral`` つなぎ; ``salon`` salons and sessions; ``conference`` 会議;
  ``handout`` the handout register (copies made, collected, destroyed); ``case`` 支援ケース and
  what belongs to them (assessment, plan, monitoring, closure, requests to a meeting);
  ``community`` the community side: 支え合い (ties), 担い手, 地域活動, 地域課題 and its evidence;
- ``conflict`` 要確認 chosen, or records imported (which may open or settle some); ``sync`` records
  arrived from another device and ``purge`` households erased with all their records (保存期間の
  整理): anything may have changed, so every list that shows records listens to both;
- ``account`` staff accounts; ``register`` districts, agencies and other registers;
  ``settings`` the council's settings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtWidgets import QWidget

HOUSEHOLD = "household"
CONTACT = "contact"
SHEET = "sheet"
REFERRAL = "referral"
SALON = "salon"
CONFERENCE = "conference"
HANDOUT = "handout"
CASE = "case"
COMMUNITY = "community"
CONFLICT = "conflict"
SYNC = "sync"
PURGE = "purge"
ACCOUNT = "account"
REGISTER = "register"
SETTINGS = "settings"

RECORDS = frozenset({HOUSEHOLD, CONTACT, SHEET, REFERRAL, SALON, CONFERENCE, HANDOUT, CASE, COMMUNITY})
KINDS = RECORDS | {CONFLICT, SYNC, PURGE, ACCOUNT, REGISTER, SETTINGS}


def on(*kinds: str | Iterable[str]) -> frozenset[str]:
    """The kinds a list depends on, plus ``sync`` and ``purge`` (they may change any of them)."""
    out: set[str] = {SYNC, PURGE}
    for kind in kinds:
        out |= {kind} if isinstance(kind, str) else set(kind)
    unknown = out - KINDS
    if unknown:
        raise ValueError(f"unknown kinds of change: {sorted(unknown)}")
    return frozenset(out)


class Events(QObject):
    """One per session (``AppContext.events``). ``changed(kind)`` after a successful write;
    ``saved(kind, id)`` just before it when one record was saved from a screen, so a list that
    shows it can select it once it has reloaded (e.g. the visit just saved in 訪問記録)."""

    changed = Signal(str)
    saved = Signal(str, str)


class _KeepFresh(QObject):
    """Reloads ``widget`` when one of ``kinds`` changes: at once, unless its window is on screen
    and it is not (then the next time it is shown)."""

    def __init__(self, widget: QWidget, events: Events, kinds: frozenset[str], reload: Callable[[], None]):
        super().__init__(widget)
        self.widget = widget
        self.kinds = kinds
        self.reload = reload
        self.stale = False
        events.changed.connect(self._changed)
        widget.installEventFilter(self)

    def _changed(self, kind: str) -> None:
        if kind not in self.kinds:
            return
        if self.widget.window().isVisible() and not self.widget.isVisible():
            self.stale = True  # e.g. a page of the main window not shown now
        else:
            self.stale = False
            self.reload()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        # getattr: Qt can still deliver an event while Python is tearing this filter down
        # (a page dropped right after it was shown), when its attributes are already gone.
        if watched is getattr(self, "widget", None) and event.type() == QEvent.Type.Show and self.stale:
            self.stale = False
            self.reload()
        return False


def keep_fresh(widget: QWidget, events: Events, kinds: frozenset[str],
               reload: Callable[[], None] | None = None) -> None:
    """Reload ``widget`` (``widget.refresh`` unless ``reload`` is given) after a change of ``kinds``
    is announced on ``events``: at once, or, when it is hidden in a window on screen (a page not
    shown now), the next time it is shown."""
    _KeepFresh(widget, events, kinds, reload or widget.refresh)
