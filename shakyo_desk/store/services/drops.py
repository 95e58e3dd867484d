"""The council's side of the drop box (store/dropbox.py): filing reporters' sheets into the
store, and publishing back to each reporter what they may see of their own sheets.

``open_drop_box`` (coordinators and admins): every ``dropbox/*.sheet`` sealed to this account
is filed through ``sheets.file_sheet`` acting as the reporter (so the change log and the audit
name the reporter as author, as ``exchange/authors.py`` expects: a ``concern_sheet`` insert
noticed by its author), with the drop's id as the sheet's id (filing twice is harmless), then
the drop file goes. A file that is not a drop, is broken, comes from an unknown key or cannot
be filed is moved to ``dropbox/quarantine/`` with a sentence saying why; it never stops the
others. A drop sealed to other recipients only is left for them.

``publish`` (any session holding the data key): the drop box recipients (``drop_to``), the
catalogue a reporter's form needs, and one status file per reporter's sheet."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from shakyo_desk.domain.errors import AuthError, InvalidInput, NotFound, StoreError
from shakyo_desk.domain.roles import Role, sees_all_households
from shakyo_desk.store import dropbox
from shakyo_desk.store.models import ConcernSheet, Council, SheetStatusChange, Staff
from shakyo_desk.store.services._common import NO_RIGHT, require
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
            lines.append(f"届いた把握シートのファイル「{q.name}」を受け付けられなかったため、"
                         f"dropbox/quarantine に移しました。{q.reason}")
        return lines


def _reporter_actor(store: Store, login: str):
    with store.read() as s:
        staff = s.execute(sa.select(Staff).where(Staff.login == login)).scalar_one_or_none()
        if staff is None or staff.deleted_at is not None or staff.disabled_at is not None \
                or staff.role != Role.REPORTER.value:
            raise dropbox.DropError(NOT_A_REPORTER.format(login=login))
        return _actor_from_staff(s, staff)


def _file_one(store: Store, data: bytes) -> str:
    me, private = store.actor.login, store.account_private
    header, payload = dropbox.open_sealed(data, store.keyfile, me, private)
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
    from shakyo_desk.store.services.sheets import file_sheet

    try:
        return file_sheet(store.as_actor(reporter), sheet_id=sheet_id, **fields)
    except (InvalidInput, NotFound) as error:
        raise dropbox.DropError(f"内容に問題があるため受け付けられません：{error}") from None
    except TypeError:
        raise dropbox.DropError(dropbox.BROKEN) from None


def open_drop_box(store: Store) -> Filing:
    """File every reporter's sheet sealed to this account (see the module doc)."""
    require(sees_all_households(store.actor.role), NO_RIGHT)
    result = Filing()
    root = store.layout.root
    if store.account_private is None:
        return result
    for path in dropbox.sheet_files(root):
        try:
            data = path.read_bytes()
        except OSError:
            continue  # being written, or gone: the next opening takes it
        try:
            doc = dropbox.read_header(data)
            if doc["store_id"] == store.keyfile.store_id and store.actor.login not in doc["to"]:
                result.left += 1
                continue
            sheet_id = _file_one(store, data)
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


# ---- publishing ------------------------------------------------------------------------------


def _status_payloads(store: Store, reporter_ids: dict[str, str]) -> dict[str, list[dict]]:
    """login -> the status payload of each of that reporter's sheets."""
    out: dict[str, list[dict]] = {login: [] for login in reporter_ids.values()}
    if not reporter_ids:
        return out
    with store.read() as s:
        sheets = s.execute(sa.select(ConcernSheet).where(ConcernSheet.noticed_by.in_(reporter_ids),
                                                         ConcernSheet.deleted_at.is_(None))).scalars().all()
        changes: dict[str, list] = {}
        for c in s.execute(sa.select(SheetStatusChange).where(
                SheetStatusChange.sheet_id.in_([x.id for x in sheets]), SheetStatusChange.deleted_at.is_(None))
                .order_by(SheetStatusChange.changed_on, SheetStatusChange.created_at)).scalars():
            changes.setdefault(c.sheet_id, []).append([c.status, c.changed_on.isoformat()])
    for sheet in sheets:
        out[reporter_ids[sheet.noticed_by]].append({
            "id": sheet.id, "noticed_on": sheet.noticed_on.isoformat(), "household_hint": sheet.household_hint,
            "concerns": list(sheet.concerns or ()), "urgency": sheet.urgency, "status": sheet.status,
            "situation": sheet.situation, "history": changes.get(sheet.id, []),
            # the rest of what the reporter wrote, for their own view of the sheet
            **{name: getattr(sheet, name) or "" for name in (
                "section", "setting", "source", "person_of_concern", "wish_for_help", "strengths",
                "possible_supporter", "suggested_handoff")},
        })
    return out


def publish(store: Store) -> int:
    """Bring the drop box up to date for reporters: who to seal sheets to, the form's
    catalogue, and a status file for each of their sheets. Returns the status files written."""
    if store.account_private is None or store.actor.role == Role.REPORTER:
        return 0
    root, keyfile = store.layout.root, store.keyfile
    with store.read() as s:
        staff = s.execute(sa.select(Staff.id, Staff.login, Staff.role).where(
            Staff.deleted_at.is_(None), Staff.disabled_at.is_(None))).all()
        council = s.execute(sa.select(Council).where(Council.deleted_at.is_(None))).scalars().first()
    from shakyo_desk.store.services.concerns import list_concerns

    recipients = sorted(login for _id, login, role in staff
                        if role in (Role.ADMIN.value, Role.COORDINATOR.value) and keyfile.public_key(login))
    if keyfile.drop_to != recipients:
        keyfile.drop_to = recipients
        keyfile.save(store.layout.key_file)
    dropbox.write_catalogue(root, {
        "council": council.name if council else "", "is_demo": bool(council.is_demo) if council else False,
        "idle_lock_minutes": council.idle_lock_minutes if council else 10,
        "concerns": [c.name for c in list_concerns(store)],
    })
    reporters = {staff_id: login for staff_id, login, role in staff
                 if role == Role.REPORTER.value and keyfile.public_key(login)}
    written = 0
    key = dropbox.status_key(store.data_key)
    for login, payloads in _status_payloads(store, reporters).items():
        for payload in payloads:
            digest = dropbox.status_digest(key, payload)
            if dropbox.write_status(root, keyfile, store.actor.login, store.account_private, login, payload, digest):
                written += 1
    return written


def publish_quietly(store: Store) -> None:
    """``publish`` where a failure must not undo what the person just did (a status change):
    the next unlock publishes again."""
    try:
        publish(store)
    except (OSError, StoreError, AuthError):
        pass
