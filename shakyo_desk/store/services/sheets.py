"""困っている家庭把握シート: filed by any employee, followed by coordinators to closure."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from shakyo_desk.domain.errors import InvalidInput, NotFound
from shakyo_desk.domain.roles import Role, sees_all_households
from shakyo_desk.domain.vocab import SHEET_SETTINGS, SHEET_STATUSES, SHEET_TRANSITIONS, URGENCIES, WISH_FOR_HELP
from shakyo_desk.store.models import (
    Agency, ConcernSheet, Household, HouseholdSearch, Referral, Remark, SheetStatusChange, Staff,
)
from shakyo_desk.store.services._common import (
    NO_RIGHT, choice, optional_text, parse_date, require,
)
from shakyo_desk.store.services import drop_status
from shakyo_desk.store.services.concerns import active_concern_names
from shakyo_desk.store.services.households import household_values_for_new, insert_household, require_household
from shakyo_desk.store.services.referrals import FOLLOW_UP_AFTER_DAYS
from shakyo_desk.store.reporter import is_reporter_session
from shakyo_desk.store.store import Store
from shakyo_desk.domain import clock

URGENCY_ORDER = {"緊急": 0, "早め": 1, "見守り": 2}
OPEN_STATUSES = ["受付", "確認中", "対応中", "つないだ", "見守り"]
SHEET_GONE = "指定された把握シートが見つかりません。一覧を更新してください。"
ALREADY_LINKED = "このシートはすでに世帯と結び付いています。画面を開き直して、結び付いた世帯を確かめてください。"

TEXT_FIELDS = {
    "section": ("所属", 100), "source": ("情報源", 200), "household_hint": ("世帯の手がかり（氏名・場所）", 300),
    "person_of_concern": ("気になる方", 200), "situation": ("気になった様子", 8000), "strengths": ("強み", 4000),
    "possible_supporter": ("支え手になれそうなこと", 4000), "suggested_handoff": ("つなぎ先の案", 2000),
}


@dataclass(frozen=True)
class StatusChange:
    status: str
    changed_on: date
    by: str
    agency: str
    note: str
    recorded_at: datetime


@dataclass(frozen=True)
class SheetInfo:
    id: str
    noticed_on: date
    noticed_by: str | None
    noticed_by_name: str
    section: str
    setting: str
    source: str
    household_id: str | None
    household_name: str
    household_hint: str
    person_of_concern: str
    concerns: tuple[str, ...]
    urgency: str
    connected_agencies: tuple[str, ...]
    wish_for_help: str
    situation: str
    strengths: str
    possible_supporter: str
    suggested_handoff: str
    status: str
    created_at: datetime
    history: tuple[StatusChange, ...] = ()
    assignee_id: str | None = None  # 担当 (issue 18, `sheet assign`)

    def age_days(self, today: date) -> int:
        return (today - self.noticed_on).days


def _validate(store: Store, fields: dict, today: date) -> dict:
    unknown = set(fields) - set(TEXT_FIELDS) - {"noticed_on", "setting", "household_id", "concerns", "urgency",
                                                "connected_agencies", "wish_for_help", "from_contact_id",
                                                "from_remark_id"}
    if unknown:
        raise InvalidInput(f"把握シートには次の項目はありません：{'、'.join(sorted(unknown))}")
    noticed_on = parse_date(fields.get("noticed_on"), "気づいた日") or today
    if noticed_on > today:
        raise InvalidInput("気づいた日が未来の日付になっています。今日までの日付を入力してください。")
    concerns = list(dict.fromkeys(c for c in fields.get("concerns") or [] if c))
    if not concerns:
        raise InvalidInput("気になること（困りごとの分類）を1つ以上選んでください。")
    allowed = active_concern_names(store)
    unknown_concerns = [c for c in concerns if c not in allowed]
    if unknown_concerns:
        raise InvalidInput(f"困りごとの分類「{'、'.join(unknown_concerns)}」は登録されていません。一覧から選んでください。")
    values = {
        "noticed_on": noticed_on,
        "setting": "" if not fields.get("setting") else choice(fields["setting"], SHEET_SETTINGS, "気づいた場面"),
        "concerns": concerns,
        "urgency": choice(fields.get("urgency") or "見守り", URGENCIES, "緊急度"),
        "wish_for_help": choice(fields.get("wish_for_help") or "不明", WISH_FOR_HELP, "本人の意思"),
        "connected_agencies": list(dict.fromkeys(fields.get("connected_agencies") or [])),
        "household_id": fields.get("household_id") or None,
        "from_contact_id": fields.get("from_contact_id") or None,
        "from_remark_id": fields.get("from_remark_id") or None,
    }
    for key, (label, limit) in TEXT_FIELDS.items():
        values[key] = optional_text(fields.get(key), label, limit)
    if not values["household_id"] and not values["household_hint"]:
        raise InvalidInput("世帯を選ぶか、世帯の手がかり（氏名や場所など）を入力してください。")
    return values


def file_sheet(store: Store, *, today: date | None = None, sheet_id: str | None = None, **fields) -> str:
    """Any account may file a sheet; the household need not be registered yet. A reporter's
    session (store/reporter.py) seals it into the drop box instead, for a coordinator's
    session to file with ``sheet_id`` (the id the reporter was given)."""
    today = today or clock.today()
    values = _validate(store, fields, today)
    if is_reporter_session(store):
        return store.drop_sheet(values)
    actor = store.actor
    if values["household_id"] and actor.role != Role.REPORTER:
        require_household(store, values["household_id"])
    values["noticed_by"] = actor.staff_id
    if not values["section"]:
        with store.read() as s:
            values["section"] = s.execute(sa.select(Staff.section).where(Staff.id == actor.staff_id)).scalar() or ""
    values["status"] = "受付"
    with store.write() as w:
        if values["household_id"]:
            w.require_alive(Household, values["household_id"], "選んだ世帯が見つかりません。世帯を選び直してください。")
        for agency_id in values["connected_agencies"]:
            w.require_alive(Agency, agency_id, "選んだ関係機関が見つかりません。")
        sheet_id = w.insert(ConcernSheet, values, entity_id=sheet_id)
        w.insert(SheetStatusChange, {"sheet_id": sheet_id, "status": "受付", "changed_on": values["noticed_on"]})
        if values["from_remark_id"]:
            w.update(Remark, values["from_remark_id"], {"sheet_id": sheet_id})
    return sheet_id


def _visible(store: Store, q):
    actor = store.actor
    if sees_all_households(actor.role):
        return q
    mine = ConcernSheet.noticed_by == actor.staff_id
    if actor.role == Role.STAFF:
        return q.where(sa.or_(mine, Household.district_id.in_(actor.district_ids)))
    return q.where(mine)  # reporters see only their own sheets


def _query():
    return (
        sa.select(ConcernSheet, Staff.display_name, HouseholdSearch.head_name)
        .outerjoin(Staff, Staff.id == ConcernSheet.noticed_by)
        .outerjoin(Household, Household.id == ConcernSheet.household_id)
        .outerjoin(HouseholdSearch, HouseholdSearch.household_id == ConcernSheet.household_id)
        .where(ConcernSheet.deleted_at.is_(None))
    )


def _info(row, history=()) -> SheetInfo:
    c, by_name, head = row
    return SheetInfo(c.id, c.noticed_on, c.noticed_by, by_name or "", c.section, c.setting, c.source, c.household_id,
                     head or "", c.household_hint, c.person_of_concern, tuple(c.concerns or ()), c.urgency,
                     tuple(c.connected_agencies or ()), c.wish_for_help, c.situation, c.strengths,
                     c.possible_supporter, c.suggested_handoff, c.status, c.created_at, tuple(history),
                     c.assignee_id)


def _own_info(sheet) -> SheetInfo:
    """A reporter's own sheet as the screens show it (from the drop box, store/dropbox.py)."""
    f = sheet.fields
    history = tuple(StatusChange(status, on, "", "", "", datetime.combine(on, datetime.min.time()))
                    for status, on in sheet.history)
    return SheetInfo(sheet.id, sheet.noticed_on, None, "", str(f.get("section") or ""), str(f.get("setting") or ""),
                     str(f.get("source") or ""), None, "", sheet.household_hint,
                     str(f.get("person_of_concern") or ""), sheet.concerns, sheet.urgency, (),
                     str(f.get("wish_for_help") or ""), sheet.situation, str(f.get("strengths") or ""),
                     str(f.get("possible_supporter") or ""), str(f.get("suggested_handoff") or ""), sheet.status,
                     datetime.combine(sheet.noticed_on, datetime.min.time()), history)


def _own_sheets(store, statuses: list[str] | None) -> list[SheetInfo]:
    return [_own_info(s) for s in store.own_sheets() if not statuses or s.status in statuses]


def list_sheets(store: Store, *, statuses: list[str] | None = None, household_id: str | None = None,
                limit: int | None = 500) -> list[SheetInfo]:
    """Newest first; only what the account may see."""
    if is_reporter_session(store):
        return _own_sheets(store, statuses)
    q = _visible(store, _query())
    if statuses:
        q = q.where(ConcernSheet.status.in_(statuses))
    if household_id:
        q = q.where(ConcernSheet.household_id == household_id)
    q = q.order_by(ConcernSheet.noticed_on.desc(), ConcernSheet.created_at.desc())
    if limit:
        q = q.limit(limit)
    with store.read() as s:
        return [_info(r) for r in s.execute(q)]


def new_count(store: Store) -> int:
    """How many sheets are new (状況「受付」: filed, not yet taken up), for the navigation of those
    who take them up (coordinators, the admin); 0 for anyone else, a reporter's session included."""
    if is_reporter_session(store) or not sees_all_households(store.actor.role):
        return 0
    with store.read() as s:
        return s.execute(sa.select(sa.func.count()).select_from(ConcernSheet).where(
            ConcernSheet.status == "受付", ConcernSheet.deleted_at.is_(None))).scalar_one()


def inbox(store: Store) -> list[SheetInfo]:
    """Open sheets for coordinators: most urgent first, then the oldest."""
    require(sees_all_households(store.actor.role), NO_RIGHT)
    sheets = list_sheets(store, statuses=["受付", "確認中"], limit=None)
    return sorted(sheets, key=lambda s: (URGENCY_ORDER.get(s.urgency, 9), s.noticed_on, s.created_at))


def get_sheet(store: Store, sheet_id: str) -> SheetInfo:
    if is_reporter_session(store):
        return _own_info(store.own_sheet(sheet_id))
    with store.read() as s:
        row = s.execute(_visible(store, _query()).where(ConcernSheet.id == sheet_id)).first()
        if row is None:
            raise NotFound(SHEET_GONE)
        changes = s.execute(
            sa.select(SheetStatusChange, Staff.display_name, Agency.name)
            .outerjoin(Staff, Staff.id == SheetStatusChange.created_by)
            .outerjoin(Agency, Agency.id == SheetStatusChange.agency_id)
            .where(SheetStatusChange.sheet_id == sheet_id, SheetStatusChange.deleted_at.is_(None))
            .order_by(SheetStatusChange.changed_on, SheetStatusChange.created_at)
        ).all()
        history = [StatusChange(c.status, c.changed_on, by or "", agency or "", c.note, c.created_at)
                   for c, by, agency in changes]
    return _info(row, history)


def _require_follower(store: Store) -> None:
    require(store.actor.role in (Role.ADMIN, Role.COORDINATOR, Role.STAFF), NO_RIGHT)


def change_status(store: Store, sheet_id: str, status: str, *, changed_on: date | None = None,
                  agency_id: str | None = None, note: str = "", today: date | None = None) -> None:
    """Move a sheet along the workflow; each change is dated and attributed. 終結 reopens to 確認中."""
    _require_follower(store)
    today = today or clock.today()
    sheet = get_sheet(store, sheet_id)
    status = choice(status, SHEET_STATUSES, "状況")
    if status not in SHEET_TRANSITIONS[sheet.status]:
        raise InvalidInput(f"「{sheet.status}」から「{status}」には進められません。"
                           f"次の状況を{''.join(f'「{s}」' for s in SHEET_TRANSITIONS[sheet.status])}から選んでください。")
    changed_on = parse_date(changed_on, "変更日") or today
    earliest = max([sheet.noticed_on, *(h.changed_on for h in sheet.history)])
    if changed_on > today or changed_on < earliest:
        raise InvalidInput("変更日は、前回の状況の変更日（または気づいた日）から今日までの日付にしてください。")
    if status == "つないだ" and not agency_id:
        raise InvalidInput("「つないだ」ときは、つないだ先の関係機関を選んでください。")
    with store.write() as w:
        current = w.require_alive(ConcernSheet, sheet_id, SHEET_GONE)
        if current["status"] != sheet.status:
            raise InvalidInput("このシートの状況は、開いている間に別の画面で変わりました。開き直してください。")
        if agency_id:
            w.require_alive(Agency, agency_id, "選んだ関係機関が見つかりません。")
        w.update(ConcernSheet, sheet_id, {"status": status})
        note = optional_text(note, "メモ", 2000)
        w.insert(SheetStatusChange, {"sheet_id": sheet_id, "status": status, "changed_on": changed_on,
                                     "agency_id": agency_id or None, "note": note})
        if status == "つないだ":
            # Handing on is a referral too, so its follow-up is not forgotten.
            w.insert(Referral, {"household_id": current["household_id"], "sheet_id": sheet_id, "agency_id": agency_id,
                                "referred_on": changed_on, "reason": note or "把握シートからつなぐ",
                                "outcome": "確認中",
                                "follow_up_on": changed_on + timedelta(days=FOLLOW_UP_AFTER_DAYS)})
    _tell_reporter(store, sheet.noticed_by)


def _tell_reporter(store: Store, noticed_by: str | None) -> None:
    """A reporter's sheet moved on: their status file follows (store/dropbox.py)."""
    if not noticed_by or getattr(store, "account_private", None) is None:
        return
    with store.read() as s:
        role = s.execute(sa.select(Staff.role).where(Staff.id == noticed_by)).scalar()
    if role == Role.REPORTER.value:
        drop_status.publish_quietly(store)


def link_household(store: Store, sheet_id: str, household_id: str) -> None:
    _require_follower(store)
    get_sheet(store, sheet_id)
    require_household(store, household_id)
    with store.write() as w:
        w.require_alive(Household, household_id, "選んだ世帯が見つかりません。")
        w.update(ConcernSheet, sheet_id, {"household_id": household_id})


def create_household_from_sheet(store: Store, sheet_id: str, district_id: str, name: str, kana: str = "",
                                **fields) -> str:
    """Register the household the sheet is about and link it, in one transaction (a refusal
    leaves no household behind); returns the household id."""
    _require_follower(store)
    sheet = get_sheet(store, sheet_id)
    if sheet.household_id:
        raise InvalidInput(ALREADY_LINKED)
    values, member = household_values_for_new(store, district_id, name, kana, **fields)
    with store.write() as w:
        if w.require_alive(ConcernSheet, sheet_id, SHEET_GONE)["household_id"]:
            raise InvalidInput(ALREADY_LINKED)  # linked in another window meanwhile
        household_id, _ = insert_household(w, values, member)
        w.update(ConcernSheet, sheet_id, {"household_id": household_id})
    return household_id


def sheet_from_contact(store: Store, contact_id: str) -> dict:
    """What a new sheet can carry over from a contact (for the form to prefill)."""
    from shakyo_desk.store.services.contacts import get_contact

    c = get_contact(store, contact_id)
    return {"noticed_on": c.contact_date, "setting": "訪問" if c.method != "電話" else "電話",
            "household_id": c.household_id, "household_hint": c.place_name, "concerns": list(c.concerns),
            "urgency": c.urgency or "見守り", "situation": c.seen_heard, "from_contact_id": c.id}


def sheet_from_remark(store: Store, remark_id: str) -> dict:
    """What a new sheet can carry over from a salon remark (つぶやき)."""
    from shakyo_desk.store.models import Person, Salon, SalonSession

    with store.read() as s:
        row = s.execute(
            sa.select(Remark, SalonSession.session_date, Salon.name, Person.name, Person.household_id)
            .join(SalonSession, SalonSession.id == Remark.session_id)
            .join(Salon, Salon.id == SalonSession.salon_id)
            .outerjoin(Person, Person.id == Remark.person_id)
            .where(Remark.id == remark_id, Remark.deleted_at.is_(None))
        ).first()
    if row is None:
        raise NotFound("指定されたつぶやきが見つかりません。一覧を更新してください。")
    remark, session_date, salon_name, person_name, household_id = row
    return {"noticed_on": session_date, "setting": "サロン", "source": f"サロン「{salon_name}」",
            "household_id": household_id, "household_hint": "" if household_id else (person_name or salon_name),
            "person_of_concern": person_name or "", "situation": remark.text, "from_remark_id": remark.id}


def assign_sheet(store: Store, sheet_id: str, assignee_id: str) -> None:
    """A coordinator hands a sheet on: its 担当 (issue 18). The status is left as it is."""
    require(sees_all_households(store.actor.role), "把握シートの担当を決めるのは、コーディネーターか管理者です。")
    get_sheet(store, sheet_id)
    with store.write() as w:
        w.require_alive(ConcernSheet, sheet_id, SHEET_GONE)
        staff = w.require_alive(Staff, assignee_id, "担当にするアカウントが見つかりません。")
        if staff["disabled_at"] is not None or staff["role"] == Role.REPORTER.value:
            raise InvalidInput("このアカウントは担当にできません（使用停止中か、報告者のアカウントです）。職員を選んでください。")
        w.update(ConcernSheet, sheet_id, {"assignee_id": assignee_id})
