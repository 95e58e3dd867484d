"""Issues 6 and 20: backup and restore of the reference store — time, size and peak memory.

Each step runs in a child process (``python3 -m tests.benchmarks.bench_backup <step> <json>``)
so its peak RSS is its own, as the CLI would run it:

- ``backup``: unlock the reference store and write a backup file (format 3: the live database
  file frozen at one committed moment and its already encrypted bytes sealed in AES-GCM chunks,
  fsync, rename, read back and verify, audit);
- ``restore``: restore that file into an empty folder (header, length, each chunk checked as it
  is written, fsync, key file, open, migrate if needed, new epoch, audit) and compare the row
  counts of every table with the original's.

Target (issue 20): each under 5 s on large-town.

The reference stores keep no recovery key, so the restore step unwraps the data key with the
demo account's passphrase (``backup.restore_with_passphrase``: one Argon2id unwrap, about
0.2 s, instead of the recovery key's HKDF; the rest is the same code).
Files go to ``bench-out/<profile>-backup/`` (removed afterwards unless SHAKYO_BACKUP_KEEP=1).
"""

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .common import summarise
from .datasets import OUT, ensure_in_subprocess

REPO = Path(__file__).parents[2]


def _child(step: str, args: dict) -> dict:
    done = subprocess.run([sys.executable, "-m", "tests.benchmarks.bench_backup", step, json.dumps(args)],
                          cwd=REPO, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_backup(ctx) -> list:
    work = OUT / f"{ctx.profile}-backup"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    source = ensure_in_subprocess(ctx.profile)
    repeat = max(1, min(ctx.repeat, 3))  # each run reads and writes the whole database
    made, restored = [], []
    try:
        for n in range(repeat):
            made.append(_child("backup", {"store": str(source), "to": str(work / f"b{n}.shakyo-backup")}))
            for old in work.glob("b*.shakyo-backup"):  # keep only the newest: disk space
                if old.name != f"b{n}.shakyo-backup":
                    old.unlink()
            restored.append(_child("restore", {"from": str(work / f"b{n}.shakyo-backup"),
                                               "store": str(work / f"restored{n}"), "original": str(source)}))
            shutil.rmtree(work / f"restored{n}", ignore_errors=True)
    finally:
        if not os.environ.get("SHAKYO_BACKUP_KEEP"):
            shutil.rmtree(work, ignore_errors=True)
    last = made[-1]
    size_note = (f"file {last['size']:,} bytes for a {last['database_size']:,}-byte database "
                 f"(live file {last['live_size'] / 1e6:.0f} MB); peak RSS {max(m['peak_mb'] for m in made):.0f} MB")
    same = all(r["counts_equal"] for r in restored)
    restore_note = (f"peak RSS {max(r['peak_mb'] for r in restored):.0f} MB; every table's row count equal to the "
                    f"original: {'yes' if same else 'NO'}; epoch {restored[-1]['old_epoch']} → {restored[-1]['epoch']}")
    return [
        summarise("backup: freeze, seal the file's pages, fsync, read back and verify (child process)",
                  [m["seconds"] for m in made], 5.0, "s", size_note),
        summarise("restore: length, check and write each chunk, fsync, open, new epoch (child process)",
                  [r["seconds"] for r in restored], 5.0, "s", restore_note),
    ]


# ---- child steps -----------------------------------------------------------------------


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _step_backup(args: dict) -> dict:
    from shakyo_desk import demo
    from shakyo_desk.store import backup
    from shakyo_desk.store.store import unlock

    store = unlock(Path(args["store"]), demo.DEMO_LOGIN, demo.DEMO_PASSPHRASE)
    try:
        started = time.perf_counter()
        result = backup.create_backup(store, Path(args["to"]))
        seconds = time.perf_counter() - started
    finally:
        store.close()
    return {"seconds": seconds, "size": result.size, "database_size": result.database_size,
            "live_size": (Path(args["store"]) / "shakyo.db").stat().st_size, "peak_mb": _peak_mb()}


def _table_counts(root: Path) -> dict:
    from shakyo_desk import demo
    from shakyo_desk.store import backup
    from shakyo_desk.store.store import unlock

    store = unlock(root, demo.DEMO_LOGIN, demo.DEMO_PASSPHRASE)
    try:
        return backup.counts(store)
    finally:
        store.close()


def _step_restore(args: dict) -> dict:
    from shakyo_desk import demo
    from shakyo_desk.store import backup

    started = time.perf_counter()
    result = backup.restore_with_passphrase(Path(args["from"]), Path(args["store"]), demo.DEMO_LOGIN,
                                            demo.DEMO_PASSPHRASE)
    seconds = time.perf_counter() - started
    peak = _peak_mb()
    restored, original = _table_counts(Path(args["store"])), _table_counts(Path(args["original"]))
    # Rows written since the snapshot by these very steps (audit: the backup entry, the unlocks;
    # the restored epoch's knowledge row) are expected to differ.
    volatile = {"audit_log", "sync_knowledge"}
    equal = all(restored[t] == original[t] for t in original if t not in volatile)
    return {"seconds": seconds, "peak_mb": peak, "counts_equal": equal, "old_epoch": result.old_epoch,
            "epoch": result.epoch}


if __name__ == "__main__":
    step, raw = sys.argv[1], json.loads(sys.argv[2])
    print(json.dumps({"backup": _step_backup, "restore": _step_restore}[step](raw)))
