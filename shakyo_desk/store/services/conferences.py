"""Case conferences (会議): 支援会議, 重層的支援会議, ケース検討会, 地域ケア会議.

A conference has members (one numbered handout copy each; a member without a recorded
confidentiality acknowledgement is warned about before printing: ``unacknowledged_members``)
and cases: households, each with the question put to the meeting and what was decided for it
(support policy, lead agency 主担当, roles per agency 役割分担, next review date). Decisions are
kept per case because a meeting of ten cases decides ten different things; the minutes belong
to the conference and are never used by handouts. ``disclosures`` names the fields a handout
shows in full for this meeting (minimised by default); changing it is audited as its own
action, ``conference.disclosure``.

Consent (DESIGN §6): a 重層的支援会議 discusses only cases whose persons consented.
``missing_consent`` names, for each case household, every member who is an adult (18 or over
on the meeting day; a person whose age is unknown counts as an adult, and a recorded band of
10歳未満 as a child) and holds no consent covering that meeting type on that day. Children are
left out: their guardians' consent is what is recorded. A 支援会議 needs no consent (its
members are bound by statute), nor do the internal ケース検討会 and the 地域ケア会議.

Coordinators and admins manage conferences and read them; staff see a household's conference
history on its timeline (``household_conferences``), never other households' cases or minutes.

Cases are fixed once the conference is recorded (they can be removed, not added): a case
added later could bring a conference to a district-limited laptop whose knowledge has passed
the conference's creation (see docs/sync-protocol.md, scope).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shakyo_desk.domain.errors import InvalidInput, NotFound
from shakyo_desk.domain.people import age_on
from shakyo_desk.domain.roles import manages_conferences
from shakyo_desk.domain.text import clean
from shakyo_desk.domain.vocab import (
    CONFERENCE_TYPES, CONSENT_REQUIRED_TYPES, DEFAULT_LEGAL_BASIS, DISCLOSABLE_FIELDS, LEGAL_BASES, SUPPORT_CONFERENCE,
)
from shakyo_desk.domain.wareki import format_wareki
from shakyo_desk.store.models import (
    Conference, ConferenceCase, ConferenceMember, District, Household, HouseholdSearch, Person, Staff,
)
from shakyo_desk.store.services._common import (
    NO_RIGHT, history_version, live_row, log_view, optional_text, parse_date, require, required_text,
)
from shakyo_desk.store.services.consent_records import consents_by_person
from shakyo_desk.store.services.consents import covers
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
MAX_DAYS_PAST = 365  # a meeting dated further back is most likely a typing mistake
MAX_DAYS_AHEAD = 365
ADULT_AGE = 18
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

    @property
    def acknowledged(self) -> bool:
        return self.confidentiality_acknowledged_on is not None

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
class MissingConsent:
    """A person a 重層的支援会議 may not discuss: no consent covering it on the meeting day.
    ``given_after``: the day of a consent for this type of meeting given after the meeting (it does
    not reach back), when there is one — the refusal then says so (``missing_consent_text``)."""

    person_id: str
    person_name: str
    household_id: str
    household_code: str
    head_name: str
    held_on: date | None = None
    given_after: date | None = None


def missing_consent_text(m: MissingConsent) -> str:
    """Why this person stops the handout, and what to do, in one or two sentences."""
    who = f"{m.person_name}さん（世帯番号 {m.household_code}）"
    if m.given_after is not None and m.held_on is not None:
        return (f"{who}の同意は{format_wareki(m.given_after)}付けで、会議の日（{format_wareki(m.held_on)}）より後の"
                "日付です。同意は会議の日までに得ている必要があるため、この会議では同意なしとして扱います。"
                "同意を得た日が違っていれば同意の記録の日付を、会議の日が違っていれば会議の日付を直してください。")
    return f"{who}の同意が記録されていません（撤回された同意は同意なしとして扱います）。"


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


def _cases(items: Iterable, meeting_type: str) -> list[tuple[str, str]]:
    rows = [_case_item(item) for item in items or []]
    if any(not household_id for household_id, _ in rows):
        raise InvalidInput("ケースの世帯が選ばれていません。会議で取り上げる世帯を選んでください。")
    if not rows and meeting_type != COMMUNITY_CARE:
        raise InvalidInput("会議で取り上げる世帯（ケース）を1つ以上選んでください。")
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
                              ("agenda", "議題", 4000), ("minutes", "議事録", 20000)):
        values[key] = optional_text(fields.get(key), label, limit)
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
                   today: date | None = None) -> str:
    """Record a conference with its members and cases; returns its id.

    ``members``: 「氏名/所属」 strings, (name, organisation[, acknowledged_on]) tuples or dicts
    with name, organisation, confidentiality_acknowledged_on. ``cases``: household ids,
    (household_id, question) tuples or dicts with household_id and question. A 支援会議
    without a legal basis is held under 社会福祉法第106条の6."""
    _manage(store)
    today = today or clock.today()
    values = _conference_values({"meeting_type": meeting_type, "legal_basis": legal_basis, "held_on": held_on,
                                 "title": title, "place": place, "convenor": convenor, "agenda": agenda,
                                 "start_time": start_time, "end_time": end_time}, today)
    member_rows = _members(members, today)
    case_rows = _cases(cases, values["meeting_type"])
    _require_households(store, [household_id for household_id, _ in case_rows])
    with store.write() as w:
        return insert_conference(w, values, member_rows,
                                 [(household_id, {"question": question}) for household_id, question in case_rows])


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
                                  "sort_order": order, **fields})
    return conference_id


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
         "start_time": draft.start_time, "end_time": draft.end_time, "minutes": draft.minutes},
        today, check_range=False)
    member_rows = _members([{"name": m.name, "organisation": m.organisation,
                             "confidentiality_acknowledged_on": m.acknowledged_on} for m in draft.members], today)
    _cases([{"household_id": c.household_id, "question": c.question} for c in draft.cases], values["meeting_type"])
    cases = []
    for number, c in enumerate(draft.cases, 1):
        try:
            fields = _case_fields(c)
        except InvalidInput as error:
            raise InvalidInput(f"{_case_label(number, c.household_id)}{error.message}") from None
        cases.append((c, fields))
    return _Plan(values, [(m.id, row) for m, row in zip(draft.members, member_rows)], cases,
                 _disclosure_keys(draft.disclosures))


def _case_label(number: int, household_id: str) -> str:
    return f"ケース{number}（{household_code(household_id)}）："


def save_conference(store: Store, draft: ConferenceDraft, conference_id: str | None = None, *,
                    expected_version: str | None = None, today: date | None = None) -> str:
    """Record a new conference or save an edited one as a whole, in one transaction: its
    fields and minutes, members (added, changed, removed), cases with their decisions
    (removed ones too; cases cannot be added once the conference is recorded) and the fields
    its handout shows in full. Returns the conference id.

    With ``expected_version`` (``ConferenceDetail.version`` as the editor loaded it) the save
    is refused when the conference, its members or its cases changed since (another window,
    another person, an imported bundle). Any refusal writes nothing at all."""
    _manage(store)
    today = today or clock.today()
    plan = _plan(draft, today)
    with store.write() as w:
        if conference_id is None:
            _held_on_in_range(plan.values["held_on"], today)
            for number, (case, fields) in enumerate(plan.cases, 1):
                _review_after(fields["next_review_on"], plan.values["held_on"], _case_label(number, case.household_id))
            return insert_conference(w, plan.values, [row for _, row in plan.members],
                                     [(case.household_id, fields) for case, fields in plan.cases], plan.disclosures)
        _apply_plan(w, conference_id, plan, expected_version, today)
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
        if case.id is None:
            raise InvalidInput("登録済みの会議には世帯（ケース）を追加できません。新しい会議として登録してください。")
        stored = stored_cases.get(case.id)
        if stored is None:
            raise NotFound(CASE_GONE)
        if stored["household_id"] != case.household_id:
            raise InvalidInput("ケースの世帯は変えられません。会議の画面を開き直してください。")
        if values["next_review_on"] != stored["next_review_on"] or held_on != current["held_on"]:
            _review_after(values["next_review_on"], held_on, _case_label(number, case.household_id))
        w.update(ConferenceCase, case.id, values)
        kept.add(case.id)
    for case_id in stored_cases.keys() - kept:
        w.delete(ConferenceCase, case_id)


def _conference(store: Store, conference_id: str) -> Conference:
    return live_row(store, Conference, conference_id, GONE)


# ---- reading ----------------------------------------------------------------------------

def _read(store: Store) -> None:
    require(manages_conferences(store.actor.role), NO_RIGHT)


def _version(session: Session, conference_id: str) -> str:
    """The change-log version of the conference with its members and cases (removed ones too)."""
    records = {Conference.__tablename__: [conference_id]}
    for model in (ConferenceMember, ConferenceCase):
        records[model.__tablename__] = session.execute(
            sa.select(model.id).where(model.conference_id == conference_id)).scalars().all()
    return history_version(session, records)


def _role_tuple(roles) -> tuple[RoleAssignment, ...]:
    return tuple(RoleAssignment(r.get("agency", ""), r.get("role", "")) for r in roles or [])


def _member_info(m: ConferenceMember) -> MemberInfo:
    return MemberInfo(m.id, m.conference_id, m.name, m.organisation, m.confidentiality_acknowledged_on, m.sort_order)


def _members_of(session: Session, conference_id: str) -> list[MemberInfo]:
    return [_member_info(m) for m in session.execute(
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
    return [CaseInfo(c.id, c.conference_id, c.household_id, code, head or "", district_id, district or "", c.question,
                     c.sort_order, c.support_policy, c.lead_agency, _role_tuple(c.roles), c.next_review_on)
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
            tuple(_cases_of(s, c.id)), c.created_at, by or "", _version(s, c.id))
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
        return [ConferenceRow(c.id, c.meeting_type, CONFERENCE_TYPES.get(c.meeting_type, c.meeting_type), c.legal_basis,
                              LEGAL_BASES.get(c.legal_basis, c.legal_basis), c.title, c.held_on, c.place, c.convenor,
                              n_cases, n_members, n_unack)
                for c, n_cases, n_members, n_unack in s.execute(q)]


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


def _is_adult(person: Person, on: date) -> bool:
    if person.birth_date is not None:
        return age_on(person.birth_date, on) >= ADULT_AGE
    return person.age_band != "10歳未満"


def missing_consent(store: Store, conference_id: str) -> list[MissingConsent]:
    """For a 重層的支援会議: the adult members of its case households without a consent covering
    it on the meeting day, in case order (empty for other types and when all consented)."""
    _read(store)
    with store.read() as s:
        c = s.get(Conference, conference_id) if conference_id else None
        if c is None or c.deleted_at is not None:
            raise NotFound(GONE)
        if c.meeting_type not in CONSENT_REQUIRED_TYPES:
            return []
        cases = _cases_of(s, conference_id)
        persons = s.execute(
            sa.select(Person).where(Person.household_id.in_([k.household_id for k in cases]),
                                    Person.deleted_at.is_(None))
            .order_by(Person.sort_order, Person.created_at)).scalars().all()
        consents = consents_by_person(s, [p.id for p in persons])
    missing = []
    for case in cases:
        for p in persons:
            if p.household_id != case.household_id or not _is_adult(p, c.held_on):
                continue
            given = consents.get(p.id, ())
            if not any(covers(k, c.meeting_type, c.held_on) for k in given):
                later = [k.given_on for k in given if c.meeting_type in k.meeting_types and k.given_on > c.held_on
                         and (k.withdrawn_on is None or k.withdrawn_on > k.given_on)]
                missing.append(MissingConsent(p.id, p.name, case.household_id, case.household_code, case.head_name,
                                              c.held_on, min(later) if later else None))
    return missing


def unacknowledged_members(store: Store, conference_id: str) -> list[MemberInfo]:
    """Members with no recorded confidentiality acknowledgement: warned about before printing."""
    _read(store)
    _conference(store, conference_id)
    with store.read() as s:
        return [m for m in _members_of(s, conference_id) if not m.acknowledged]
