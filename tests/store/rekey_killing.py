"""Kill a real `account disable` (and its key rotation, store/rekey.py) at a chosen step, in a
child process (the runner and what dying means: tests/killing.py). The child unlocks a real
store as admin, replaces one function with a wrapper that dies at the chosen step and disables
an account.

Kill points (``POINTS``), in the order of the rotation:

``disabled``      the account is disabled (committed); the rotation has not begun
``pending``       keys.json.next written; the database still has the old key
``mid-rekey``     SQLCipher is rewriting the pages into the WAL; nothing committed
``rekeyed``       the rekey committed (in the WAL), not yet checkpointed or checked
``checkpointed``  the WAL folded back; not yet checked
``verified``      checked; keys.json still the old file
``switching``     keys.json written with the new key; keys.json.next not yet removed
``switched``      the key files done; the session not yet moved to the new key, no audit
``done``          disable_account returned
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from tests.killing import KILLED, die, run_child, wrap

__all__ = ["KILLED", "POINTS", "run_killed"]

POINTS = ("disabled", "pending", "mid-rekey", "rekeyed", "checkpointed", "verified", "switching", "switched", "done")


def run_killed(store: Path, passphrase: str, login: str, point: str, timeout: float = 120) -> int:
    return run_child(__name__, {"store": str(store), "passphrase": passphrase, "login": login, "point": point},
                     timeout)


def _install(point: str) -> None:
    from shakyo_desk.store import rekey
    from shakyo_desk.store.store import Store

    if point == "disabled":
        wrap(rekey, "rotate", before=True)
    elif point == "pending":
        wrap(rekey, "rekey_database", before=True)
    elif point == "mid-rekey":
        original = rekey.rekey_database

        def watched(database: Path, *args, **kwargs):
            wal = database.with_name(database.name + "-wal")

            def watch() -> None:  # the first rewritten pages reach the WAL: die there
                while True:
                    try:
                        if wal.stat().st_size > 256 * 1024:
                            die()
                    except OSError:
                        pass

            threading.Thread(target=watch, daemon=True).start()
            return original(database, *args, **kwargs)

        rekey.rekey_database = watched
    elif point == "rekeyed":
        wrap(rekey, "checkpoint", before=True)
    elif point == "checkpointed":
        wrap(rekey, "verify", before=True)
    elif point == "verified":
        wrap(rekey, "switch_key_files", before=True)
    elif point == "switching":
        def switch(layout, keyfile) -> None:
            keyfile.save(layout.key_file)
            die()

        rekey.switch_key_files = switch
    elif point == "switched":
        wrap(Store, "replace_key", before=True)
    elif point != "done":
        raise ValueError(point)


def child(spec_json: str) -> None:
    spec = json.loads(spec_json)
    from shakyo_desk.store.services import accounts
    from shakyo_desk.store.store import unlock

    store = unlock(Path(spec["store"]), "admin", spec["passphrase"])
    _install(spec["point"])
    accounts.disable_account(store, accounts.get_account(store, spec["login"]).id)
    die()  # done: killed before anything is closed
