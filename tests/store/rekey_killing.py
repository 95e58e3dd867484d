"""Kill a real `account disable` (and its key rotation, store/rekey.py) at a chosen step, in a
child process.

The child (``python -c``) unlocks a real store as admin, replaces one function with a wrapper
that calls ``os._exit(KILLED)`` at the chosen step — the patch lives only in the child — and
disables an account. ``os._exit`` skips every ``finally``: no rollback, no cleanup, no close,
as when the power goes.

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
import os
import subprocess
import sys
import threading
from pathlib import Path

KILLED = 9
POINTS = ("disabled", "pending", "mid-rekey", "rekeyed", "checkpointed", "verified", "switching", "switched", "done")
ROOT = Path(__file__).resolve().parents[2]
_CHILD = "import sys; from tests.store.rekey_killing import child; child(sys.argv[1])"


def run_killed(store: Path, passphrase: str, login: str, point: str, timeout: float = 120) -> int:
    spec = json.dumps({"store": str(store), "passphrase": passphrase, "login": login, "point": point})
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-c", _CHILD, spec], cwd=ROOT, env=env, capture_output=True,
                          timeout=timeout, text=True)
    if done.returncode not in (0, KILLED):
        raise AssertionError(f"child failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.returncode


def _die() -> None:
    sys.stdout.flush()
    os._exit(KILLED)


def _before(owner, name: str) -> None:
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        _die()
        return original(*args, **kwargs)

    setattr(owner, name, wrapper)


def _install(point: str) -> None:
    from shakyo_desk.store import rekey
    from shakyo_desk.store.store import Store

    if point == "disabled":
        _before(rekey, "rotate")
    elif point == "pending":
        _before(rekey, "rekey_database")
    elif point == "mid-rekey":
        original = rekey.rekey_database

        def watched(database: Path, *args, **kwargs):
            wal = database.with_name(database.name + "-wal")

            def watch() -> None:  # the first rewritten pages reach the WAL: die there
                while True:
                    try:
                        if wal.stat().st_size > 256 * 1024:
                            _die()
                    except OSError:
                        pass

            threading.Thread(target=watch, daemon=True).start()
            return original(database, *args, **kwargs)

        rekey.rekey_database = watched
    elif point == "rekeyed":
        _before(rekey, "checkpoint")
    elif point == "checkpointed":
        _before(rekey, "verify")
    elif point == "verified":
        _before(rekey, "switch_key_files")
    elif point == "switching":
        def switch(layout, keyfile) -> None:
            keyfile.save(layout.key_file)
            _die()

        rekey.switch_key_files = switch
    elif point == "switched":
        _before(Store, "replace_key")
    elif point != "done":
        raise ValueError(point)


def child(spec_json: str) -> None:
    spec = json.loads(spec_json)
    from shakyo_desk.store.services import accounts
    from shakyo_desk.store.store import unlock

    store = unlock(Path(spec["store"]), "admin", spec["passphrase"])
    _install(spec["point"])
    accounts.disable_account(store, accounts.get_account(store, spec["login"]).id)
    _die()  # done: killed before anything is closed
