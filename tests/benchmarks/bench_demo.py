"""Issue 20: the demo village's first start, ``shakyo-desk --demo`` on a fresh machine, to a usable
main window (under 4 s, DESIGN §9).

Each run starts a new process (``python3 -m shakyo_desk --demo``, offscreen) with its own empty
``XDG_DATA_HOME``/``XDG_CONFIG_HOME``/``XDG_CACHE_HOME``, so the demo village is generated from
nothing (default key derivation, as for a user). ``SHAKYO_STARTUP_PROBE=usable`` makes the app
write ``first-screen <epoch>`` once the main window shows household rows (the same "usable" as
bench_ui's unlock to a usable window), and end. Time = that moment minus the moment just before
the process was spawned: Python and Qt start, the village generated, the store opened, the window
built. A second start on the same folder (the village already there) is measured too.

Standalone (no reference data set needed):
    python3 -m tests.benchmarks.bench_demo [--repeat 5]
In the runner:
    python3 -m tests.benchmarks.run --profile village --only demo_first_start --repeat 5
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .common import summarise

TARGET_S = 4.0  # DESIGN §9 (issue 20): the demo village's first start to a usable window


def start_demo(home: Path) -> float:
    env = {**os.environ, "SHAKYO_STARTUP_PROBE": "usable", "QT_QPA_PLATFORM": "offscreen",
           "XDG_DATA_HOME": str(home / "data"), "XDG_CONFIG_HOME": str(home / "config"),
           "XDG_CACHE_HOME": str(home / "cache")}
    env.pop("SHAKYO_TODAY", None)  # the demo is dated from today, as for a user
    started = time.time()
    done = subprocess.run([sys.executable, "-m", "shakyo_desk", "--demo"], env=env, capture_output=True,
                          text=True, timeout=180)
    lines = [line for line in done.stderr.splitlines() if line.startswith("first-screen ")]
    if not lines or "MainWindow" not in lines[-1]:
        raise RuntimeError(f"no main window: {done.stderr[-800:]}")
    return float(lines[-1].split()[1]) - started


def bench_demo_first_start(ctx) -> list:
    repeat = max(3, ctx.repeat)
    first, second = [], []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="shakyo-demo-bench-") as home:
            first.append(start_demo(Path(home)))
            second.append(start_demo(Path(home)))
    return [
        summarise("demo first start to a usable window (village generated)", [s * 1000 for s in first],
                  TARGET_S * 1000, note="python -m shakyo_desk --demo, fresh data folder, default KDF"),
        summarise("demo second start to a usable window (village there)", [s * 1000 for s in second],
                  note="same folder again: unlock with the demo passphrase, open, window"),
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    class Ctx:
        repeat = args.repeat

    for r in bench_demo_first_start(Ctx()):
        print(f"{r.name:58} median {r.median:8.0f} {r.unit}  p90 {r.p90:8.0f} {r.unit}  {r.verdict:4}  {r.note}")
        print(f"{'':58} samples {', '.join(f'{s:.0f}' for s in r.samples)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
