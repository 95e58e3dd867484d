"""A store folder left world-readable by an older version is made owner-only at unlock, and only
the app's own files in it are touched (issue 16). The whole run is tests/test_file_modes.py."""

import os
import stat

import pytest

from shakyo_desk.store.store import unlock

from .conftest import PASSPHRASE

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")


def mode(path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_an_old_store_is_made_owner_only_at_unlock_and_nothing_else(store, district):
    root = store.layout.root
    store.close()
    (root / "backups").mkdir(exist_ok=True)
    (root / "backups" / "before-migration-0009.db").write_bytes(b"old copy")
    (root / "quarantine").mkdir()
    (root / "quarantine" / "abc-hostile.bundle").write_bytes(b"x")
    theirs = root / "メモ.txt"  # a person's own file in the folder they chose
    theirs.write_text("職員のメモ", encoding="utf-8")
    ours = [root / "shakyo.db", root / "keys.json", root / "unlock-state.json",
            root / "backups" / "before-migration-0009.db", root / "quarantine" / "abc-hostile.bundle"]
    for path in [root, root / "backups", root / "quarantine"]:
        os.chmod(path, 0o755)
    for path in [*ours, theirs]:
        if path.exists():
            os.chmod(path, 0o644)

    opened = unlock(root, "admin", PASSPHRASE)
    try:
        assert [mode(p) for p in (root, root / "backups", root / "quarantine")] == [0o700] * 3
        assert {p.name: mode(p) for p in ours if p.exists()} == {p.name: 0o600 for p in ours if p.exists()}
        assert mode(root / "shakyo.db-wal") == mode(root / "shakyo.db-shm") == 0o600
        assert mode(theirs) == 0o644
    finally:
        opened.close()

