"""Rotating the data key (issue 16): a disabled account's old key entry opens nothing current.

Every account reaches the data key through its own key pair (``keyfile.py``), so a session
holding the data key can seal a new one to every remaining account and to the recovery key
without knowing a passphrase. ``rotate`` does it in an order a crash at any moment survives:

1. ``keys.json.next``: the new key sealed to the remaining accounts and the recovery key
   (written atomically; ``keys.json`` still opens the database);
2. ``PRAGMA rekey`` on the live database: SQLCipher rewrites every page into the WAL and
   commits once, so the file opens with the old key or with the new one, never with neither;
   then a checkpoint folds the WAL back;
3. check: a fresh connection opens every page with the new key (``cipher_integrity_check``)
   and the old key opens nothing;
4. ``keys.json`` replaced by the new file (atomically), ``keys.json.next`` removed;
5. the open session switches to the new key; audit ``store.key_rotated``.

At unlock (``store.unlock``), a ``keys.json.next`` left behind is finished when the database
opens only with its key (the crash came after step 2) and removed when ``keys.json`` still
opens the database (before). Then, if an account that held a way to the key here has been
disabled since (on the office, or on a laptop when the disable arrived by sync), the key is
rotated there and then.

Which accounts are carried: every account with a format 2 entry. A format 1 entry (not yet
upgraded by its owner's unlock) cannot be sealed again by anybody else: an explicit disable
marks it ``reset_needed`` (the administrator is told to set a new passphrase); a rotation due
at unlock waits instead until those accounts have unlocked once, and administrators are told.
A format 1 recovery entry becomes ``renew`` (an administrator makes a new recovery key).

Reporters (issue 16) hold no way to the data key. A council session's unlock removes the seal
from every reporter's entry (``strip_reporters``); a reporter still among ``holders`` may have
copied keys.json before, so the key is due to rotate as for a disabled account, and the
rotation carries reporters' entries without any seal of the new key.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
import sqlcipher3

from shakyo_desk.domain import safe_file
from shakyo_desk.domain.errors import StoreError
from shakyo_desk.store import audit_witness
from shakyo_desk.store.engine import BUSY_TIMEOUT_MS, open_engine, probe
from shakyo_desk.store.keyfile import KeyFile, entry_kind, key_id, new_data_key
from shakyo_desk.store.models import Staff
from shakyo_desk.store.paths import StoreLayout

Progress = Callable[[int, int, str], None]

ROTATING = "データの鍵を作り直しています…"
CHECKING = "作り直した鍵でデータを確かめています…"
FAILED = ("データの鍵を作り直せませんでした。ほかにこのデータを開いている社協デスク（画面やコマンド）を閉じてから、"
          "もう一度お試しください。データは元の鍵のまま変わっていません。")
NO_ROOM = ("データの鍵を作り直せませんでした。データと同じくらいの空き容量が一時的に必要です。"
           "ディスクの空きを確かめてから、もう一度お試しください。データは元の鍵のまま変わっていません。")
FAILED_SWITCH = ("データの鍵は作り直しましたが、鍵のファイルを書き換えられませんでした。"
                 "ディスクの空きと書き込みを確かめてから、アプリを終了して、もう一度ロックを解除してください（続きを済ませます）。")
UNCERTAIN = ("データの鍵を作り直したあとの確認で問題が見つかりました。アプリを終了して、もう一度ロックを解除してください"
             "（続きを済ませます）。直らないときは管理者に連絡し、バックアップから復元してください。")
NOT_YET = "{message}次にロックを解除したときにも、自動でもう一度行います。"
FINISHED_AFTER_CRASH = "前回途中で止まったデータの鍵の作り直しを、最後まで済ませました。"
WAITING = ("無効にしたアカウント（{excluded}）の古い鍵がまだ使えるため、データの鍵を作り直す必要があります。"
           "次のアカウントが一度ロックを解除すると、自動で作り直します：{waiting}")


class RotationFailed(StoreError):
    """The key could not be rotated. ``unchanged``: the database and keys.json still have
    the old key and the session goes on with it; otherwise the next unlock finishes."""

    def __init__(self, message: str, unchanged: bool):
        super().__init__(message)
        self.unchanged = unchanged


@dataclass(frozen=True)
class Rotation:
    """What a rotation did."""

    excluded: tuple[str, ...]  # logins whose way to the key was dropped (disabled or deleted)
    needs_reset: tuple[str, ...]  # remaining accounts that need a new passphrase from an admin
    recovery_renew: bool  # the recovery key could not be carried: an admin makes a new one
    seconds: float
    database_bytes: int
    reporters: tuple[str, ...] = ()  # reporters whose old way to the key was dropped (issue 16)

    @property
    def notices(self) -> tuple[str, ...]:
        lines = [f"データの鍵を作り直しました（無効にしたアカウント：{'、'.join(self.excluded) or 'なし'}）。"
                 "以前の鍵ファイルやバックアップに残っている、そのアカウントの鍵では、今のデータは開けません。"
                 ] if self.excluded or not self.reporters else ["データの鍵を作り直しました。"]
        if self.needs_reset:
            lines.append("次のアカウントは古い形式の鍵のままだったため、管理者が「パスフレーズを再設定」するまで"
                         f"ロックを解除できません：{'、'.join(self.needs_reset)}")
        if self.recovery_renew:
            lines.append("復旧キーは古い形式だったため、新しい鍵には使えません。アカウント画面の「復旧キーを作り直す」"
                         "で新しい復旧キーを作り、印刷して保管してください。")
        if self.reporters:
            lines.append(f"報告者のアカウント（{'、'.join(self.reporters)}）は、データの鍵を持たない形に切り替えました。"
                         "報告者が提出した把握シートは、コーディネーターや管理者がロックを解除したときに受け付けます。")
        return tuple(lines)


def pending_file(layout: StoreLayout) -> Path:
    return layout.root / (layout.key_file.name + ".next")


# ---- who holds the key ------------------------------------------------------------------


def _gone_logins(session) -> set[str]:
    rows = session.execute(sa.select(Staff.login).where(
        sa.or_(Staff.disabled_at.is_not(None), Staff.deleted_at.is_not(None))))
    return {login for (login,) in rows}


def fill_holders(session, keyfile: KeyFile, data_key: bytes) -> bool:
    """A format 1 key file does not say who held the key. Everyone with an entry did; on the
    office, disabling removed entries without rotating, so every disabled account may have
    too. True when the key file changed (to be saved)."""
    if keyfile.holders is not None:
        return False
    holders = {login for login, entry in keyfile.accounts.items() if entry_kind(entry) in ("sealed", "legacy")}
    from shakyo_desk.store.exchange.identity import is_office

    office = is_office(session.connection())
    if office:
        holders |= _gone_logins(session)
    keyfile.holders = sorted(holders)
    keyfile.key_id = key_id(data_key)
    return True


def excluded_logins(session, keyfile: KeyFile) -> set[str]:
    """Accounts that held a way to the current key here and are disabled or deleted now."""
    usable = {login for login, entry in keyfile.accounts.items() if entry_kind(entry) in ("sealed", "legacy")}
    return (set(keyfile.holders or ()) | usable) & _gone_logins(session)


def strip_reporters(session, keyfile: KeyFile) -> list[str]:
    """Reporters' entries lose their seal of the data key (issue 16); the logins changed."""
    rows = session.execute(sa.select(Staff.login).where(Staff.role == "reporter", Staff.deleted_at.is_(None)))
    return [login for (login,) in rows if keyfile.make_reporter(login)]


def demoted_holders(keyfile: KeyFile) -> set[str]:
    """Reporters who held a way to the current key here (before issue 16, or before their role
    changed): the key is due to rotate."""
    return {login for login in keyfile.holders or () if keyfile.is_reporter(login)}


def rotation_due(store) -> tuple[set[str], list[str]]:
    """(logins to exclude, format 1 accounts a rotation now would strand)."""
    with store.read() as s:
        excluded = excluded_logins(s, store.keyfile)
    stranded = [login for login in store.keyfile.legacy_accounts() if login not in excluded]
    return excluded, stranded


# ---- the steps (module functions, so a test can stop a child process between them) ------


def write_pending(layout: StoreLayout, keyfile: KeyFile) -> None:
    safe_file.write_atomic(pending_file(layout), keyfile.to_json())


def _connect(database: Path, data_key: bytes):
    conn = sqlcipher3.connect(str(database), isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA key = \"x'{data_key.hex()}'\"")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def _opens(database: Path, data_key: bytes) -> bool:
    try:
        conn = _connect(database, data_key)
    except sqlcipher3.Error:
        return False
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return True
    except sqlcipher3.Error:
        return False
    finally:
        conn.close()


def rekey_database(database: Path, old_key: bytes, new_key: bytes, report: Progress) -> None:
    """``PRAGMA rekey`` in a helper thread; progress is how far the WAL has grown towards the
    database's size (every page is rewritten into it before the single commit)."""
    wal = database.with_name(database.name + "-wal")
    size = max(1, database.stat().st_size)
    failure: list[BaseException] = []

    def work() -> None:
        try:
            conn = _connect(database, old_key)
            try:
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # from an empty WAL: its growth is the progress
                conn.execute(f"PRAGMA rekey = \"x'{new_key.hex()}'\"")
            finally:
                conn.close()
        except BaseException as error:  # noqa: BLE001 - handed to the caller's thread
            failure.append(error)

    worker = threading.Thread(target=work, name="shakyo-rekey", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.25)
        try:
            grown = wal.stat().st_size if wal.exists() else 0
        except OSError:
            grown = 0
        report(5 + min(80, 80 * grown // size), 100, ROTATING)
    if failure:
        raise failure[0]


def checkpoint(database: Path, new_key: bytes) -> None:
    """Fold the WAL's rewritten pages into the file (best effort: a reader elsewhere may hold
    it; the committed WAL opens with the new key just as well)."""
    conn = _connect(database, new_key)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        conn.close()


def verify(database: Path, old_key: bytes, new_key: bytes) -> bool:
    """Every page opens with the new key; the old key opens nothing."""
    try:
        conn = _connect(database, new_key)
        try:
            problems = conn.execute("PRAGMA cipher_integrity_check").fetchall()
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()
    except sqlcipher3.Error:
        return False
    return not problems and not _opens(database, old_key)


def switch_key_files(layout: StoreLayout, keyfile: KeyFile) -> None:
    """keys.json becomes the new key file (written whole from memory: it does not depend on
    keys.json.next still being there), then keys.json.next goes."""
    keyfile.save(layout.key_file)
    pending_file(layout).unlink(missing_ok=True)
    safe_file.fsync_dir(layout.root)


def discard_pending(layout: StoreLayout) -> None:
    pending_file(layout).unlink(missing_ok=True)


# ---- rotating ---------------------------------------------------------------------------


def rotate(store, drop: set[str] | frozenset[str], progress: Progress | None = None) -> Rotation:
    """Give the open store a new data key, carried to every remaining account and the
    recovery key; ``drop`` (disabled or deleted logins) left out. See the module doc."""
    report = progress or (lambda done, total, text: None)
    started = time.perf_counter()
    layout = store.layout
    database = layout.database
    old_key, new_key = store.data_key, new_data_key()
    current = store.keyfile
    needs_reset = tuple(login for login in current.legacy_accounts() if login not in drop)
    recovery_renew = current.recovery_kind != "sealed"
    rotated = current.rotated(new_key, set(drop))
    report(0, 100, ROTATING)
    with store.write() as w:  # the audit log's keys stay usable under the new key (store/audit_witness.py)
        audit_witness.carry_keys(w.conn, old_key, new_key)
    try:
        write_pending(layout, rotated)
    except OSError as error:
        raise RotationFailed(NO_ROOM, True) from error
    store.engine.dispose()  # no pooled connection keeps the old key
    try:
        rekey_database(database, old_key, new_key, report)
    except sqlcipher3.Error as error:
        if not _opens(database, old_key):
            raise RotationFailed(UNCERTAIN, False) from error
        _undo(store, layout, old_key)
        raise RotationFailed(NO_ROOM if "full" in str(error).lower() else FAILED, True) from error
    except OSError as error:
        if not _opens(database, old_key):
            raise RotationFailed(UNCERTAIN, False) from error
        _undo(store, layout, old_key)
        raise RotationFailed(NO_ROOM, True) from error
    report(85, 100, CHECKING)
    try:
        checkpoint(database, new_key)
    except sqlcipher3.Error:
        pass  # the rekey did not happen (verify says so) or a reader holds the WAL (harmless)
    if not verify(database, old_key, new_key):
        if _opens(database, old_key):  # SQLCipher refused the rekey (busy, no room): nothing changed
            _undo(store, layout, old_key)
            raise RotationFailed(FAILED, True)
        # The old key opens nothing: keys.json.next stays for the next unlock to finish.
        raise RotationFailed(UNCERTAIN, False)
    report(95, 100, CHECKING)
    try:
        switch_key_files(layout, rotated)
    except OSError as error:
        # The database has the new key and keys.json.next says so: the next unlock finishes.
        raise RotationFailed(FAILED_SWITCH, False) from error
    store.replace_key(open_engine(database, new_key), new_key, rotated)
    probe(store.engine)
    size = database.stat().st_size
    rotation = Rotation(tuple(sorted(drop)), needs_reset, recovery_renew, time.perf_counter() - started, size,
                        tuple(sorted(demoted_holders(current) - set(drop))))
    with store.write() as w:
        w.audit("store.key_rotated", detail={"excluded": list(rotation.excluded), "needs_reset": list(needs_reset),
                                             "recovery_renew": recovery_renew, "key_id": rotated.key_id,
                                             "seconds": round(rotation.seconds, 1)})
    report(100, 100, "データの鍵を作り直しました。")
    return rotation


def _undo(store, layout: StoreLayout, old_key: bytes) -> None:
    """The rekey did not happen: the session keeps its key (its engine reconnects with it)."""
    discard_pending(layout)


def rotate_if_due(store, progress: Progress | None = None, *, wait_for_legacy: bool = True) -> tuple[
        Rotation | None, list[str]]:
    """Rotate when an account that held the key here is disabled or deleted now (after a
    disable, at unlock, after a sync import). Returns (rotation or None, notices). With
    ``wait_for_legacy`` a rotation that would strand accounts still on format 1 waits (the
    administrators are told); the explicit disable passes False."""
    excluded, stranded = rotation_due(store)
    if not excluded and not demoted_holders(store.keyfile):
        return None, []
    if stranded and wait_for_legacy:
        notice = WAITING.format(excluded="、".join(sorted(excluded | demoted_holders(store.keyfile))),
                                waiting="、".join(stranded))
        from shakyo_desk.domain.roles import manages_accounts

        return None, [notice] if manages_accounts(store.actor.role) else []
    try:
        rotation = rotate(store, excluded, progress)
    except RotationFailed as error:
        if not error.unchanged:
            raise
        return None, [NOT_YET.format(message=error.message)]
    return rotation, list(rotation.notices)
