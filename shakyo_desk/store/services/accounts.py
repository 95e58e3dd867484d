"""Staff accounts: add, disable, enable, roles, passphrases, the recovery key.

Passphrase changes give the account a new key pair in the key file; the database is never
re-encrypted for them. Disabling an account rotates the data key (``store/rekey.py``), so
the account's old key entry, wherever it was copied, opens nothing current. The key file is
saved inside the write transaction, so a failed save rolls the database change back too."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from shakyo_desk.domain.errors import AuthError, InvalidInput, NotFound, StoreError
from shakyo_desk.domain.roles import Role, manages_accounts
from shakyo_desk.store import council_key, rekey
from shakyo_desk.store.keyfile import DerivedKek, new_recovery_key, require_kdf
from shakyo_desk.store.models import Staff
from shakyo_desk.store.reporter import is_reporter_session
from shakyo_desk.store.services._common import NO_RIGHT, optional_text, require, required_text, require_office
from shakyo_desk.store.store import RecoveryKey, Store, validate_login, validate_passphrase
from shakyo_desk.store.throttle import Throttle
from shakyo_desk.domain import clock

# What an account change's audit entry keeps before and after (the viewer shows 職員 → 管理者).
ACCOUNT_AUDIT_VALUES = frozenset({"role", "disabled_at", "district_ids", "section"})


@dataclass(frozen=True)
class Account:
    id: str
    login: str
    display_name: str
    role: Role
    section: str
    district_ids: tuple[str, ...]
    disabled_at: datetime | None

    @property
    def active(self) -> bool:
        return self.disabled_at is None


def _account(r: Staff) -> Account:
    return Account(r.id, r.login, r.display_name, Role(r.role), r.section, tuple(r.district_ids or ()), r.disabled_at)


def list_accounts(store: Store) -> list[Account]:
    with store.read() as s:
        rows = s.execute(sa.select(Staff).where(Staff.deleted_at.is_(None)).order_by(Staff.login)).scalars()
        accounts = [_account(r) for r in rows]
    if manages_accounts(store.actor.role):
        return accounts
    return [a for a in accounts if a.id == store.actor.staff_id]


def get_account(store: Store, staff_id: str) -> Account:
    for account in list_accounts(store):
        if staff_id in (account.id, account.login):
            return account
    raise NotFound("指定されたアカウントが見つかりません。一覧を更新してください。")


def require_account_admin(store: Store) -> None:
    """Refuse early (before asking for passphrases) when the acting account may not manage accounts."""
    require(manages_accounts(store.actor.role), "アカウントの管理は管理者だけができます。管理者に依頼してください。")


def _role(value) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidInput("役割は admin / coordinator / staff / reporter のいずれかを選んでください。") from None


def add_account(store: Store, login: str, display_name: str, role: Role | str, passphrase: str,
                section: str = "", district_ids: list[str] | None = None, kdf: dict | None = None, *,
                derived: DerivedKek | None = None) -> str:
    """``derived``: the passphrase's key from ``keyfile.derive_kek``, for several accounts made
    at once with one passphrase (the demo's): one Argon2id derivation for all of them."""
    require(manages_accounts(store.actor.role))
    require_office(store)
    login = validate_login(login)
    validate_passphrase(passphrase)
    kdf = require_kdf(kdf)
    values = {
        "login": login,
        "display_name": required_text(display_name, "氏名", 100),
        "role": _role(role).value,
        "section": optional_text(section, "所属", 100),
        "district_ids": sorted(set(district_ids or [])),
    }
    with store.read() as s:
        if s.execute(sa.select(Staff.id).where(Staff.login == login)).first():
            raise InvalidInput(f"ログイン名「{login}」はすでに使われています。別の名前にしてください。")
    with store.write() as w:
        staff_id = w.insert(Staff, values)
        store.keyfile.wrap_for_account(login, passphrase, store.data_key, kdf,
                                       reporter=values["role"] == Role.REPORTER.value, derived=derived)
        store.keyfile.save(store.layout.key_file)
    council_key.refresh(store)
    return staff_id


def update_account(store: Store, staff_id: str, **changes) -> None:
    require(manages_accounts(store.actor.role))
    require_office(store)
    account = get_account(store, staff_id)
    values = {}
    if "display_name" in changes:
        values["display_name"] = required_text(changes.pop("display_name"), "氏名", 100)
    if "section" in changes:
        values["section"] = optional_text(changes.pop("section"), "所属", 100)
    if "district_ids" in changes:
        values["district_ids"] = sorted(set(changes.pop("district_ids") or []))
    if "role" in changes:
        role = _role(changes.pop("role"))
        if account.role == Role.ADMIN and role != Role.ADMIN:
            _keep_one_admin(store, account.id)
        values["role"] = role.value
    if changes:
        raise InvalidInput(f"変更できない項目です：{'、'.join(changes)}")
    with store.write() as w:
        w.update(Staff, account.id, values, audit_values=ACCOUNT_AUDIT_VALUES)
        # Issue 16: a reporter holds no way to the data key (the key is rotated at the next
        # unlock, rekey.py); a reporter who joins the council gets the key sealed to them.
        if values.get("role") == Role.REPORTER.value and account.role != Role.REPORTER:
            if store.keyfile.make_reporter(account.login):
                store.keyfile.save(store.layout.key_file)
        elif "role" in values and values["role"] != Role.REPORTER.value and account.role == Role.REPORTER:
            store.keyfile.seal_to(account.login, store.data_key)
            store.keyfile.save(store.layout.key_file)
    council_key.refresh(store)  # the roster's staff list; the council admin key for admins only


def _keep_one_admin(store: Store, leaving_id: str) -> None:
    others = [a for a in list_accounts(store) if a.role == Role.ADMIN and a.active and a.id != leaving_id]
    if not others:
        raise InvalidInput("管理者がいなくなるため変更できません。先に別の管理者アカウントを作ってください。")


@dataclass(frozen=True)
class Disabled:
    """What disabling did: the key rotation (None when it could not be done now, see
    ``notices``) and the sentences to show the administrator."""

    login: str
    rotation: rekey.Rotation | None
    notices: tuple[str, ...]


def disable_account(store: Store, staff_id: str, progress: rekey.Progress | None = None) -> Disabled:
    """The account can no longer unlock: its key entry is removed at once and the data key is
    rotated (``progress`` hears how far; it takes a while on a large store), so the entry it
    had, copied anywhere before, opens nothing current. Its records stay. When the rotation
    cannot be done now (no disk room, the store open elsewhere), the account is disabled all
    the same and the next unlock rotates."""
    require(manages_accounts(store.actor.role))
    require_office(store)
    account = get_account(store, staff_id)
    if account.id == store.actor.staff_id:
        raise InvalidInput("自分自身のアカウントは無効にできません。")
    if not account.active:
        raise InvalidInput(f"アカウント「{account.login}」はすでに無効になっています。")
    if account.role == Role.ADMIN:
        _keep_one_admin(store, account.id)
    with store.write() as w:
        w.update(Staff, account.id, {"disabled_at": clock.utcnow()}, audit_values=ACCOUNT_AUDIT_VALUES)
        rekey.fill_holders(w.session, store.keyfile, store.data_key)  # it stays a holder: the rotation is due
        store.keyfile.remove_account(account.login)
        store.keyfile.save(store.layout.key_file)
    council_key.refresh(store)  # (before the rotation, which carries the entries as they are)
    rotation, notices = rekey.rotate_if_due(store, progress, wait_for_legacy=False)
    return Disabled(account.login, rotation, tuple(notices))


def require_disabled(account: Account) -> None:
    """Only a disabled account can be enabled (enabling an active one would silently
    replace its passphrase)."""
    if account.active:
        raise InvalidInput(f"アカウント「{account.login}」はすでに有効です。"
                           "パスフレーズを変えるときは、アカウント画面の「パスフレーズを再設定」を使ってください。")


def enable_account(store: Store, staff_id: str, passphrase: str, kdf: dict | None = None) -> None:
    """A disabled account may unlock again. Disabling removed its key wrap, so the data key
    is wrapped anew with ``passphrase`` (the admin tells it to the person); the old
    passphrase stays useless. Wrong-passphrase delays the person ran into while disabled
    are forgotten."""
    require(manages_accounts(store.actor.role))
    require_office(store)
    account = get_account(store, staff_id)
    require_disabled(account)
    validate_passphrase(passphrase)
    kdf = require_kdf(kdf)
    with store.write() as w:
        w.update(Staff, account.id, {"disabled_at": None}, audit_values=ACCOUNT_AUDIT_VALUES)
        store.keyfile.wrap_for_account(account.login, passphrase, store.data_key, kdf,
                                       reporter=account.role == Role.REPORTER)
        store.keyfile.save(store.layout.key_file)
    Throttle(store.layout.unlock_state).record_success(account.login)
    council_key.refresh(store)


def _check_new_passphrase(old: str, new: str) -> None:
    validate_passphrase(new)
    if new == old:
        raise InvalidInput("新しいパスフレーズが今のものと同じです。別のパスフレーズにしてください。")


def change_passphrase(store: Store, old: str, new: str, kdf: dict | None = None) -> None:
    """The acting account changes its own passphrase (re-wraps the key only). A reporter's
    session has no database: ``ReporterSession.change_passphrase`` (nothing audited, see there)."""
    if is_reporter_session(store):
        store.change_passphrase(old, new, kdf, _check_new_passphrase)
        return
    login = store.actor.login
    try:
        store.keyfile.unwrap_for_account(login, old)
    except AuthError:
        raise AuthError("現在のパスフレーズが違います。もう一度入力してください。") from None
    _check_new_passphrase(old, new)
    kdf = require_kdf(kdf)
    with store.write() as w:
        w.audit("account.passphrase_changed", "staff", store.actor.staff_id or "")
        store.keyfile.wrap_for_account(login, new, store.data_key, kdf)
        council_key.carry(store, login)  # the same signing key and council admin key, sealed to the new pair
        store.keyfile.save(store.layout.key_file)


def reset_passphrase(store: Store, staff_id: str, new: str, kdf: dict | None = None) -> None:
    """An admin sets a new passphrase for another account (forgotten passphrase)."""
    require(manages_accounts(store.actor.role), NO_RIGHT)
    account = get_account(store, staff_id)
    if not account.active:
        # A disabled account has no key wrap; giving it one here would half-enable it.
        raise InvalidInput(f"アカウント「{account.login}」は無効になっています。"
                           "使えるようにするには「有効にする」で新しいパスフレーズを決めてください。")
    validate_passphrase(new)
    kdf = require_kdf(kdf)
    with store.write() as w:
        w.audit("account.passphrase_reset", "staff", account.id)
        store.keyfile.wrap_for_account(account.login, new, store.data_key, kdf,
                                       reporter=account.role == Role.REPORTER)
        council_key.carry(store, account.login)
        store.keyfile.save(store.layout.key_file)
    council_key.refresh(store)


# --- a reporter on a laptop (issue 16) ------------------------------------------------------
#
# Each installation has its own keys.json. On a laptop, joined and unlocked by staff, no admin
# is at hand to give a reporter a key pair (「パスフレーズを再設定」 and the アカウント page are
# the office's), so any data-key session there may give one to a reporter account it knows
# from the synced staff table.
#
# The risk, accepted: the staff member then knows the passphrase and can file 把握シート in the
# reporter's name from this laptop. They could already write sheets in their own name, and
# such a sheet carries no more right than theirs (a reporter sees nothing but their own sheets'
# statuses). The key pair only ever opens the reporter's own drops and status files: the data
# key is never sealed to it. The laptop vouches for the key with its device key when it carries
# the drops (exchange/drops.py), so the office's audit entry `dropbox.vouched` names the device
# that vouched, and this installation's audit names who gave the key pair. At the office this
# stays with the admins (a reporter's key pair there is what the office itself vouches for).

ENABLE_HERE_OFFICE = ("事務局の端末では、報告者のパスフレーズは管理者がアカウント画面で決めます。"
                      "管理者に依頼してください。")
ENABLE_HERE_REPORTER = "報告者のアカウントでは、この操作はできません。"


def _require_enable_here(store: Store) -> None:
    from shakyo_desk.store.exchange.identity import is_office

    require(not is_reporter_session(store), ENABLE_HERE_REPORTER)
    if manages_accounts(store.actor.role):
        return
    with store.read() as s:
        office = is_office(s.connection())
    require(not office, ENABLE_HERE_OFFICE)


def _has_key_here(store: Store, login: str) -> bool:
    """Whether ``login`` can unlock this installation (in this session's key file or on disk,
    where a reporter's own passphrase change writes)."""
    from shakyo_desk.store.keyfile import KeyFile, entry_kind

    usable = ("sealed", "pair", "legacy")
    if entry_kind(store.keyfile.accounts.get(login)) in usable:
        return True
    try:
        on_disk = KeyFile.load(store.layout.key_file)
    except StoreError:
        return False  # saving from this session writes a whole one
    return entry_kind(on_disk.accounts.get(login)) in usable


def _reporter_rows(store: Store) -> list[Staff]:
    with store.read() as s:
        return list(s.execute(sa.select(Staff).where(Staff.role == Role.REPORTER.value, Staff.deleted_at.is_(None),
                                                     Staff.disabled_at.is_(None))
                              .order_by(Staff.display_name, Staff.login)).scalars())


def reporters_to_enable_here(store: Store) -> list[Account]:
    """Active reporter accounts that cannot unlock this installation yet (for the 同期 page's
    「この端末で報告者が使えるようにする…」). Refused where ``enable_reporter_here`` is."""
    _require_enable_here(store)
    return [_account(r) for r in _reporter_rows(store) if not _has_key_here(store, r.login)]


def enable_reporter_here(store: Store, staff_id: str, passphrase: str, kdf: dict | None = None) -> Account:
    """Give an active reporter account a key pair on this installation under ``passphrase``
    (no way to the data key), so they can unlock here and hand on 把握シート. An admin anywhere;
    on an installation that is not the office, any data-key session (see the risk above).
    Audited here; nothing synced is written (the key pair is this installation's)."""
    _require_enable_here(store)
    with store.read() as s:
        row = s.execute(sa.select(Staff).where(sa.or_(Staff.id == staff_id, Staff.login == staff_id))).scalars().first()
        account = _account(row) if row is not None else None
        deleted = row is not None and row.deleted_at is not None
    if account is None or deleted:
        raise NotFound("指定された報告者のアカウントが見つかりません。削除されたか、まだこの端末に届いていません。")
    if account.role != Role.REPORTER:
        raise InvalidInput(f"「{account.display_name}」さんは報告者ではありません。"
                           "この操作で使えるようにできるのは、報告者のアカウントだけです。")
    if not account.active:
        raise InvalidInput(f"「{account.display_name}」さんのアカウントは無効になっています。"
                           "使えるようにするには、事務局で管理者に有効にしてもらってください。")
    if _has_key_here(store, account.login):
        raise InvalidInput(f"「{account.display_name}」さんは、この端末ですでにロックを解除できます。"
                           "パスフレーズを変えるときは、本人がロックを解除して「パスフレーズの変更」を使うか、"
                           "管理者に依頼してください。")
    validate_passphrase(passphrase)
    kdf = require_kdf(kdf)
    with store.write() as w:
        w.audit("account.reporter_enabled_here", "staff", account.id, detail={"login": account.login})
        store.keyfile.wrap_for_account(account.login, passphrase, None, kdf, reporter=True)
        store.keyfile.save(store.layout.key_file)
    Throttle(store.layout.unlock_state).record_success(account.login)
    # The catalogue and their status files now, not at the next council unlock (never fails this).
    from shakyo_desk.store.services.drop_status import publish_quietly

    publish_quietly(store)
    return account


def recovery_key_state(store: Store) -> str:
    """'ok', or 'renew' when this installation has no working recovery key (a key rotation
    could not carry a format 1 one)."""
    return "ok" if store.keyfile.recovery_kind in ("sealed", "legacy") else "renew"


def renew_recovery_key(store: Store) -> RecoveryKey:
    """A new recovery key for this installation (shown once; the old one stops working): by
    an administrator, or on a laptop by its own account. Needed after a key rotation that
    could not carry an old-format recovery key; allowed any time (a lost paper)."""
    from shakyo_desk.store.exchange.identity import is_office

    with store.read() as s:
        office = is_office(s.connection())
    require(manages_accounts(store.actor.role) or not office,
            "この端末の復旧キーを作り直せるのは管理者だけです。管理者に依頼してください。")
    key = new_recovery_key()
    with store.write() as w:
        w.audit("store.recovery_key_renewed")
        store.keyfile.wrap_for_recovery(key, store.data_key)
        store.keyfile.save(store.layout.key_file)
    return RecoveryKey(key, "")
