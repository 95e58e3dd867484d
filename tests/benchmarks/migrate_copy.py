"""Migration on open, timed on a copy of a reference store (issue 20: change log v2, 0019).

    python3 -m tests.benchmarks.migrate_copy --to COPY/large-town [--from bench-out/large-town]   (COPY: a folder of your own)

Copies ``--from`` (a store folder of an older schema, closed) to ``--to`` unless ``--to`` holds a
store already, then unlocks the copy with the demo account as the app does, with the progress
callback the unlock screen and the CLI pass: the encrypted copy before migrating, each step, the
compaction. Prints each step's wall and CPU seconds and the highest resident memory seen during it
(sampled every 0.2 s; Linux), the database's size before and after and the process's peak RSS.
The reference itself is only read (never open the reference with a newer schema: opening migrates)."""

import argparse
import resource
import shutil
import sys
import threading
import time
from pathlib import Path

from shakyo_desk import demo
from shakyo_desk.store import migrate
from shakyo_desk.store.store import unlock

MB = 1e6


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--from", dest="source", type=Path, default=Path("bench-out/large-town"))
    parser.add_argument("--to", type=Path, required=True)
    args = parser.parse_args(argv)
    target: Path = args.to
    if not (target / "shakyo.db").exists():
        if args.source.resolve() == target.resolve():
            parser.error("--to must be another folder than --from")
        shutil.copytree(args.source, target)
    database = target / "shakyo.db"
    before = database.stat().st_size
    steps: list[tuple[str, float, float]] = []
    peaks: dict[str, int] = {}
    sampling = threading.Event()

    def sample() -> None:
        while not sampling.wait(0.2):
            text = steps[-1][0] if steps else ""
            peaks[text] = max(peaks.get(text, 0), _rss_mb())

    def progress(done: int, total: int, text: str) -> None:
        if not steps or steps[-1][0] != text:
            steps.append((text, time.perf_counter(), time.process_time()))
            print(f"{text}", file=sys.stderr, flush=True)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    wall, cpu = time.perf_counter(), time.process_time()
    store = unlock(target, demo.DEMO_LOGIN, demo.DEMO_PASSPHRASE, progress=progress)
    opened_wall, opened_cpu = time.perf_counter(), time.process_time()
    sampling.set()
    sampler.join()
    store.close()
    after = database.stat().st_size
    print(f"schema now {migrate.head_revision()}; database {before / MB:.1f} MB → {after / MB:.1f} MB")
    print(f"{'step':60} {'wall s':>8} {'CPU s':>8} {'RSS MB':>8}")
    marks = [*steps, ("(end of unlock)", opened_wall, opened_cpu)]
    print(f"{'unlock up to the first step (key derivation, open)':60} {marks[0][1] - wall:8.1f} "
          f"{marks[0][2] - cpu:8.1f} {peaks.get('', 0):8}")
    for (text, w, c), (_, w2, c2) in zip(marks, marks[1:]):
        print(f"{text:60} {w2 - w:8.1f} {c2 - c:8.1f} {peaks.get(text, 0):8}")
    print(f"{'whole unlock':60} {opened_wall - wall:8.1f} {opened_cpu - cpu:8.1f}")
    print(f"peak RSS of the process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB")
    return 0


def _rss_mb() -> int:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
