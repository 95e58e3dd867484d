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
The split of the generation, in this process (``open_demo`` on a fresh folder, default key
derivation; wall and CPU seconds per part; ``--cprofile FILE`` keeps a profile of it):
    python3 -m tests.benchmarks.bench_demo --split [--cprofile bench-out/demo.prof]
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


def start_demo(home: Path) -> tuple[float, float]:
    """(seconds to the usable window, seconds until the demo's records are all written)."""
    env = {**os.environ, "SHAKYO_STARTUP_PROBE": "usable", "QT_QPA_PLATFORM": "offscreen",
           "XDG_DATA_HOME": str(home / "data"), "XDG_CONFIG_HOME": str(home / "config"),
           "XDG_CACHE_HOME": str(home / "cache")}
    env.pop("SHAKYO_TODAY", None)  # the demo is dated from today, as for a user
    started = time.time()
    done = subprocess.run([sys.executable, "-m", "shakyo_desk", "--demo"], env=env, capture_output=True,
                          text=True, timeout=180)
    lines = [line for line in done.stderr.splitlines() if line.startswith("first-screen ")]
    complete = [line for line in done.stderr.splitlines() if line.startswith("demo-complete ")]
    if not lines or "MainWindow" not in lines[-1] or not complete:
        raise RuntimeError(f"no main window: {done.stderr[-800:]}")
    return float(lines[-1].split()[1]) - started, float(complete[-1].split()[1]) - started


def bench_demo_first_start(ctx) -> list:
    repeat = max(3, ctx.repeat)
    first, whole, second = [], [], []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="shakyo-demo-bench-") as home:
            usable, complete = start_demo(Path(home))
            first.append(usable)
            whole.append(complete)
            second.append(start_demo(Path(home))[0])
    return [
        summarise("demo first start to a usable window (village generated)", [s * 1000 for s in first],
                  TARGET_S * 1000, note="python -m shakyo_desk --demo, fresh data folder, default KDF, "
                                        "household rows shown"),
        summarise("demo first start until every record is written", [s * 1000 for s in whole],
                  note="the records (visits, salons, meetings, cases, network) written beside the window"),
        summarise("demo second start to a usable window (village there)", [s * 1000 for s in second],
                  note="same folder again: unlock with the demo passphrase, open, window"),
    ]


def split(cprofile: Path | None = None) -> list[tuple[str, float, float]]:
    """(part, wall s, CPU s of the whole process) of one ``open_demo`` on a fresh folder. CPU
    counts every thread (the Argon2id derivations too), so it says what a quiet machine needs
    even when the wall time is stretched by other work on the cores."""
    import cProfile
    import shutil

    from shakyo_desk.demo import generator, open_demo
    from shakyo_desk.store import keyfile
    from shakyo_desk.store import store as store_module

    parts: list[tuple[str, float, float]] = []
    argon = [0.0, 0.0, 0]

    def timed(name, fn):
        def run(*args, **kwargs):
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                parts.append((name, time.perf_counter() - wall, time.process_time() - cpu))
        return run

    originals = (keyfile._passphrase_kek, generator.make_plan, store_module.create_store, store_module.unlock,
                 [(step, step.run) for step in generator.all_write_steps()])

    def kek(*args, **kwargs):
        wall = time.perf_counter()
        try:
            return originals[0](*args, **kwargs)
        finally:
            argon[0] += time.perf_counter() - wall
            argon[2] += 1

    keyfile._passphrase_kek = kek
    generator.make_plan = timed("plan (make_plan)", originals[1])
    store_module.create_store = timed("store created (migrations, first admin, key file)", originals[2])
    store_module.unlock = timed("unlock after generation (drop box published)", originals[3])
    for step, run in originals[4]:
        object.__setattr__(step, "run", timed(f"step {step.name}", run))
    home = Path(tempfile.mkdtemp(prefix="shakyo-demo-split-"))
    profiler = cProfile.Profile() if cprofile else None
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        store = open_demo(home / "demo")
        if profiler:
            profiler.disable()
        parts.append(("open_demo in all", time.perf_counter() - wall, time.process_time() - cpu))
        store.close()
    finally:
        keyfile._passphrase_kek, generator.make_plan, store_module.create_store, store_module.unlock = originals[:4]
        for step, run in originals[4]:
            object.__setattr__(step, "run", run)
        shutil.rmtree(home, ignore_errors=True)
    if profiler:
        profiler.dump_stats(str(cprofile))
    parts.append((f"of which Argon2id ({argon[2]} derivations)", argon[0], float("nan")))
    return parts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--split", action="store_true", help="time the parts of one generation in this process")
    parser.add_argument("--cprofile", type=Path, help="with --split: write a cProfile file")
    args = parser.parse_args(argv)
    if args.split:
        print(f"{'part':55} {'wall s':>7} {'CPU s':>7}")
        for name, wall, cpu in split(args.cprofile):
            print(f"{name:55} {wall:7.3f} {cpu:7.3f}")
        print(f"load average {os.getloadavg()[0]:.2f}")
        return 0

    class Ctx:
        repeat = args.repeat

    for r in bench_demo_first_start(Ctx()):
        print(f"{r.name:58} median {r.median:8.0f} {r.unit}  p90 {r.p90:8.0f} {r.unit}  {r.verdict:4}  {r.note}")
        print(f"{'':58} samples {', '.join(f'{s:.0f}' for s in r.samples)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
