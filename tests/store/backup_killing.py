"""Kill a real restore (store/backup.py) at a chosen step, in a child process (the runner and
what dying means: tests/killing.py).

Kill points (``POINTS``), in the order of the restore:

``mid-write``  a few chunks of the database written under ``shakyo.db.restoring.partial``
``written``    the database written and fsynced, the old store's files aside (``--replace``),
               the key file not yet written
``keyed``      the key file written; the database not yet renamed into place
``placed``     the database in place; not yet opened, no new epoch, no audit entry
``done``       restore_backup returned

``run_backup_killed`` kills a backup while it seals the frozen database file (its read
transaction open, the ``.partial`` half written).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.killing import KILLED, die, run_child, wrap

__all__ = ["KILLED", "POINTS", "run_backup_killed", "run_killed"]

POINTS = ("mid-write", "written", "keyed", "placed", "done")


def run_killed(source: Path, root: Path, recovery_key: str, point: str, replace: bool, timeout: float = 120) -> int:
    return run_child(__name__, {"source": str(source), "root": str(root), "recovery": recovery_key,
                                "point": point, "replace": replace}, timeout)


def run_backup_killed(store: Path, login: str, passphrase: str, target: Path, timeout: float = 120) -> int:
    return run_child(__name__, {"op": "backup", "store": str(store), "login": login, "passphrase": passphrase,
                                "target": str(target)}, timeout)


def _install(point: str) -> None:
    from shakyo_desk.domain import safe_file
    from shakyo_desk.store import backup

    if point == "mid-write":
        original = safe_file.StagedFile.write
        calls = []

        def write(self, data):
            calls.append(1)
            if len(calls) > 3:
                die()
            return original(self, data)

        safe_file.StagedFile.write = write
    elif point == "written":
        wrap(safe_file, "write_atomic", before=True, when=lambda path, *a, **k: Path(path).name == "keys.json")
    elif point == "keyed":
        wrap(safe_file, "write_atomic", after=True, when=lambda path, *a, **k: Path(path).name == "keys.json")
    elif point == "placed":
        wrap(backup, "open_engine", before=True)
    elif point != "done":
        raise ValueError(point)


def child(raw: str) -> None:
    spec = json.loads(raw)
    from shakyo_desk.store import backup

    if spec.get("op") == "backup":
        from shakyo_desk.store.store import unlock

        store = unlock(Path(spec["store"]), spec["login"], spec["passphrase"])
        original, calls = backup._encrypt, []

        def encrypt(*args):
            calls.append(1)
            if len(calls) > 3:
                die()
            return original(*args)

        backup._encrypt = encrypt
        backup.create_backup(store, Path(spec["target"]), chunk_size=4096)
        return

    _install(spec["point"])
    backup.restore_backup(Path(spec["source"]), Path(spec["root"]), spec["recovery"], replace=spec["replace"])
