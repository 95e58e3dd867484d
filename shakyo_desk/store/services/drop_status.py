"""Publishing back to reporters (store/dropbox.py, issue 16): who to seal sheets to, the
catalogue a reporter's form needs, and one sealed status file per reporter's sheet. Any session
holding the data key publishes; ``sheets`` does after a status change, ``drops`` after filing."""

from __future__ import annotations

import sqlalchemy as sa

from shakyo_desk.domain.errors import AuthError, StoreError
from shakyo_desk.domain.roles import Role
from shakyo_desk.store import dropbox
from shakyo_desk.store.exchange import drops as carried_drops
from shakyo_desk.store.models import ConcernSheet, Council, SheetStatusChange, Staff
from shakyo_desk.store.services.concerns import list_concerns
from shakyo_desk.store.store import Store


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
        office = carried_drops.office_entry(s.connection())  # sheets written here reach the office by sync
    recipients = sorted(login for _id, login, role in staff
                        if role in (Role.ADMIN.value, Role.COORDINATOR.value) and keyfile.public_key(login))
    if keyfile.drop_to != recipients:
        keyfile.drop_to = recipients
        keyfile.save(store.layout.key_file)
    dropbox.write_catalogue(root, {
        "council": council.name if council else "", "is_demo": bool(council.is_demo) if council else False,
        "idle_lock_minutes": council.idle_lock_minutes if council else 10,
        "concerns": [c.name for c in list_concerns(store)], **office,
    })
    reporters = {staff_id: login for staff_id, login, role in staff
                 if role == Role.REPORTER.value and keyfile.public_key(login)}
    written = 0
    key = dropbox.status_key(store.data_key)
    for login, payloads in _status_payloads(store, reporters).items():
        for payload in payloads:
            # the reporter's public key too: after their passphrase change, the file is sealed again
            digest = dropbox.status_digest(key, payload, keyfile.public_key(login) or b"")
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

