"""Kill a real operation at a chosen step, in a child process: the runner shared by
tests/sync/killing.py (export, import, mailbox) and tests/store/rekey_killing.py (a key rotation).

Each of those modules defines ``child(spec_json)``: it unlocks a real store, replaces one
function with a wrapper that calls ``die()`` at the chosen step — the patch lives only in the
child, product code has no test hook — and runs the operation. ``die`` is ``os._exit(KILLED)``:
it skips every ``finally`` and ``__exit__`` (no rollback, no cleanup, no close), as when the
power goes or the process is killed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

KILLED = 9
ROOT = Path(__file__).resolve().parents[1]


def run_child(module: str, spec: dict, timeout: float = 120) -> int:
    """Run ``module.child(json of spec)`` in a child process; its exit code (KILLED when the
    point was reached, 0 when the operation ran to its end). Anything else fails the test with
    the child's output."""
    code = f"import sys; from {module} import child; child(sys.argv[1])"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-c", code, json.dumps(spec)], cwd=ROOT, env=env, capture_output=True,
                          timeout=timeout, text=True)
    if done.returncode not in (0, KILLED):
        raise AssertionError(f"child failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.returncode


# ---- in the child -------------------------------------------------------------------------


def die() -> None:
    sys.stdout.flush()
    os._exit(KILLED)


def wrap(owner, name: str, *, before: bool = False, after: bool = False, when=lambda *a, **k: True) -> None:
    """Replace ``owner.name`` with a wrapper that dies before and/or after calling it (when
    ``when`` holds for the call's arguments)."""
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        if before and when(*args, **kwargs):
            die()
        value = original(*args, **kwargs)
        if after and when(*args, **kwargs):
            die()
        return value

    setattr(owner, name, wrapper)
