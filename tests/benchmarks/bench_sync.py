"""Issue 4 targets: sync on the reference store (DESIGN §9: a week's delta bundle export or
import under 1 s; a full bundle of the large town under 20 s each way; peak memory under 300 MB).

Works on a copy of the reference store (`bench-out/<profile>-sync/office`), never on the
reference itself. Every measured step runs in a fresh child process that unlocks its store
first (not timed), then times the one call and reads its own peak RSS for that call
(Linux: the high-water mark is reset through /proc/self/clear_refs after unlocking), so
neither the runner's memory nor one step's garbage colours another step's figure.

The scenario, in order:
1. enrolment: `add_device` (the enrolment file with the whole council) and `join` (a new
   store from that snapshot), repeated with new device names; the first laptop is kept.
2. full bundle: `export_bundle(full=True, for_device=laptop)`, imported (a) on that laptop,
   which already holds everything, and (b) into a store holding only the council's reference
   data (districts, staff, salons …) and no knowledge: made by re-sealing a real enrolment file
   with only the shared entities, since `join` always brings a full snapshot. (b) is the
   worst case: every change of the council is applied.
3. a week: the office records 60 contacts a day for 7 days, 5 household edits and 2 salon
   sessions; the laptop records 3 visits a day. Office → laptop delta, then laptop → office
   (which also tells the office what the laptop holds, so the next week is only a week).

cProfile: set SHAKYO_SYNC_CPROFILE=<folder> to dump one .prof per measured step (timings are
then inflated; use it with --repeat 1).
"""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from .common import Result, summarise
from shakyo_desk.domain import clock

ROOT = Path(__file__).parents[2]
HEAVY_REPEATS = 3  # whole-council steps take minutes each on large-town
WEEK_TARGET_MS = 1_000.0
FULL_TARGET_MS = 20_000.0
MEMORY_TARGET_MB = 300.0


# ---- the runner side -------------------------------------------------------------------


def _run(op: str, **args) -> dict:
    """One step in a fresh interpreter; returns what it printed as its result."""
    proc = subprocess.run([sys.executable, "-m", "tests.benchmarks.bench_sync", op, json.dumps(args)],
                          cwd=ROOT, capture_output=True, text=True)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"sync benchmark step {op} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return json.loads(lines[-1].removeprefix("RESULT "))


def _copy_store(source: Path, target: Path) -> None:
    target.mkdir(parents=True)
    for name in ("shakyo.db", "keys.json"):
        shutil.copy2(source / name, target / name)


def _mb(n: int | float) -> float:
    return n / 1e6


def _fmt(ms: float) -> str:
    return f"{ms / 1000:.1f} s" if ms >= 1000 else f"{ms:.0f} ms"


def bench_sync(ctx) -> list[Result]:
    return _on_a_copy(ctx, "sync", _scenario)


def _on_a_copy(ctx, name: str, run) -> list[Result]:
    """``run(ctx, work)`` with the reference store copied to ``work/office`` (a folder beside
    it, removed afterwards unless SHAKYO_SYNC_KEEP is set)."""
    from shakyo_desk import demo
    from shakyo_desk.store.engine import checkpoint
    from shakyo_desk.store.store import unlock

    work = ctx.store_dir.parent / f"{ctx.profile}-{name}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    # A consistent copy: everything checkpointed into the main file, the store closed meanwhile.
    checkpoint(ctx.store.engine)
    ctx.store.close()
    try:
        _copy_store(ctx.store_dir, work / "office")
    finally:
        ctx.store = unlock(ctx.store_dir, demo.DEMO_LOGIN, demo.DEMO_PASSPHRASE)
    try:
        return run(ctx, work)
    finally:
        if not os.environ.get("SHAKYO_SYNC_KEEP"):
            shutil.rmtree(work, ignore_errors=True)


def _scenario(ctx, work: Path) -> list[Result]:
    heavy = max(1, min(ctx.repeat, HEAVY_REPEATS))
    office = str(work / "office")
    info = _run("info", store=office)
    db_mb = _mb(info["db_size"])
    print(f"  office copy: {db_mb:.0f} MB, {info['changes']:,} changes; {heavy} × whole-council steps, "
          f"{ctx.repeat} × weeks", file=sys.stderr, flush=True)
    t: dict[str, list[float]] = {}
    peak: dict[str, list[float]] = {}
    sizes: dict[str, list[float]] = {}
    notes: dict[str, str] = {}
    cpu: dict[str, list[float]] = {}
    load: dict[str, list[float]] = {}

    def keep(key: str, r: dict, size: float | None = None) -> None:
        t.setdefault(key, []).append(r["ms"])
        cpu.setdefault(key, []).append(r["cpu_ms"])
        load.setdefault(key, []).append(r["load"])
        peak.setdefault(key, []).append(r["peak_mb"])
        if size is not None:
            sizes.setdefault(key, []).append(size)

    # 1. enrolment
    (work / "enrol").mkdir()
    laptop = None
    for i in range(1, heavy + 1):
        name, enrol_file = f"laptop{i}", str(work / "enrol" / f"laptop{i}.shakyo")
        made = _run("enrol", store=office, name=name, out=enrol_file)
        keep("enrol", made, _mb(made["size"]))
        root = str(work / name)
        joined = _run("join", root=root, file=enrol_file, code=made["code"])
        keep("join", joined, _mb(joined["db_size"]))
        print(f"  enrolment {i}: add_device {made['ms'] / 1000:.1f} s, join {joined['ms'] / 1000:.1f} s",
              file=sys.stderr, flush=True)
        if laptop is None:
            laptop = root
        else:
            _run("revoke", store=office, names=[name])
            shutil.rmtree(root)
    notes["enrol"] = f"{made['changes']:,} changes in the file"
    notes["join"] = f"laptop database {sizes['join'][-1]:.0f} MB (office {db_mb:.0f} MB)"

    # A store with the council's reference data and no knowledge: re-sealed real enrolment.
    template = str(work / "bare-template")
    made = _run("enrol", store=office, name="bare", out=str(work / "enrol" / "bare.shakyo"), strip=True)
    bare = _run("join", root=template, file=str(work / "enrol" / "bare.shakyo"), code=made["code"])
    notes["import_bare"] = f"the store held {made['changes']:,} reference-data changes ({_mb(bare['db_size']):.1f} MB)"

    # 2. the full bundle
    for i in range(1, heavy + 1):
        folder = work / f"full-{i}"
        folder.mkdir()
        out = _run("export", store=office, folder=str(folder), for_device="laptop1", full=True)
        keep("export_full", out, _mb(out["size"]))
        got = _run("import", store=laptop, path=out["path"])
        keep("import_full", got)
        copy = work / f"bare-{i}"
        shutil.copytree(template, copy)
        fresh = _run("import", store=str(copy), path=out["path"])
        keep("import_bare", fresh, _mb(fresh["db_size"]))
        shutil.rmtree(copy)
        # The same content relayed by the laptop: every change's origin chain is recomputed on
        # import (exchange/origins.py); the laptop computes the chain values once, on its first relay.
        relay = _run("export", store=laptop, folder=str(folder), for_device="bare", full=True)
        keep("export_relay", relay, _mb(relay["size"]))
        copy = work / f"bare-relay-{i}"
        shutil.copytree(template, copy)
        relayed = _run("import", store=str(copy), path=relay["path"])
        keep("import_relay", relayed)
        shutil.rmtree(copy)
        shutil.rmtree(folder)
        print(f"  relayed by the laptop {i}: export {relay['ms'] / 1000:.1f} s ({relay['changes']:,} changes), "
              f"import (bare) {relayed['ms'] / 1000:.1f} s [{relayed['applied']:,} applied]", file=sys.stderr, flush=True)
        print(f"  full bundle {i}: export {out['ms'] / 1000:.1f} s, import (held) {got['ms'] / 1000:.1f} s "
              f"[{got['status']}, {got['applied']} applied], import (bare) {fresh['ms'] / 1000:.1f} s "
              f"[{fresh['status']}, {fresh['applied']:,} applied]", file=sys.stderr, flush=True)
    notes["export_full"] = (f"{out['changes']:,} changes, {sizes['export_full'][-1]:.1f} MB = "
                            f"{100 * sizes['export_full'][-1] / db_mb:.1f} % of the {db_mb:.0f} MB database")
    notes["import_full"] = f"{got['changes']:,} changes read, {got['applied']} new"
    notes["import_bare"] += f"; {fresh['applied']:,} applied"
    _run("revoke", store=office, names=["bare"])

    # 3. weeks
    office_id = info["device_id"]
    for k in range(ctx.repeat):
        week = _run("week", office=office, laptop=laptop, seed=k)
        folder = work / f"week-{k}"
        folder.mkdir()
        out = _run("export", store=office, folder=str(folder), for_device="laptop1", full=False)
        keep("export_week", out, out["size"] / 1e3)
        got = _run("import", store=laptop, path=out["path"])
        keep("import_week", got)
        back = _run("export", store=laptop, folder=str(folder), for_device=office_id, full=False)
        keep("export_back", back, back["size"] / 1e3)
        home = _run("import", store=office, path=back["path"])
        keep("import_back", home)
        shutil.rmtree(folder)
        print(f"  week {k + 1}: office export {out['ms']:.0f} ms ({out['changes']} changes), laptop import "
              f"{got['ms']:.0f} ms [{got['applied']} applied]; laptop export {back['ms']:.0f} ms "
              f"({back['changes']} changes), office import {home['ms']:.0f} ms [{home['applied']} applied]",
              file=sys.stderr, flush=True)
    notes["export_week"] = (f"{out['changes']} changes ({week['office']}), "
                            f"{sizes['export_week'][-1]:.0f} kB")
    notes["import_week"] = f"{got['applied']} applied on the laptop"
    notes["export_back"] = f"{back['changes']} changes ({week['laptop']}), {sizes['export_back'][-1]:.0f} kB"
    notes["import_back"] = f"{home['applied']} applied on the office"

    rows = [  # key, label, target, short label for its peak memory
        ("enrol", "enrolment: make the file (add_device, whole council)", None, "add_device"),
        ("join", "enrolment: join (new store from the snapshot)", None, "join"),
        ("export_full", "full bundle: export for the laptop", FULL_TARGET_MS, "full export"),
        ("import_full", "full bundle: import on the laptop (all held already)", FULL_TARGET_MS, "full import, held"),
        ("import_bare", "full bundle: import into a store without the records", FULL_TARGET_MS,
         "full import, without the records"),
        ("export_relay", "full bundle relayed by a laptop: export", FULL_TARGET_MS, "full export, relayed"),
        ("import_relay", "full bundle relayed by a laptop: import into a store without the records", FULL_TARGET_MS,
         "full import, relayed, without the records"),
        ("export_week", "week delta: office export for the laptop", WEEK_TARGET_MS, "week export, office"),
        ("import_week", "week delta: laptop import", WEEK_TARGET_MS, "week import, laptop"),
        ("export_back", "week delta: laptop export for the office", WEEK_TARGET_MS, "week export, laptop"),
        ("import_back", "week delta: office import", WEEK_TARGET_MS, "week import, office"),
    ]
    def note(key: str) -> str:
        busy = f"CPU {_fmt(statistics.median(cpu[key]))}, load {min(load[key]):.1f}–{max(load[key]):.1f}"
        return f"{notes[key]}; {busy}" if key in notes else busy

    results = [summarise(label, t[key], target, note=note(key)) for key, label, target, _ in rows]
    results += [
        summarise("enrolment file size", sizes["enrol"], unit="MB"),
        summarise("full bundle size", sizes["export_full"], unit="MB", note=f"database {db_mb:.0f} MB"),
        summarise("week delta bundle size (office → laptop)", sizes["export_week"], unit="kB"),
    ]
    results += [summarise(f"peak RSS of the step: {short}", peak[key], MEMORY_TARGET_MB, unit="MB")
                for key, _, _, short in rows]
    return results


def bench_enrolment(ctx) -> list[Result]:
    """Issue 20: `device add` + `device join` by snapshot for a whole-council laptop (target
    10 s) and a one-district laptop (the largest district, target 5 s), and once the replay of
    format 1 for comparison (SHAKYO_ENROL_REPLAY=0 skips it). On a copy of the reference."""
    return _on_a_copy(ctx, "enrolment", _enrolment)


JOIN_WHOLE_TARGET_MS = 10_000.0
JOIN_DISTRICT_TARGET_MS = 5_000.0


def _enrolment(ctx, work: Path) -> list[Result]:
    heavy = max(1, min(ctx.repeat, HEAVY_REPEATS))
    office = str(work / "office")
    info = _run("info", store=office)
    district = _run("largest_district", store=office)
    (work / "enrol").mkdir()
    t: dict[str, list[float]] = {}
    other: dict[str, list[dict]] = {}
    kinds = [("whole", None, heavy), ("district", [district["name"]], heavy)]
    if os.environ.get("SHAKYO_ENROL_REPLAY", "1") != "0":
        kinds.append(("replay", None, 1))
    n = 0
    for kind, districts, times in kinds:
        for _ in range(times):
            n += 1
            name, enrol_file = f"{kind}{n}", str(work / "enrol" / f"{kind}{n}.shakyo")
            made = _run("enrol", store=office, name=name, out=enrol_file, districts=districts,
                        replay=kind == "replay")
            joined = _run("join", root=str(work / name), file=enrol_file, code=made["code"])
            for step, r in (("add", made), ("join", joined)):
                t.setdefault(f"{kind}-{step}", []).append(r["ms"])
                other.setdefault(f"{kind}-{step}", []).append(r)
            print(f"  {kind}: add_device {made['ms'] / 1000:.1f} s ({_mb(made['size']):.0f} MB file), join "
                  f"{joined['ms'] / 1000:.1f} s ({_mb(joined['db_size']):.0f} MB database)", file=sys.stderr, flush=True)
            _run("revoke", store=office, names=[name])
            shutil.rmtree(work / name)
            os.unlink(enrol_file)

    def note(key: str) -> str:
        runs = other[key]
        size = (f"file {_mb(runs[-1]['size']):.0f} MB" if "size" in runs[-1]
                else f"database {_mb(runs[-1]['db_size']):.0f} MB")
        return (f"{size}; CPU {_fmt(statistics.median(r['cpu_ms'] for r in runs))}, peak RSS "
                f"{max(r['peak_mb'] for r in runs):.0f} MB, load {min(r['load'] for r in runs):.1f}–"
                f"{max(r['load'] for r in runs):.1f}")

    where = f"{district['name']}, {district['households']:,} of {district['total']:,} households"
    rows = [("whole-add", "snapshot enrolment: add_device, whole council", None),
            ("whole-join", "snapshot enrolment: join, whole council", JOIN_WHOLE_TARGET_MS),
            ("district-add", f"snapshot enrolment: add_device, one district ({where})", None),
            ("district-join", f"snapshot enrolment: join, one district ({where})", JOIN_DISTRICT_TARGET_MS),
            ("replay-add", "replay enrolment (format 1): add_device, whole council", None),
            ("replay-join", "replay enrolment (format 1): join, whole council", None)]
    results = [summarise(label, t[key], target, note=note(key)) for key, label, target in rows if key in t]
    results += [summarise(f"peak RSS: {label}", [r["peak_mb"] for r in other[key]], MEMORY_TARGET_MB, unit="MB")
                for key, label, _ in rows if key in t]
    print(f"  office: {_mb(info['db_size']):.0f} MB, {info['changes']:,} changes", file=sys.stderr, flush=True)
    return results


# ---- the child side ------------------------------------------------------------------------


def _reset_peak() -> bool:
    """Start a fresh RSS high-water mark (Linux); False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _peak_mb(was_reset: bool) -> float:
    if was_reset:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale


def _timed(label: str, fn) -> tuple[object, dict]:
    """(value, {ms, cpu_ms, peak_mb, load}) of one call; a cProfile dump when asked. CPU time and
    the load average at the start tell a slow step from a busy machine."""
    import gc

    gc.collect()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    reset = _reset_peak()
    folder = os.environ.get("SHAKYO_SYNC_CPROFILE")
    profiler = None
    if folder:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started, cpu = time.perf_counter(), time.process_time()
    value = fn()
    ms, cpu_ms = (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000
    if profiler is not None:
        profiler.disable()
        Path(folder).mkdir(parents=True, exist_ok=True)
        profiler.dump_stats(str(Path(folder) / f"{label}-{os.getpid()}.prof"))
    return value, {"ms": ms, "cpu_ms": cpu_ms, "peak_mb": _peak_mb(reset), "load": load}


def _db_size(root: Path) -> int:
    """The database with its write-ahead log, as it would be copied."""
    return sum(f.stat().st_size for f in root.glob("shakyo.db*") if f.name in ("shakyo.db", "shakyo.db-wal"))


def _open(path: str):
    from shakyo_desk import demo
    from shakyo_desk.store.store import unlock

    return unlock(Path(path), demo.DEMO_LOGIN, demo.DEMO_PASSPHRASE)


def _op_info(store) -> dict:
    import sqlalchemy as sa

    from shakyo_desk.store.exchange import identity as ident

    with store.read() as s:
        me = ident.load(s.connection())
        changes = s.execute(sa.text("SELECT count(*) FROM change_log")).scalar_one()
    return {"device_id": me.device_id, "name": me.name, "changes": changes,
            "db_size": _db_size(store.layout.root)}


def _largest_district(store) -> dict:
    """The top-level district with the most households (its 行政区/集落 included)."""
    import sqlalchemy as sa

    from shakyo_desk.store.models import District, Household
    from shakyo_desk.store.store import with_subdistricts

    with store.read() as s:
        tops = s.execute(sa.select(District.id, District.name).where(District.parent_id.is_(None))).all()
        per = {r.district_id: r.n for r in s.execute(sa.select(Household.district_id, sa.func.count().label("n"))
                                                      .group_by(Household.district_id))}
        sizes = {t.name: sum(per.get(d, 0) for d in with_subdistricts(s, [t.id])) for t in tops}
        total = sum(per.values())
    name = max(sizes, key=sizes.get)
    return {"name": name, "households": sizes[name], "total": total}


def _strip(path: Path, code: str) -> int:
    """Keep only the shared reference data and claim to hold nothing (a store that lacks the records)."""
    from shakyo_desk.store.exchange.scope import SHARED
    from shakyo_desk.sync import enrolment

    meta, changes = enrolment.unseal(path.read_bytes(), code)
    kept = [c for c in changes if c["entity"] in SHARED]
    path.write_bytes(enrolment.seal({**meta, "knowledge": {}}, kept, code))
    return len(kept)


NOTES = ["お元気そうでした。", "膝が痛いとのこと。次回も様子を見る。", "不在。ポストに連絡票を入れた。",
         "娘さんが来ていた。変わりなし。", "ごみ出しが大変になってきたと話していた。", "電話で近況を聞いた。"]


def _write_week(office, laptop, seed: int) -> dict:
    """A week at large-town scale: 60 contacts a day at the office, 3 a day on the laptop,
    5 household edits, 2 salon sessions with their regulars and a remark each."""
    from shakyo_desk.store.services import contacts, households, salons

    rng = random.Random(1000 + seed)
    today = clock.today()
    days = [today - timedelta(days=6 - d) for d in range(7)]
    ids = [r.id for r in households.list_households(office, limit=None)]

    def visit(store, day):
        contacts.add_contact(store, household_id=rng.choice(ids), contact_date=day,
                             contact_time=f"{rng.randint(9, 16):02d}:{rng.choice(['00', '15', '30', '45'])}",
                             method=rng.choice(["訪問", "訪問", "訪問", "電話"]), seen_heard=rng.choice(NOTES),
                             concerns=["介護"] if rng.random() < 0.2 else [], today=today)

    for day in days:
        for _ in range(60):
            visit(office, day)
        for _ in range(3):
            visit(laptop, day)
    for household_id in rng.sample(ids, 5):
        households.update_household(office, household_id, notes=f"週のまとめ {seed}: {rng.choice(NOTES)}")
    active = [s for s in salons.list_salons(office) if s.regular_count >= 10]
    held = 0
    for j, salon in enumerate(active[(2 * seed) % len(active):][:2]):
        people = [r.person_id for r in salons.regulars(office, salon.id)]
        salons.record_session(office, salon.id, days[2 + 2 * j], attendee_ids=people[:30], unnamed_count=2,
                              remarks=["最近眠れないと話していた。"], today=today)
        held += 1
    return {"office": f"{7 * 60} contacts, 5 household edits, {held} salon sessions",
            "laptop": f"{7 * 3} contacts"}


def _child(op: str, args: dict) -> dict:
    from shakyo_desk.store.exchange import devices

    if op == "join":
        from shakyo_desk import demo

        (store, _), stats = _timed("join", lambda: devices.join(
            Path(args["root"]), Path(args["file"]), args["code"], demo.DEMO_LOGIN, demo.DEMO_PASSPHRASE))
        store.close()
        return {**stats, "db_size": _db_size(Path(args["root"]))}
    if op == "week":
        office, laptop = _open(args["office"]), _open(args["laptop"])
        try:
            started = time.perf_counter()
            done = _write_week(office, laptop, args["seed"])
            return {**done, "ms": (time.perf_counter() - started) * 1000}
        finally:
            office.close()
            laptop.close()
    store = _open(args["store"])
    try:
        if op == "info":
            return _op_info(store)
        if op == "largest_district":
            return _largest_district(store)
        if op == "revoke":
            for name in args["names"]:
                devices.revoke_device(store, name)
            return {}
        if op == "enrol":
            out = Path(args["out"])
            # (a store without the records is cut from a replay file: it holds the changes)
            replay = bool(args.get("strip") or args.get("replay"))
            code, stats = _timed("enrol", lambda: devices.add_device(store, args["name"], out, args.get("districts"),
                                                                     replay=replay))
            size = out.stat().st_size
            changes = _strip(out, code) if args.get("strip") else _op_info(store)["changes"]
            return {**stats, "size": size, "code": code, "changes": changes}
        if op == "export":
            from shakyo_desk.store.exchange.exporting import export_bundle

            exported, stats = _timed("export-full" if args["full"] else "export", lambda: export_bundle(
                store, Path(args["folder"]), for_device=args["for_device"], full=args["full"]))
            return {**stats, "size": exported.size, "changes": exported.changes,
                    "path": str(exported.path)}
        if op == "import":
            from shakyo_desk.store.exchange.importing import import_paths

            report, stats = _timed("import", lambda: import_paths(store, [Path(args["path"])]))
            (r,) = report.results
            if r.status not in ("applied", "already"):
                raise RuntimeError(f"import {r.status}: {r.reason} {r.message}")
            return {**stats, "status": r.status, "changes": r.changes, "applied": r.applied,
                    "conflicts": r.conflicts, "db_size": _db_size(store.layout.root)}
        raise SystemExit(f"unknown step {op}")
    finally:
        store.close()


if __name__ == "__main__":
    print("RESULT " + json.dumps(_child(sys.argv[1], json.loads(sys.argv[2]))), flush=True)
