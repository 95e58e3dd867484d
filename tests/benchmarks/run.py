"""Benchmark runner: python3 -m tests.benchmarks.run [--profile large-town] [--repeat 7] [--only NAME]."""

import argparse
import importlib
import json
import os
import platform
import resource
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from .datasets import OUT, ensure_in_subprocess, generation_seconds, open_reference

MODULES = ["bench_store", "bench_field", "bench_ui", "bench_sync", "bench_hostile", "bench_handout", "bench_stats", "bench_floor", "bench_backup", "bench_retention", "bench_audit", "bench_rekey", "bench_startup",
           "bench_cases", "bench_map", "bench_community", "bench_size", "bench_demo", "bench_audit_v2"]


@dataclass
class Context:
    profile: str
    repeat: int
    store_dir: Path
    store: object = None


def discover(only: str | None):
    """The benchmarks whose name holds ``only``; when none does, those of the modules whose
    name holds it (``--only store``: bench_store.py's search, household, encryption ratio)."""
    found = []
    for module_name in MODULES:
        module = importlib.import_module(f"tests.benchmarks.{module_name}")
        for name in sorted(dir(module)):
            if name.startswith("bench_") and callable(getattr(module, name)):
                found.append((module_name, name, getattr(module, name)))
    chosen = [f for f in found if only is None or only in f[1]] or [f for f in found if only in f[0]]
    for _module, name, bench in chosen:
        yield name.removeprefix("bench_"), bench


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", default="large-town", choices=["village", "large-town"])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--only")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    store_dir = ensure_in_subprocess(args.profile)
    ctx = Context(args.profile, args.repeat, store_dir)
    ctx.store = open_reference(args.profile)
    results = []
    try:
        for name, bench in discover(args.only):
            print(f"… {name}", file=sys.stderr, flush=True)
            results += bench(ctx)
    finally:
        ctx.store.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"\nprofile {args.profile}, {args.repeat} repeats, {platform.python_version()}, "
          f"{os.cpu_count()} cores; reference store generated in {generation_seconds(args.profile):.0f} s, "
          f"database {(store_dir / 'shakyo.db').stat().st_size / 1e6:.1f} MB")
    print(f"{'benchmark':58} {'median':>10} {'p90':>10} {'target':>8}  verdict")
    for r in results:
        target = "" if r.target is None else f"{r.target:g}{r.unit}"
        print(f"{r.name:58} {r.median:9.2f}{r.unit:1} {r.p90:9.2f}{r.unit:1} {target:>8}  {r.verdict}")
        if r.note:
            print(f"{'':60}{r.note}")
    print(f"{'peak memory of this process (RSS)':58} {peak_mb:8.0f}MB {'':>10} {'300MB':>8}  "
          f"{'OK' if peak_mb <= 300 else 'OVER'}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = [{k: v for k, v in asdict(r).items() if k != "samples"} for r in results]
        args.json.write_text(json.dumps({"profile": args.profile, "peak_mb": peak_mb, "results": payload},
                                        ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
