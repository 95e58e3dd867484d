"""Creating, unlocking and holding an open store.

``Store`` is what the services receive: the engine keyed with the data key and
the acting account. The UI and the CLI never see the engine themselves."""

import re
import shutil
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from shakyo_desk.domain import safe_file
from shakyo_desk.domain.errors import AuthError, InvalidInput, StoreError
from shakyo_desk.domain.ids import new_id
from shakyo_desk.domain.roles import Role
from shakyo_desk.domain.text import clean
from shakyo_desk.domain.vocab import DEFAULT_CONCERNS
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shakyo_desk.store import audit, council_key, migrate
from shakyo_desk.store.engine import open_engine, probe
from shakyo_desk.store import rekey
from shakyo_desk.store.keyfile import STRENGTHENED, KeyFile, Opened, ResetNeeded, in_test_suite, new_data_key, \
    new_recovery_key, require_kdf
from shakyo_desk.store.keyfile import DerivedKek, entry_kind
from shakyo_desk.store.location import check_location
from shakyo_desk.store.models import ConcernCategory, Council, DeviceState, District, Staff
from shakyo_desk.store.paths import StoreLayout
from shakyo_desk.store.throttle import Throttle
from shakyo_desk.store.writer import Actor, Writer
from shakyo_desk.sync import authorship

LOGIN_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,31}$")
MIN_PASSPHRASE = 8

WRITE_FAILED = (
    "保存できませんでした。ディスクの空き容量と、データフォルダに書き込めるかを確かめてください。"
    "今回の変更は保存されていません。"
)
NOT_A_STORE = "データフォルダ「{path}」に社協デスクのデータがありません。フォルダの指定を確かめてください。"
UNREADABLE = (
    "データを開けませんでした。鍵が合わないか、データのファイルが壊れています。"
    "バックアップからの復元については管理者に相談してください。"
)


def validate_login(login: str) -> str:
    login = (login or "").strip()
    if not LOGIN_RE.match(login):
        raise InvalidInput("ログイン名は半角英数字（「.」「_」「-」も可）で2〜32文字にしてください。")
    return login


def validate_passphrase(passphrase: str) -> str:
    if len(passphrase or "") < MIN_PASSPHRASE:
        raise InvalidInput(f"パスフレーズは{MIN_PASSPHRASE}文字以上にしてください。")
    return passphrase


class Store:
    """An unlocked store, acting as one account.

    ``notices``: sentences the unlock produced for the person (a key strengthened, a key
    rotation finished or done); the UI shows them, the CLI prints them."""

    def __init__(self, layout: StoreLayout, engine: sa.Engine, keyfile: KeyFile, data_key: bytes, actor: Actor):
        self.layout = layout
        self.engine = engine
        self.keyfile = keyfile
        self._data_key = bytearray(data_key)
        self.actor = actor
        self.notices: list[str] = []
        # The acting account's signing key and, for an admin at the office, the council admin
        # key: both opened from its keys.json entry at unlock (council_key.py), never stored.
        self.signer: Ed25519PrivateKey | None = None
        self.council_key: Ed25519PrivateKey | None = None
        self.council_key_next: Ed25519PrivateKey | None = None  # a handover under way (council_key.py)
        # The account's own private key (keyfile.py), for the drop box (store/dropbox.py).
        self.account_private = None
        # This store and its as_actor() copies share one database: a key rotation moves them all.
        self._family: weakref.WeakSet[Store] = weakref.WeakSet([self])

    @property
    def data_key(self) -> bytes:
        if not self._data_key:
            raise StoreError("データはロックされています。もう一度ロックを解除してください。")
        return bytes(self._data_key)

    @contextmanager
    def read(self) -> Iterator[Session]:
        self._require_open()
        try:
            with Session(self.engine, expire_on_commit=False) as session, session.begin():
                yield session
        except sa_exc.DatabaseError as error:
            raise StoreError(UNREADABLE) from error

    @contextmanager
    def write(self) -> Iterator[Writer]:
        """One transaction: rows, change log and audit commit together or not at all."""
        self._require_open()
        try:
            with self.engine.connect() as conn:
                conn.execution_options(immediate=True)
                with Session(bind=conn) as session, session.begin():
                    writer = Writer(session, self.actor, audit.derive_key(self.data_key))
                    writer.signer = self.signer
                    yield writer
                    writer.finish()
        except BaseException as error:
            # A service may have re-wrapped keys in memory before failing: go back
            # to what is on disk, as the database went back to its last commit.
            self._reload_keyfile()
            if isinstance(error, sa_exc.OperationalError | OSError):
                raise StoreError(WRITE_FAILED) from error
            if isinstance(error, sa_exc.IntegrityError):
                raise InvalidInput("他のデータと矛盾するため保存できませんでした。入力内容を確かめてください。") from error
            raise

    def _reload_keyfile(self) -> None:
        try:
            self.keyfile = KeyFile.load(self.layout.key_file)
        except Exception:  # noqa: BLE001 - the original error matters more
            pass

    def as_actor(self, actor: Actor) -> "Store":
        """The same open store acting as someone else (tests, demo generation)."""
        other = Store(self.layout, self.engine, self.keyfile, self.data_key, actor)
        other.signer, other.council_key = self.signer, self.council_key  # (the unlocked account's keys)
        other.council_key_next = self.council_key_next
        other.account_private = self.account_private
        other._family = self._family
        self._family.add(other)
        return other

    def replace_key(self, engine: sa.Engine, data_key: bytes, keyfile: KeyFile) -> None:
        """After a key rotation: this session and its open copies use the new key."""
        old = self.engine
        for member in list(self._family):
            if member.is_open:
                member.engine, member.keyfile = engine, keyfile
                member._data_key = bytearray(data_key)
        if old is not engine:
            old.dispose()

    def close(self) -> None:
        """Lock: drop the key and the connections."""
        for i in range(len(self._data_key)):
            self._data_key[i] = 0
        self._data_key = bytearray()
        self.signer = self.council_key = self.council_key_next = None
        self.engine.dispose()

    @property
    def is_open(self) -> bool:
        return bool(self._data_key)

    def _require_open(self) -> None:
        if not self._data_key:
            raise StoreError("データはロックされています。もう一度ロックを解除してください。")


def _actor_from_staff(session: Session, staff: Staff) -> Actor:
    return Actor(staff.id, staff.login, staff.display_name, Role(staff.role),
                 with_subdistricts(session, staff.district_ids or []))


def with_subdistricts(session: Session, district_ids: list[str]) -> frozenset[str]:
    """A district in charge covers its 行政区/集落 too."""
    children: dict[str, list[str]] = {}
    for district_id, parent_id in session.execute(sa.select(District.id, District.parent_id)):
        children.setdefault(parent_id, []).append(district_id)
    result, todo = set(), list(district_ids)
    while todo:
        current = todo.pop()
        if current not in result:
            result.add(current)
            todo.extend(children.get(current, []))
    return frozenset(result)


def _load_actor(engine: sa.Engine, login: str) -> Actor:
    with Session(engine) as session:
        staff = session.execute(sa.select(Staff).where(Staff.login == login)).scalar_one_or_none()
        if staff is None or staff.deleted_at is not None:
            raise AuthError(f"アカウント「{login}」は登録されていません。ログイン名を確かめてください。")
        if staff.disabled_at is not None:
            raise AuthError(f"アカウント「{login}」は無効になっています。管理者に相談してください。")
        return _actor_from_staff(session, staff)


def _open_database(layout: StoreLayout, data_key: bytes, progress: rekey.Progress | None = None) -> sa.Engine:
    layout.restrict()  # a store left world-readable by an older version: owner-only from now on
    engine = open_engine(layout.database, data_key)
    try:
        probe(engine)
        migrate.upgrade(engine, layout, progress=progress)
    except sa_exc.DatabaseError as error:
        engine.dispose()
        raise StoreError(UNREADABLE) from error
    except Exception:
        engine.dispose()
        raise
    return engine


def _open_as(layout: StoreLayout, keyfile: KeyFile, data_key: bytes, login: str,
             progress: rekey.Progress | None = None) -> Store:
    engine = _open_database(layout, data_key, progress)
    try:
        actor = _load_actor(engine, login)
    except Exception:
        engine.dispose()
        raise
    return Store(layout, engine, keyfile, data_key, actor)


def require_store(root: Path) -> StoreLayout:
    layout = StoreLayout(Path(root))
    if not layout.exists():
        raise StoreError(NOT_A_STORE.format(path=root))
    check_location(layout.root)
    return layout


def _open_current(layout: StoreLayout, keyfile: KeyFile, data_key: bytes, login: str,
                  reopen: Callable[[KeyFile], bytes], progress: rekey.Progress | None = None) -> Store:
    """Open the database with the key keys.json gave. A key rotation a crash interrupted
    (rekey.py) is finished when only keys.json.next's key opens it, and forgotten when
    keys.json's key still does."""
    pending = rekey.pending_file(layout)
    try:
        store = _open_as(layout, keyfile, data_key, login, progress)
    except StoreError as error:
        if not pending.exists():
            raise
        try:
            pending_keys = KeyFile.load(pending)
        except StoreError:
            raise error from None
        new_key = reopen(pending_keys)
        store = _open_as(layout, pending_keys, new_key, login, progress)
        try:
            rekey.switch_key_files(layout, pending_keys)
        except OSError as write_error:
            store.close()
            raise StoreError(WRITE_FAILED) from write_error
        store.notices.append(rekey.FINISHED_AFTER_CRASH)
        with store.write() as w:
            w.audit("store.key_rotation_finished", detail={"key_id": pending_keys.key_id})
        return store
    if pending.exists():
        rekey.discard_pending(layout)
    return store


def _keep_keys_current(store: Store, progress: rekey.Progress | None) -> None:
    """After an unlock: a format 1 key file learns who held its key, and the key is rotated
    when one of them has been disabled or deleted since (a laptop learns it by sync)."""
    with store.read() as s:
        filled = rekey.fill_holders(s, store.keyfile, store.data_key)
        stripped = rekey.strip_reporters(s, store.keyfile)  # issue 16: reporters hold no way to the key
    if filled or stripped:
        try:
            store.keyfile.save(store.layout.key_file)
        except OSError as error:
            raise StoreError(WRITE_FAILED) from error
    _rotation, notices = rekey.rotate_if_due(store, progress)
    store.notices.extend(notices)


def _upgrade_own_entry(store: Store, login: str, passphrase: str, opened: Opened) -> None:
    """The account's own entry becomes format 2 (a key pair) and, outside the test suite,
    gets the default Argon2id cost when it had a lighter one (with a notice)."""
    entry = store.keyfile.accounts.get(login) or {}
    strengthen = opened.weak and not in_test_suite()
    if not (opened.legacy or strengthen):
        return
    kdf = None if strengthen or not opened.weak else {k: entry["kdf"][k] for k in ("memory_kib", "iterations", "lanes")}
    with store.write() as w:
        w.audit("account.key_upgraded", "staff", store.actor.staff_id or "",
                {"format": 2, "strengthened": strengthen})
        store.keyfile.wrap_for_account(login, passphrase, store.data_key, kdf)
        council_key.carry(store, login)
        store.keyfile.save(store.layout.key_file)
    if strengthen:
        store.notices.append(STRENGTHENED)


def _reporter_session(layout: StoreLayout, keyfile: KeyFile, login: str, passphrase: str, throttle: Throttle):
    """A reporter's unlock: the database is never opened (store/reporter.py). A format 1
    entry the council marked as a reporter's gets its key pair now, with the same passphrase."""
    from shakyo_desk.store.reporter import ReporterSession

    try:
        if entry_kind(keyfile.accounts.get(login)) == "legacy":
            opened = keyfile.open_account(login, passphrase)  # checks the passphrase; the key is not kept
            kdf = keyfile.accounts[login]["kdf"]
            keyfile.wrap_for_account(login, passphrase, None, None if opened.weak and not in_test_suite()
                                     else {k: kdf[k] for k in ("memory_kib", "iterations", "lanes")}, reporter=True)
            try:
                keyfile.save(layout.key_file)
            except OSError as error:
                raise StoreError(WRITE_FAILED) from error
        private = keyfile.open_private(login, passphrase)
    except ResetNeeded:
        raise
    except AuthError:
        throttle.record_failure(login)
        raise
    throttle.record_success(login)
    session = ReporterSession(layout, keyfile, login, private)
    session.reseal_own_drops()  # drops sealed before a passphrase change that was interrupted
    return session


def _become_reporter(store: Store, login: str, passphrase: str, opened: Opened):
    """A reporter whose entry still reaches the data key (made before issue 16): it keeps its
    passphrase and key pair but loses the seal; the key is rotated at the next unlock of a
    council member (the reporter may have copied keys.json). The session is a reporter's."""
    from shakyo_desk.store.reporter import ReporterSession

    keyfile = store.keyfile
    with store.write() as w:
        w.audit("account.reporter_key_pair", "staff", store.actor.staff_id or "")
        if opened.legacy:
            kdf = keyfile.accounts[login]["kdf"]
            keyfile.wrap_for_account(login, passphrase, None, None if opened.weak and not in_test_suite()
                                     else {k: kdf[k] for k in ("memory_kib", "iterations", "lanes")}, reporter=True)
        else:
            keyfile.make_reporter(login)
        keyfile.save(store.layout.key_file)
    private = getattr(opened, "private", None)
    if opened.legacy or private is None:
        private = keyfile.open_private(login, passphrase)
    session = ReporterSession(store.layout, keyfile, login, private)
    store.close()
    return session


# Run after a council member's unlock, each catching its own failures. services.drops registers
# the drop box's (publish to reporters, file their sheets): the store calls no service itself.
AFTER_UNLOCK: list[Callable[[Store], None]] = []


def _after_unlock(store: Store) -> None:
    for hook in AFTER_UNLOCK:
        hook(store)


def unlock(root: Path, login: str, passphrase: str, clock: Callable[[], float] = time.time,
           progress: rekey.Progress | None = None, *, derived: DerivedKek | None = None) -> Store:
    """Open the store as ``login``. ``progress`` hears of a key rotation done on the way
    (rekey.py), which can take a while on a large store. A reporter gets a ReporterSession
    (store/reporter.py), which never opens the database. ``derived``: the passphrase's key
    derived in this process when the store was made (keyfile.derive_kek; the demo)."""
    layout = require_store(root)
    throttle = Throttle(layout.unlock_state, clock)
    throttle.check(login)
    keyfile = KeyFile.load(layout.key_file)
    if keyfile.is_reporter(login):
        return _reporter_session(layout, keyfile, login, passphrase, throttle)
    try:
        opened = keyfile.open_account(login, passphrase, derived)
    except ResetNeeded:
        raise  # no passphrase was tried: nothing to slow down
    except AuthError:
        throttle.record_failure(login)  # unknown logins too: guessing names costs time as well
        raise
    reopened: list[Opened] = []

    def reopen(pending: KeyFile) -> bytes:
        reopened.append(pending.open_account(login, passphrase))
        return reopened[-1].data_key

    store = _open_current(layout, keyfile, opened.data_key, login, reopen, progress)
    throttle.record_success(login)
    try:
        current = reopened[-1] if reopened else opened
        council_key.open_session_keys(store, login, current)
        if store.actor.role == Role.REPORTER:
            return _become_reporter(store, login, passphrase, current)
        with store.write() as w:
            w.audit("session.unlock")
            from shakyo_desk.store.exchange.identity import ensure_identity

            ensure_identity(w.conn)
        _upgrade_own_entry(store, login, passphrase, current)
        council_key.refresh(store)
        private = getattr(current, "private", None)
        store.account_private = (private if not current.legacy and private is not None
                                 else store.keyfile.open_private(login, passphrase))
        _keep_keys_current(store, progress)
        _after_unlock(store)
    except BaseException:
        store.close()
        raise
    return store


def unlock_with_recovery(root: Path, recovery_key: str, login: str, new_passphrase: str,
                         progress: rekey.Progress | None = None) -> Store:
    """Set a new passphrase for ``login`` with the recovery key, and unlock. A format 1
    recovery entry becomes format 2 on the way (the recovery key is at hand)."""
    layout = require_store(root)
    validate_passphrase(new_passphrase)
    keyfile = KeyFile.load(layout.key_file)
    data_key = keyfile.unwrap_with_recovery(recovery_key)
    store = _open_current(layout, keyfile, data_key, login, lambda pending: pending.unwrap_with_recovery(recovery_key),
                          progress)
    try:
        keyfile, data_key = store.keyfile, store.data_key
        actor = store.actor
        with store.write() as w:
            w.audit("account.passphrase_recovered", "staff", actor.staff_id or "")
            rekey.fill_holders(w.session, keyfile, data_key)
            keyfile.wrap_for_account(login, new_passphrase, data_key)
            if keyfile.recovery_kind != "sealed":
                keyfile.wrap_for_recovery(recovery_key, data_key)
            keyfile.save(layout.key_file)
        Throttle(layout.unlock_state).record_success(login)
        council_key.refresh(store)  # a new signing key; the council admin key waits for another admin
        store.account_private = keyfile.open_private(login, new_passphrase)
        _keep_keys_current(store, progress)
    except BaseException:
        store.close()
        raise
    return store


def create_store(
    root: Path,
    council_name: str,
    admin_login: str,
    admin_passphrase: str,
    *,
    admin_name: str = "",
    municipality: str = "",
    is_demo: bool = False,
    kdf: dict | None = None,
    derived: DerivedKek | None = None,
) -> tuple[Store, "RecoveryKey"]:
    """Create a new encrypted store with its first admin. Returns (store, recovery key with
    the council's recovery identity). ``derived``: the admin passphrase's key already derived
    (keyfile.derive_kek: the demo's accounts share one)."""
    council_name = clean(council_name)
    if not council_name:
        raise InvalidInput("社協の名前を入力してください。")
    admin_login = validate_login(admin_login)
    council_id, admin_id, device_id = new_id(), new_id(), new_id()
    actor = Actor(admin_id, admin_login, clean(admin_name) or admin_login, Role.ADMIN)
    identity: list[str] = []
    signing, admin = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()

    def fill(store: Store) -> None:
        from shakyo_desk.store.exchange.identity import found_council
        from shakyo_desk.sync import roster as rosters

        store.signer = signing
        with store.write() as w:
            w.insert(Council, {"name": council_name, "municipality": clean(municipality), "is_demo": is_demo},
                     entity_id=council_id)
            w.insert(Staff, {"login": admin_login, "display_name": actor.display_name, "role": Role.ADMIN.value,
                             "section": "事務局", "district_ids": []}, entity_id=admin_id)
            for order, name in enumerate(DEFAULT_CONCERNS):
                w.insert(ConcernCategory, {"name": name, "sort_order": order, "active": True})
            w.audit("store.create", "council", council_id)
            staff = [rosters.staff_entry(admin_id, admin_login, Role.ADMIN.value, False, authorship.public_b64(signing))]
            identity.append(found_council(w.conn, council_id, device_id, admin, staff))

    store, recovery_key = build_store(root, council_id, device_id, actor, admin_passphrase, fill, kdf,
                                      signing=signing, council=admin, derived=derived)
    return store, RecoveryKey(recovery_key, identity[0])


# Present in a store folder while build_store makes it: a process killed before keys.json was
# written left a database nobody can open (its key was only in that process); the next
# build_store into the folder removes it instead of refusing the folder for ever.
BUILDING = ".building"


def build_store(root: Path, council_id: str, device_id: str, actor: Actor, passphrase: str,
                fill: Callable[[Store], None], kdf: dict | None = None, *,
                signing: Ed25519PrivateKey | None = None, council: Ed25519PrivateKey | None = None,
                data_key: bytes | None = None,
                place_database: Callable[[StoreLayout], None] | None = None,
                derived: DerivedKek | None = None) -> tuple[Store, str]:
    """A new store folder: database, device identity, ``fill`` (first records, or the data an
    enrolment carries), then the key file. Nothing is left behind when any step fails.
    ``place_database`` puts a database encrypted with ``data_key`` in place first (a join by
    snapshot, store/exchange/snapshot.py); otherwise a new key and an empty database."""
    root = Path(root)
    validate_passphrase(passphrase)
    kdf = require_kdf(kdf)  # light settings only inside the test suite: refused before anything is made
    check_location(root)
    layout = StoreLayout(root)
    if (root / BUILDING).is_file() and not layout.key_file.exists():
        _remove_partial_store(layout, False)  # killed midway before
    if layout.database.exists() or layout.key_file.exists():
        raise StoreError(f"フォルダ「{root}」にはすでにデータがあります。別のフォルダを指定してください。")
    created_root = not root.exists()
    try:
        safe_file.make_private_dir(root)
        safe_file.restrict_dir(root)  # an empty folder chosen for the store becomes owner-only too
    except OSError as error:
        raise StoreError(f"フォルダ「{root}」を作れませんでした。書き込みできる場所を指定してください。") from error

    data_key, recovery_key = data_key or new_data_key(), new_recovery_key()
    keyfile = KeyFile.new(store_id=council_id)
    engine = None
    try:
        safe_file.create_private(root / BUILDING)
        if place_database is not None:
            place_database(layout)
        engine = open_engine(layout.database, data_key)
        migrate.upgrade(engine)
        with Session(engine) as session, session.begin():
            session.add(DeviceState(id=1, device_id=device_id, epoch=1, council_id=council_id, next_seq=1))
        store = Store(layout, engine, keyfile, data_key, actor)
        fill(store)
        private = keyfile.wrap_for_account(actor.login, passphrase, data_key, kdf, derived=derived)
        # The account's signing key (`signing`: the one `fill` signed with) and, for the first
        # admin, the council admin key (council_key.py).
        store.signer = Ed25519PrivateKey.from_private_bytes(keyfile.give_signing_key(
            actor.login, signing.private_bytes_raw() if signing else None))
        if council is not None:
            keyfile.seal_admin_key(actor.login, council.private_bytes_raw())
            store.council_key = council
        keyfile.wrap_for_recovery(recovery_key, data_key)
        keyfile.save(layout.key_file)
        (root / BUILDING).unlink(missing_ok=True)
        store.account_private = private  # for the drop box (dropbox.py); the one just wrapped, no second derivation
    except BaseException as error:
        if engine is not None:
            engine.dispose()
        _remove_partial_store(layout, created_root)
        if isinstance(error, (OSError, sa_exc.OperationalError)):
            raise StoreError(WRITE_FAILED) from error
        raise
    return store, recovery_key


class RecoveryKey(str):
    """The recovery key as printed, carrying the council's recovery age identity too: both
    are shown once in the recovery kit and neither is stored."""

    identity: str

    def __new__(cls, key: str, identity: str) -> "RecoveryKey":
        value = super().__new__(cls, key)
        value.identity = identity
        return value


def _remove_partial_store(layout: StoreLayout, created_root: bool) -> None:
    if created_root:
        shutil.rmtree(layout.root, ignore_errors=True)
        return
    for path in (layout.database, layout.key_file):
        for suffix in ("", "-wal", "-shm", "-journal", safe_file.PARTIAL_SUFFIX):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
    (layout.root / BUILDING).unlink(missing_ok=True)
