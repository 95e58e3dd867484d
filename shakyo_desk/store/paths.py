"""Where a store keeps its files. A store is one folder."""

from dataclasses import dataclass
from pathlib import Path

import platformdirs

from shakyo_desk import APP_NAME
from shakyo_desk.domain import safe_file

# What the app keeps in a store folder besides the database and its -wal, -shm and -journal.
_STORE_FILES = ("keys.json", "unlock-state.json")
_STORE_FOLDERS = ("backups", "staging", "quarantine")


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

    def restrict(self) -> None:
        """Owner-only modes (0700 folders, 0600 files) on what the app keeps here, for a store
        that an older version made with 0755 and 0644: quietly, and only on our own names, since
        a person may have chosen a folder that holds other files too. Nothing on Windows, where
        the folder has the ACL of the user's profile."""
        safe_file.restrict_dir(self.root)
        database = self.database.name
        for name in (database, database + "-wal", database + "-shm", database + "-journal", *_STORE_FILES):
            if (self.root / name).is_file():
                safe_file.restrict_file(self.root / name)
        for name in _STORE_FOLDERS:
            if (self.root / name).is_dir():
                safe_file.restrict_tree(self.root / name)
