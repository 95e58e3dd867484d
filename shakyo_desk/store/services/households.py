"""Households (世帯) and their members (世帯員)."""

from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa

from shakyo_desk.domain.errors import InvalidInput, NotFound
from shakyo_desk.domain.ids import new_id
from shakyo_desk.domain.people import AGE_BANDS
from shakyo_desk.domain.roles import Role, may_add_household, may_edit_household, may_see_household, sees_all_households
from shakyo_desk.domain.text import search_terms
from shakyo_desk.domain.vocab import HOUSEHOLD_FLAGS, HOUSING_TYPES, PERSON_FLAGS, PERSON_ROLES, RELATIONS, SEXES, WATCH_LEVELS
from shakyo_desk.store.models import District, Household, HouseholdSearch, Person, Staff
from shakyo_desk.store.search import like_pattern
from shakyo_desk.store.services.consent_records import consents_by_person
from shakyo_desk.store.services.districts import subtree_ids
from shakyo_desk.store.services._common import (
    NO_RIGHT, choice, choices, history_version, log_view, optional_text, parse_date, require, required_text,
)
from shakyo_desk.store.store import Store
from shakyo_desk.domain import clock

OUT_OF_DISTRICT = "担当地区の外の世帯のため、この操作はできません。"
HOUSEHOLD_NOT_FOUND = "指定された世帯が見つかりません。削除されたか、一覧が古い可能性があります。一覧から選び直してください。"


@dataclass(frozen=True)
class HouseholdRow:
    """One line of the household list."""

    id: str
    code: str
    head_name: str
    head_kana: str
    district_id: str | None
    district: str
    address: str
    phone: str
    flags: tuple[str, ...]
    member_count: int


@dataclass(frozen=True)
class PersonInfo:
    id: str
    household_id: str
    name: str
    kana: str
    sex: str
    birth_date: date | None
    age_band: str
    relation: str
    flags: tuple[str, ...]
    roles: tuple[str, ...]
    wishes: str
    notes: str
    sort_order: int
    # 本人同意 records of this person, newest first (withdrawn ones too; see consents.covers).
    # Filled by get_household; a tuple of consents.ConsentInfo.
    consents: tuple = ()


@dataclass(frozen=True)
class HouseholdDetail:
    id: str
    code: str
    district_id: str | None
    district: str
    address: str
    phone: str
    housing_type: str
    flags: tuple[str, ...]
    welfare_commissioner: str
    staff_main_id: str | None
    staff_main: str
    staff_sub_id: str | None
    staff_sub: str
    watch_level: str
    watch_interval_days: int | None
    notes: str
    created_at: datetime
    updated_at: datetime | None
    members: tuple[PersonInfo, ...] = field(default_factory=tuple)
    version: str = ""
    watch_interval_months: int | None = None  # pass back to save_household to detect someone else's save in between
    tax_note: str = ""  # 課税・所得に関する情報: tax-derived, never printed on a handout

    @property
    def head_name(self) -> str:
        return self.members[0].name if self.members else ""


HOUSEHOLD_FIELDS = {
    "district_id", "address", "phone", "housing_type", "flags", "welfare_commissioner",
    "staff_main_id", "staff_sub_id", "watch_level", "watch_interval_days", "watch_interval_months", "notes",
    "tax_note",
}
PERSON_FIELDS = {"name", "kana", "sex", "birth_date", "age_band", "relation", "flags", "roles", "wishes", "notes", "sort_order"}


# ---- reading -------------------------------------------------------------------

def visible_households(store: Store, query):
    """Restrict a household query to what the acting account may see."""
    actor = store.actor
    if sees_all_households(actor.role):
        return query
    if actor.role != Role.STAFF or not actor.district_ids:
        return query.where(sa.false())
    return query.where(Household.district_id.in_(actor.district_ids))


def list_households(store: Store, search: str = "", district_id: str | None = None, limit: int | None = 500) -> list[HouseholdRow]:
    """Households the account may see; ``search`` matches name, kana, address and
    phone regardless of hiragana/katakana and full/half width."""
    q = (
        sa.select(Household.id, Household.code, HouseholdSearch.head_name, HouseholdSearch.head_kana,
                  Household.district_id, District.name, Household.address, Household.phone, Household.flags,
                  HouseholdSearch.member_count)
        .join(HouseholdSearch, HouseholdSearch.household_id == Household.id)
        .outerjoin(District, District.id == Household.district_id)
        .where(Household.deleted_at.is_(None))
    )
    for term in search_terms(search):
        q = q.where(HouseholdSearch.text.like(like_pattern(term), escape="\\"))
    if district_id:
        q = q.where(Household.district_id.in_(subtree_ids(store, district_id)))
    q = visible_households(store, q).order_by(HouseholdSearch.head_kana, HouseholdSearch.head_name)
    if limit:
        q = q.limit(limit)
    with store.read() as s:
        return [HouseholdRow(r[0], r[1], r[2], r[3], r[4], r[5] or "", r[6], r[7], tuple(r[8] or ()), r[9])
                for r in s.execute(q)]


def count_households(store: Store) -> int:
    q = visible_households(store, sa.select(sa.func.count()).select_from(Household).where(Household.deleted_at.is_(None)))
    with store.read() as s:
        return s.execute(q).scalar_one()


def _person(p: Person, consents: tuple = ()) -> PersonInfo:
    return PersonInfo(p.id, p.household_id, p.name, p.kana, p.sex, p.birth_date, p.age_band, p.relation,
                      tuple(p.flags or ()), tuple(p.roles or ()), p.wishes, p.notes, p.sort_order, consents)


def get_household(store: Store, household_id: str, *, log: bool = True) -> HouseholdDetail:
    """One household with its members (each with their consent records). Viewing is recorded
    in the audit log."""
    with store.read() as s:
        h = s.get(Household, household_id)
        if h is None or h.deleted_at is not None:
            raise NotFound("指定された世帯が見つかりません。世帯の一覧から選び直してください。")
        require(may_see_household(store.actor.role, store.actor.district_ids, h.district_id), OUT_OF_DISTRICT)
        district = s.get(District, h.district_id) if h.district_id else None
        names = dict(s.execute(sa.select(Staff.id, Staff.display_name).where(
            Staff.id.in_([i for i in (h.staff_main_id, h.staff_sub_id) if i])
        )).all())
        members = s.execute(
            sa.select(Person).where(Person.household_id == h.id, Person.deleted_at.is_(None))
            .order_by(Person.sort_order, Person.created_at)
        ).scalars().all()
        consents = consents_by_person(s, [p.id for p in members])
        detail = HouseholdDetail(
            h.id, h.code, h.district_id, district.name if district else "", h.address, h.phone, h.housing_type,
            tuple(h.flags or ()), h.welfare_commissioner, h.staff_main_id, names.get(h.staff_main_id, ""),
            h.staff_sub_id, names.get(h.staff_sub_id, ""), h.watch_level, h.watch_interval_days, h.notes,
            h.created_at, h.updated_at, tuple(_person(p, consents.get(p.id, ())) for p in members),
            _version(s, h.id), h.watch_interval_months, h.tax_note,
        )
    if log:
        log_view(store, "household", household_id)
    return detail


def _version(session, household_id: str) -> str:
    """The change-log version of the household and its members (removed ones included)."""
    members = session.execute(sa.select(Person.id).where(Person.household_id == household_id)).scalars().all()
    return history_version(session, {Household.__tablename__: [household_id], Person.__tablename__: members})


# ---- validation ----------------------------------------------------------------

def _household_values(store: Store, fields: dict) -> dict:
    unknown = set(fields) - HOUSEHOLD_FIELDS
    if unknown:
        raise InvalidInput(f"世帯には次の項目はありません：{'、'.join(sorted(unknown))}")
    values = {}
    for key, value in fields.items():
        if key == "district_id":
            if value is not None:
                with store.read() as s:
                    d = s.get(District, value)
                if d is None or d.deleted_at is not None:
                    raise NotFound("指定された地区が見つかりません。地区を選び直してください。")
            values[key] = value
        elif key in ("address", "welfare_commissioner"):
            values[key] = optional_text(value, {"address": "住所", "welfare_commissioner": "民生委員"}[key], 300)
        elif key == "phone":
            values[key] = _phone(value)
        elif key == "housing_type":
            values[key] = "" if not value else choice(value, HOUSING_TYPES, "住まいの種類")
        elif key == "flags":
            values[key] = choices(value, HOUSEHOLD_FLAGS, "世帯の特徴")
        elif key == "watch_level":
            values[key] = choice(value or "なし", WATCH_LEVELS, "見守りの程度")
        elif key == "watch_interval_days":
            values[key] = _positive_int(value, "見守りの間隔（日）")
        elif key == "watch_interval_months":
            values[key] = _positive_int(value, "見守りの間隔（か月）", 120)
        elif key in ("staff_main_id", "staff_sub_id"):
            if value:
                with store.read() as s:
                    if s.get(Staff, value) is None:
                        raise NotFound("指定された担当職員が見つかりません。担当を選び直してください。")
            values[key] = value or None
        elif key == "notes":
            values[key] = optional_text(value, "メモ", 4000)
        elif key == "tax_note":
            values[key] = optional_text(value, "課税・所得に関する情報", 4000)
    return values


def _phone(value) -> str:
    text = optional_text(value, "電話番号", 50)
    allowed = set("0123456789０１２３４５６７８９-－‐ー() （）+＋")
    if text and not set(text) <= allowed:
        raise InvalidInput(f"電話番号「{text}」には数字とハイフンだけを入力してください。")
    return text


def _positive_int(value, label: str, maximum: int = 3650) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{label}は数字で入力してください。") from None
    if number <= 0 or number > maximum:
        raise InvalidInput(f"{label}は1〜{maximum}の範囲で入力してください。")
    return number


def _person_values(fields: dict, *, new: bool) -> dict:
    unknown = set(fields) - PERSON_FIELDS
    if unknown:
        raise InvalidInput(f"世帯員には次の項目はありません：{'、'.join(sorted(unknown))}")
    values = {}
    if new or "name" in fields:
        values["name"] = required_text(fields.get("name"), "氏名", 100)
    for key, value in fields.items():
        if key == "kana":
            values[key] = optional_text(value, "フリガナ", 200)
        elif key == "sex":
            values[key] = choice(value or "不明", SEXES, "性別")
        elif key == "birth_date":
            born = parse_date(value, "生年月日")
            if born and born > clock.today():
                raise InvalidInput("生年月日が未来の日付になっています。日付を確かめてください。")
            values[key] = born
        elif key == "age_band":
            values[key] = "" if not value else choice(value, AGE_BANDS, "年代")
        elif key == "relation":
            values[key] = choice(value or "本人", RELATIONS, "続柄")
        elif key == "flags":
            values[key] = choices(value, PERSON_FLAGS, "本人の特徴")
        elif key == "roles":
            values[key] = choices(value, PERSON_ROLES, "地域での役割")
        elif key in ("wishes", "notes"):
            values[key] = optional_text(value, {"wishes": "本人の意向", "notes": "メモ"}[key], 4000)
        elif key == "sort_order":
            values[key] = int(value)
    return values


def require_household(store: Store, household_id: str, *, edit: bool = False):
    """The household's district, or NotFound / PermissionDenied for this account."""
    with store.read() as s:
        h = s.get(Household, household_id) if household_id else None
        if h is None or h.deleted_at is not None:
            raise NotFound(HOUSEHOLD_NOT_FOUND)
        district_id = h.district_id
    check = may_edit_household if edit else may_see_household
    require(check(store.actor.role, store.actor.district_ids, district_id), OUT_OF_DISTRICT)
    return district_id


def household_code(household_id: str) -> str:
    """A short case code for lists and handouts (from the id's random part)."""
    return "H-" + household_id.replace("-", "")[-8:].upper()


# ---- writing -------------------------------------------------------------------

def add_household(store: Store, district_id: str | None, name: str, kana: str = "", *,
                  person: dict | None = None, **fields) -> str:
    """Create a household with its first member; returns the household id."""
    values, member = household_values_for_new(store, district_id, name, kana, person, **fields)
    with store.write() as w:
        household_id, _ = insert_household(w, values, member)
    return household_id


def household_values_for_new(store: Store, district_id: str | None, name: str, kana: str = "",
                             person: dict | None = None, **fields) -> tuple[dict, dict]:
    """Check rights and validate a new household and its first member (no writing)."""
    actor = store.actor
    require(may_add_household(actor.role, actor.district_ids, district_id),
            NO_RIGHT if not actor.district_ids else OUT_OF_DISTRICT)
    if district_id is None:
        raise InvalidInput("地区を選んでください。")
    values = _household_values(store, {"district_id": district_id, **fields})
    member = _person_values({"name": name, "kana": kana, **(person or {})}, new=True)
    return values, member


def insert_household(w, values: dict, member: dict) -> tuple[str, str]:
    """Within a write: the household and its first member. Returns (household id, person id)."""
    household_id = new_id()
    w.insert(Household, {"code": household_code(household_id), **values}, entity_id=household_id)
    person_id = w.insert(Person, {"household_id": household_id, "sort_order": 0, **member})
    return household_id, person_id


def _editable(store: Store, household_id: str) -> None:
    require_household(store, household_id, edit=True)


def update_household(store: Store, household_id: str, **fields) -> dict:
    """Change household fields; returns what actually changed."""
    _editable(store, household_id)
    if "district_id" in fields:
        require(may_edit_household(store.actor.role, store.actor.district_ids, fields["district_id"]), OUT_OF_DISTRICT)
    values = _household_values(store, fields)
    with store.write() as w:
        return w.update(Household, household_id, values)


def add_person(store: Store, household_id: str, name: str, **fields) -> str:
    _editable(store, household_id)
    values = _person_values({"name": name, **fields}, new=True)
    with store.read() as s:
        count = s.execute(sa.select(sa.func.count()).where(Person.household_id == household_id)).scalar_one()
    values.setdefault("sort_order", count)
    with store.write() as w:
        return w.insert(Person, {"household_id": household_id, **values})


def _person_household(store: Store, person_id: str) -> str:
    with store.read() as s:
        p = s.get(Person, person_id)
        if p is None or p.deleted_at is not None:
            raise NotFound("指定された世帯員が見つかりません。世帯の画面を開き直してください。")
        return p.household_id


def update_person(store: Store, person_id: str, **fields) -> dict:
    _editable(store, _person_household(store, person_id))
    values = _person_values(fields, new=False)
    with store.write() as w:
        return w.update(Person, person_id, values)


def remove_person(store: Store, person_id: str) -> None:
    household_id = _person_household(store, person_id)
    _editable(store, household_id)
    with store.read() as s:
        remaining = s.execute(sa.select(sa.func.count()).where(
            Person.household_id == household_id, Person.deleted_at.is_(None))).scalar_one()
    if remaining <= 1:
        raise InvalidInput("世帯には少なくとも1人の世帯員が必要です。")
    with store.write() as w:
        w.delete(Person, person_id)


def save_household(store: Store, household_id: str, fields: dict, members: list[dict],
                   expected_version: str | None = None) -> None:
    """Save an edited household and its member list in one transaction.

    ``members``: dicts with ``id`` (absent for new members) and person fields;
    existing members missing from the list are removed. With ``expected_version``
    (from ``HouseholdDetail.version``) the save is refused if someone else saved
    this household since it was opened, instead of silently overwriting."""
    _editable(store, household_id)
    values = _household_values(store, fields)
    if "district_id" in values:
        require(may_edit_household(store.actor.role, store.actor.district_ids, values["district_id"]), OUT_OF_DISTRICT)
    if not members:
        raise InvalidInput("世帯には少なくとも1人の世帯員が必要です。")
    cleaned = []
    for order, member in enumerate(members):
        data = {k: v for k, v in member.items() if k != "id"}
        data["sort_order"] = order
        cleaned.append((member.get("id"), _person_values(data, new=True)))
    with store.read() as s:
        existing = set(s.execute(sa.select(Person.id).where(
            Person.household_id == household_id, Person.deleted_at.is_(None))).scalars())
    with store.write() as w:
        if expected_version is not None and _version(w.session, household_id) != expected_version:
            raise InvalidInput("この世帯は、開いている間に別の画面または別の人が保存しました。"
                               "いったん閉じて開き直し、内容を確かめてから入力してください。")
        w.update(Household, household_id, values)
        kept = set()
        for person_id, data in cleaned:
            if person_id and person_id in existing:
                w.update(Person, person_id, data)
                kept.add(person_id)
            else:
                w.insert(Person, {"household_id": household_id, **data})
        for person_id in existing - kept:
            w.delete(Person, person_id)
