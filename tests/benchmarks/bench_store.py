"""Store-level benchmarks: search as you type, opening and saving a household,
and the cost of encryption (the same workload on SQLCipher and on plain SQLite)."""

import random
import tempfile
from pathlib import Path

import sqlalchemy as sa

from shakyo_desk.domain.text import fold
from shakyo_desk.store.engine import checkpoint, open_plain_engine
from shakyo_desk.store.services import households
from shakyo_desk.store.store import Store

from .common import Result, measure, summarise

# What a worker types, one keystroke at a time.
TYPED = ["や", "やま", "やまだ", "やまだ は", "さ", "さと", "さとう", "かみ", "0000", "00001"]


def _queries(store: Store) -> list[str]:
    rows = households.list_households(store, limit=None)
    rng = random.Random(7)
    picks = rng.sample(rows, 10)
    queries = list(TYPED)
    for row in picks:  # real prefixes of real kana, as typed
        kana = fold(row.head_kana)
        queries += [kana[:1], kana[:2], kana[:3]]
    return [q for q in queries if q]


def workload(store: Store, queries: list[str], household_ids: list[str]) -> None:
    for q in queries:
        households.list_households(store, q)
    for household_id in household_ids:
        households.get_household(store, household_id)
    for household_id in household_ids[:5]:
        households.update_household(store, household_id, notes=f"bench {random.random()}")


def bench_search(ctx) -> list[Result]:
    store = ctx.store
    queries = _queries(store)
    samples = []
    for q in queries:
        samples += measure(q, lambda q=q: households.list_households(store, q), ctx.repeat).samples
    results = [summarise("household search as you type (every keystroke)", samples, 50.0,
                         note=f"{len(queries)} typed prefixes × {ctx.repeat}, up to 500 rows each")]
    results.append(measure("household list, no filter (first 500 of all)",
                           lambda: households.list_households(store, ""), ctx.repeat, 50.0))
    return results


def bench_household(ctx) -> list[Result]:
    store = ctx.store
    ids = [r.id for r in households.list_households(store, limit=None)]
    rng = random.Random(11)
    pick = iter(rng.choice(ids) for _ in range(10_000))
    opened = measure("open a household with members (audited view)",
                     lambda: households.get_household(store, next(pick)), ctx.repeat * 3, 100.0)
    saved = measure("save a household edit (row + change log + audit)",
                    lambda: households.update_household(store, next(pick), notes=f"bench {rng.random()}"),
                    ctx.repeat * 3, 30.0)
    return [opened, saved]


def bench_encryption_ratio(ctx) -> list[Result]:
    store = ctx.store
    queries = _queries(store)
    ids = [r.id for r in households.list_households(store, limit=None)]
    sample = random.Random(3).sample(ids, 20)
    with tempfile.TemporaryDirectory() as tmp:
        plain_path = Path(tmp) / "plain.db"
        checkpoint(store.engine)
        with store.engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            raw.execute(f"ATTACH DATABASE '{plain_path}' AS plaintext KEY ''")
            raw.execute("SELECT sqlcipher_export('plaintext')")
            raw.execute("DETACH DATABASE plaintext")
        plain_engine = open_plain_engine(plain_path)
        with plain_engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM household")).scalar() == len(ids)
        plain = Store(store.layout, plain_engine, store.keyfile, store.data_key, store.actor)
        # Fresh engines on both sides so neither benefits from a warmer cache.
        store.engine.dispose()
        enc = measure("workload on SQLCipher", lambda: workload(store, queries, sample), ctx.repeat)
        pla = measure("same workload on plain SQLite", lambda: workload(plain, queries, sample), ctx.repeat)
        plain_engine.dispose()
    ratios = sorted(e / p for e, p in zip(enc.samples, pla.samples))
    note = f"{len(queries)} searches, {len(sample)} households opened, 5 edits per run"
    return [enc, pla, summarise("SQLCipher / plain SQLite", ratios, 1.5, "×", note)]
