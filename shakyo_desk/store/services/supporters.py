"""担い手 (issue 19): people who do or could support neighbours, managed by coordinators and
admins, counted per district against the council's target for a fiscal year."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from shakyo_desk.domain import clock
from shakyo_desk.domain.errors import InvalidInput, NotFound
from shakyo_desk.domain.roles import manages_registers, sees_all_households
from shakyo_desk.store.models import (
    ConcernSheet,
    District,
    Person,
    Supporter,
    SupporterTarget,
)
from shakyo_desk.store.services._common import (
    optional_text,
    parse_date,
    require,
    required_text,
)
from shakyo_desk.store.store import Store

ONLY_COORDINATORS = "担い手と目標数の登録・変更は、コーディネーターか管理者が行います。"
GONE = "指定された担い手が見つかりません。一覧から選び直してください。"


@dataclass(frozen=True)
class SupporterInfo:
    id: str
    name: str
    kana: str
    district_id: str | None
    district: str
    can_do: str
    contact_consent: bool
    current_role: str
    person_id: str | None
    since: date | None


@dataclass(frozen=True)
class DistrictCount:
    district_id: str | None  # None: council-wide supporters and target
    district: str
    supporters: int
    target: int | None


def _values(name, kana, district_id, can_do, contact_consent, current_role, since, today) -> dict:
    since = parse_date(since, "担い手になった日")
    if since is not None and since > today:
        raise InvalidInput("担い手になった日が未来の日付になっています。今日までの日付を入力してください。")
    return {"name": required_text(name, "担い手の名前", 100), "kana": optional_text(kana, "ふりがな", 200),
            "district_id": district_id or None, "can_do": optional_text(can_do, "できること", 4000),
            "contact_consent": bool(contact_consent), "current_role": optional_text(current_role, "いまの役割", 200),
            "since": since}


def add_supporter(store: Store, name: str, *, kana: str = "", district_id: str | None = None, can_do: str = "",
                  contact_consent: bool = False, current_role: str = "", person_id: str | None = None,
                  sheet_id: str | None = None, since: date | str | None = None, today: date | None = None) -> str:
    require(manages_registers(store.actor.role), ONLY_COORDINATORS)
    values = _values(name, kana, district_id, can_do, contact_consent, current_role, since, today or clock.today())
    values.update(person_id=person_id or None, sheet_id=sheet_id or None)
    with store.write() as w:
        if values["district_id"]:
            w.require_alive(District, values["district_id"], "選んだ地区が見つかりません。")
        if values["person_id"]:
            w.require_alive(Person, values["person_id"], "担い手として選んだ住民が見つかりません。")
        if values["sheet_id"]:
            w.require_alive(ConcernSheet, values["sheet_id"], "もとにした把握シートが見つかりません。")
        return w.insert(Supporter, values)


def update_supporter(store: Store, supporter_id: str, *, name: str, kana: str = "", district_id: str | None = None,
                     can_do: str = "", contact_consent: bool = False, current_role: str = "",
                     since: date | str | None = None, today: date | None = None) -> None:
    require(manages_registers(store.actor.role), ONLY_COORDINATORS)
    values = _values(name, kana, district_id, can_do, contact_consent, current_role, since, today or clock.today())
    with store.write() as w:
        w.require_alive(Supporter, supporter_id, GONE)
        if values["district_id"]:
            w.require_alive(District, values["district_id"], "選んだ地区が見つかりません。")
        w.update(Supporter, supporter_id, values)


def list_supporters(store: Store, district_id: str | None = None) -> list[SupporterInfo]:
    """Supporters of the districts this account sees (council-wide ones for everyone)."""
    actor = store.actor
    query = (sa.select(Supporter, District.name).outerjoin(District, District.id == Supporter.district_id)
             .where(Supporter.deleted_at.is_(None)))
    if district_id:
        query = query.where(Supporter.district_id == district_id)
    with store.read() as s:
        rows = s.execute(query.order_by(Supporter.kana, Supporter.name)).all()
    return [SupporterInfo(r.id, r.name, r.kana, r.district_id, name or "", r.can_do, r.contact_consent,
                          r.current_role, r.person_id, r.since)
            for r, name in rows
            if sees_all_households(actor.role) or r.district_id is None or r.district_id in actor.district_ids]


def set_target(store: Store, fiscal_year: int, target: int, district_id: str | None = None) -> str:
    require(manages_registers(store.actor.role), ONLY_COORDINATORS)
    if not isinstance(target, int) or target < 0 or not 2000 <= int(fiscal_year) <= 2100:
        raise InvalidInput("目標数は0以上の整数、年度は西暦（例：2026）で入力してください。")
    with store.write() as w:
        if district_id:
            w.require_alive(District, district_id, "選んだ地区が見つかりません。")
        found = w.conn.execute(sa.select(SupporterTarget.id).where(
            SupporterTarget.fiscal_year == fiscal_year, SupporterTarget.deleted_at.is_(None),
            SupporterTarget.district_id.is_(None) if not district_id else SupporterTarget.district_id == district_id,
        )).scalar()
        if found:
            w.update(SupporterTarget, found, {"target": target})
            return found
        return w.insert(SupporterTarget, {"district_id": district_id or None, "fiscal_year": fiscal_year,
                                          "target": target})


def counts(store: Store, fiscal_year: int) -> list[DistrictCount]:
    """Supporters per district (and council-wide) against the year's targets."""
    with store.read() as s:
        districts = s.execute(sa.select(District.id, District.name).where(District.deleted_at.is_(None))
                              .order_by(District.name)).all()
        have = dict(s.execute(sa.select(Supporter.district_id, sa.func.count()).where(Supporter.deleted_at.is_(None))
                              .group_by(Supporter.district_id)).all())
        targets = dict(s.execute(sa.select(SupporterTarget.district_id, SupporterTarget.target).where(
            SupporterTarget.fiscal_year == fiscal_year, SupporterTarget.deleted_at.is_(None))).all())
    result = [DistrictCount(d.id, d.name, have.get(d.id, 0), targets.get(d.id)) for d in districts]
    result.append(DistrictCount(None, "社協全体", sum(have.values()), targets.get(None)))
    return result


def get_supporter(store: Store, supporter_id: str) -> SupporterInfo:
    for info in list_supporters(store):
        if info.id == supporter_id:
            return info
    raise NotFound(GONE)


def carried_counts(store: Store) -> dict[str, int]:
    """How many households each supporter carries now (live ties), by supporter id."""
    from shakyo_desk.store.models import SupportTie

    with store.read() as s:
        return dict(s.execute(
            sa.select(SupportTie.supporter_id, sa.func.count(sa.distinct(SupportTie.household_id)))
            .where(SupportTie.deleted_at.is_(None), SupportTie.ended_on.is_(None), SupportTie.supporter_id.is_not(None))
            .group_by(SupportTie.supporter_id)).all())


@dataclass(frozen=True)
class SheetPrefill:
    """What a 把握シート says of a possible supporter: the person, their district, the sheet."""

    sheet_id: str
    name: str
    kana: str
    district_id: str | None
    person_id: str | None
    can_do: str


def prefill_from_sheet(store: Store, sheet_id: str) -> SheetPrefill:
    """The supporter a sheet's 「支え手になれそうか」 points at: the person of concern (a member
    of the sheet's household of that name, else the head), the household's district, and what
    the sheet says they could do."""
    from shakyo_desk.store.services.sheets import get_sheet
    from shakyo_desk.store.models import Household

    require(manages_registers(store.actor.role), ONLY_COORDINATORS)
    sheet = get_sheet(store, sheet_id)
    district_id, person_id, name, kana = None, None, sheet.person_of_concern, ""
    if sheet.household_id:
        with store.read() as s:
            district_id = s.execute(sa.select(Household.district_id).where(Household.id == sheet.household_id)).scalar()
            members = s.execute(sa.select(Person.id, Person.name, Person.kana).where(
                Person.household_id == sheet.household_id, Person.deleted_at.is_(None)).order_by(Person.sort_order)).all()
        wanted = "".join(sheet.person_of_concern.split())
        match = next((m for m in members if wanted and "".join(m.name.split()) == wanted), None)
        match = match or (members[0] if members and not wanted else None)
        if match is not None:
            person_id, name, kana = match.id, match.name, match.kana
    return SheetPrefill(sheet.id, name or sheet.household_name, kana, district_id, person_id, sheet.possible_supporter)


_NOT_A_SUPPORTER = ("なし", "無し", "ない", "いいえ", "無理", "不可", "難しい", "むずかしい", "なれない", "できない",
                    "なれそうにない", "×", "-", "ー", "―")


def sheet_suggests_supporter(text: str) -> bool:
    """Whether a sheet's 「支え手になれそうか」 says yes or maybe (anything but empty or a no)."""
    text = "".join((text or "").split()).rstrip("。．.")
    return bool(text) and text not in _NOT_A_SUPPORTER and not any(
        text.endswith(no) for no in ("難しい", "難しそう", "なれない", "できない", "なれそうにない", "無理"))
