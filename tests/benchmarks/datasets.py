"""Reference data sets (DESIGN §9), generated once per profile and seed and reused."""

import os
import shutil
import time
from pathlib import Path

from shakyo_desk import demo
from shakyo_desk.store.store import unlock

# SHAKYO_BENCH_OUT: another folder of data sets, e.g. a copy of the reference migrated to a
# newer schema (opening a store migrates it: never point the runner at a reference you must keep).
OUT = Path(os.environ.get("SHAKYO_BENCH_OUT") or Path(__file__).parents[2] / "bench-out").absolute()
# Part of the cache key: raise it when the generator's output changes, so that a store generated
# by an earlier version is made again (6: 支援ケース and the demo's fixed data, issue 18; 7: the
# community side, about 15,000 ties, 600 担い手 and 400 地域活動, issue 19).
DATASET_VERSION = 8


def _marker(root: Path) -> Path:
    return root / f".complete-v{DATASET_VERSION}"


def reference_store_dir(profile: str) -> Path:
    """The folder of the reference store, generating it when absent (takes a while)."""
    root = OUT / f"{profile}"
    marker = _marker(root)
    if marker.exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    root.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    print(f"generating the {profile} reference store (once) …", flush=True)
    store, _ = demo.generate(root, profile)
    store.close()
    marker.write_text(f"{time.perf_counter() - started:.1f}\n")
    return root


def ensure_in_subprocess(profile: str) -> Path:
    """Generate in a child process so the benchmark's own peak memory stays honest."""
    import subprocess
    import sys

    if not _marker(OUT / profile).exists():
        subprocess.run([sys.executable, "-m", "tests.benchmarks.datasets", profile], check=True,
                       cwd=Path(__file__).parents[2])
    return OUT / profile


def open_reference(profile: str):
    return unlock(ensure_in_subprocess(profile), demo.DEMO_LOGIN, demo.DEMO_PASSPHRASE)


def generation_seconds(profile: str) -> float:
    return float(_marker(reference_store_dir(profile)).read_text())


if __name__ == "__main__":
    import sys

    print(reference_store_dir(sys.argv[1] if len(sys.argv) > 1 else "large-town"))
