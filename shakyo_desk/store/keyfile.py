"""The key file: the database's data key, reachable per account and by the recovery key.

The database is encrypted with a random 256-bit data key. Format 2 (since issue 16) keeps
no wrap of the data key under a passphrase. Instead each account has an X25519 key pair:

- ``private``: the account's private key, encrypted with a key derived from its passphrase
  (Argon2id, AES-256-GCM);
- ``public``: its public key, in clear;
- ``sealed``: the data key sealed to that public key (an ephemeral X25519 exchange, HKDF,
  AES-256-GCM).

The recovery key works the same way, its private key derived from the printed key (HKDF).
So whoever holds the data key can seal a *new* data key to every remaining account and to
the recovery key without knowing any passphrase: that is how disabling an account rotates
the data key (``store/rekey.py``). A disabled account's old entry, wherever it was copied,
opens only the old key, which no longer opens the database.

Changing a passphrase gives the account a new key pair (an old passphrase that leaked must
not open keys sealed later) and never touches the database. A reporter changes theirs without
the database (``renew_reporter_pair``): their signing key, if any, is sealed to the new pair, and
so are their last few private keys (``previous``), which still open the status files the council
sealed to them before (the council's next publish seals those to the new pair).

A reporter (issue 16) holds no way to the data key: their entry has the key pair and
``"reporter": true`` but no ``sealed``. What they file is sealed to the council's drop box
recipients (``drop_to``: the logins of the coordinators and admins here, kept by their
sessions) and to themselves (``store/dropbox.py``).

Format 1 entries (the data key wrapped directly under the passphrase) are still read; each
account's entry becomes format 2 at its next unlock. A rotation cannot carry a format 1
entry (nobody but its owner can make its key pair): it becomes ``{"reset_needed": true}``
and an administrator sets a new passphrase. A format 1 recovery entry cannot be carried
either: it becomes ``{"renew": true}`` and an administrator makes a new recovery key.

``holders`` lists every login that has held a way to the current data key on this
installation; when one of them is disabled (or deleted) the key is due to rotate.

Light Argon2id settings (``FAST_KDF``) exist for the test suite only: outside it they are
refused (``require_kdf``), and a weak entry is strengthened at its owner's next unlock.
"""

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shakyo_desk.domain.errors import AuthError, InvalidInput, StoreError
from shakyo_desk.domain.safe_file import write_atomic
from shakyo_desk.domain import clock

FORMAT = 2
# Argon2id cost: about 0.2 s on a 2-core office PC.
DEFAULT_KDF = {"memory_kib": 65536, "iterations": 3, "lanes": 4}
# For the test suite only (about 360x cheaper to guess): refused anywhere else.
FAST_KDF = {"memory_kib": 1024, "iterations": 1, "lanes": 1}
# A reporter's earlier private keys kept after a passphrase change (for status files sealed before).
PREVIOUS_KEPT = 3

# The test suite's switch: tests/conftest.py sets this to its own path; the file must exist
# and name the switch. A council PC has no such file, so no setting there turns it on.
ENV_TEST_SUITE = "SHAKYO_TEST_SUITE"
_TEST_MARKER = "SHAKYO_TEST_SUITE"

WEAK_KDF_REFUSED = (
    "軽い鍵の導出（SHAKYO_FAST_KDF）は試験専用のため、実際のデータには使えません。"
    "環境変数 SHAKYO_FAST_KDF を消してから、もう一度実行してください。"
)
STRENGTHENED = (
    "このアカウントの鍵は試験用の弱い設定で守られていたため、標準の強さで守り直しました。"
    "古いバックアップには弱い設定のままの鍵が入っているので、新しいバックアップを作ってください。"
)
RESET_NEEDED = (
    "アカウント「{login}」の鍵は、ほかのアカウントを無効にしたときに作り直されたため、今のパスフレーズでは開けません。"
    "管理者に「パスフレーズを再設定」を頼むか、復旧キーを使ってください。"
)
RECOVERY_RENEW = (
    "この端末の復旧キーは、鍵を作り直したときに使えなくなりました。"
    "管理者に新しい復旧キーを作ってもらってください（アカウント画面の「復旧キーを作り直す」）。"
)

# Crockford base32: no I, L, O, U, so a printed key is read back without doubt.
_RECOVERY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RECOVERY_LENGTH = 30  # 150 bits
_RECOVERY_GROUP = 5

CORRUPT_MESSAGE = (
    "鍵ファイル（keys.json）が壊れているか読めないため、データを開けません。"
    "バックアップから復元するか、管理者に連絡してください。"
)
WRONG_PASSPHRASE = "パスフレーズが違います。大文字・小文字や全角・半角を確かめて、もう一度入力してください。"


NO_DATA_KEY = "報告者のアカウントでは、データそのものは開けません。把握シートの提出と、提出したシートの状況の確認ができます。"


class ResetNeeded(AuthError):
    """The account's entry was left behind by a key rotation: no passphrase opens it."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def new_data_key() -> bytes:
    return secrets.token_bytes(32)


def key_id(data_key: bytes) -> str:
    """A name for a data key (which key a key file opens), telling nothing about it."""
    return hmac.new(data_key, b"shakyo-desk data key id", hashlib.sha256).hexdigest()[:32]


def new_recovery_key() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
    return format_recovery_key(raw)


def format_recovery_key(raw: str) -> str:
    return "-".join(raw[i : i + _RECOVERY_GROUP] for i in range(0, len(raw), _RECOVERY_GROUP))


def normalise_recovery_key(text: str) -> str:
    """Accept what a person types: any case, spaces or hyphens, O for 0, I/L for 1."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    cleaned = cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
    if len(cleaned) != _RECOVERY_LENGTH or any(ch not in _RECOVERY_ALPHABET for ch in cleaned):
        raise AuthError("復旧キーの形式が正しくありません。印刷した30文字の復旧キーを入力してください（区切りの「-」や空白はあってもなくても構いません）。")
    return cleaned


# ---- the test-only switch --------------------------------------------------------------


def in_test_suite() -> bool:
    """Whether this process is the test suite (or a process it started): the switch names an
    existing file that names the switch (tests/conftest.py)."""
    value = os.environ.get(ENV_TEST_SUITE, "").strip()
    if not value:
        return False
    path = Path(value)
    if path.name != "conftest.py":
        return False
    try:
        return _TEST_MARKER in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def is_weak(params: dict) -> bool:
    """Argon2id settings cheaper to guess than the default."""
    try:
        return (int(params["memory_kib"]) < DEFAULT_KDF["memory_kib"]
                or int(params["iterations"]) < DEFAULT_KDF["iterations"])
    except (KeyError, TypeError, ValueError):
        return True


def require_kdf(kdf: dict | None) -> dict:
    """The Argon2id settings to use: the default, or lighter ones inside the test suite only."""
    params = dict(kdf or DEFAULT_KDF)
    if is_weak(params) and not in_test_suite():
        raise InvalidInput(WEAK_KDF_REFUSED)
    return params


# ---- primitives ------------------------------------------------------------------------


def _passphrase_kek(passphrase: str, salt: bytes, params: dict) -> bytes:
    return Argon2id(
        salt=salt,
        length=32,
        iterations=params["iterations"],
        lanes=params["lanes"],
        memory_cost=params["memory_kib"],
    ).derive(passphrase.encode("utf-8"))


@dataclass(frozen=True, repr=False)
class DerivedKek:
    """A passphrase's Argon2id key with its salt and settings (``derive_kek``)."""

    salt: bytes
    params: dict
    kek: bytes
    check: bytes  # binds it to its passphrase: wrap_for_account refuses it for another


def _kek_check(passphrase: str, derived: DerivedKek) -> bytes:
    return hmac.new(derived.kek, b"shakyo-desk kek of:" + passphrase.encode("utf-8"), hashlib.sha256).digest()


def derive_kek(passphrase: str, kdf: dict | None = None) -> DerivedKek:
    """Derive once, with one new salt, for several accounts given the same passphrase at once
    (the demo's: its passphrase is printed in the manual, so a shared salt gives nothing away).
    Each account's entry names the salt and settings as always; the default Argon2id settings
    outside the test suite, as for any account."""
    params = require_kdf(kdf)
    salt = os.urandom(16)
    derived = DerivedKek(salt, params, _passphrase_kek(passphrase, salt, params), b"")
    return DerivedKek(salt, params, derived.kek, _kek_check(passphrase, derived))


def _kek_for(passphrase: str, salt: bytes, kdf: dict, derived: DerivedKek | None) -> bytes:
    """The entry's key: ``derived`` when it is this passphrase's with this salt and settings
    (derived earlier in this process), else Argon2id now."""
    if (derived is not None and derived.salt == salt and all(kdf.get(k) == v for k, v in derived.params.items())
            and hmac.compare_digest(derived.check, _kek_check(passphrase, derived))):
        return derived.kek
    return _passphrase_kek(passphrase, salt, kdf)


def _recovery_kek(recovery_key: str, salt: bytes) -> bytes:
    # The recovery key has 150 random bits: a slow KDF adds nothing.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"shakyo-desk recovery").derive(
        normalise_recovery_key(recovery_key).encode("ascii")
    )


def _recovery_private(recovery_key: str, salt: bytes) -> X25519PrivateKey:
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"shakyo-desk recovery x25519").derive(
        normalise_recovery_key(recovery_key).encode("ascii"))
    return X25519PrivateKey.from_private_bytes(seed)


def _seal_key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral + recipient,
                info=b"shakyo-desk sealed data key v2").derive(shared)


def _seal(public_raw: bytes, secret: bytes, aad: bytes) -> dict:
    ephemeral = X25519PrivateKey.generate()
    ephemeral_raw = ephemeral.public_key().public_bytes_raw()
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(public_raw))
    nonce = os.urandom(12)
    wrapped = AESGCM(_seal_key(shared, ephemeral_raw, public_raw)).encrypt(nonce, secret, aad)
    return {"ephemeral": _b64(ephemeral_raw), "nonce": _b64(nonce), "wrapped": _b64(wrapped)}


def _unseal(private: X25519PrivateKey, sealed: dict, aad: bytes) -> bytes:
    ephemeral_raw = _unb64(sealed["ephemeral"])
    shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral_raw))
    public_raw = private.public_key().public_bytes_raw()
    return AESGCM(_seal_key(shared, ephemeral_raw, public_raw)).decrypt(
        _unb64(sealed["nonce"]), _unb64(sealed["wrapped"]), aad)


def entry_kind(entry: dict | None) -> str:
    """'sealed' (format 2), 'pair' (a reporter: key pair only), 'legacy' (format 1), 'reset'
    (needs a new passphrase) or 'none'."""
    if not isinstance(entry, dict) or not entry:
        return "none"
    if entry.get("reset_needed") or entry.get("renew"):
        return "reset"
    if "sealed" not in entry and "public" in entry and "private" in entry:
        return "pair"  # a reporter's key pair: no way to the data key
    if "sealed" in entry and "public" in entry:
        return "sealed"
    if "wrapped" in entry:
        return "legacy"
    return "none"


@dataclass(frozen=True)
class Opened:
    """What an account's passphrase opened: the data key, and whether its entry should be
    rewritten at this unlock (format 1, or light Argon2id settings)."""

    data_key: bytes
    legacy: bool
    weak: bool
    private: X25519PrivateKey | None = None  # the account's key pair (format 2): opens its signing and admin keys


@dataclass
class KeyFile:
    store_id: str
    accounts: dict[str, dict] = field(default_factory=dict)
    recovery: dict = field(default_factory=dict)
    created_at: str = ""
    # Logins that have held a way to the current data key here; None: not known (format 1).
    holders: list[str] | None = None
    key_id: str | None = None  # key_id() of the data key; None: not known (format 1)
    # Logins a reporter seals their sheets to (coordinators and admins here); None: not yet known.
    drop_to: list[str] | None = None
    # Logins the current council admin key has ever been sealed to (council_key.py): when one of
    # them is no longer an active admin, a copy of an old keys.json could open the key, so the
    # office hands the roster over to a new one. None: not yet known (a key file from before).
    admin_sealed_to: list[str] | None = None

    # --- wrapping -------------------------------------------------------
    def _aad(self, who: str) -> bytes:
        return f"shakyo-desk:{self.store_id}:{who}".encode("utf-8")

    def _hold(self, login: str) -> None:
        if self.holders is not None and login not in self.holders:
            self.holders = sorted({*self.holders, login})

    def wrap_for_account(self, login: str, passphrase: str, data_key: bytes | None, kdf: dict | None = None,
                         *, reporter: bool = False, derived: "DerivedKek | None" = None) -> X25519PrivateKey:
        """A new key pair for ``login``: its private key under the passphrase, the data key
        sealed to it. Light Argon2id settings are refused outside the test suite.
        ``reporter``: the key pair only, no way to the data key (``data_key`` is ignored).
        ``derived``: the passphrase's key already derived (``derive_kek``), shared by accounts
        given the same passphrase at once (the demo's training accounts); it must be of this
        passphrase and settings. Returns the new private key."""
        params = require_kdf(kdf)
        nonce = os.urandom(12)
        if derived is not None:
            if derived.params != params or not hmac.compare_digest(derived.check, _kek_check(passphrase, derived)):
                raise ValueError("derived key of another passphrase or settings")
            salt, kek = derived.salt, derived.kek
        else:
            salt = os.urandom(16)
            kek = _passphrase_kek(passphrase, salt, params)
        private = X25519PrivateKey.generate()
        public_raw = private.public_key().public_bytes_raw()
        entry = {
            "kdf": {"name": "argon2id", "salt": _b64(salt), **params},
            "public": _b64(public_raw),
            "private": {"nonce": _b64(nonce), "wrapped": _b64(
                AESGCM(kek).encrypt(nonce, private.private_bytes_raw(), self._aad("account-private:" + login)))},
        }
        if reporter:
            self.accounts[login] = {**entry, "reporter": True}
            return private
        self.accounts[login] = {**entry, "sealed": _seal(public_raw, data_key, self._aad("account:" + login))}
        self._hold(login)
        self._name_key(data_key)
        return private

    # --- reporters (issue 16) -------------------------------------------
    def is_reporter(self, login: str) -> bool:
        return bool((self.accounts.get(login) or {}).get("reporter"))

    def make_reporter(self, login: str) -> bool:
        """``login`` holds no way to the data key from now on: its seal goes (a format 1 entry
        is only marked; its owner's next unlock gives it a key pair). True when it changed.
        The key is due to rotate while ``login`` is still among ``holders``."""
        entry = self.accounts.get(login)
        kind = entry_kind(entry)
        if kind not in ("sealed", "legacy") and not (kind == "pair" and not entry.get("reporter")):
            return False
        if kind == "sealed":
            entry = {k: v for k, v in entry.items() if k != "sealed"}
        self.accounts[login] = {**entry, "reporter": True}
        return True

    def seal_to(self, login: str, data_key: bytes) -> None:
        """A reporter who becomes a council member: the data key sealed to their key pair."""
        entry = self.accounts.get(login)
        if entry_kind(entry) != "pair":
            return
        entry = {k: v for k, v in entry.items() if k != "reporter"}
        self.accounts[login] = {**entry, "sealed": _seal(_unb64(entry["public"]), data_key,
                                                         self._aad("account:" + login))}
        self._hold(login)

    def renew_reporter_pair(self, login: str, passphrase: str, old_private: X25519PrivateKey,
                            kdf: dict | None = None) -> X25519PrivateKey:
        """A reporter's passphrase change (they hold no data key, so no session rewraps for
        them): a new key pair under ``passphrase``; their signing key (if they have one) and
        their last ``PREVIOUS_KEPT`` private keys, ``old_private`` first, sealed to it. Returns
        the new private key; the caller saves."""
        entry = self.accounts.get(login)
        if entry_kind(entry) != "pair" or not entry.get("reporter"):
            raise AuthError(f"アカウント「{login}」はこの端末に報告者として登録されていません。")
        if entry.get("public") != _b64(old_private.public_key().public_bytes_raw()):
            raise AuthError(WRONG_PASSPHRASE)
        signing = self.open_signing_key(login, old_private)
        keep = [old_private, *self.previous_privates(login, old_private)][:PREVIOUS_KEPT]
        private = self.wrap_for_account(login, passphrase, None, kdf, reporter=True)
        if signing is not None:
            self.give_signing_key(login, signing)
        public_raw = private.public_key().public_bytes_raw()
        self.accounts[login]["previous"] = [
            {"public": _b64(old.public_key().public_bytes_raw()),
             **_seal(public_raw, old.private_bytes_raw(), self._aad("account-previous:" + login))}
            for old in keep]
        return private

    def previous_privates(self, login: str, private: X25519PrivateKey | None) -> list[X25519PrivateKey]:
        """A reporter's earlier private keys (newest first), opened with their current one."""
        previous = (self.accounts.get(login) or {}).get("previous")
        if private is None or not isinstance(previous, list):
            return []
        out = []
        for sealed in previous:
            try:
                out.append(X25519PrivateKey.from_private_bytes(
                    _unseal(private, sealed, self._aad("account-previous:" + login))))
            except (InvalidTag, KeyError, TypeError, ValueError):
                continue  # sealed to a pair this entry no longer has: nothing to open
        return out

    def open_private(self, login: str, passphrase: str) -> X25519PrivateKey:
        """The account's private key (format 2 and reporters' entries)."""
        entry = self.accounts.get(login)
        kind = entry_kind(entry)
        if kind == "reset":
            raise ResetNeeded(RESET_NEEDED.format(login=login))
        if kind not in ("sealed", "pair"):
            raise AuthError(f"アカウント「{login}」はこの端末に登録されていません。ログイン名を確かめてください。")
        try:
            kdf = entry["kdf"]
            kek = _passphrase_kek(passphrase, _unb64(kdf["salt"]), kdf)
            private_raw = AESGCM(kek).decrypt(_unb64(entry["private"]["nonce"]), _unb64(entry["private"]["wrapped"]),
                                              self._aad("account-private:" + login))
        except InvalidTag:
            raise AuthError(WRONG_PASSPHRASE) from None
        except (KeyError, TypeError, ValueError):
            raise StoreError(CORRUPT_MESSAGE) from None
        return X25519PrivateKey.from_private_bytes(private_raw)

    def check_passphrase(self, login: str, passphrase: str) -> None:
        """Raises AuthError unless ``passphrase`` opens ``login``'s entry (any kind)."""
        if entry_kind(self.accounts.get(login)) == "legacy":
            self.open_account(login, passphrase)
        else:
            self.open_private(login, passphrase)

    def public_key(self, login: str) -> bytes | None:
        entry = self.accounts.get(login)
        if entry_kind(entry) not in ("sealed", "pair"):
            return None
        try:
            return _unb64(entry["public"])
        except (KeyError, TypeError, ValueError):
            return None

    def drop_recipients(self) -> list[str]:
        """Who a reporter's sheet is sealed to: ``drop_to`` (coordinators and admins) when known,
        else every account that holds the data key here."""
        holders = [login for login, entry in self.accounts.items() if entry_kind(entry) == "sealed"]
        if self.drop_to is None:
            return sorted(holders)
        return sorted(login for login in self.drop_to if login in holders)

    def wrap_for_recovery(self, recovery_key: str, data_key: bytes) -> None:
        salt = os.urandom(16)
        public_raw = _recovery_private(recovery_key, salt).public_key().public_bytes_raw()
        self.recovery = {"kdf": {"name": "hkdf-sha256-x25519", "salt": _b64(salt)}, "public": _b64(public_raw),
                         "sealed": _seal(public_raw, data_key, self._aad("recovery"))}
        self._name_key(data_key)

    def _name_key(self, data_key: bytes) -> None:
        if self.key_id is None and self.holders is not None:
            self.key_id = key_id(data_key)

    def open_account(self, login: str, passphrase: str, derived: DerivedKek | None = None) -> Opened:
        """``derived``: the passphrase's key from ``derive_kek`` in this process (the demo's just
        made store): used when it matches the entry's salt and settings, no second derivation."""
        entry = self.accounts.get(login)
        kind = entry_kind(entry)
        if kind == "reset":
            raise ResetNeeded(RESET_NEEDED.format(login=login))
        if kind == "none":
            raise AuthError(f"アカウント「{login}」はこの端末に登録されていません。ログイン名を確かめてください。")
        if kind == "pair":
            raise AuthError(NO_DATA_KEY)
        try:
            kdf = entry["kdf"]
            kek = _kek_for(passphrase, _unb64(kdf["salt"]), kdf, derived)
            weak = is_weak(kdf)
            if kind == "legacy":
                data_key = AESGCM(kek).decrypt(_unb64(entry["nonce"]), _unb64(entry["wrapped"]),
                                               self._aad("account:" + login))
                return Opened(data_key, legacy=True, weak=weak)
            private_raw = AESGCM(kek).decrypt(_unb64(entry["private"]["nonce"]), _unb64(entry["private"]["wrapped"]),
                                              self._aad("account-private:" + login))
        except InvalidTag:
            raise AuthError(WRONG_PASSPHRASE) from None
        except (KeyError, TypeError, ValueError):
            raise StoreError(CORRUPT_MESSAGE) from None
        try:
            data_key = _unseal(X25519PrivateKey.from_private_bytes(private_raw), entry["sealed"],
                               self._aad("account:" + login))
        except (InvalidTag, KeyError, TypeError, ValueError):
            raise StoreError(CORRUPT_MESSAGE) from None
        return Opened(data_key, legacy=False, weak=weak, private=X25519PrivateKey.from_private_bytes(private_raw))

    def unwrap_for_account(self, login: str, passphrase: str) -> bytes:
        return self.open_account(login, passphrase).data_key

    @property
    def recovery_kind(self) -> str:
        return entry_kind(self.recovery)

    def unwrap_with_recovery(self, recovery_key: str) -> bytes:
        kind = self.recovery_kind
        if kind in ("reset", "none"):
            raise AuthError(RECOVERY_RENEW)
        try:
            salt = _unb64(self.recovery["kdf"]["salt"])
            if kind == "legacy":
                kek = _recovery_kek(recovery_key, salt)
                return AESGCM(kek).decrypt(_unb64(self.recovery["nonce"]), _unb64(self.recovery["wrapped"]),
                                           self._aad("recovery"))
            private = _recovery_private(recovery_key, salt)
            if private.public_key().public_bytes_raw() != _unb64(self.recovery["public"]):
                raise InvalidTag()
            return _unseal(private, self.recovery["sealed"], self._aad("recovery"))
        except InvalidTag:
            raise AuthError("復旧キーが違います。印刷した復旧キーをもう一度確かめてください。") from None
        except (KeyError, TypeError, ValueError):
            raise StoreError(CORRUPT_MESSAGE) from None

    def remove_account(self, login: str) -> None:
        self.accounts.pop(login, None)

    # --- authorship (issue 16) --------------------------------------------
    # ``signing``: the account's Ed25519 signing key, sealed to its own key pair (so its
    # passphrase opens it) with the public half in clear; the office publishes that public key
    # in the roster. ``admin``: the council admin key (it signs the roster), sealed to an
    # admin's key pair: only admins' passphrases open it. Both ride along when a rotation
    # re-seals the data key; a new key pair (a passphrase change) needs them sealed again.
    def give_signing_key(self, login: str, signing: bytes | None = None) -> bytes | None:
        """Seal ``signing`` (a new key when None) to ``login``'s key pair; returns it (None: no key pair)."""
        entry = self.accounts.get(login)
        if entry_kind(entry) not in ("sealed", "pair"):
            return None
        signing = signing or Ed25519PrivateKey.generate().private_bytes_raw()
        public = Ed25519PrivateKey.from_private_bytes(signing).public_key().public_bytes_raw()
        entry["signing"] = {"public": _b64(public),
                            **_seal(_unb64(entry["public"]), signing, self._aad("account-signing:" + login))}
        return signing

    def signing_public(self, login: str) -> str | None:
        signing = (self.accounts.get(login) or {}).get("signing")
        return signing.get("public") if isinstance(signing, dict) else None

    def open_signing_key(self, login: str, private: X25519PrivateKey | None) -> bytes | None:
        return self._open_sealed(login, private, "signing", "account-signing:")

    # ``admin_next``: the council admin key a handover is moving to, until the roster naming it
    # is published (council_key.rotate: sealed first, published, then promoted to ``admin``).
    def seal_admin_key(self, login: str, admin: bytes, slot: str = "admin") -> bool:
        """The council admin key sealed to ``login``'s key pair (an admin's). True when it changed."""
        entry = self.accounts.get(login)
        if entry_kind(entry) != "sealed":
            return False
        if slot == "admin" and self.admin_sealed_to is not None and login not in self.admin_sealed_to:
            self.admin_sealed_to = sorted({*self.admin_sealed_to, login})
        public = _b64(Ed25519PrivateKey.from_private_bytes(admin).public_key().public_bytes_raw())
        held = entry.get(slot)
        if isinstance(held, dict) and held.get("public") == public and held.get("to") == entry["public"]:
            return False
        entry[slot] = {"public": public, "to": entry["public"],
                       **_seal(_unb64(entry["public"]), admin, self._aad("admin-key:" + login))}
        return True

    def drop_admin_key(self, login: str) -> bool:
        entry = self.accounts.get(login)
        if not isinstance(entry, dict):
            return False
        return any([entry.pop("admin", None) is not None, entry.pop("admin_next", None) is not None])

    def promote_admin_key(self, login: str) -> bool:
        """``admin_next`` becomes ``admin`` (the handover is published). True when it changed."""
        entry = self.accounts.get(login)
        if not isinstance(entry, dict) or "admin_next" not in entry:
            return False
        entry["admin"] = entry.pop("admin_next")
        return True

    def admin_key_holders(self, slot: str = "admin") -> list[str]:
        return sorted(login for login, entry in self.accounts.items() if isinstance(entry, dict) and slot in entry)

    def open_admin_key(self, login: str, private: X25519PrivateKey | None, slot: str = "admin") -> bytes | None:
        return self._open_sealed(login, private, slot, "admin-key:")

    def _open_sealed(self, login: str, private: X25519PrivateKey | None, name: str, aad: str) -> bytes | None:
        sealed = (self.accounts.get(login) or {}).get(name)
        if private is None or not isinstance(sealed, dict):
            return None
        try:
            return _unseal(private, sealed, self._aad(aad + login))
        except (InvalidTag, KeyError, TypeError, ValueError):
            raise StoreError(CORRUPT_MESSAGE) from None

    # --- rotation -------------------------------------------------------
    def rotated(self, new_key: bytes, drop: set[str] | frozenset[str]) -> "KeyFile":
        """The key file for ``new_key``: sealed again to every remaining account and to the
        recovery key; ``drop`` left out; format 1 entries, which only their owners could
        convert, marked for a new passphrase (or a new recovery key)."""
        accounts: dict[str, dict] = {}
        for login, entry in self.accounts.items():
            if login in drop:
                continue
            kind = entry_kind(entry)
            if entry.get("reporter") and kind in ("pair", "legacy", "sealed"):
                # A reporter is carried without any way to the new key (a format 1 entry opens
                # only the old key: its owner's next unlock gives it a key pair).
                accounts[login] = {k: v for k, v in entry.items() if k != "sealed"}
            elif kind == "sealed":
                accounts[login] = {**entry, "sealed": _seal(_unb64(entry["public"]), new_key,
                                                            self._aad("account:" + login))}
            elif kind == "pair":
                accounts[login] = entry
            elif kind in ("legacy", "reset"):
                accounts[login] = {"reset_needed": True}
        if self.recovery_kind == "sealed":
            recovery = {**self.recovery, "sealed": _seal(_unb64(self.recovery["public"]), new_key,
                                                         self._aad("recovery"))}
        else:
            recovery = {"renew": True}
        holders = sorted(login for login, entry in accounts.items() if entry_kind(entry) == "sealed")
        rotated = KeyFile(self.store_id, accounts, recovery, self.created_at, holders, key_id(new_key))
        rotated.drop_to = None if self.drop_to is None else [login for login in self.drop_to if login not in drop]
        rotated.admin_sealed_to = self.admin_sealed_to  # (a dropped admin still knows the council key)
        return rotated

    def legacy_accounts(self) -> list[str]:
        return sorted(login for login, entry in self.accounts.items()
                      if entry_kind(entry) == "legacy" and not entry.get("reporter"))

    # --- file -----------------------------------------------------------
    def to_json(self) -> bytes:
        doc = {
            "format": FORMAT,
            "store_id": self.store_id,
            "created_at": self.created_at,
            "accounts": self.accounts,
            "recovery": self.recovery,
        }
        if self.holders is not None:
            doc["holders"] = sorted(self.holders)
        if self.key_id is not None:
            doc["key_id"] = self.key_id
        if self.drop_to is not None:
            doc["drop_to"] = sorted(self.drop_to)
        if self.admin_sealed_to is not None:
            doc["admin_sealed_to"] = sorted(self.admin_sealed_to)
        return json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")

    def save(self, path: Path) -> None:
        write_atomic(path, self.to_json())

    @classmethod
    def new(cls, store_id: str) -> "KeyFile":
        return cls(store_id=store_id, created_at=clock.now().astimezone(UTC).isoformat(timespec="seconds"),
                   holders=[], admin_sealed_to=[])

    @classmethod
    def from_json(cls, text: str | bytes) -> "KeyFile":
        """Parse a key file's text (raises ValueError, KeyError or TypeError when it is not one)."""
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        doc = json.loads(text)
        if not isinstance(doc, dict) or not isinstance(doc.get("accounts"), dict):
            raise ValueError("not a key file")
        if doc.get("format", 0) > FORMAT:
            raise StoreError("この鍵ファイルは新しいバージョンの社協デスクで作られています。アプリを更新してください。")
        holders = doc.get("holders")
        if holders is not None and not (isinstance(holders, list) and all(isinstance(h, str) for h in holders)):
            raise ValueError("holders")
        drop_to = doc.get("drop_to")
        if drop_to is not None and not (isinstance(drop_to, list) and all(isinstance(h, str) for h in drop_to)):
            raise ValueError("drop_to")
        sealed_to = doc.get("admin_sealed_to")
        if sealed_to is not None and not (isinstance(sealed_to, list) and all(isinstance(h, str) for h in sealed_to)):
            raise ValueError("admin_sealed_to")
        return cls(
            store_id=str(doc["store_id"]),
            accounts=doc["accounts"],
            recovery=doc.get("recovery") or {},
            created_at=doc.get("created_at", ""),
            holders=holders,
            key_id=doc.get("key_id"),
            drop_to=drop_to,
            admin_sealed_to=sealed_to,
        )

    @classmethod
    def load(cls, path: Path) -> "KeyFile":
        try:
            return cls.from_json(Path(path).read_bytes())
        except FileNotFoundError:
            raise StoreError("鍵ファイル（keys.json）が見つかりません。データフォルダの指定を確かめてください。") from None
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
            raise StoreError(CORRUPT_MESSAGE) from None
