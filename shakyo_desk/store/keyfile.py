"""The key file: the database's data key, wrapped per account and by the recovery key.

The database is encrypted with a random 256-bit data key. Each account wraps
that key with a key derived from its passphrase (Argon2id, AES-256-GCM); the
recovery key (printed once at setup) wraps it too. Changing a passphrase
re-wraps the key and never touches the database.
"""

import base64
import json
import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shakyo_desk.domain.errors import AuthError, StoreError
from shakyo_desk.domain.safe_file import write_atomic
from shakyo_desk.domain import clock

FORMAT = 1
# Argon2id cost: about 0.2 s on a 2-core office PC. Tests may pass cheaper ones.
DEFAULT_KDF = {"memory_kib": 65536, "iterations": 3, "lanes": 4}
FAST_KDF = {"memory_kib": 1024, "iterations": 1, "lanes": 1}

# Crockford base32: no I, L, O, U, so a printed key is read back without doubt.
_RECOVERY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RECOVERY_LENGTH = 30  # 150 bits
_RECOVERY_GROUP = 5

CORRUPT_MESSAGE = (
    "鍵ファイル（keys.json）が壊れているか読めないため、データを開けません。"
    "バックアップから復元するか、管理者に連絡してください。"
)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def new_data_key() -> bytes:
    return secrets.token_bytes(32)


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


def _passphrase_kek(passphrase: str, salt: bytes, params: dict) -> bytes:
    return Argon2id(
        salt=salt,
        length=32,
        iterations=params["iterations"],
        lanes=params["lanes"],
        memory_cost=params["memory_kib"],
    ).derive(passphrase.encode("utf-8"))


def _recovery_kek(recovery_key: str, salt: bytes) -> bytes:
    # The recovery key has 150 random bits: a slow KDF adds nothing.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"shakyo-desk recovery").derive(
        normalise_recovery_key(recovery_key).encode("ascii")
    )


@dataclass
class KeyFile:
    store_id: str
    accounts: dict[str, dict] = field(default_factory=dict)
    recovery: dict = field(default_factory=dict)
    created_at: str = ""

    # --- wrapping -------------------------------------------------------
    def _aad(self, who: str) -> bytes:
        return f"shakyo-desk:{self.store_id}:{who}".encode("utf-8")

    def wrap_for_account(self, login: str, passphrase: str, data_key: bytes, kdf: dict | None = None) -> None:
        params = dict(kdf or DEFAULT_KDF)
        salt, nonce = os.urandom(16), os.urandom(12)
        kek = _passphrase_kek(passphrase, salt, params)
        wrapped = AESGCM(kek).encrypt(nonce, data_key, self._aad("account:" + login))
        self.accounts[login] = {
            "kdf": {"name": "argon2id", "salt": _b64(salt), **params},
            "nonce": _b64(nonce),
            "wrapped": _b64(wrapped),
        }

    def wrap_for_recovery(self, recovery_key: str, data_key: bytes) -> None:
        salt, nonce = os.urandom(16), os.urandom(12)
        kek = _recovery_kek(recovery_key, salt)
        wrapped = AESGCM(kek).encrypt(nonce, data_key, self._aad("recovery"))
        self.recovery = {"kdf": {"name": "hkdf-sha256", "salt": _b64(salt)}, "nonce": _b64(nonce), "wrapped": _b64(wrapped)}

    def unwrap_for_account(self, login: str, passphrase: str) -> bytes:
        entry = self.accounts.get(login)
        if entry is None:
            raise AuthError(f"アカウント「{login}」はこの端末に登録されていません。ログイン名を確かめてください。")
        try:
            kdf = entry["kdf"]
            kek = _passphrase_kek(passphrase, _unb64(kdf["salt"]), kdf)
            return AESGCM(kek).decrypt(_unb64(entry["nonce"]), _unb64(entry["wrapped"]), self._aad("account:" + login))
        except InvalidTag:
            raise AuthError("パスフレーズが違います。大文字・小文字や全角・半角を確かめて、もう一度入力してください。") from None
        except (KeyError, TypeError, ValueError):
            raise StoreError(CORRUPT_MESSAGE) from None

    def unwrap_with_recovery(self, recovery_key: str) -> bytes:
        try:
            kek = _recovery_kek(recovery_key, _unb64(self.recovery["kdf"]["salt"]))
            return AESGCM(kek).decrypt(_unb64(self.recovery["nonce"]), _unb64(self.recovery["wrapped"]), self._aad("recovery"))
        except InvalidTag:
            raise AuthError("復旧キーが違います。印刷した復旧キーをもう一度確かめてください。") from None
        except (KeyError, TypeError, ValueError):
            raise StoreError(CORRUPT_MESSAGE) from None

    def remove_account(self, login: str) -> None:
        self.accounts.pop(login, None)

    # --- file -----------------------------------------------------------
    def to_json(self) -> bytes:
        doc = {
            "format": FORMAT,
            "store_id": self.store_id,
            "created_at": self.created_at,
            "accounts": self.accounts,
            "recovery": self.recovery,
        }
        return json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")

    def save(self, path: Path) -> None:
        write_atomic(path, self.to_json())

    @classmethod
    def new(cls, store_id: str) -> "KeyFile":
        return cls(store_id=store_id, created_at=clock.now().astimezone(UTC).isoformat(timespec="seconds"))

    @classmethod
    def load(cls, path: Path) -> "KeyFile":
        try:
            doc = json.loads(Path(path).read_bytes().decode("utf-8"))
            if not isinstance(doc, dict) or not isinstance(doc.get("accounts"), dict):
                raise ValueError("not a key file")
            if doc.get("format", 0) > FORMAT:
                raise StoreError("この鍵ファイルは新しいバージョンの社協デスクで作られています。アプリを更新してください。")
            return cls(
                store_id=str(doc["store_id"]),
                accounts=doc["accounts"],
                recovery=doc.get("recovery") or {},
                created_at=doc.get("created_at", ""),
            )
        except FileNotFoundError:
            raise StoreError("鍵ファイル（keys.json）が見つかりません。データフォルダの指定を確かめてください。") from None
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
            raise StoreError(CORRUPT_MESSAGE) from None
