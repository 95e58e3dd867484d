"""What a hostile bundle costs the office that imports it (issue 15): time and peak memory of
one `import_paths` call per kind of attack, each in a fresh process (`bench_sync._timed`: the
RSS high-water mark is reset after unlocking). The attacks are built as the tests build them
(`tests/sync/test_hostile_input.py`) on a small council; what they cost does not depend on the
size of the store, only on what the file declares.

    python3 -m tests.benchmarks.run --only hostile --repeat 3
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .bench_sync import ROOT, _timed
from .common import Result, summarise

CASES = {
    "nested": "a manifest nested 100,000 deep, garbage signature (only a recipient needed)",
    "millions": "an enrolled device declares bundle number 3,000,000",
    "bomb": "300 MiB of inflation declared as 300 MiB (refused before inflating)",
    "lying-bomb": "300 MiB of inflation declared as 1 KiB (inflation stops at the declared size)",
}


def _hostile_files(root: Path) -> tuple[Path, dict[str, Path]]:
    from tests.sync import test_hostile_input as hostile
    from tests.sync.council import enrol, make_office

    office, _ = make_office(root)
    laptop = enrol(office, root, "laptop1")
    usb = root / "usb"
    try:
        payload = hostile.spaces_payload(300 << 20)
        files = {
            "nested": hostile.hostile_file(usb / "nested", office, 2),
            "millions": hostile.insider_bundle(laptop, office, usb, "millions.bundle", seq=3_000_000),
            "bomb": hostile.insider_bundle(laptop, office, usb, "bomb.bundle", payload=payload, size=(300 << 20) + 2),
            "lying-bomb": hostile.insider_bundle(laptop, office, usb, "lying.bundle", payload=payload, size=1024),
        }
    finally:
        laptop.close()
        office.close()
    return root / "office", files


def bench_hostile(ctx) -> list[Result]:
    results = []
    with tempfile.TemporaryDirectory(prefix="shakyo-hostile-") as folder:
        office, files = _hostile_files(Path(folder))
        for case, path in files.items():
            runs = []
            for n in range(ctx.repeat):
                fresh = Path(folder) / f"office-{case}-{n}"  # each run meets the file for the first time
                shutil.copytree(office, fresh)
                proc = subprocess.run([sys.executable, "-m", "tests.benchmarks.bench_hostile",
                                       json.dumps({"store": str(fresh), "path": str(path)})],
                                      cwd=ROOT, capture_output=True, text=True)
                lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
                if proc.returncode != 0 or not lines:
                    raise RuntimeError(f"hostile import {case} failed:\n{proc.stderr[-3000:]}")
                runs.append(json.loads(lines[-1].removeprefix("RESULT ")))
            outcome = f"{runs[0]['status']}/{runs[0]['reason'] or '-'}"
            results.append(summarise(f"hostile {case}: import time", [r["ms"] for r in runs],
                                     note=f"{CASES[case]}; {outcome}"))
            results.append(summarise(f"hostile {case}: peak RSS", [r["peak_mb"] for r in runs], target=300.0,
                                     unit="MB"))
    return results


def _child(args: dict) -> dict:
    from shakyo_desk.store.exchange.importing import import_paths
    from shakyo_desk.store.store import unlock
    from tests.sync.council import PASSPHRASE

    store = unlock(Path(args["store"]), "admin", PASSPHRASE)
    try:
        report, stats = _timed("hostile", lambda: import_paths(store, [Path(args["path"])]))
        (r,) = report.results
        return {**stats, "status": r.status, "reason": r.reason}
    finally:
        store.close()


if __name__ == "__main__":
    print("RESULT " + json.dumps(_child(json.loads(sys.argv[1]))), flush=True)
