"""Regenerates the screenshots of the 操作ガイド into docs/ja/images (or --out DIR).

    python docs/ja/make_screenshots.py            # all of them
    python docs/ja/make_screenshots.py --only sync_page visit_entry

The demo village is generated with a fixed seed in a temporary folder and the screens are
driven offscreen; the work is done by tests/ui/guide_screenshots.py (also run by the tests)."""

import argparse
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "images", help="where the PNGs go")
    parser.add_argument("--work", type=Path, help="keep the demo stores in this folder (default: a temporary one)")
    parser.add_argument("--only", nargs="*", help="just these images (names without .png)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    # The demo stores are throwaway test data made with the test suite's light key derivation:
    # the suite's own switch (tests/conftest.py, store/keyfile.py) allows it here too.
    os.environ.setdefault("SHAKYO_TEST_SUITE", str(ROOT / "tests" / "conftest.py"))
    from tests.ui.guide_screenshots import run

    saved = run(args.out, args.work, set(args.only) if args.only else None)
    print(f"{len(saved)} images in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
