"""CPU time of saving a contact, in rounds of 100 on the reference store (docs/performance.md,
issue 16): steadier than the runner's wall clock when other work shares the cores.

    python3 -m tests.benchmarks.save_cpu [--profile large-town]"""

import argparse
import random
import time

from shakyo_desk.domain import clock
from shakyo_desk.store.services import contacts, households
from tests.benchmarks.datasets import open_reference


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", default="large-town")
    store = open_reference(parser.parse_args().profile)
    ids = [r.id for r in households.list_households(store, limit=2000)]
    rng = random.Random(5)
    today = clock.today()

    def save() -> None:
        contacts.add_contact(store, household_id=rng.choice(ids), seen_heard="ベンチマーク", concerns=["介護"],
                             today=today)

    for _ in range(20):  # warm the caches
        save()
    rounds = []
    for _ in range(5):
        started = time.process_time()
        for _ in range(100):
            save()
        rounds.append((time.process_time() - started) * 10)  # ms per save
    print("CPU ms per save, 5 rounds of 100:", " ".join(f"{x:.2f}" for x in rounds), f"best {min(rounds):.2f}")


if __name__ == "__main__":
    main()
