"""The drop box (issue 16): how a reporter hands on 把握シート without holding the data key.

A reporter's account has a key pair and no way to the data key (``keyfile.py``). What they
file is written as a sealed file into ``dropbox/`` in the store folder; a coordinator's or
admin's session opens the drop box (at unlock, and from the 把握シート screen) and files each
sheet into the store through the one write path, with the reporter as author, then removes
the drop file. What the reporter then sees of their sheets comes back the same way: a small
status file per sheet, sealed to the reporter, in ``dropbox/reporter/<login>/``.

Folders (0700, files 0600, every file written atomically through ``safe_file``)::

    dropbox/<id>.sheet                     a reporter's sheet, sealed to the recipients and to them
    dropbox/reporter/<login>/<id>.status   a sheet's status, sealed to its reporter
    dropbox/quarantine/<name>              a drop file that could not be filed, with <name>.txt saying why
    dropbox/delivered/<id>.sheet           a drop the office says it filed (district-limited laptops)
    dropbox/council.json                   what a reporter's form needs (council name, concern categories)

The seal (``seal``/``open_sealed``): a random content key encrypts the body (AES-256-GCM,
the clear header as associated data); the content key is wrapped for each recipient with a key
from two X25519 exchanges, ephemeral-to-recipient and sender-to-recipient (HKDF-SHA256), so a
recipient knows the sender held the private key of the public key ``keys.json`` gives for the
login named in the header: nobody else can drop a sheet in a reporter's name, nor a status.

Recipients of a sheet: ``KeyFile.drop_recipients()`` (``drop_to``: the coordinators and
admins with an account here, kept current by their sessions), the office installation (its age
key from the roster, in ``council.json``) and the reporter. Drop files travel towards the office
in bundles (``exchange/drops.py``). A status file
is published by any session that holds the data key (it tells the reporter only about their
own sheet), and regenerated from the database whenever such a session unlocks or changes a
sheet's status. On a laptop the database arrives by sync, and the laptop's own sessions
regenerate the status files there: status files themselves never travel.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shakyo_desk.domain import clock, safe_file
from shakyo_desk.domain.errors import StoreError
from shakyo_desk.store.keyfile import KeyFile, entry_kind
from shakyo_desk.sync import age_keys

FORMAT = 1
SHEET_SUFFIX = ".sheet"
STATUS_SUFFIX = ".status"
_ID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_LOGIN_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,31}$")

NOT_SEALED_TO_ME = "このファイルはこのアカウントあての封がされていないため、開けません。"
BROKEN = "このファイルは壊れているか、書き換えられています。"
UNKNOWN_SENDER = "このファイルは、この端末に登録されていないアカウント（または鍵が合わないアカウント）から届いています。"
NOT_A_DROP = "このファイルは社協デスクの提出ファイルではありません。"
OTHER_STORE = "このファイルは別の社協のデータあてに作られています。"
NO_RECIPIENTS = ("この端末には、把握シートの届け先（事務局、コーディネーターや管理者）の鍵がまだありません。"
                 "職員のどなたかに一度この端末でロックを解除してもらってから、もう一度提出してください。")
WRITE_FAILED = ("把握シートを保存できませんでした。ディスクの空き容量と、データフォルダに書き込めるかを確かめてください。"
                "このシートは提出されていません。")


class DropError(StoreError):
    """A drop file that cannot be opened or filed: ``message`` says why, in Japanese."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text) -> bytes:
    if not isinstance(text, str):
        raise ValueError("not base64")
    return base64.b64decode(text.encode("ascii"), validate=True)


def valid_id(value: str) -> bool:
    return isinstance(value, str) and bool(_ID_RE.match(value))


# ---- folders -------------------------------------------------------------------------------


def folder(root: Path) -> Path:
    return Path(root) / "dropbox"


def reporter_folder(root: Path, login: str) -> Path:
    if not _LOGIN_RE.match(login or ""):
        raise DropError(NOT_A_DROP)
    return folder(root) / "reporter" / login


def quarantine_folder(root: Path) -> Path:
    return folder(root) / "quarantine"


def catalogue_file(root: Path) -> Path:
    return folder(root) / "council.json"


def _private_dir(path: Path) -> Path:
    safe_file.make_private_dir(path)
    safe_file.restrict_dir(path)
    return path


# ---- the seal ------------------------------------------------------------------------------


def _wrap_key(ephemeral_shared: bytes, static_shared: bytes, ephemeral: bytes, recipient: bytes,
              sender: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral + recipient + sender,
                info=b"shakyo-desk drop v1").derive(ephemeral_shared + static_shared)


def _header_bytes(header: dict) -> bytes:
    return json.dumps(header, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def seal(keyfile: KeyFile, kind: str, drop_id: str, sender: str, sender_private: X25519PrivateKey,
         recipients: list[str], payload: dict, digest: str = "", extra: dict[str, bytes] | None = None) -> bytes:
    """A drop file: ``payload`` for ``recipients`` (logins with a public key in ``keyfile``) and
    ``extra`` (label → raw public key: the office installation, ``device_label``), from ``sender``.
    Each wrap names the public key it is for (``public``): one login may have another key pair
    on another installation, and only the right one tries to open it."""
    sender_public = sender_private.public_key().public_bytes_raw()
    header = {"shakyo_drop": FORMAT, "kind": kind, "id": drop_id, "store_id": keyfile.store_id,
              "from": sender, "from_public": _b64(sender_public), "digest": digest}
    content_key = AESGCM.generate_key(256)
    aad = _header_bytes(header)
    wraps: dict[str, dict] = {}
    keys = {login: keyfile.public_key(login) for login in set(recipients)}
    keys.update(extra or {})
    for login in sorted(keys):
        public = keys[login]
        if public is None:
            continue
        recipient = X25519PublicKey.from_public_bytes(public)
        ephemeral = X25519PrivateKey.generate()
        ephemeral_raw = ephemeral.public_key().public_bytes_raw()
        key = _wrap_key(ephemeral.exchange(recipient), sender_private.exchange(recipient), ephemeral_raw, public,
                        sender_public)
        nonce = os.urandom(12)
        wraps[login] = {"ephemeral": _b64(ephemeral_raw), "nonce": _b64(nonce), "public": _b64(public),
                        "wrapped": _b64(AESGCM(key).encrypt(nonce, content_key, aad + login.encode("utf-8")))}
    nonce = os.urandom(12)
    body = AESGCM(content_key).encrypt(nonce, json.dumps(payload, ensure_ascii=False).encode("utf-8"), aad)
    return json.dumps({**header, "to": wraps, "nonce": _b64(nonce), "body": _b64(body)},
                      ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")


def read_header(data: bytes) -> dict:
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise DropError(NOT_A_DROP) from None
    if not isinstance(doc, dict) or doc.get("shakyo_drop") != FORMAT or not isinstance(doc.get("to"), dict):
        raise DropError(NOT_A_DROP)
    for name in ("kind", "id", "store_id", "from", "from_public", "digest"):
        if not isinstance(doc.get(name), str):
            raise DropError(NOT_A_DROP)
    return doc


def open_sealed(data: bytes, keyfile: KeyFile, me: str, my_private: X25519PrivateKey,
                sender_must_hold_key: bool = False, vouched_public: bytes | None = None) -> tuple[dict, dict]:
    """(header, payload) of a drop file sealed to ``me``. The sender must be an account of
    ``keyfile`` with the public key the file names (and, with ``sender_must_hold_key``, one
    that holds the data key), or ``vouched_public`` must be that key (a reporter's key on
    another installation, vouched for by that installation: exchange/drops.py). Raises
    DropError with the reason."""
    doc = read_header(data)
    if doc["store_id"] != keyfile.store_id:
        raise DropError(OTHER_STORE)
    sender = doc["from"]
    sender_public = keyfile.public_key(sender)
    try:
        named_public = _unb64(doc["from_public"])
    except ValueError:
        raise DropError(BROKEN) from None
    if (sender_public is None or not hmac.compare_digest(sender_public, named_public)) \
            and vouched_public is not None and hmac.compare_digest(vouched_public, named_public):
        sender_public = vouched_public
    if sender_public is None or not hmac.compare_digest(sender_public, named_public):
        raise DropError(UNKNOWN_SENDER)
    if sender_must_hold_key and entry_kind(keyfile.accounts.get(sender)) != "sealed":
        raise DropError(UNKNOWN_SENDER)
    wrap = doc["to"].get(me)
    mine = _b64(my_private.public_key().public_bytes_raw())
    if not isinstance(wrap, dict) or wrap.get("public", mine) != mine:
        raise DropError(NOT_SEALED_TO_ME)
    header = {k: doc[k] for k in ("shakyo_drop", "kind", "id", "store_id", "from", "from_public", "digest")}
    aad = _header_bytes(header)
    try:
        ephemeral_raw = _unb64(wrap["ephemeral"])
        my_public = my_private.public_key().public_bytes_raw()
        key = _wrap_key(my_private.exchange(X25519PublicKey.from_public_bytes(ephemeral_raw)),
                        my_private.exchange(X25519PublicKey.from_public_bytes(sender_public)),
                        ephemeral_raw, my_public, sender_public)
        content_key = AESGCM(key).decrypt(_unb64(wrap["nonce"]), _unb64(wrap["wrapped"]), aad + me.encode("utf-8"))
        body = AESGCM(content_key).decrypt(_unb64(doc["nonce"]), _unb64(doc["body"]), aad)
        payload = json.loads(body.decode("utf-8"))
    except (InvalidTag, KeyError, TypeError, ValueError, UnicodeDecodeError):
        raise DropError(BROKEN) from None
    if not isinstance(payload, dict):
        raise DropError(BROKEN)
    return header, payload


# ---- a reporter drops a sheet ----------------------------------------------------------------

DEVICE_LABEL = "device:"  # a wrap for an installation's age key (no login has a colon)


def device_label(device_id: str) -> str:
    return DEVICE_LABEL + device_id


def office_recipient(root: Path) -> dict[str, bytes]:
    """The office installation's key from the catalogue (``device_label`` → raw X25519 public
    key), which council sessions copy there from the signed roster; {} when not known."""
    office = read_catalogue(root).get("office")
    if not isinstance(office, dict) or not isinstance(office.get("device_id"), str):
        return {}
    try:
        return {device_label(office["device_id"]): age_keys.recipient_bytes(office.get("recipient"))}
    except ValueError:
        return {}


def sheet_recipients(root: Path, keyfile: KeyFile, login: str) -> tuple[list[str], dict[str, bytes]]:
    """Who a reporter's sheet is sealed to besides them: the coordinators and admins with a key
    here, and the office installation (so a sheet written on a laptop where none of them
    unlocks reaches the office by sync: exchange/drops.py). Raises DropError when nobody."""
    recipients = [r for r in keyfile.drop_recipients() if r != login]
    office = office_recipient(root)
    if not recipients and not office:
        raise DropError(NO_RECIPIENTS)
    return recipients, office



def drop_sheet(root: Path, keyfile: KeyFile, login: str, private: X25519PrivateKey, drop_id: str,
               fields: dict) -> Path:
    """Write a reporter's sheet into the drop box, sealed to the recipients and to them."""
    recipients, office = sheet_recipients(root, keyfile, login)
    payload = {"fields": fields, "dropped_at": clock.utcnow().isoformat(timespec="seconds")}
    data = seal(keyfile, "sheet", drop_id, login, private, [*recipients, login], payload, extra=office)
    try:
        target = _private_dir(folder(root)) / f"{drop_id}{SHEET_SUFFIX}"
        safe_file.write_atomic(target, data)
    except OSError as error:
        raise DropError(WRITE_FAILED) from error
    return target


def sheet_files(root: Path) -> list[Path]:
    base = folder(root)
    if not base.is_dir():
        return []
    return sorted(p for p in base.iterdir() if p.is_file() and p.name.endswith(SHEET_SUFFIX))


DELIVERED_FOLDER = "delivered"


def delivered_folder(root: Path) -> Path:
    """Drops the office says it filed, kept (not carried any more) for the reporter's list until
    the sheet itself arrives here."""
    return folder(root) / DELIVERED_FOLDER


def delivered_files(root: Path) -> list[Path]:
    base = delivered_folder(root)
    if not base.is_dir():
        return []
    return sorted(p for p in base.iterdir() if p.is_file() and p.name.endswith(SHEET_SUFFIX))


def quarantine(root: Path, path: Path, reason: str) -> Path:
    """Move a drop file aside, with a text file beside it saying why (in Japanese)."""
    target_dir = _private_dir(quarantine_folder(root))
    stamp = clock.utcnow().strftime("%Y%m%d%H%M%S")
    target = target_dir / f"{stamp}-{path.name}"
    os.replace(path, target)
    safe_file.write_atomic(target.with_name(target.name + ".txt"), (reason + "\n").encode("utf-8"))
    safe_file.fsync_dir(target_dir)
    return target


@dataclass(frozen=True)
class Quarantined:
    name: str  # the file's name in dropbox/quarantine/
    reason: str


def quarantined(root: Path) -> list[Quarantined]:
    base = quarantine_folder(root)
    if not base.is_dir():
        return []
    items = []
    for path in sorted(base.iterdir()):
        if path.name.endswith(".txt") or not path.is_file():
            continue
        note = path.with_name(path.name + ".txt")
        try:
            reason = note.read_text(encoding="utf-8").strip()
        except OSError:
            reason = ""
        items.append(Quarantined(path.name, reason))
    return items


QUARANTINE_GONE = "このファイルはもう受け付けられなかったファイルの中にありません。一覧を更新してください。"
_STAMP_RE = re.compile(r"^(\d{14})-(.+)$")


def _quarantined_file(root: Path, name: str) -> Path:
    """A file of dropbox/quarantine/ by its name (never a path elsewhere, never a reason file)."""
    if not isinstance(name, str) or not name or Path(name).name != name or name.endswith(".txt") \
            or name.startswith("."):
        raise DropError(QUARANTINE_GONE)
    path = quarantine_folder(root) / name
    if not path.is_file():
        raise DropError(QUARANTINE_GONE)
    return path


def quarantined_at(name: str) -> datetime | None:
    """When a file was moved aside (naive UTC, from the name ``quarantine`` gave it)."""
    match = _STAMP_RE.match(name)
    if not match:
        return None
    try:
        return datetime.strptime(match.group(1), "%Y%m%d%H%M%S")
    except ValueError:
        return None


def quarantined_sender(root: Path, name: str) -> str:
    """The login a quarantined drop names as its sender in the clear header ("" when it is not
    readable). Unverified: only a label for the list."""
    try:
        sender = read_header(_quarantined_file(root, name).read_bytes())["from"]
    except (OSError, DropError):
        return ""
    return sender if _LOGIN_RE.match(sender) else ""


def release(root: Path, name: str) -> Path:
    """Move a quarantined file back into the drop box (its original name when free) for another
    filing; its reason file goes."""
    path = _quarantined_file(root, name)
    match = _STAMP_RE.match(name)
    original = match.group(2) if match else name
    if not original.endswith(SHEET_SUFFIX):
        original += SHEET_SUFFIX
    target = folder(root) / original
    if target.exists():
        target = folder(root) / (name if name.endswith(SHEET_SUFFIX) else name + SHEET_SUFFIX)
    if target.exists():
        raise DropError(QUARANTINE_GONE)
    os.replace(path, target)
    path.with_name(name + ".txt").unlink(missing_ok=True)
    safe_file.fsync_dir(folder(root))
    safe_file.fsync_dir(quarantine_folder(root))
    return target


def discard(root: Path, name: str) -> None:
    """Delete a quarantined file and its reason file."""
    path = _quarantined_file(root, name)
    path.unlink()
    path.with_name(name + ".txt").unlink(missing_ok=True)
    safe_file.fsync_dir(quarantine_folder(root))


# ---- status files: a sheet's status, sealed to its reporter ----------------------------------


def status_digest(status_key: bytes, payload: dict, recipient_public: bytes = b"") -> str:
    """Whether a status file is current, telling nothing to whoever cannot compute it. With
    ``recipient_public`` a reporter's new key pair (a passphrase change) makes it stale too."""
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")
    if recipient_public:
        text += b"\0" + recipient_public
    return hmac.new(status_key, text, hashlib.sha256).hexdigest()[:32]


def status_key(data_key: bytes) -> bytes:
    return hmac.new(data_key, b"shakyo-desk drop status digest", hashlib.sha256).digest()


def write_status(root: Path, keyfile: KeyFile, sender: str, sender_private: X25519PrivateKey, reporter: str,
                 payload: dict, digest: str) -> bool:
    """Write a status file unless the current one has the same digest. True when written."""
    sheet_id = payload["id"]
    target = reporter_folder(root, reporter) / f"{sheet_id}{STATUS_SUFFIX}"
    try:
        if read_header(target.read_bytes()).get("digest") == digest:
            return False
    except (OSError, DropError):
        pass
    data = seal(keyfile, "status", sheet_id, sender, sender_private, [reporter], payload, digest)
    _private_dir(target.parent)
    safe_file.write_atomic(target, data)
    return True


# ---- what a reporter sees of their own sheets ------------------------------------------------


@dataclass(frozen=True)
class OwnSheet:
    id: str
    noticed_on: date
    household_hint: str
    concerns: tuple[str, ...]
    urgency: str
    status: str  # 受付, …; "提出済み" while the council has not opened the drop box yet
    situation: str = ""
    history: tuple[tuple[str, date], ...] = ()
    fields: dict = field(default_factory=dict)


SUBMITTED = "提出済み"
# A sheet of a district-limited laptop that the office filed: the sheet itself does not come back
# there unless it joins the laptop's districts (exchange/drops.py, `drops_filed`).
DELIVERED = "事務局で受け付け済み"


def _date(value) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return clock.today()


def own_sheets(root: Path, keyfile: KeyFile, login: str, private: X25519PrivateKey,
               previous: list[X25519PrivateKey] | tuple = ()) -> list[OwnSheet]:
    """The reporter's sheets: the status files published to them, and their drop files not yet
    filed. A file that does not open is left out (never shown half). ``previous``: the
    reporter's earlier private keys (status files sealed before a passphrase change)."""
    found: dict[str, OwnSheet] = {}
    for path in [*sheet_files(root), *delivered_files(root)]:
        try:
            data = path.read_bytes()
            if read_header(data).get("from") != login:
                continue
            header, payload = open_sealed(data, keyfile, login, private)
        except (OSError, DropError):
            continue
        if header["from"] != login or not valid_id(header["id"]):
            continue
        f = payload.get("fields") or {}
        found[header["id"]] = OwnSheet(header["id"], _date(f.get("noticed_on") or clock.today()),
                                       str(f.get("household_hint") or ""), tuple(f.get("concerns") or ()),
                                       str(f.get("urgency") or "見守り"),
                                       DELIVERED if path.parent.name == DELIVERED_FOLDER else SUBMITTED,
                                       str(f.get("situation") or ""),
                                       fields=f)
    try:
        mine = reporter_folder(root, login)
    except DropError:
        return []
    if mine.is_dir():
        for path in sorted(mine.iterdir()):
            if not path.name.endswith(STATUS_SUFFIX):
                continue
            try:
                data = path.read_bytes()
            except OSError:
                continue
            header = None
            for key in (private, *previous):
                try:
                    header, p = open_sealed(data, keyfile, login, key, sender_must_hold_key=True)
                    break
                except DropError:
                    continue
            if header is None:
                continue
            if header["kind"] != "status" or p.get("id") != header["id"]:
                continue
            history = tuple((str(h[0]), _date(h[1])) for h in p.get("history") or () if len(h) == 2)
            found[header["id"]] = OwnSheet(header["id"], _date(p.get("noticed_on")), str(p.get("household_hint") or ""),
                                           tuple(p.get("concerns") or ()), str(p.get("urgency") or ""),
                                           str(p.get("status") or ""), str(p.get("situation") or ""), history,
                                           fields=p)
    return sorted(found.values(), key=lambda s: (s.noticed_on, s.id), reverse=True)


def reseal_own_drops(root: Path, keyfile: KeyFile, login: str, private: X25519PrivateKey,
                     previous: list[X25519PrivateKey] | tuple) -> int:
    """After a reporter's passphrase change (a new key pair): their drop files not filed yet,
    sealed with an earlier key, sealed again with ``private`` (same id, same content), so the
    council's check of the sender's key still passes. Returns how many were sealed again; a file
    that does not open with an earlier key of theirs is left as it is."""
    mine = _b64(private.public_key().public_bytes_raw())
    earlier = {_b64(k.public_key().public_bytes_raw()): k for k in previous}
    done = 0
    for path in sheet_files(root):
        try:
            data = path.read_bytes()
            doc = read_header(data)
        except (OSError, DropError):
            continue
        old = earlier.get(doc["from_public"])
        if doc["from"] != login or doc["kind"] != "sheet" or doc["from_public"] == mine or old is None:
            continue
        # Open it as keys.json named the earlier key: it was sealed by that key, to that key.
        as_then = KeyFile(keyfile.store_id, {**keyfile.accounts, login: {
            **keyfile.accounts[login], "public": doc["from_public"]}})
        try:
            header, payload = open_sealed(data, as_then, login, old)
            recipients, office = sheet_recipients(root, keyfile, login)
            if not valid_id(header["id"]):
                continue
            sealed = seal(keyfile, "sheet", header["id"], login, private, [*recipients, login], payload,
                          extra=office)
            if path.exists():  # filed meanwhile: nothing to seal again
                safe_file.write_atomic(path, sealed)
                done += 1
        except (OSError, DropError):
            continue
    return done


# ---- what a reporter's form needs --------------------------------------------------------------


def write_catalogue(root: Path, catalogue: dict) -> None:
    """Concern categories and the council's name for reporters' forms (nothing personal)."""
    data = json.dumps(catalogue, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
    target = catalogue_file(root)
    try:
        if target.read_bytes() == data:
            return
    except OSError:
        pass
    _private_dir(folder(root))
    safe_file.write_atomic(target, data)


def read_catalogue(root: Path) -> dict:
    try:
        doc = json.loads(catalogue_file(root).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}
