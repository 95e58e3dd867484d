"""Case conferences (会議): 支援会議, 重層的支援会議, ケース検討会, 地域ケア会議.

A conference has members (one numbered handout copy each; a member without a recorded
confidentiality acknowledgement is warned about before printing: ``unacknowledged_members``)
and cases: households, each with the question put to the meeting and what was decided for it
(support policy, lead agency 主担当, roles per agency 役割分担, next review date). Decisions are
kept per case because a meeting of ten cases decides ten different things; the minutes belong
to the conference and are never used by handouts. ``disclosures`` names the fields a handout
shows in full for this meeting (minimised by default); changing it is audited as its own
action, ``conference.disclosure``.

Consent (DESIGN §6, issue 18): who must have agreed for a 重層的支援会議 to discuss a case, and
which members a consent limited to named agencies leaves out, is decided in
``conference_consent``.

Members per case (``conference_case_member``): a case may name the members who sit for it (a
district's 民生委員 only for that district's case); a case naming none has every member. A member
with a standing appointment (委嘱, services/appointments.py) covering the meeting counts as
having acknowledged confidentiality.

Coordinators and admins manage conferences and read them; staff see a household's conference
history on its timeline (``household_conferences``), never other households' cases or minutes.

Cases can be added to a recorded conference (``add_case``, from a 受付表 request or a case) and
removed (``remove_case``). A case added later can bring the conference into a district-limited
laptop's scope after its knowledge passed the conference's creation: the office's export then
sends the conference, its members and register along (exchange/exporting._meetings_entering).
A 支援会議 (or 地域ケア会議) may have a topic (地域資源の検討) and no household; ``body`` names an
existing body held as this meeting (e.g. 地域ケア会議 held as a 支援会議 under its legal basis).
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shakyo_desk.domain.errors import InvalidInput, NotFound
from shakyo_desk.domain.roles import manages_conferences
from shakyo_desk.domain.text import clean, fold
from shakyo_desk.domain.vocab import (
    CONFERENCE_TYPES, CONSENT_REQUIRED_TYPES, DEFAULT_LEGAL_BASIS, DISCLOSABLE_FIELDS, LEGAL_BASES, SUPPORT_CONFERENCE,
)
from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.store.models import (
    Appointment, Conference, ConferenceCase, ConferenceCaseMember, ConferenceMember, District, Household, HouseholdSearch, MeetingRequest, Person, Staff, SupportCase,
)
from shakyo_desk.store.services._common import (
    NO_RIGHT, history_version, live_row, log_view, optional_text, parse_date, require, required_text,
)
from shakyo_desk.store.services.appointments import appointment_for, appointments_for
from shakyo_desk.store.services.households import household_code, require_household
from shakyo_desk.store.store import Store
from shakyo_desk.domain import clock

GONE = "指定された会議が見つかりません。一覧を更新してください。"
MEMBER_GONE = "指定された構成員が見つかりません。会議の画面を開き直してください。"
CASE_GONE = "指定されたケースが見つかりません。会議の画面を開き直してください。"
HOUSEHOLD_GONE = "会議で取り上げる世帯が、別の画面で削除されました。世帯を選び直してください。"
STALE = ("この会議は、開いている間に別の画面または別の人が保存しました（同期で取り込んだ変更を含みます）。"
         "何も保存していません。いったん閉じて開き直し、内容を確かめてから入力し直してください。")
COMMUNITY_CARE = "community-care"  # may discuss the community without a particular household
TOPIC_TYPES = frozenset({SUPPORT_CONFERENCE, COMMUNITY_CARE})  # may have a topic and no household
UNKNOWN_TOPIC = "\x00kept"  # a draft that keeps the stored topic: checked against it when saved
NO_CASES = ("会議で取り上げる世帯（ケース）を1つ以上選んでください。"
            "世帯を取り上げない支援会議（地域資源の検討など）なら、検討するテーマを入力してください。")
MAX_DAYS_PAST = 365  # a meeting dated further back is most likely a typing mistake
MAX_DAYS_AHEAD = 365
MAX_MEMBERS = 60
MAX_CASES = 30
MAX_ROLES = 30
MEMBER_FIELDS = {"name", "organisation", "confidentiality_acknowledged_on"}


# ---- values returned -------------------------------------------------------------------

@dataclass(frozen=True)
class RoleAssignment:
    """役割分担: what one agency does for a case."""

    agency: str
    role: str


@dataclass(frozen=True)
class MemberInfo:
    id: str
    conference_id: str
    name: str
    organisation: str
    confidentiality_acknowledged_on: date | None
    sort_order: int
    appointed_until: date | None = None  # a 委嘱 whose pledge covers this meeting runs until then

    @property
    def acknowledged(self) -> bool:
        """Confidentiality confirmed for this meeting, or pledged once under a standing appointment."""
        return self.confidentiality_acknowledged_on is not None or self.appointed_until is not None

    @property
    def label(self) -> str:
        """「山田 太郎（みどり村地域包括支援センター）」"""
        return f"{self.name}（{self.organisation}）" if self.organisation else self.name


@dataclass(frozen=True)
class CaseInfo:
    """A household discussed at a conference, with the question and the decisions for it."""

    id: str
    conference_id: str
    household_id: str
    household_code: str
    head_name: str
    district_id: str | None
    district: str
    question: str
    sort_order: int
    support_policy: str
    lead_agency: str
    roles: tuple[RoleAssignment, ...]
    next_review_on: date | None
    case_id: str | None = None  # the 支援ケース discussed (0017)
    person_id: str | None = None  # the 本人 whose consent counts (None: chosen by ``principal``)
    request_id: str | None = None  # the 受付表 request it came from
    member_ids: tuple[str, ...] = ()  # the members who sit for this case, when it names them
    limited: bool = False  # the case names its members (conference_case_member); else every member sits

    def seats(self, member_id: str) -> bool:
        """Does this member sit for the case? (A case whose only named member was removed from
        the meeting has nobody: it is never opened up to everyone by a removal.)"""
        return not self.limited or member_id in self.member_ids


@dataclass(frozen=True)
class ConferenceRow:
    """One line of the conference list."""

    id: str
    meeting_type: str
    type_label: str
    legal_basis: str
    legal_basis_label: str
    title: str
    held_on: date
    place: str
    convenor: str
    case_count: int
    member_count: int
    unacknowledged_count: int

    @property
    def display_title(self) -> str:
        return self.title or self.type_label


@dataclass(frozen=True)
class ConferenceDetail:
    id: str
    meeting_type: str  # code of vocab.CONFERENCE_TYPES
    type_label: str  # 支援会議 …
    legal_basis: str  # code of vocab.LEGAL_BASES, "" unless a 支援会議
    legal_basis_label: str  # 社会福祉法第106条の6 …
    title: str
    held_on: date
    start_time: str
    end_time: str
    place: str
    convenor: str
    agenda: str
    minutes: str  # for the record only: never on a handout
    disclosures: tuple[str, ...]  # keys of vocab.DISCLOSABLE_FIELDS shown in full on the handout
    members: tuple[MemberInfo, ...]
    cases: tuple[CaseInfo, ...]
    created_at: datetime
    created_by_name: str
    version: str  # newest change stamp of the conference, its members and cases
    topic: str = ""  # what a meeting without a household discusses (地域資源の検討)
    body: str = ""  # an existing body held as this meeting (地域ケア会議 …)

    @property
    def display_title(self) -> str:
        return self.title or self.type_label

    @property
    def needs_consent(self) -> bool:
        """A 重層的支援会議: cases only with consent (the handout's consent gate)."""
        return self.meeting_type in CONSENT_REQUIRED_TYPES

    @property
    def is_support_conference(self) -> bool:
        """A statutory 支援会議: the handout carries the confidentiality notice."""
        return self.meeting_type == SUPPORT_CONFERENCE

    @property
    def time_text(self) -> str:
        """「14:00〜15:30」, 「14:00〜」 or ""."""
        if not self.start_time:
            return ""
        return f"{self.start_time}〜{self.end_time}"

    def shows(self, field_name: str) -> bool:
        """Is this field chosen to be shown in full on this meeting's handout?"""
        return field_name in self.disclosures


@dataclass(frozen=True)
class CaseHistory:
    """One conference a household was discussed at, as its timeline and case file show it."""

    case_id: str
    conference_id: str
    meeting_type: str
    type_label: str
    title: str
    held_on: date
    place: str
    question: str
    support_policy: str
    lead_agency: str
    roles: tuple[RoleAssignment, ...]
    next_review_on: date | None
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class MemberDraft:
    """A member as an editor holds it; ``id`` is None for one added in this edit."""

    name: str
    organisation: str = ""
    acknowledged_on: date | str | None = None  # the day the duty of confidentiality was confirmed
    id: str | None = None


@dataclass(frozen=True)
class CaseDraft:
    """A case as an editor holds it: the household, the question and what was decided.
    ``id`` is None for a case of a conference not recorded yet (cases are fixed afterwards)."""

    household_id: str
    question: str = ""
    support_policy: str = ""
    lead_agency: str = ""
    roles: tuple = ()  # RoleAssignment, (agency, role) or {"agency", "role"}
    next_review_on: date | str | None = None
    id: str | None = None
    case_id: str | None = None  # the 支援ケース, when the case came from one
    person_id: str | None = None  # the 本人 whose consent counts (None: ``principal`` chooses)


@dataclass(frozen=True)
class ConferenceDraft:
    """The whole conference as an editor holds it, saved at once by ``save_conference``.
    Stored members and cases missing from ``members`` and ``cases`` are removed."""

    meeting_type: str
    held_on: date | str | None
    legal_basis: str = ""  # "" for the default of a 支援会議 (and for other types)
    title: str = ""
    start_time: str = ""
    end_time: str = ""
    place: str = ""
    convenor: str = ""
    agenda: str = ""
    minutes: str = ""
    disclosures: tuple[str, ...] = ()
    members: tuple[MemberDraft, ...] = ()
    cases: tuple[CaseDraft, ...] = ()
    topic: str | None = None  # None: as stored (an editor that does not show it keeps it)
    body: str | None = None


# ---- input ------------------------------------------------------------------------------

def type_code(value: str | None) -> str:
    """A conference type code from its code or its Japanese name."""
    text = clean(value)
    if text.lower() in CONFERENCE_TYPES:
        return text.lower()
    for code, label in CONFERENCE_TYPES.items():
        if text == label:
            return code
    raise InvalidInput(f"会議の種類「{text}」は分かりません。次のいずれかを指定してください："
                       f"{'、'.join(f'{c}（{label}）' for c, label in CONFERENCE_TYPES.items())}")


def _folded_basis(text: str) -> str:
    return clean(text).replace("第", "").replace(" ", "").replace("　", "")


def legal_basis_code(meeting_type: str, value: str | None) -> str:
    """The legal basis of a 支援会議 (default 社会福祉法第106条の6); other types have none."""
    text = clean(value)
    if meeting_type != SUPPORT_CONFERENCE:
        if text:
            raise InvalidInput(f"根拠法は支援会議のときだけ指定します（{CONFERENCE_TYPES[meeting_type]}には指定できません）。")
        return ""
    if not text:
        return DEFAULT_LEGAL_BASIS
    if text.lower() in LEGAL_BASES:
        return text.lower()
    for code, label in LEGAL_BASES.items():
        if _folded_basis(text) == _folded_basis(label):
            return code
    raise InvalidInput(f"支援会議の根拠法「{text}」は分かりません。次のいずれかを指定してください："
                       f"{'、'.join(f'{c}（{label}）' for c, label in LEGAL_BASES.items())}")


def parse_member_text(text: str) -> dict:
    """「氏名/所属」 (the slash may be full width) into a member's fields."""
    name, _, organisation = clean(text).replace("／", "/").partition("/")
    return {"name": name, "organisation": organisation}


def _time(value: str | None, label: str) -> str:
    text = clean(value)
    if not text:
        return ""
    try:
        return datetime.strptime(text, "%H:%M").strftime("%H:%M")
    except ValueError:
        raise InvalidInput(f"{label}は 14:30 のように入力してください。") from None


def _not_future(day: date | None, label: str, today: date) -> date | None:
    if day is not None and day > today:
        raise InvalidInput(f"{label}が未来の日付になっています。今日までの日付を入力してください。")
    return day


def _member_values(item, today: date) -> dict:
    if isinstance(item, str):
        data = parse_member_text(item)
    elif isinstance(item, Mapping):
        data = dict(item)
        if "acknowledged_on" in data:
            data["confidentiality_acknowledged_on"] = data.pop("acknowledged_on")
    else:
        parts = list(item)
        data = {"name": parts[0], "organisation": parts[1] if len(parts) > 1 else ""}
        if len(parts) > 2:
            data["confidentiality_acknowledged_on"] = parts[2]
    unknown = set(data) - MEMBER_FIELDS
    if unknown:
        raise InvalidInput(f"構成員には次の項目はありません：{'、'.join(sorted(unknown))}")
    return {"name": required_text(data.get("name"), "構成員の氏名", 100),
            "organisation": optional_text(data.get("organisation"), "構成員の所属", 200),
            "confidentiality_acknowledged_on": _not_future(
                parse_date(data.get("confidentiality_acknowledged_on"), "守秘義務を確認した日"), "守秘義務を確認した日",
                today)}


def _members(items: Iterable, today: date) -> list[dict]:
    rows = [_member_values(item, today) for item in items or []]
    if not rows:
        raise InvalidInput("構成員（出席者）を1人以上入力してください。")
    if len(rows) > MAX_MEMBERS:
        raise InvalidInput(f"構成員は{MAX_MEMBERS}人までにしてください。")
    seen = set()
    for row in rows:
        key = (row["name"], row["organisation"])
        if key in seen:
            raise InvalidInput(f"構成員「{row['name']}」（{row['organisation'] or '所属なし'}）が2回入力されています。"
                               "1回だけにしてください。")
        seen.add(key)
    return rows


def _case_item(item) -> tuple[str, str]:
    if isinstance(item, str):
        return clean(item), ""
    if isinstance(item, Mapping):
        return clean(item.get("household_id")), optional_text(item.get("question"), "会議で検討したいこと", 4000)
    household_id, question = (list(item) + [""])[:2]
    return clean(household_id), optional_text(question, "会議で検討したいこと", 4000)


def _case_extra(item) -> dict:
    """A case given as a dict may name its 支援ケース (case_id) and its 本人 (person_id)."""
    if not isinstance(item, Mapping):
        return {}
    return {key: clean(item.get(key)) or None for key in ("case_id", "person_id") if item.get(key)}


def _cases(items: Iterable, meeting_type: str, topic: str = "") -> list[tuple[str, str]]:
    rows = [_case_item(item) for item in items or []]
    if any(not household_id for household_id, _ in rows):
        raise InvalidInput("ケースの世帯が選ばれていません。会議で取り上げる世帯を選んでください。")
    if not rows and meeting_type != COMMUNITY_CARE and not (topic and meeting_type in TOPIC_TYPES):
        raise InvalidInput(NO_CASES)
    if len(rows) > MAX_CASES:
        raise InvalidInput(f"1回の会議で取り上げる世帯は{MAX_CASES}件までにしてください。")
    ids = [household_id for household_id, _ in rows]
    if len(set(ids)) != len(ids):
        raise InvalidInput("同じ世帯が2回選ばれています。1つの世帯は1回だけ選んでください。")
    return rows


def _require_households(store: Store, household_ids: Sequence[str]) -> None:
    with store.read() as s:
        alive = set(s.execute(sa.select(Household.id).where(
            Household.id.in_(list(household_ids)), Household.deleted_at.is_(None))).scalars())
    for household_id in household_ids:
        if household_id not in alive:
            raise NotFound(f"会議で取り上げる世帯（ID {household_id}）が見つかりません。世帯の一覧から選び直してください。")


def _held_on(value, today: date, *, check_range: bool = True) -> date:
    held_on = parse_date(value, "会議の日")
    if held_on is None:
        raise InvalidInput("会議の日を入力してください。")
    return _held_on_in_range(held_on, today) if check_range else held_on


def _held_on_in_range(held_on: date, today: date) -> date:
    """A meeting more than a year back or ahead is most likely a typing mistake."""
    if held_on < today - timedelta(days=MAX_DAYS_PAST):
        raise InvalidInput(f"会議の日（{format_wareki(held_on)}）が1年以上前になっています。日付を確かめてください。")
    if held_on > today + timedelta(days=MAX_DAYS_AHEAD):
        raise InvalidInput(f"会議の日（{format_wareki(held_on)}）が1年以上先になっています。日付を確かめてください。")
    return held_on


def _conference_values(fields: Mapping, today: date, *, check_range: bool = True) -> dict:
    """Validated conference fields (a field not given is empty). ``check_range=False`` leaves
    the date's range to the caller (an edited conference keeps its date however old it is)."""
    meeting_type = type_code(fields.get("meeting_type"))
    values: dict = {"meeting_type": meeting_type,
                    "legal_basis": legal_basis_code(meeting_type, fields.get("legal_basis")),
                    "held_on": _held_on(fields.get("held_on"), today, check_range=check_range)}
    for key, label, limit in (("title", "会議の名前", 200), ("place", "場所", 200), ("convenor", "主催・招集者", 200),
                              ("agenda", "議題", 4000), ("minutes", "議事録", 20000), ("topic", "検討するテーマ", 4000),
                              ("body", "会議体の名前", 200)):
        values[key] = optional_text(fields.get(key), label, limit)
    if values["topic"] and meeting_type not in TOPIC_TYPES:
        raise InvalidInput(f"検討するテーマ（世帯を取り上げない検討）は、支援会議か地域ケア会議のときだけ入力できます"
                           f"（{CONFERENCE_TYPES[meeting_type]}には入力できません）。")
    for key, label in (("start_time", "開始時刻"), ("end_time", "終了時刻")):
        values[key] = _time(fields.get(key), label)
    start, end = values["start_time"], values["end_time"]
    if end and not start:
        raise InvalidInput("終了時刻だけでなく、開始時刻も入力してください。")
    if start and end and end <= start:
        raise InvalidInput("終了時刻が開始時刻より前になっています。時刻を確かめてください。")
    return values


def _roles(value) -> list[dict]:
    roles = []
    for item in value or []:
        if isinstance(item, RoleAssignment):
            agency, role = item.agency, item.role
        elif isinstance(item, Mapping):
            agency, role = item.get("agency"), item.get("role")
        else:
            agency, role = (list(item) + [""])[:2]
        roles.append({"agency": required_text(agency, "役割分担の機関名", 200),
                      "role": required_text(role, "役割分担の内容", 1000)})
    if len(roles) > MAX_ROLES:
        raise InvalidInput(f"役割分担は{MAX_ROLES}件までにしてください。")
    return roles


def _case_fields(case: CaseDraft) -> dict:
    """A case's validated question and decisions; its review date is checked against the
    meeting's date by the caller."""
    values = {key: optional_text(getattr(case, key), label, limit)
              for key, label, limit in (("question", "会議で検討したいこと", 4000), ("support_policy", "支援方針", 8000),
                                        ("lead_agency", "主担当の機関", 200))}
    values["roles"] = _roles(case.roles)
    values["next_review_on"] = parse_date(case.next_review_on, "次回の見直し日")
    return values


def _review_after(review: date | None, held_on: date, label: str = "") -> None:
    if review is not None and review < held_on:
        raise InvalidInput(f"{label}次回の見直し日が会議の日より前になっています。日付を確かめてください。")


# ---- writing ----------------------------------------------------------------------------

def _manage(store: Store) -> None:
    require(manages_conferences(store.actor.role), NO_RIGHT)


def add_conference(store: Store, meeting_type: str, held_on: date | str, *, members: Iterable,
                   cases: Iterable = (), legal_basis: str | None = None, title: str = "", place: str = "",
                   convenor: str = "", agenda: str = "", start_time: str = "", end_time: str = "",
                   topic: str = "", body: str = "", today: date | None = None) -> str:
    """Record a conference with its members and cases; returns its id.

    ``members``: 「氏名/所属」 strings, (name, organisation[, acknowledged_on]) tuples or dicts
    with name, organisation, confidentiality_acknowledged_on. ``cases``: household ids,
    (household_id, question) tuples or dicts with household_id and question (and optionally
    case_id, the 支援ケース, and person_id, the 本人). A 支援会議 without a legal basis is held
    under 社会福祉法第106条の6; with a ``topic`` it may have no household (地域資源の検討).
    ``body``: an existing body held as this meeting."""
    _manage(store)
    today = today or clock.today()
    values = _conference_values({"meeting_type": meeting_type, "legal_basis": legal_basis, "held_on": held_on,
                                 "title": title, "place": place, "convenor": convenor, "agenda": agenda,
                                 "start_time": start_time, "end_time": end_time, "topic": topic, "body": body}, today)
    member_rows = _members(members, today)
    items = list(cases or [])
    case_rows = _cases(items, values["meeting_type"], values["topic"])
    _require_households(store, [household_id for household_id, _ in case_rows])
    with store.write() as w:
        fields = []
        for item, (household_id, question) in zip(items, case_rows):
            extra = _case_extra(item)
            if extra.get("person_id"):
                _require_member_of(w, extra["person_id"], household_id)
            if extra.get("case_id"):
                _require_case_of(w, extra["case_id"], household_id)
            fields.append((household_id, {"question": question, **extra}))
        return insert_conference(w, values, member_rows, fields)


def insert_conference(w, values: dict, members: Sequence[dict], cases: Sequence[tuple[str, dict]],
                      disclosures: Sequence[str] = ()) -> str:
    """Within a write: a conference with its members and cases (validated values; a case is
    its household id and fields). Returns the conference id."""
    conference_id = w.insert(Conference, {"minutes": "", **values, "disclosures": list(disclosures)})
    if disclosures:
        w.audit("conference.disclosure", "conference", conference_id, {"before": [], "after": list(disclosures)})
    for order, member in enumerate(members):
        w.insert(ConferenceMember, {"conference_id": conference_id, "sort_order": order, **member})
    for order, (household_id, fields) in enumerate(cases):
        w.require_alive(Household, household_id, HOUSEHOLD_GONE)
        w.insert(ConferenceCase, {"conference_id": conference_id, "household_id": household_id,
                                  "sort_order": order, "case_id": open_case_of(w, household_id, values["held_on"]),
                                  **fields})
    return conference_id


def open_case_of(w, household_id: str, on: date | None = None) -> str | None:
    """Within a write: the household's open 支援ケース, the one a meeting discusses when none is
    named (opened by the meeting day ``on``; the newest if, unusually, there are several)."""
    q = sa.select(SupportCase.id).where(
        SupportCase.household_id == household_id, SupportCase.status != "終結", SupportCase.deleted_at.is_(None))
    if on is not None:
        q = q.where(SupportCase.opened_on <= on)
    return w.conn.execute(q.order_by(SupportCase.opened_on.desc(), SupportCase.created_at.desc()).limit(1)).scalar()


# ---- cases added to and removed from a recorded conference (issue 18) --------------------------

NOT_IN_MEETING = "指定されたケースはこの会議で取り上げられていません。会議のケースの一覧を確かめてください。"


def _require_member_of(w, person_id: str, household_id: str) -> None:
    row = w.conn.execute(sa.select(Person.household_id, Person.deleted_at).where(Person.id == person_id)).first()
    if row is None or row.deleted_at is not None or row.household_id != household_id:
        raise InvalidInput("本人として選んだ方が、このケースの世帯の世帯員ではありません。世帯員から選び直してください。")


def _require_case_of(w, case_id: str, household_id: str) -> dict:
    row = w.conn.execute(sa.select(SupportCase.__table__).where(SupportCase.id == case_id)).mappings().first()
    if row is None or row["deleted_at"] is not None:
        raise NotFound("指定された支援ケースが見つかりません。ケースの一覧から選び直してください。")
    if household_id and row["household_id"] != household_id:
        raise InvalidInput("支援ケースの世帯と、会議で取り上げる世帯が違います。選び直してください。")
    return dict(row)


def _drop_case(w, case: dict) -> None:
    """Within a write: a case leaves the conference with its per-case seats; the 受付表 request
    it came from waits for a meeting again."""
    for seat in w.conn.execute(sa.select(ConferenceCaseMember.id).where(
            ConferenceCaseMember.conference_case_id == case["id"], ConferenceCaseMember.deleted_at.is_(None))).scalars():
        w.delete(ConferenceCaseMember, seat)
    w.delete(ConferenceCase, case["id"])
    if case.get("request_id"):
        request = w.conn.execute(sa.select(MeetingRequest.conference_id, MeetingRequest.deleted_at)
                                 .where(MeetingRequest.id == case["request_id"])).first()
        if request is not None and request.deleted_at is None and request.conference_id == case["conference_id"]:
            w.update(MeetingRequest, case["request_id"], {"conference_id": None})


def seat_members(w, conference_id: str, conference_case_id: str, household_id: str, member_ids: Iterable[str] = (),
                  members: Iterable = (), today: date | None = None) -> list[str]:
    """Within a write: the members who sit for one case — ids of the conference's members, or
    「氏名/所属」 entries matched to its members by name and organisation (a new one is added to
    the conference, e.g. a district's 民生委員 for that district's case). Replaces the case's seats;
    none given: every member sits (no rows)."""
    stored = {r["id"]: r for r in w.conn.execute(sa.select(ConferenceMember.__table__).where(
        ConferenceMember.conference_id == conference_id, ConferenceMember.deleted_at.is_(None))).mappings()}
    wanted: list[str] = []
    for member_id in member_ids or ():
        if member_id not in stored:
            raise NotFound(MEMBER_GONE)
        wanted.append(member_id)
    by_name = {(fold(r["name"]), fold(r["organisation"])): r["id"] for r in stored.values()}
    order = max((r["sort_order"] for r in stored.values()), default=-1) + 1
    for item in members or ():
        values = _member_values(item, today or clock.today())
        key = (fold(values["name"]), fold(values["organisation"]))
        if key not in by_name:
            if len(stored) + 1 > MAX_MEMBERS:
                raise InvalidInput(f"構成員は{MAX_MEMBERS}人までにしてください。")
            by_name[key] = w.insert(ConferenceMember, {"conference_id": conference_id, "sort_order": order, **values})
            stored[by_name[key]] = values
            order += 1
        wanted.append(by_name[key])
    wanted = list(dict.fromkeys(wanted))
    current = {r.member_id: r.id for r in w.conn.execute(sa.select(ConferenceCaseMember.id, ConferenceCaseMember.member_id)
                                                         .where(ConferenceCaseMember.conference_case_id == conference_case_id,
                                                                ConferenceCaseMember.deleted_at.is_(None)))}
    for member_id, seat in current.items():
        if member_id not in wanted:
            w.delete(ConferenceCaseMember, seat)
    for member_id in wanted:
        if member_id not in current:
            w.insert(ConferenceCaseMember, {"conference_id": conference_id, "conference_case_id": conference_case_id,
                                            "member_id": member_id, "household_id": household_id})
    return wanted


def add_case_in(w, conference_id: str, *, case_id: str | None = None, request_id: str | None = None,
                household_id: str | None = None, question: str | None = None, person_id: str | None = None,
                member_ids: Iterable[str] = (), members: Iterable = (), today: date | None = None) -> str:
    """Within a write (rights checked by the caller): ``add_case``."""
    conference = w.require_alive(Conference, conference_id, GONE)
    request = None
    if request_id:
        request = w.conn.execute(sa.select(MeetingRequest.__table__).where(MeetingRequest.id == request_id)
                                 ).mappings().first()
        if request is None or request["deleted_at"] is not None:
            raise NotFound("指定された検討依頼（受付表）が見つかりません。一覧を更新してください。")
        if request["withdrawn_on"] is not None:
            raise InvalidInput("この検討依頼は取り下げられています。会議に入れるには、依頼を出し直してください。")
        if request["conference_id"] is not None:
            raise InvalidInput("この検討依頼は、すでに別の会議に入っています。")
        if request["meeting_type"] != conference["meeting_type"]:
            raise InvalidInput(f"この検討依頼は{CONFERENCE_TYPES.get(request['meeting_type'], '')}への依頼です。"
                               f"{CONFERENCE_TYPES.get(conference['meeting_type'], '')}には入れられません。")
        if conference["held_on"] < request["requested_on"]:
            raise InvalidInput(f"この会議（{format_wareki(conference['held_on'])}）は、依頼の日"
                               f"（{format_wareki(request['requested_on'])}）より前に開かれています。"
                               "依頼の日より後の会議に入れてください。")
        if case_id and case_id != request["case_id"]:
            raise InvalidInput("検討依頼のケースと、指定されたケースが違います。どちらか一方を指定してください。")
        case_id = request["case_id"]
    if case_id:
        case = _require_case_of(w, case_id, household_id or "")
        household_id = case["household_id"]
    elif household_id:
        case_id = open_case_of(w, household_id, conference["held_on"])
    if not household_id:
        raise InvalidInput("会議に加えるケース（支援ケースか検討依頼）を指定してください。")
    w.require_alive(Household, household_id, HOUSEHOLD_GONE)
    alive = w.conn.execute(sa.select(ConferenceCase.household_id, ConferenceCase.sort_order).where(
        ConferenceCase.conference_id == conference_id, ConferenceCase.deleted_at.is_(None))).all()
    if any(row.household_id == household_id for row in alive):
        raise InvalidInput(f"この世帯（{household_code(household_id)}）のケースは、すでにこの会議で取り上げられています。"
                           "同じケースは1回だけ加えてください。")
    if len(alive) >= MAX_CASES:
        raise InvalidInput(f"1回の会議で取り上げる世帯は{MAX_CASES}件までにしてください。")
    person_id = person_id or (request["person_id"] if request else None)
    if person_id:
        _require_member_of(w, person_id, household_id)
    text = optional_text(question if question is not None else (request["question"] if request else ""),
                         "会議で検討したいこと", 4000)
    conference_case_id = w.insert(ConferenceCase, {
        "conference_id": conference_id, "household_id": household_id, "question": text, "case_id": case_id,
        "person_id": person_id, "request_id": request_id,
        "sort_order": max((row.sort_order for row in alive), default=-1) + 1})
    if request is not None:
        w.update(MeetingRequest, request_id, {"conference_id": conference_id})
    if member_ids or members:
        seat_members(w, conference_id, conference_case_id, household_id, member_ids, members, today)
    return conference_case_id


def add_case(store: Store, conference_id: str, *, case_id: str | None = None, request_id: str | None = None,
             household_id: str | None = None, question: str | None = None, person_id: str | None = None,
             member_ids: Iterable[str] = (), members: Iterable = (), today: date | None = None) -> str:
    """Add a case to a recorded conference; returns the conference-case id.

    The case is a 受付表 request (``request_id``: its case, question and 本人; the request is
    marked taken), a 支援ケース (``case_id``) or a household (``household_id``). ``member_ids``
    (the conference's members) or ``members`` (「氏名/所属」, matched by name and organisation, a
    new one added to the conference) sit for this case only; none: every member. Refused with
    nothing written: a household already in the meeting, a request withdrawn, taken, of another
    meeting type or made after the meeting took place."""
    _manage(store)
    today = today or clock.today()
    with store.write() as w:
        return add_case_in(w, conference_id, case_id=case_id, request_id=request_id, household_id=household_id,
                           question=question, person_id=person_id, member_ids=list(member_ids or ()),
                           members=list(members or ()), today=today)


def collect_requests(store: Store, conference_id: str, *, today: date | None = None) -> list[str]:
    """A meeting collects the requests that came in until its date: every 受付表 request of its
    type, waiting, requested on or before the meeting day, is added (oldest first) in one
    transaction. A request whose household is already on the agenda stays waiting. Returns the
    new conference-case ids."""
    _manage(store)
    today = today or clock.today()
    with store.write() as w:
        conference = w.require_alive(Conference, conference_id, GONE)
        on_agenda = set(w.conn.execute(sa.select(ConferenceCase.household_id).where(
            ConferenceCase.conference_id == conference_id, ConferenceCase.deleted_at.is_(None))).scalars())
        waiting = w.conn.execute(sa.select(MeetingRequest.id, MeetingRequest.household_id)
                                 .join(Household, Household.id == MeetingRequest.household_id)
                                 .where(MeetingRequest.meeting_type == conference["meeting_type"],
                                        MeetingRequest.conference_id.is_(None), MeetingRequest.withdrawn_on.is_(None),
                                        MeetingRequest.deleted_at.is_(None), Household.deleted_at.is_(None),
                                        MeetingRequest.requested_on <= conference["held_on"])
                                 .order_by(MeetingRequest.requested_on, MeetingRequest.created_at)).all()
        added = []
        for request_id, household_id in waiting:
            if household_id in on_agenda:
                continue
            added.append(add_case_in(w, conference_id, request_id=request_id, today=today))
            on_agenda.add(household_id)
        return added


def _find_case(w, conference_id: str, case_ref: str) -> dict:
    """A live case of the conference by its conference-case id, 支援ケース id or household id."""
    row = w.conn.execute(sa.select(ConferenceCase.__table__).where(
        ConferenceCase.conference_id == conference_id, ConferenceCase.deleted_at.is_(None),
        sa.or_(ConferenceCase.id == case_ref, ConferenceCase.case_id == case_ref,
               ConferenceCase.household_id == case_ref))).mappings().first()
    if row is None:
        raise InvalidInput(NOT_IN_MEETING)
    return dict(row)


def remove_case(store: Store, conference_id: str, case_ref: str) -> None:
    """Take a case off a recorded conference (by conference-case id, 支援ケース id or household id);
    its seats go and its 受付表 request waits for a meeting again. A case not in the meeting is
    refused with nothing changed."""
    _manage(store)
    with store.write() as w:
        w.require_alive(Conference, conference_id, GONE)
        _drop_case(w, _find_case(w, conference_id, clean(case_ref)))


def set_case_members(store: Store, conference_id: str, case_ref: str, member_ids: Iterable[str] = (),
                     members: Iterable = (), today: date | None = None) -> list[str]:
    """Who sits for one case (see ``add_case``); empty: every member again. Returns the member ids."""
    _manage(store)
    with store.write() as w:
        w.require_alive(Conference, conference_id, GONE)
        case = _find_case(w, conference_id, clean(case_ref))
        return seat_members(w, conference_id, case["id"], case["household_id"], list(member_ids or ()),
                             list(members or ()), today)


def _disclosure_keys(fields: Iterable[str]) -> list[str]:
    chosen = []
    for field_name in fields or []:
        key = clean(field_name)
        if key not in DISCLOSABLE_FIELDS:
            labels = "、".join(f"{k}（{v}）" for k, v in DISCLOSABLE_FIELDS.items())
            raise InvalidInput(f"資料に全部載せる項目「{key}」は選べません。次の中から選んでください：{labels}")
        if key not in chosen:
            chosen.append(key)
    return [k for k in DISCLOSABLE_FIELDS if k in chosen]


@dataclass(frozen=True)
class _Plan:
    """A validated draft: what ``save_conference`` writes."""

    values: dict  # conference fields, minutes included
    members: list[tuple[str | None, dict]]  # (stored id or None, fields) in order
    cases: list[tuple[CaseDraft, dict]]  # (the draft, its validated fields) in order
    disclosures: list[str]


def _plan(draft: ConferenceDraft, today: date) -> _Plan:
    """Everything about a draft that can be checked without the stored conference."""
    values = _conference_values(
        {"meeting_type": draft.meeting_type, "legal_basis": draft.legal_basis or None, "held_on": draft.held_on,
         "title": draft.title, "place": draft.place, "convenor": draft.convenor, "agenda": draft.agenda,
         "start_time": draft.start_time, "end_time": draft.end_time, "minutes": draft.minutes,
         "topic": draft.topic or "", "body": draft.body or ""},
        today, check_range=False)
    for key in ("topic", "body"):
        if getattr(draft, key) is None:
            values.pop(key)  # kept as stored (a new conference gets the column's default)
    member_rows = _members([{"name": m.name, "organisation": m.organisation,
                             "confidentiality_acknowledged_on": m.acknowledged_on} for m in draft.members], today)
    _cases([{"household_id": c.household_id, "question": c.question} for c in draft.cases], values["meeting_type"],
           values.get("topic", "") if draft.topic is not None else UNKNOWN_TOPIC)
    cases = []
    for number, c in enumerate(draft.cases, 1):
        try:
            fields = _case_fields(c)
        except InvalidInput as error:
            raise InvalidInput(f"{_case_label(number, c.household_id)}{error.message}") from None
        if c.person_id is not None:
            fields["person_id"] = c.person_id or None
        if c.id is None and c.case_id:
            fields["case_id"] = c.case_id
        cases.append((c, fields))
    return _Plan(values, [(m.id, row) for m, row in zip(draft.members, member_rows)], cases,
                 _disclosure_keys(draft.disclosures))


def _case_label(number: int, household_id: str) -> str:
    return f"ケース{number}（{household_code(household_id)}）："


def save_conference(store: Store, draft: ConferenceDraft, conference_id: str | None = None, *,
                    expected_version: str | None = None, today: date | None = None,
                    then: Callable[[object, str], None] | None = None) -> str:
    """Record a new conference or save an edited one as a whole, in one transaction: its
    fields and minutes, members (added, changed, removed), cases with their decisions
    (removed ones too; cases cannot be added once the conference is recorded) and the fields
    its handout shows in full. Returns the conference id.

    With ``expected_version`` (``ConferenceDetail.version`` as the editor loaded it) the save
    is refused when the conference, its members or its cases changed since (another window,
    another person, an imported bundle). ``then(w, conference_id)`` writes more in the same
    transaction (``meeting_agenda``: requests taken, seats). Any refusal writes nothing at all."""
    _manage(store)
    today = today or clock.today()
    plan = _plan(draft, today)
    with store.write() as w:
        if conference_id is None:
            if not plan.cases and plan.values["meeting_type"] != COMMUNITY_CARE and not plan.values.get("topic"):
                raise InvalidInput(NO_CASES)
            _held_on_in_range(plan.values["held_on"], today)
            for number, (case, fields) in enumerate(plan.cases, 1):
                _review_after(fields["next_review_on"], plan.values["held_on"], _case_label(number, case.household_id))
            conference_id = insert_conference(w, plan.values, [row for _, row in plan.members],
                                              [(case.household_id, fields) for case, fields in plan.cases],
                                              plan.disclosures)
        else:
            _apply_plan(w, conference_id, plan, expected_version, today)
        if then is not None:
            then(w, conference_id)
    return conference_id


def _rows_of(w, model, conference_id: str) -> dict[str, dict]:
    table = model.__table__
    return {r["id"]: dict(r) for r in w.session.execute(sa.select(table).where(
        table.c.conference_id == conference_id, table.c.deleted_at.is_(None))).mappings()}


def _apply_plan(w, conference_id: str, plan: _Plan, expected_version: str | None, today: date) -> None:
    """Within a write: an edited conference as a whole (see ``save_conference``)."""
    current = w.require_alive(Conference, conference_id, GONE)
    if expected_version is not None and _version(w.session, conference_id) != expected_version:
        raise InvalidInput(STALE)
    topic = plan.values.get("topic", current["topic"])
    if not plan.cases and plan.values["meeting_type"] != COMMUNITY_CARE and not topic:
        raise InvalidInput(NO_CASES)
    if topic and plan.values["meeting_type"] not in TOPIC_TYPES:
        raise InvalidInput("検討するテーマ（世帯を取り上げない検討）は、支援会議か地域ケア会議のときだけ入力できます。")
    held_on = plan.values["held_on"]
    if held_on != current["held_on"]:
        _held_on_in_range(held_on, today)
    if "disclosures" in w.update(Conference, conference_id, {**plan.values, "disclosures": plan.disclosures}):
        w.audit("conference.disclosure", "conference", conference_id,
                {"before": list(current["disclosures"] or []), "after": plan.disclosures})

    stored_members = _rows_of(w, ConferenceMember, conference_id)
    kept = set()
    for order, (member_id, values) in enumerate(plan.members):
        if member_id is None:
            w.insert(ConferenceMember, {"conference_id": conference_id, "sort_order": order, **values})
            continue
        if member_id not in stored_members:
            raise NotFound(MEMBER_GONE)
        w.update(ConferenceMember, member_id, {**values, "sort_order": order})
        kept.add(member_id)
    for member_id in stored_members.keys() - kept:
        w.delete(ConferenceMember, member_id)

    stored_cases = _rows_of(w, ConferenceCase, conference_id)
    kept = set()
    for number, (case, values) in enumerate(plan.cases, 1):
        if case.id is None:  # a case added to the recorded conference (issue 18)
            _review_after(values["next_review_on"], held_on, _case_label(number, case.household_id))
            w.require_alive(Household, case.household_id, HOUSEHOLD_GONE)
            if values.get("person_id"):
                _require_member_of(w, values["person_id"], case.household_id)
            w.insert(ConferenceCase, {"conference_id": conference_id, "household_id": case.household_id,
                                      "sort_order": number - 1,
                                      "case_id": open_case_of(w, case.household_id, held_on),
                                      **values})
            continue
        stored = stored_cases.get(case.id)
        if stored is None:
            raise NotFound(CASE_GONE)
        if stored["household_id"] != case.household_id:
            raise InvalidInput("ケースの世帯は変えられません。会議の画面を開き直してください。")
        if values["next_review_on"] != stored["next_review_on"] or held_on != current["held_on"]:
            _review_after(values["next_review_on"], held_on, _case_label(number, case.household_id))
        if values.get("person_id"):
            _require_member_of(w, values["person_id"], case.household_id)
        w.update(ConferenceCase, case.id, {**values, "sort_order": number - 1})
        kept.add(case.id)
    for case_id in stored_cases.keys() - kept:
        _drop_case(w, stored_cases[case_id])


def _conference(store: Store, conference_id: str) -> Conference:
    return live_row(store, Conference, conference_id, GONE)


# ---- reading ----------------------------------------------------------------------------

def _read(store: Store) -> None:
    require(manages_conferences(store.actor.role), NO_RIGHT)


def _version(session: Session, conference_id: str) -> str:
    """The change-log version of the conference with its members and cases (removed ones too)."""
    records = {Conference.__tablename__: [conference_id]}
    for model in (ConferenceMember, ConferenceCase, ConferenceCaseMember):
        records[model.__tablename__] = session.execute(
            sa.select(model.id).where(model.conference_id == conference_id)).scalars().all()
    return history_version(session, records)


def _role_tuple(roles) -> tuple[RoleAssignment, ...]:
    return tuple(RoleAssignment(r.get("agency", ""), r.get("role", "")) for r in roles or [])


def _member_info(m: ConferenceMember, appointed: dict | None = None) -> MemberInfo:
    appointment = appointment_for(appointed, m.name, m.organisation) if appointed else None
    return MemberInfo(m.id, m.conference_id, m.name, m.organisation, m.confidentiality_acknowledged_on, m.sort_order,
                      appointment.valid_to if appointment else None)


def _members_of(session: Session, conference_id: str) -> list[MemberInfo]:
    c = session.get(Conference, conference_id)
    appointed = appointments_for(session, c.meeting_type, c.held_on) if c is not None else {}
    return [_member_info(m, appointed) for m in session.execute(
        sa.select(ConferenceMember).where(ConferenceMember.conference_id == conference_id,
                                          ConferenceMember.deleted_at.is_(None))
        .order_by(ConferenceMember.sort_order, ConferenceMember.created_at)).scalars()]


def _cases_of(session: Session, conference_id: str) -> list[CaseInfo]:
    rows = session.execute(
        sa.select(ConferenceCase, Household.code, HouseholdSearch.head_name, Household.district_id, District.name)
        .join(Household, Household.id == ConferenceCase.household_id)
        .outerjoin(HouseholdSearch, HouseholdSearch.household_id == Household.id)
        .outerjoin(District, District.id == Household.district_id)
        .where(ConferenceCase.conference_id == conference_id, ConferenceCase.deleted_at.is_(None))
        .order_by(ConferenceCase.sort_order, ConferenceCase.created_at))
    seats: dict[str, list[str]] = {}
    for case_key, member_id, gone in session.execute(
            sa.select(ConferenceCaseMember.conference_case_id, ConferenceCaseMember.member_id,
                      ConferenceMember.deleted_at)
            .join(ConferenceMember, ConferenceMember.id == ConferenceCaseMember.member_id)
            .where(ConferenceCaseMember.conference_id == conference_id, ConferenceCaseMember.deleted_at.is_(None))
            .order_by(ConferenceMember.sort_order, ConferenceMember.created_at)):
        seated = seats.setdefault(case_key, [])
        if gone is None:
            seated.append(member_id)
    return [CaseInfo(c.id, c.conference_id, c.household_id, code, head or "", district_id, district or "", c.question,
                     c.sort_order, c.support_policy, c.lead_agency, _role_tuple(c.roles), c.next_review_on,
                     c.case_id, c.person_id, c.request_id, tuple(seats.get(c.id, ())), c.id in seats)
            for c, code, head, district_id, district in rows]


def get_conference(store: Store, conference_id: str, *, log: bool = True) -> ConferenceDetail:
    """One conference with its members, cases and outcome. Viewing is audited (conference.view)."""
    _read(store)
    with store.read() as s:
        c = s.get(Conference, conference_id) if conference_id else None
        if c is None or c.deleted_at is not None:
            raise NotFound(GONE)
        by = s.execute(sa.select(Staff.display_name).where(Staff.id == c.created_by)).scalar() if c.created_by else ""
        detail = ConferenceDetail(
            c.id, c.meeting_type, CONFERENCE_TYPES.get(c.meeting_type, c.meeting_type), c.legal_basis,
            LEGAL_BASES.get(c.legal_basis, c.legal_basis), c.title, c.held_on, c.start_time, c.end_time, c.place,
            c.convenor, c.agenda, c.minutes, tuple(c.disclosures or ()), tuple(_members_of(s, c.id)),
            tuple(_cases_of(s, c.id)), c.created_at, by or "", _version(s, c.id), c.topic or "", c.body or "")
    if log:
        log_view(store, "conference", conference_id)
    return detail


def list_conferences(store: Store, *, date_from: date | None = None, date_to: date | None = None,
                     meeting_type: str | None = None, household_id: str | None = None,
                     limit: int | None = 500) -> list[ConferenceRow]:
    """Newest first."""
    _read(store)
    cases = (sa.select(sa.func.count()).where(ConferenceCase.conference_id == Conference.id,
                                              ConferenceCase.deleted_at.is_(None)).correlate(Conference).scalar_subquery())
    alive_member = sa.and_(ConferenceMember.conference_id == Conference.id, ConferenceMember.deleted_at.is_(None))
    members = sa.select(sa.func.count()).where(alive_member).correlate(Conference).scalar_subquery()
    unacknowledged = (sa.select(sa.func.count()).where(alive_member,
                                                       ConferenceMember.confidentiality_acknowledged_on.is_(None))
                      .correlate(Conference).scalar_subquery())
    q = sa.select(Conference, cases, members, unacknowledged).where(Conference.deleted_at.is_(None))
    if date_from:
        q = q.where(Conference.held_on >= date_from)
    if date_to:
        q = q.where(Conference.held_on <= date_to)
    if meeting_type:
        q = q.where(Conference.meeting_type == type_code(meeting_type))
    if household_id:
        q = q.where(sa.exists(sa.select(1).where(ConferenceCase.conference_id == Conference.id,
                                                 ConferenceCase.household_id == household_id,
                                                 ConferenceCase.deleted_at.is_(None))))
    q = q.order_by(Conference.held_on.desc(), Conference.created_at.desc())
    if limit:
        q = q.limit(limit)
    with store.read() as s:
        rows = s.execute(q).all()
        appointed = _appointed_counts(s, [c for c, _, _, n_unack in rows if n_unack])
        return [ConferenceRow(c.id, c.meeting_type, CONFERENCE_TYPES.get(c.meeting_type, c.meeting_type), c.legal_basis,
                              LEGAL_BASES.get(c.legal_basis, c.legal_basis), c.title, c.held_on, c.place, c.convenor,
                              n_cases, n_members, n_unack - appointed.get(c.id, 0))
                for c, n_cases, n_members, n_unack in rows]


def _appointed_counts(session: Session, meetings: Sequence[Conference]) -> dict[str, int]:
    """Per conference: members without an acknowledgement whose standing appointment (委嘱) covers it."""
    if not meetings or not session.execute(sa.select(Appointment.id).where(Appointment.deleted_at.is_(None))
                                           .limit(1)).first():
        return {}
    by_id = {c.id: c for c in meetings}
    counts: dict[str, int] = {}
    cache: dict[tuple[str, date], dict] = {}
    for conference_id, name, organisation in session.execute(
            sa.select(ConferenceMember.conference_id, ConferenceMember.name, ConferenceMember.organisation).where(
                ConferenceMember.conference_id.in_(list(by_id)), ConferenceMember.deleted_at.is_(None),
                ConferenceMember.confidentiality_acknowledged_on.is_(None))):
        c = by_id[conference_id]
        key = (c.meeting_type, c.held_on)
        if key not in cache:
            cache[key] = appointments_for(session, *key)
        if appointment_for(cache[key], name, organisation):
            counts[conference_id] = counts.get(conference_id, 0) + 1
    return counts


def case_history(session: Session, household_id: str) -> list[CaseHistory]:
    """Within a read, no rights checked: the conferences a household was discussed at, newest first."""
    rows = session.execute(
        sa.select(ConferenceCase, Conference, Staff.display_name)
        .join(Conference, Conference.id == ConferenceCase.conference_id)
        .outerjoin(Staff, Staff.id == Conference.created_by)
        .where(ConferenceCase.household_id == household_id, ConferenceCase.deleted_at.is_(None),
               Conference.deleted_at.is_(None))
        .order_by(Conference.held_on.desc(), Conference.created_at.desc()))
    return [CaseHistory(case.id, c.id, c.meeting_type, CONFERENCE_TYPES.get(c.meeting_type, c.meeting_type), c.title,
                        c.held_on, c.place, case.question, case.support_policy, case.lead_agency,
                        _role_tuple(case.roles), case.next_review_on, by or "", case.created_at)
            for case, c, by in rows]


def household_conferences(store: Store, household_id: str) -> list[CaseHistory]:
    """The conferences a household was discussed at, newest first, with what was decided
    (for whoever may see the household; the handout's 「現在の支援方針」 is the newest before
    the meeting)."""
    require_household(store, household_id)
    with store.read() as s:
        return case_history(s, household_id)


def _alive_conference(session: Session, conference_id: str) -> Conference:
    c = session.get(Conference, conference_id) if conference_id else None
    if c is None or c.deleted_at is not None:
        raise NotFound(GONE)
    return c


def unacknowledged_members(store: Store, conference_id: str) -> list[MemberInfo]:
    """Members with no recorded confidentiality acknowledgement: warned about before printing."""
    _read(store)
    _conference(store, conference_id)
    with store.read() as s:
        return [m for m in _members_of(s, conference_id) if not m.acknowledged]
