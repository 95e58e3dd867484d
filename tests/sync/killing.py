"""Kill a real export, import or mailbox run at a chosen step, in a child process (the runner
and what dying means: tests/killing.py). The child unlocks a real store, replaces one function
with a wrapper that dies at the chosen step and runs the operation.

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
from pathlib import Path

from tests.killing import KILLED, die, run_child, wrap

__all__ = ["EXPORT_POINTS", "IMPORT_POINTS", "KILLED", "run_killed"]

EXPORT_POINTS = ("sealing", "before-write", "before-rename", "after-rename", "after-verify", "after-commit")
IMPORT_POINTS = ("staged", "mid-apply", "before-commit", "after-commit")


def run_killed(action: dict, point: str, passphrase: str, timeout: float = 120) -> int:
    """Run ``action`` in a child process killed at ``point``; the child's exit code (KILLED when
    the point was reached)."""
    return run_child(__name__, {**action, "point": point, "passphrase": passphrase}, timeout)


# ---- in the child -------------------------------------------------------------------------


def _install(kind: str, point: str) -> None:
    from shakyo_desk.domain import safe_file
    from shakyo_desk.store.exchange import apply, exporting, importing

    def a_bundle(staged, *a, **k) -> bool:
        return staged.target.name.endswith(".bundle")

    if kind == "export":
        if point == "sealing":
            wrap(exporting, "pack_bundle_hashed", before=True)
        elif point == "before-write":
            wrap(exporting, "write_bundle_file", before=True)
        elif point == "before-rename":
            original = safe_file.StagedFile.commit

            def commit(self):
                if a_bundle(self):
                    self.finish()  # name.partial complete on the disk
                    die()
                return original(self)

            safe_file.StagedFile.commit = commit
        elif point == "after-rename":
            wrap(safe_file.StagedFile, "commit", after=True, when=a_bundle)
        elif point == "after-verify":
            wrap(exporting, "write_bundle_file", after=True)
        elif point != "after-commit":
            raise ValueError(point)
    elif kind == "import":
        if point == "staged":
            wrap(importing, "verify_bundle", before=True)
        elif point == "mid-apply":
            wrap(apply, "refresh_entities", after=True)
        elif point == "before-commit":
            wrap(importing, "_record", after=True)
        elif point == "after-commit":
            original_unlink = Path.unlink

            def unlink(self, *args, **kwargs):
                if self.parent.name == "staging":
                    die()
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
        die()  # done and committed: killed before anything is closed
    store.close()
