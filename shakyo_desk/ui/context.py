"""What every screen needs: the open store, the executor and UI settings.

One context is made per unlocked session and passed down explicitly; there is
no global application singleton. After an idle lock the same account gets a
fresh ``Store`` in the same context."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from shakyo_desk.store.services.council import CouncilSettings
from shakyo_desk.store.store import Store
from shakyo_desk.ui.uisettings import UiSettings
from shakyo_desk.ui.worker import Executor


@dataclass
class AppContext:
    store: Store
    executor: Executor
    ui_settings: UiSettings
    council: CouncilSettings | None = None
    kdf: dict | None = None  # tests pass FAST_KDF; real use keeps the default Argon2 cost
    demo: bool = False
    idle_ms_override: int | None = None
    extra: dict = field(default_factory=dict)

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
