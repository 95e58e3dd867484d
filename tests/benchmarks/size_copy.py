"""A decrypted copy of a store, page for page, for measuring where the bytes go (issue 20).

SQLCipher's build here has no `dbstat` and `sqlcipher_export` rebuilds every B-tree (that is
a VACUUM, not the store as it is). So the copy is made by decrypting each page of the file
as it lies on disk: SQLCipher 4 with a raw key encrypts page n's bytes (after the 16-byte
salt on page 1) with AES-256-CBC under the data key itself, and keeps the IV and HMAC in the
page's reserved tail (80 bytes at 4096). The plaintext page keeps that reserve (zeroed), so
Python's own SQLite reads the copy with the very layout of the store: same pages, same fill,
same freelist, and `dbstat` tells each table's and index's share.

The copy is plaintext: it lives only in a private temporary folder and is deleted when the
`with` block ends, whatever happens inside it. Benchmarks only."""

import contextlib
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from shakyo_desk.store.engine import checkpoint

SQLITE_HEADER = b"SQLite format 3\x00"
SALT = 16
IV = 16
CHUNK_PAGES = 256


def _decrypt_file(source, target, key: bytes, page_size: int, reserve: int) -> int:
    pages = 0
    aes = algorithms.AES(key)
    while True:
        block = source.read(page_size * CHUNK_PAGES)
        if not block:
            return pages
        if len(block) % page_size:
            raise ValueError("the database file does not end on a page boundary")
        out = bytearray()
        for start in range(0, len(block), page_size):
            page = block[start:start + page_size]
            first = 0 if pages else SALT
            end = page_size - reserve
            iv = page[end:end + IV]
            plain = Cipher(aes, modes.CBC(iv)).decryptor().update(page[first:end])
            if not pages:
                out += SQLITE_HEADER
            out += plain
            out += bytes(reserve)
            pages += 1
        target.write(out)


def _page_format(database: Path, key: bytes, page_size: int) -> int:
    """The reserve per page, checked against the header SQLCipher encrypted into page 1 (its
    bytes 16.. hold the page size at 16 and the reserve at 20): a wrong key fails here."""
    with open(database, "rb") as f:
        page = f.read(page_size)
    for reserve in (80, 48, 32):  # IV + HMAC-SHA512 (SQLCipher 4), HMAC-SHA256, HMAC-SHA1
        end = page_size - reserve
        plain = Cipher(algorithms.AES(key), modes.CBC(page[end:end + IV])).decryptor().update(page[SALT:SALT + 16])
        size = int.from_bytes(plain[0:2], "big")
        if (65536 if size == 1 else size) == page_size and plain[4] == reserve:
            return reserve
    raise ValueError("cannot read the page format of the database (wrong key?)")


@contextlib.contextmanager
def decrypted_copy(store, attempts: int = 5) -> Iterator[tuple[Path, dict]]:
    """Yield (path of a plaintext copy of ``store``'s database, facts about the original file).

    The copy is taken under a read transaction with the WAL empty: no checkpoint can then write
    into the main file while it is read, so the pages are one consistent state."""
    database = store.layout.database
    wal = Path(f"{database}-wal")
    tmp = Path(tempfile.mkdtemp(prefix="shakyo-size-"))  # mode 0700
    try:
        plain = tmp / "plain.db"
        facts: dict = {}
        for _ in range(attempts):
            checkpoint(store.engine)
            with store.engine.connect() as conn:
                raw = conn.connection.dbapi_connection
                raw.execute("BEGIN")
                raw.execute("SELECT count(*) FROM sqlite_master").fetchall()
                if wal.exists() and wal.stat().st_size:
                    raw.execute("ROLLBACK")
                    continue  # someone wrote between the checkpoint and our read: again
                for pragma in ("page_size", "auto_vacuum", "freelist_count", "page_count", "journal_mode"):
                    facts[pragma] = raw.execute(f"PRAGMA {pragma}").fetchone()[0]
                facts["file_bytes"] = database.stat().st_size
                page_size = int(raw.execute("PRAGMA cipher_page_size").fetchone()[0])
                reserve = _page_format(database, store.data_key, page_size)
                facts["reserve"] = reserve
                fd = os.open(plain, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with open(database, "rb") as source, os.fdopen(fd, "wb") as target:
                    facts["copied_pages"] = _decrypt_file(source, target, store.data_key, page_size, reserve)
                raw.execute("ROLLBACK")
            break
        else:
            raise RuntimeError("the store kept being written to; could not take a consistent copy")
        check = sqlite3.connect(f"file:{plain}?mode=ro", uri=True)
        try:
            if check.execute("PRAGMA quick_check(1)").fetchone()[0] != "ok":
                raise RuntimeError("the decrypted copy is not a sound SQLite file")
        finally:
            check.close()
        yield plain, facts
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
