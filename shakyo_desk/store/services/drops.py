"""The council's side of the drop box (store/dropbox.py): filing reporters' sheets into the
store, and publishing back to each reporter what they may see of their own sheets.

``open_drop_box`` (coordinators and admins): every ``dropbox/*.sheet`` sealed to this account
is filed through ``sheets.file_sheet`` acting as the reporter (so the change log and the audit
name the reporter as author, as ``exchange/authors.py`` expects: a ``concern_sheet`` insert
noticed by its author), with the drop's id as the sheet's id (filing twice is harmless), then
the drop file goes. A file that is not a drop, is broken, comes from an unknown key or cannot
be filed is moved to ``dropbox/quarantine/`` with a sentence saying why; it never stops the
others. A drop sealed to other recipients only is left for them. At the office a session also
opens what is sealed to the installation (drops written on laptops, carried by sync:
``exchange/drops.py``), taking the sender's key as the installation where it was written
vouched for it.

``prune_filed`` deletes drop files whose sheet is in the database (it came back by sync);
``after_import`` runs after every import run (``importing.import_paths``).

Publishing back to reporters is ``drop_status`` (sheets.py calls it on a status change).
``after_unlock`` runs both when a council member unlocks (``store.AFTER_UNLOCK``: registered
when this module is imported, which every entry point does)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from shakyo_desk.domain.errors import AuthError, InvalidInput, NotFound, StoreError
from shakyo_desk.domain.roles import Role, sees_all_households
from shakyo_desk.store import dropbox
from shakyo_desk.store.exchange import drops as carried_drops
from shakyo_desk.store.exchange import identity as ident
from shakyo_desk.sync import age_keys
from shakyo_desk.store.models import ConcernSheet, Staff
from shakyo_desk.store import store as store_module
from shakyo_desk.store.services._common import NO_RIGHT, require
from shakyo_desk.store.services.drop_status import publish
from shakyo_desk.store.services.sheets import file_sheet
from shakyo_desk.store.store import Store, _actor_from_staff

NOT_A_REPORTER = "提出したアカウント「{login}」は報告者ではないか、無効になっています。"
ALREADY_USED = "このシートのIDは、すでに別のシートに使われています。"


@dataclass
class Filing:
    filed: list[str] = field(default_factory=list)  # sheet ids
    quarantined: list[dropbox.Quarantined] = field(default_factory=list)
    left: int = 0  # sealed to other recipients only

    @property
    def notices(self) -> list[str]:
        lines = []
        if self.filed:
            lines.append(f"報告者から届いた把握シートを{len(self.filed)}件受け付けました。")
        for q in self.quarantined:
            # Where staff find it again: the 把握シート page's list, not a folder name.
            lines.append(f"届いた把握シートを1件受け付けられませんでした。{q.reason}"
                         "把握シートの画面の「受け付けられなかったファイル」に置いてあります。")
        return lines


def _reporter_actor(store: Store, login: str):
    with store.read() as s:
        staff = s.execute(sa.select(Staff).where(Staff.login == login)).scalar_one_or_none()
        if staff is None or staff.deleted_at is not None or staff.disabled_at is not None \
                or staff.role != Role.REPORTER.value:
            raise dropbox.DropError(NOT_A_REPORTER.format(login=login))
        return _actor_from_staff(s, staff)


@dataclass(frozen=True)
class _Keys:
    """What a session opens drops with: its account's key pair and, at the office, the
    installation's age key (drops written on a laptop are sealed to it: exchange/drops.py)."""

    login: str
    private: X25519PrivateKey
    device_label: str | None = None
    device_private: X25519PrivateKey | None = None
    roster: dict | None = None  # who may vouch for a reporter's key made elsewhere

    def opener(self, doc: dict) -> tuple[str, X25519PrivateKey] | None:
        """The wrap of ``doc`` this session can open, or None (sealed to others only; a wrap
        for this login's key pair on another installation is someone else's)."""
        mine = dropbox._b64(self.private.public_key().public_bytes_raw())
        wrap = doc["to"].get(self.login)
        if isinstance(wrap, dict) and wrap.get("public", mine) == mine:
            return self.login, self.private
        if self.device_label is not None and self.device_label in doc["to"]:
            return self.device_label, self.device_private
        return None


def _session_keys(store: Store) -> _Keys:
    keys = _Keys(store.actor.login, store.account_private)
    try:
        with store.read() as s:
            me = ident.load(s.connection())
            roster = ident.roster_data(s.connection())
    except StoreError:
        return keys  # a store from before sync: no roster, nothing travels
    if not me.is_office:
        return _Keys(keys.login, keys.private, roster=roster)
    device = X25519PrivateKey.from_private_bytes(age_keys.identity_bytes(me.keys.identity_str))
    return _Keys(keys.login, keys.private, dropbox.device_label(me.device_id), device, roster)


def _file_one(store: Store, data: bytes, keys: _Keys | None = None) -> str:
    keys = keys or _session_keys(store)
    doc = dropbox.read_header(data)
    me, private = keys.opener(doc) or (keys.login, keys.private)
    vouched, by = None, None
    known = store.keyfile.public_key(doc["from"])
    if keys.roster is not None and (known is None or dropbox._b64(known) != doc["from_public"]):
        # A reporter's key pair on another installation, vouched for by it (exchange/drops.py).
        vouched = carried_drops.vouched_public(doc, keys.roster)
        by = (doc.get(carried_drops.ENDORSEMENT) or {}).get("device") if vouched else None
    header, payload = dropbox.open_sealed(data, store.keyfile, me, private, vouched_public=vouched)
    if header["kind"] != "sheet" or not dropbox.valid_id(header["id"]):
        raise dropbox.DropError(dropbox.NOT_A_DROP)
    reporter = _reporter_actor(store, header["from"])
    sheet_id = header["id"]
    with store.read() as s:
        existing = s.execute(sa.select(ConcernSheet.noticed_by).where(ConcernSheet.id == sheet_id)).first()
    if existing is not None:
        if existing[0] != reporter.staff_id:
            raise dropbox.DropError(ALREADY_USED)
        return sheet_id  # filed before a crash removed the file
    fields = payload.get("fields")
    if not isinstance(fields, dict):
        raise dropbox.DropError(dropbox.BROKEN)
    from shakyo_desk.store.reporter import REPORTER_OMITS

    fields = {k: v for k, v in fields.items() if k not in REPORTER_OMITS}
    try:
        filed = file_sheet(store.as_actor(reporter), sheet_id=sheet_id, **fields)
    except (InvalidInput, NotFound) as error:
        raise dropbox.DropError(f"内容に問題があるため受け付けられません：{error}") from None
    except TypeError:
        raise dropbox.DropError(dropbox.BROKEN) from None
    if by is not None:
        with store.write() as w:  # which installation vouched for the reporter's key
            w.audit("dropbox.vouched", "concern_sheet", filed, detail={"device": by, "reporter": header["from"]})
    return filed


def open_drop_box(store: Store) -> Filing:
    """File every reporter's sheet sealed to this account (see the module doc)."""
    require(sees_all_households(store.actor.role), NO_RIGHT)
    result = Filing()
    root = store.layout.root
    if store.account_private is None:
        return result
    files = dropbox.sheet_files(root)
    keys = _session_keys(store) if files else None
    for path in files:
        try:
            data = path.read_bytes()
        except OSError:
            continue  # being written, or gone: the next opening takes it
        try:
            doc = dropbox.read_header(data)
            if doc["store_id"] == store.keyfile.store_id and keys.opener(doc) is None:
                result.left += 1
                continue
            sheet_id = _file_one(store, data, keys)
        except dropbox.DropError as error:
            target = dropbox.quarantine(root, path, error.message)
            with store.write() as w:
                w.audit("dropbox.quarantined", detail={"file": target.name, "reason": error.message})
            result.quarantined.append(dropbox.Quarantined(target.name, error.message))
            continue
        path.unlink(missing_ok=True)
        result.filed.append(sheet_id)
    if result.filed:
        publish(store)
    return result


# ---- the drop box on the 把握シート screen ------------------------------------------------------


@dataclass(frozen=True)
class QuarantinedDrop:
    """A file of dropbox/quarantine/ as the screen lists it."""

    name: str
    reason: str
    set_aside_at: datetime | None  # naive UTC; None when the name carries no time
    reporter: str  # the sender's name (or login) from the clear header, unverified; "" when unreadable


def _require_drops(store: Store) -> None:
    require(sees_all_households(store.actor.role), NO_RIGHT)


def waiting_count(store: Store) -> int:
    """Reporters' sheets in the drop box this session can open (sealed to this account's key
    pair, or at the office to the installation: exchange/drops.py), not filed yet."""
    _require_drops(store)
    if store.account_private is None:
        return 0
    keys, count = None, 0
    for path in dropbox.sheet_files(store.layout.root):
        try:
            doc = dropbox.read_header(path.read_bytes())
        except (OSError, dropbox.DropError):
            continue  # being written, or not a drop: the filing says why
        if doc["store_id"] == store.keyfile.store_id:
            keys = keys or _session_keys(store)
            count += keys.opener(doc) is not None
    return count


def list_quarantined(store: Store) -> list[QuarantinedDrop]:
    """Files the drop box could not file, newest first, each with its reason."""
    _require_drops(store)
    root = store.layout.root
    items = [(q, dropbox.quarantined_sender(root, q.name)) for q in dropbox.quarantined(root)]
    logins = {login for _q, login in items if login}
    names: dict[str, str] = {}
    if logins:
        with store.read() as s:
            names = dict(s.execute(sa.select(Staff.login, Staff.display_name).where(Staff.login.in_(logins))).all())
    out = [QuarantinedDrop(q.name, q.reason, dropbox.quarantined_at(q.name), names.get(login) or login)
           for q, login in items]
    return sorted(out, key=lambda d: (d.set_aside_at or datetime.min, d.name), reverse=True)


def retry_quarantined(store: Store, name: str) -> Filing:
    """Put a quarantined file back into the drop box and file again (it may be set aside
    again, with the new reason)."""
    _require_drops(store)
    root = store.layout.root
    with store.write() as w:
        w.audit("dropbox.retried", detail={"file": name})
        dropbox.release(root, name)
    return open_drop_box(store)


def delete_quarantined(store: Store, name: str) -> None:
    """Delete a quarantined file and its reason for good (audited with what was lost)."""
    _require_drops(store)
    root = store.layout.root
    reason = next((q.reason for q in dropbox.quarantined(root) if q.name == name), "")
    sender = dropbox.quarantined_sender(root, name)
    with store.write() as w:  # the file goes inside the transaction: a failure undoes the audit
        w.audit("dropbox.quarantine_deleted", detail={"file": name, "reason": reason, "from": sender})
        dropbox.discard(root, name)


def prune_filed(store: Store) -> int:
    """Delete this installation's drop files whose sheet is in the database, filed by the
    reporter who sealed them (it came back by sync, or was filed here before a crash); until then
    they are kept and carried (exchange/drops.py). Returns how many went."""
    root = store.layout.root
    found: dict[str, tuple[Path, str]] = {}
    for path in [*dropbox.sheet_files(root), *dropbox.delivered_files(root)]:
        try:
            doc = dropbox.read_header(path.read_bytes())
        except (OSError, dropbox.DropError):
            continue
        if dropbox.valid_id(doc["id"]) and path.name == doc["id"] + dropbox.SHEET_SUFFIX \
                and doc["store_id"] == store.keyfile.store_id:
            found.setdefault(doc["id"], (path, doc["from"]))
    if not found:
        return 0
    with store.read() as s:
        filed = dict(s.execute(sa.select(ConcernSheet.id, Staff.login).join(Staff, Staff.id == ConcernSheet.noticed_by)
                               .where(ConcernSheet.id.in_(sorted(found)))).all())
    gone = 0
    for sheet_id, (path, sender) in found.items():
        if filed.get(sheet_id) == sender:
            path.unlink(missing_ok=True)
            gone += 1
    return gone


def after_import(store: Store, report) -> list[str]:
    """After a sync import run (importing.import_paths: the 同期 page, `sync import`, the
    mailbox): drop files whose sheet arrived go; a coordinator's or admin's session files the
    drops that arrived; statuses are published to reporters again when sheets may have changed.
    Never fails the import: returns the sentences to show."""
    if store.account_private is None or store.actor.role == Role.REPORTER:
        return []
    reporters = any(store.keyfile.is_reporter(login) for login in store.keyfile.accounts)
    if not reporters and not dropbox.folder(store.layout.root).is_dir():
        return []
    try:
        pruned = prune_filed(store)
        notices, filed = [], False
        if store.actor.role in (Role.ADMIN, Role.COORDINATOR):
            filing = open_drop_box(store)  # (publishes when it filed something)
            notices, filed = filing.notices, bool(filing.filed)
        if reporters and not filed and (pruned or report.applied):
            publish(store)
        return notices
    except (OSError, StoreError, AuthError) as error:
        return ["報告者から届いた把握シートの受け付けを、今回はできませんでした。"
                f"次にロックを解除したときに、もう一度行います。（{getattr(error, 'message', error)}）"]


def after_unlock(store: Store) -> None:
    """Council sessions: publish what reporters need and file their sheets. A failure here
    never stops the unlock: the next one tries again."""
    try:
        prune_filed(store)
        publish(store)
        if store.actor.role in (Role.ADMIN, Role.COORDINATOR):
            store.notices.extend(open_drop_box(store).notices)
    except (OSError, StoreError) as error:
        store.notices.append("報告者から届いた把握シートの受け付けを、今回はできませんでした。"
                             f"次にロックを解除したときに、もう一度行います。（{getattr(error, 'message', error)}）")


if after_unlock not in store_module.AFTER_UNLOCK:
    store_module.AFTER_UNLOCK.append(after_unlock)
