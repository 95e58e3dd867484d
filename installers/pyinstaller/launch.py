"""Entry point of the frozen app: the same `main` as the `shakyo-desk` console script."""

import multiprocessing
import sys

from shakyo_desk.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
