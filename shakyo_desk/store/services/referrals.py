"""Referrals (つなぎ) to agencies in the directory, and their follow-ups."""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.domain.roles import Role, sees_all_households
from shakyo_desk.domain.vocab import REFERRAL_OUTCOMES
from shakyo_desk.store.models import Agency, ConcernSheet, Household, HouseholdSearch, Referral
from shakyo_desk.store.services._common import NO_RIGHT, choice, optional_text, parse_date, require, required_text
from shakyo_desk.store.services.households import require_household
from shakyo_desk.store.store import Store
from shakyo_desk.domain import clock

GONE = "指定されたつなぎの記録が見つかりません。一覧を更新してください。"
FOLLOW_UP_AFTER_DAYS = 14  # default check-back when a sheet is handed on


@dataclass(frozen=True)
class ReferralInfo:
    id: str
    household_id: str | None
    household_name: str
    sheet_id: str | None
    agency_id: str
    agency: str
    referred_on: date
    reason: str
    outcome: str
    outcome_note: str
    follow_up_on: date | None


def _require_staff(store: Store) -> None:
    require(store.actor.role in (Role.ADMIN, Role.COORDINATOR, Role.STAFF), NO_RIGHT)


def add_referral(store: Store, agency_id: str, reason: str, *, household_id: str | None = None,
                 sheet_id: str | None = None, referred_on: date | str | None = None,
                 follow_up_on: date | str | None = None, today: date | None = None) -> str:
    _require_staff(store)
    today = today or clock.today()
    referred_on = parse_date(referred_on, "つないだ日") or today
    if referred_on > today:
        raise InvalidInput("つないだ日が未来の日付になっています。今日までの日付を入力してください。")
    follow_up_on = parse_date(follow_up_on, "確認する日")
    if follow_up_on is not None and follow_up_on < referred_on:
        raise InvalidInput("確認する日が、つないだ日より前になっています。日付を確かめてください。")
    if not household_id and not sheet_id:
        raise InvalidInput("どの世帯（または把握シート）のつなぎかを選んでください。")
    if household_id:
        require_household(store, household_id)
    values = {"agency_id": agency_id, "reason": required_text(reason, "つなぐ理由", 2000), "household_id": household_id,
              "sheet_id": sheet_id, "referred_on": referred_on, "follow_up_on": follow_up_on, "outcome": "確認中"}
    with store.write() as w:
        w.require_alive(Agency, agency_id, "選んだ関係機関が見つかりません。")
        if household_id:
            w.require_alive(Household, household_id, "選んだ世帯が見つかりません。")
        if sheet_id:
            w.require_alive(ConcernSheet, sheet_id, "選んだ把握シートが見つかりません。")
        return w.insert(Referral, values)


def record_outcome(store: Store, referral_id: str, outcome: str, note: str = "",
                   follow_up_on: date | str | None = None) -> None:
    _require_staff(store)
    changes = {"outcome": choice(outcome, REFERRAL_OUTCOMES, "結果"), "outcome_note": optional_text(note, "結果のメモ", 2000)}
    if follow_up_on is not None:
        changes["follow_up_on"] = parse_date(follow_up_on, "確認する日")
    with store.write() as w:
        current = w.require_alive(Referral, referral_id, GONE)
        if changes.get("follow_up_on") and changes["follow_up_on"] < current["referred_on"]:
            raise InvalidInput("確認する日が、つないだ日より前になっています。日付を確かめてください。")
        w.update(Referral, referral_id, changes)


def _query(store: Store):
    q = (sa.select(Referral, HouseholdSearch.head_name, Agency.name)
         .outerjoin(Household, Household.id == Referral.household_id)
         .outerjoin(HouseholdSearch, HouseholdSearch.household_id == Referral.household_id)
         .join(Agency, Agency.id == Referral.agency_id)
         .where(Referral.deleted_at.is_(None)))
    actor = store.actor
    if sees_all_households(actor.role):
        return q
    if actor.role == Role.STAFF:
        return q.where(sa.or_(Household.district_id.in_(actor.district_ids), Referral.created_by == actor.staff_id))
    return q.where(sa.false())


def _info(row) -> ReferralInfo:
    r, head, agency = row
    return ReferralInfo(r.id, r.household_id, head or "", r.sheet_id, r.agency_id, agency, r.referred_on, r.reason,
                        r.outcome, r.outcome_note, r.follow_up_on)


def list_referrals(store: Store, household_id: str | None = None, sheet_id: str | None = None,
                   limit: int | None = 500) -> list[ReferralInfo]:
    q = _query(store)
    if household_id:
        q = q.where(Referral.household_id == household_id)
    if sheet_id:
        q = q.where(Referral.sheet_id == sheet_id)
    q = q.order_by(Referral.referred_on.desc())
    if limit:
        q = q.limit(limit)
    with store.read() as s:
        return [_info(r) for r in s.execute(q)]


def overdue_follow_ups(store: Store, today: date | None = None) -> list[ReferralInfo]:
    """Referrals still 確認中 whose follow-up date has come, oldest first."""
    today = today or clock.today()
    q = _query(store).where(Referral.outcome == "確認中", Referral.follow_up_on.is_not(None),
                            Referral.follow_up_on <= today).order_by(Referral.follow_up_on)
    with store.read() as s:
        return [_info(r) for r in s.execute(q)]
