"""Kill a real export, import or mailbox run at a chosen step, in a child process.

The child (``python -c``) unlocks a real store, replaces one function with a wrapper that calls
``os._exit(KILLED)`` at the chosen step — the patch lives only in the child, product code has no
test hook — and runs the operation. ``os._exit`` skips every ``finally`` and ``__exit__``: no
rollback, no cleanup, no close, as when the power goes or the process is killed.

Kill points (``POINTS``):

export   ``sealing``        inside the transaction that gathers and packs the changes
         ``before-write``   the bundle is packed and its number reserved; no file yet
         ``before-rename``  ``name.partial`` written and fsynced, not renamed
         ``after-rename``   ``name`` in place, not yet read back
         ``after-verify``   the file read back and verified; the export not yet recorded as done
         ``after-commit``   the export returned (everything recorded)
import   ``staged``         the file copied into staging/, nothing opened
         ``mid-apply``      the first slice of changes written inside the import's transaction
         ``before-commit``  everything applied and recorded, the transaction not committed
         ``after-commit``   committed, the staging copy not yet removed
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

KILLED = 9

EXPORT_POINTS = ("sealing", "before-write", "before-rename", "after-rename", "after-verify", "after-commit")
IMPORT_POINTS = ("staged", "mid-apply", "before-commit", "after-commit")

ROOT = Path(__file__).resolve().parents[2]

_CHILD = "import sys; from tests.sync.killing import child; child(sys.argv[1])"


def run_killed(action: dict, point: str, passphrase: str, timeout: float = 120) -> int:
    """Run ``action`` in a child process killed at ``point``; the child's exit code (KILLED when
    the point was reached)."""
    spec = json.dumps({**action, "point": point, "passphrase": passphrase})
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-c", _CHILD, spec], cwd=ROOT, env=env, capture_output=True,
                          timeout=timeout, text=True)
    if done.returncode not in (0, KILLED):
        raise AssertionError(f"child failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.returncode


# ---- in the child -------------------------------------------------------------------------


def _die() -> None:
    sys.stdout.flush()
    os._exit(KILLED)


def _wrap(owner, name: str, *, before: bool = False, after: bool = False, when=lambda *a, **k: True) -> None:
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        if before and when(*args, **kwargs):
            _die()
        value = original(*args, **kwargs)
        if after and when(*args, **kwargs):
            _die()
        return value

    setattr(owner, name, wrapper)


def _install(kind: str, point: str) -> None:
    from shakyo_desk.domain import safe_file
    from shakyo_desk.store.exchange import apply, exporting, importing

    def a_bundle(staged, *a, **k) -> bool:
        return staged.target.name.endswith(".bundle")

    if kind == "export":
        if point == "sealing":
            _wrap(exporting, "pack_bundle_hashed", before=True)
        elif point == "before-write":
            _wrap(exporting, "write_bundle_file", before=True)
        elif point == "before-rename":
            original = safe_file.StagedFile.commit

            def commit(self):
                if a_bundle(self):
                    self.finish()  # name.partial complete on the disk
                    _die()
                return original(self)

            safe_file.StagedFile.commit = commit
        elif point == "after-rename":
            _wrap(safe_file.StagedFile, "commit", after=True, when=a_bundle)
        elif point == "after-verify":
            _wrap(exporting, "write_bundle_file", after=True)
        elif point != "after-commit":
            raise ValueError(point)
    elif kind == "import":
        if point == "staged":
            _wrap(importing, "verify_bundle", before=True)
        elif point == "mid-apply":
            _wrap(apply, "refresh_entities", after=True)
        elif point == "before-commit":
            _wrap(importing, "_record", after=True)
        elif point == "after-commit":
            original_unlink = Path.unlink

            def unlink(self, *args, **kwargs):
                if self.parent.name == "staging":
                    _die()
                return original_unlink(self, *args, **kwargs)

            Path.unlink = unlink
        else:
            raise ValueError(point)
    else:
        raise ValueError(kind)


def child(spec_json: str) -> None:
    spec = json.loads(spec_json)
    from shakyo_desk.store.store import unlock

    store = unlock(Path(spec["store"]), "admin", spec["passphrase"])
    kind, point = spec["point"].split(":", 1)
    _install(kind, point)
    if spec["do"] == "export":
        from shakyo_desk.store.exchange.exporting import export_bundle

        export_bundle(store, Path(spec["to"]), for_device=spec.get("for"))
    elif spec["do"] == "import":
        from shakyo_desk.store.exchange.importing import import_paths

        import_paths(store, [Path(p) for p in spec["paths"]])
    elif spec["do"] == "mailbox":
        from shakyo_desk.store.exchange.mailbox import exchange

        exchange(store, Path(spec["shared"]))
    else:
        raise ValueError(spec["do"])
    if point == "after-commit":
        _die()  # done and committed: killed before anything is closed
    store.close()
