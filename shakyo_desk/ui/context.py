"""What every screen needs: the open store, the executor, UI settings, the navigator (the one
way from one screen to another) and the session's events (screens announce what they changed).

One context is made per unlocked session and passed down explicitly; there is
no global application singleton. After an idle lock the same account gets a
fresh ``Store`` in the same context.

This module imports no screen. The navigator (``ui/navigator.py``) imports the dialogs, and the
dialogs use it only through ``ctx.navigator``: the main window gives the context its navigator;
a context made without one (tests, tools) makes one with the factory ``set_default_navigator``
was given."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shakyo_desk.store.services.council import CouncilSettings
from shakyo_desk.store.store import Store
from shakyo_desk.ui.events import Events
from shakyo_desk.ui.uisettings import UiSettings
from shakyo_desk.ui.worker import Executor

_default_navigator: Callable[[AppContext], Any] | None = None


def set_default_navigator(factory: Callable[[AppContext], Any] | None) -> None:
    """How a context that was given no navigator makes one (``ui.navigator.Navigator``)."""
    global _default_navigator
    _default_navigator = factory


@dataclass
class AppContext:
    store: Store
    executor: Executor
    ui_settings: UiSettings
    council: CouncilSettings | None = None
    kdf: dict | None = None  # tests pass FAST_KDF; real use keeps the default Argon2 cost
    demo: bool = False
    idle_ms_override: int | None = None
    events: Events = field(default_factory=Events, repr=False, compare=False)
    _navigator: Any = field(default=None, init=False, repr=False, compare=False)

    @property
    def navigator(self) -> Any:
        """The ``ui.navigator.Navigator`` every screen opens other screens with."""
        if self._navigator is None:
            if _default_navigator is None:
                raise RuntimeError("this context has no navigator; the main window gives it one")
            self._navigator = _default_navigator(self)
        return self._navigator

    @navigator.setter
    def navigator(self, navigator: Any) -> None:
        self._navigator = navigator

    def changed(self, kind: str, record_id: str | None = None) -> None:
        """Announce that something of ``kind`` (``ui.events``) was written; ``record_id``: the
        one record saved, which lists showing it may select."""
        if record_id:
            self.events.saved.emit(kind, record_id)
        self.events.changed.emit(kind)

    @property
    def root(self) -> Path:
        return self.store.layout.root

    @property
    def role(self):
        return self.store.actor.role

    def idle_ms(self) -> int:
        if self.idle_ms_override is not None:
            return self.idle_ms_override
        minutes = self.council.idle_lock_minutes if self.council else 10
        return max(1, int(minutes)) * 60_000
