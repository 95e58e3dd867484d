"""Outreach contacts (アウトリーチ/訪問記録): visits, calls, drop-ins, failed attempts."""

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from shakyo_desk.domain.errors import InvalidInput, NotFound
from shakyo_desk.domain.roles import Role, sees_all_households
from shakyo_desk.domain.text import clean
from shakyo_desk.domain.vocab import CONTACT_METHODS, ISOLATION, URGENCIES
from shakyo_desk.store.models import Contact, District, Household, HouseholdSearch, Place, Staff, contact_moment
from shakyo_desk.store.services._common import (
    NO_RIGHT, choice, json_list_contains, optional_text, parse_date, require,
)
from shakyo_desk.store.services.concerns import active_concern_names
from shakyo_desk.store.services.districts import subtree_ids
from shakyo_desk.store.services.households import require_household
from shakyo_desk.store.store import Store
from shakyo_desk.domain import clock

# The day, then the time typed or else the moment it was recorded (a visit saved just now without
# a time comes first), newest first: the order of ix_contact_order (store/models.py).
NEWEST_FIRST = (Contact.contact_date.desc(), contact_moment().desc(), Contact.created_at.desc())

GONE = "記録しようとした世帯が見つかりません。別の画面で削除された可能性があります。世帯を選び直してください。"


@dataclass(frozen=True)
class ContactInfo:
    id: str
    contact_date: date
    contact_time: str
    method: str
    staff_id: str | None
    staff_name: str
    companions: tuple[str, ...]
    household_id: str | None
    household_name: str
    district: str
    place_id: str | None
    place_name: str
    seen_heard: str
    concerns: tuple[str, ...]
    urgency: str
    isolation: str
    next_action: str
    next_contact_date: date | None
    created_at: datetime
    tax_derived: bool = False  # learnt from tax records: never printed on a handout

    @property
    def failed(self) -> bool:
        return self.method == "不在"


def _validate(store: Store, fields: dict, today: date) -> dict:
    method = choice(fields.get("method") or "訪問", CONTACT_METHODS, "方法")
    contact_date = parse_date(fields.get("contact_date"), "訪問日") or today
    if contact_date > today:
        raise InvalidInput("訪問日が未来の日付になっています。今日までの日付を入力してください。")
    next_date = parse_date(fields.get("next_contact_date"), "次回の予定日")
    if next_date is not None and next_date < contact_date:
        raise InvalidInput("次回の予定日が訪問日より前になっています。日付を確かめてください。")
    household_id, place_id = fields.get("household_id") or None, fields.get("place_id") or None
    if bool(household_id) == bool(place_id):
        raise InvalidInput("世帯か地域の拠点（店・郵便局など）のどちらか一方を選んでください。")
    time_text = clean(fields.get("contact_time"))
    if time_text:
        try:
            time_text = datetime.strptime(time_text, "%H:%M").strftime("%H:%M")
        except ValueError:
            raise InvalidInput("時刻は 14:30 のように入力してください。") from None
    concerns = [clean(c) for c in fields.get("concerns") or [] if clean(c)]
    allowed = active_concern_names(store)
    unknown = [c for c in concerns if c not in allowed]
    if unknown:
        raise InvalidInput(f"困りごとの分類「{'、'.join(unknown)}」は登録されていません。一覧から選んでください。")
    urgency = fields.get("urgency") or ""
    if urgency:
        choice(urgency, URGENCIES, "緊急度")
    isolation = fields.get("isolation") or ""
    if isolation:
        choice(isolation, ISOLATION, "孤立の状況")
    companions = [optional_text(c, "同行者", 100) for c in fields.get("companions") or [] if clean(c)]
    return {
        "contact_date": contact_date,
        "contact_time": time_text,
        "method": method,
        "staff_id": fields.get("staff_id") or store.actor.staff_id,
        "companions": companions,
        "household_id": household_id,
        "place_id": place_id,
        "seen_heard": optional_text(fields.get("seen_heard"), "見たこと・聞いたこと", 8000),
        "concerns": list(dict.fromkeys(concerns)),
        "urgency": urgency,
        "isolation": isolation,
        "next_action": optional_text(fields.get("next_action"), "次にすること", 2000),
        "next_contact_date": next_date,
        "tax_derived": bool(fields.get("tax_derived") or False),
    }


def add_contact(store: Store, *, today: date | None = None, **fields) -> str:
    """Record a contact; returns its id. Defaults: today, the acting account, 訪問.
    ``tax_derived=True`` marks what was learnt as coming from tax records (課税情報)."""
    require(store.actor.role != Role.REPORTER, NO_RIGHT)
    values = _validate(store, fields, today or clock.today())
    if values["household_id"]:
        require_household(store, values["household_id"])
    with store.write() as w:
        if values["household_id"]:
            w.require_alive(Household, values["household_id"], GONE)
        else:
            w.require_alive(Place, values["place_id"], "選んだ拠点が見つかりません。一覧から選び直してください。")
        if values["staff_id"] != store.actor.staff_id:
            w.require_alive(Staff, values["staff_id"], "担当職員が見つかりません。アカウントが無効になっていないか、管理者に確かめてください。")
        return w.insert(Contact, values)


def _query():
    return (
        sa.select(Contact, Staff.display_name, HouseholdSearch.head_name, District.name, Place.name)
        .outerjoin(Staff, Staff.id == Contact.staff_id)
        .outerjoin(Household, Household.id == Contact.household_id)
        .outerjoin(HouseholdSearch, HouseholdSearch.household_id == Contact.household_id)
        .outerjoin(Place, Place.id == Contact.place_id)
        .outerjoin(District, District.id == sa.func.coalesce(Household.district_id, Place.district_id))
        .where(Contact.deleted_at.is_(None))
    )


def _visible(store: Store, q):
    actor = store.actor
    if sees_all_households(actor.role):
        return q
    if actor.role == Role.STAFF:
        # their districts' households, community contacts, and whatever they wrote themselves
        return q.where(sa.or_(Household.district_id.in_(actor.district_ids), Contact.household_id.is_(None),
                              Contact.created_by == actor.staff_id))
    return q.where(sa.false())


def _info(row) -> ContactInfo:
    c, staff_name, head_name, district, place_name = row
    return ContactInfo(c.id, c.contact_date, c.contact_time, c.method, c.staff_id, staff_name or "",
                       tuple(c.companions or ()), c.household_id, head_name or "", district or "", c.place_id,
                       place_name or "", c.seen_heard, tuple(c.concerns or ()), c.urgency, c.isolation,
                       c.next_action, c.next_contact_date, c.created_at, bool(c.tax_derived))


def list_contacts(store: Store, *, district_id: str | None = None, staff_id: str | None = None,
                  date_from: date | None = None, date_to: date | None = None, method: str | None = None,
                  concern: str | None = None, household_id: str | None = None, limit: int | None = 500) -> list[ContactInfo]:
    """Newest first, filtered; only what the account may see."""
    q = _visible(store, _query())
    if district_id:
        q = q.where(sa.func.coalesce(Household.district_id, Place.district_id).in_(subtree_ids(store, district_id)))
    if staff_id:
        q = q.where(Contact.staff_id == staff_id)
    if date_from:
        q = q.where(Contact.contact_date >= date_from)
    if date_to:
        q = q.where(Contact.contact_date <= date_to)
    if method:
        q = q.where(Contact.method == method)
    if household_id:
        q = q.where(Contact.household_id == household_id)
    if concern:
        q = q.where(json_list_contains(Contact.concerns, concern))
    q = q.order_by(*NEWEST_FIRST)
    if limit:
        q = q.limit(limit)
    with store.read() as s:
        return [_info(r) for r in s.execute(q)]


def get_contact(store: Store, contact_id: str) -> ContactInfo:
    with store.read() as s:
        row = s.execute(_visible(store, _query()).where(Contact.id == contact_id)).first()
    if row is None:
        raise NotFound("指定された訪問記録が見つかりません。一覧を更新してください。")
    return _info(row)


def set_tax_derived(store: Store, contact_id: str, tax_derived: bool = True) -> bool:
    """Mark (or unmark) a contact as holding tax-derived information; returns whether it changed."""
    require(store.actor.role != Role.REPORTER, NO_RIGHT)
    get_contact(store, contact_id)  # exists and may be seen by this account
    with store.write() as w:
        w.require_alive(Contact, contact_id, "指定された訪問記録が見つかりません。一覧を更新してください。")
        return bool(w.update(Contact, contact_id, {"tax_derived": bool(tax_derived)}))
