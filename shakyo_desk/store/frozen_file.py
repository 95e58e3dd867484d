"""One committed moment of a live SQLCipher database, as the file's own (encrypted) bytes.

Shared by the backup (format 3, backup.py) and the copy taken before a migration (migrate.py):
one freeze, so both are complete whatever other processes (the CLI beside the app) are doing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import sqlcipher3

from shakyo_desk.domain import safe_file

T = TypeVar("T")
Connect = Callable[[], sqlcipher3.Connection]  # a new driver connection, keyed, autocommit

# Tries without and then with the write lock.
FREEZE_UNLOCKED = 5
FREEZE_ATTEMPTS = 10
_COPY_BLOCK = 1 << 20


class SnapshotBusy(Exception):
    """The database file could not be frozen at one committed moment (writers kept committing,
    or a reader kept an old moment open, which stops every checkpoint)."""


@contextmanager
def frozen(connect: Connect, read: Callable[[sqlcipher3.Connection], T], *,
           attempts: int = FREEZE_ATTEMPTS, unlocked: int = FREEZE_UNLOCKED) -> Iterator[T]:
    """The live database file itself as one committed moment, for as long as the block runs.

    The file's pages are already encrypted with the data key (SQLCipher), so they are copied
    as they are, never decrypted. In WAL mode the main file changes only when a checkpoint
    copies committed WAL frames into it, and a checkpoint copies no frame beyond the oldest
    open reader's snapshot (none at all while a reader that started on a fully copied WAL is
    open: it holds WAL read lock 0). So: a read transaction is begun, and then a PASSIVE
    checkpoint from a second connection must report every WAL frame copied (``log ==
    checkpointed``). Then the reader's snapshot is exactly the main file, and the file cannot
    change until the reader ends; writers go on meanwhile (into the WAL, which is not folded
    back until the block ends). A writer that commits between the two steps makes the check
    fail and it is tried again; after ``unlocked`` such misses the check runs while this
    process holds the write lock for those few milliseconds (writers wait, as for any write).
    A reader elsewhere holding a moment older than the last commit keeps frames in the WAL
    whatever we do: after ``attempts`` tries, SnapshotBusy.

    Yields what ``read`` returns, read in the frozen read transaction (it must read the
    database: the snapshot is taken at its first read)."""
    reader = checker = None
    try:
        reader = connect()
        checker = connect()  # (one at a time: the first is closed if the second fails)
        for attempt in range(attempts):
            checker.execute("PRAGMA wal_checkpoint(PASSIVE)")  # most frames folded back before any lock
            holder = None
            if attempt >= unlocked:
                holder = connect()
                holder.execute("BEGIN IMMEDIATE")  # no writer commits while the check runs
            try:
                reader.execute("BEGIN")
                facts = read(reader)  # the read transaction's snapshot is taken here
                busy, log, done = checker.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            finally:
                if holder is not None:
                    holder.execute("ROLLBACK")
                    holder.close()
            if busy == 0 and log == done:
                break
            reader.execute("ROLLBACK")
            time.sleep(0.02 * (attempt + 1))
        else:
            raise SnapshotBusy()
        yield facts
    finally:
        for conn in (reader, checker):
            if conn is not None:
                conn.close()  # (ends the read transaction: checkpoints fold the WAL back again)


def database_bytes(conn: sqlcipher3.Connection) -> int:
    """The bytes of the file that are the database, as the connection's transaction sees it."""
    pages = int(conn.execute("PRAGMA page_count").fetchone()[0])
    return pages * int(conn.execute("PRAGMA page_size").fetchone()[0])


def copy_database(database: Path, target: Path, connect: Callable[[Path], sqlcipher3.Connection], *,
                  attempts: int = FREEZE_ATTEMPTS, unlocked: int = FREEZE_UNLOCKED) -> str:
    """A complete copy of ``database`` at one committed moment into ``target``, still
    encrypted, written the safe way (0600, fsync, rename: killed, no ``target``).

    ``connect(path)`` opens a keyed autocommit connection to ``path`` (a new file gets the key).
    First the frozen file's bytes (no decryption, the fast way); when no freeze can be had (a
    reader elsewhere keeps an old moment, so committed pages stay in the WAL and the file alone
    would miss them), SQLite's online backup of the same key, which reads through the WAL:
    slower (every page decrypted and encrypted again), never incomplete. Returns which one."""
    with safe_file.stage(target) as staged:
        try:
            with frozen(lambda: connect(database), database_bytes, attempts=attempts,
                        unlocked=unlocked) as size, open(database, "rb") as src:
                left = size
                while left:
                    block = src.read(min(_COPY_BLOCK, left))
                    if not block:
                        raise OSError(f"{database} ended {left} bytes early")
                    staged.write(block)
                    left -= len(block)
            how = "file"
        except SnapshotBusy:
            staged.file.flush()  # (nothing written yet: SQLite fills the staged file itself)
            source = connect(database)
            try:
                copy = connect(staged.temp)
                try:
                    source.backup(copy)  # one step: one read transaction, one moment
                finally:
                    copy.close()
            finally:
                source.close()
            how = "online"
        staged.commit()  # (fsyncs the file by its descriptor: the same file SQLite wrote)
    return how
