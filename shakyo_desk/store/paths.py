"""Where a store keeps its files. A store is one folder."""

from dataclasses import dataclass
from pathlib import Path

import platformdirs

from shakyo_desk import APP_NAME


def default_store_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "store"


def default_demo_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "demo"


@dataclass(frozen=True)
class StoreLayout:
    root: Path

    @property
    def database(self) -> Path:
        return self.root / "shakyo.db"

    @property
    def key_file(self) -> Path:
        return self.root / "keys.json"

    @property
    def unlock_state(self) -> Path:
        return self.root / "unlock-state.json"

    @property
    def backups(self) -> Path:
        return self.root / "backups"

    @property
    def staging(self) -> Path:
        return self.root / "staging"

    def exists(self) -> bool:
        return self.database.is_file() and self.key_file.is_file()
