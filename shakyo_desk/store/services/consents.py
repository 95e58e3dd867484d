"""本人同意: a person's consent to share information, per meeting type and agency.

A consent covers a meeting of type T held on day D when T is among its meeting types, it was
given on or before D, and it was not withdrawn on or before D (``covers``). A withdrawn
consent counts as none from its withdrawal day on; one given after a meeting does not reach
back to it. ``agencies`` keeps the names the person agreed to, as written on the consent
form (an empty list: not limited to named agencies); names rather than directory ids, so a
renamed or removed directory entry never changes what someone agreed to.

Staff record consent for the households they see; coordinators and admins for every
household; reporters not at all.
"""

from collections.abc import Iterable
from datetime import date

from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.domain.roles import Role, manages_conferences
from shakyo_desk.domain.text import clean
from shakyo_desk.domain.vocab import CONFERENCE_TYPES, CONSENT_METHODS
from shakyo_desk.store.models import Consent, Person
from shakyo_desk.store.services._common import NO_RIGHT, choice, live_row, optional_text, parse_date, require
from shakyo_desk.store.services.consent_records import ConsentInfo, consent_info, consent_query
from shakyo_desk.store.services.households import require_household
from shakyo_desk.store.store import Store
from shakyo_desk.domain import clock

GONE = "指定された同意の記録が見つかりません。一覧を更新してください。"
PERSON_GONE = "指定された世帯員が見つかりません。世帯の画面から選び直してください。"
ALL_SCOPES = "all"


def covers(consent: ConsentInfo, meeting_type: str, on_date: date) -> bool:
    """Does this consent allow a case to be discussed at a meeting of ``meeting_type`` on ``on_date``?"""
    return meeting_type in consent.meeting_types and consent.active_on(on_date)


def parse_scope(values: str | Iterable[str]) -> list[str]:
    """Meeting-type codes from what a person typed: codes or their Japanese names, several at
    once separated by commas (「,」「、」), or ``all`` for every type."""
    if isinstance(values, str):
        values = [values]
    by_label = {label: code for code, label in CONFERENCE_TYPES.items()}
    codes: list[str] = []
    for value in values:
        for part in clean(value).replace("、", ",").replace("，", ",").split(","):
            part = clean(part)
            if not part:
                continue
            if part.lower() == ALL_SCOPES or part == "すべて":
                codes.extend(CONFERENCE_TYPES)
            elif part.lower() in CONFERENCE_TYPES:
                codes.append(part.lower())
            elif part in by_label:
                codes.append(by_label[part])
            else:
                raise InvalidInput(f"同意の範囲「{part}」は分かりません。次のいずれかを指定してください："
                                   f"{'、'.join(f'{c}（{label}）' for c, label in CONFERENCE_TYPES.items())}、all（すべて）")
    if not codes:
        raise InvalidInput("どの会議での共有に同意したか（同意の範囲）を1つ以上選んでください。")
    return [c for c in CONFERENCE_TYPES if c in codes]  # the vocabulary's order, each once


def _agencies(values: Iterable[str] | None) -> list[str]:
    names: list[str] = []
    for value in values or []:
        name = optional_text(value, "共有先の関係機関", 200)
        if name and name not in names:
            names.append(name)
    if len(names) > 50:
        raise InvalidInput("共有先の関係機関は50件までにしてください。")
    return names


def _may_record(store: Store) -> None:
    require(store.actor.role != Role.REPORTER, NO_RIGHT)


def _person_household(store: Store, person_id: str) -> str:
    household_id = live_row(store, Person, person_id, PERSON_GONE).household_id
    require_household(store, household_id)  # this account sees the household
    return household_id


def add_consent(store: Store, person_id: str, meeting_types: str | Iterable[str], *,
                agencies: Iterable[str] | None = None, method: str = "書面", given_on: date | str | None = None,
                note: str = "", today: date | None = None) -> str:
    """Record a person's consent; returns its id. ``meeting_types``: codes, Japanese names or
    ``all`` (see ``parse_scope``)."""
    _may_record(store)
    today = today or clock.today()
    given_on = parse_date(given_on, "同意を得た日") or today
    if given_on > today:
        raise InvalidInput("同意を得た日が未来の日付になっています。今日までの日付を入力してください。")
    values = {
        "person_id": person_id,
        "given_on": given_on,
        "meeting_types": parse_scope(meeting_types),
        "agencies": _agencies(agencies),
        "method": choice(clean(method) or "書面", CONSENT_METHODS, "同意の方法"),
        "recorded_by": store.actor.staff_id,
        "note": optional_text(note, "メモ", 2000),
    }
    _person_household(store, person_id)
    with store.write() as w:
        w.require_alive(Person, person_id, PERSON_GONE)
        return w.insert(Consent, values)


def _consent_row(store: Store, consent_id: str) -> Consent:
    c = live_row(store, Consent, consent_id, GONE)
    _person_household(store, c.person_id)
    return c


def withdraw_consent(store: Store, consent_id: str, withdrawn_on: date | str | None = None, *,
                     today: date | None = None) -> None:
    """The person withdrew their consent on ``withdrawn_on`` (default today): from that day on
    it counts as none."""
    _may_record(store)
    today = today or clock.today()
    withdrawn_on = parse_date(withdrawn_on, "撤回の日") or today
    if withdrawn_on > today:
        raise InvalidInput("撤回の日が未来の日付になっています。今日までの日付を入力してください。")
    current = _consent_row(store, consent_id)
    if current.withdrawn_on is not None:
        raise InvalidInput("この同意はすでに撤回されています。")
    if withdrawn_on < current.given_on:
        raise InvalidInput("撤回の日が、同意を得た日より前になっています。日付を確かめてください。")
    with store.write() as w:
        w.require_alive(Consent, consent_id, GONE)
        w.update(Consent, consent_id, {"withdrawn_on": withdrawn_on})


def remove_consent(store: Store, consent_id: str) -> None:
    """Remove a consent recorded by mistake (coordinators and admins). A person who changed their
    mind is recorded with ``withdraw_consent`` instead, so the history stays."""
    require(manages_conferences(store.actor.role), NO_RIGHT)
    _consent_row(store, consent_id)
    with store.write() as w:
        w.require_alive(Consent, consent_id, GONE)
        w.delete(Consent, consent_id)


# ---- reading ---------------------------------------------------------------------------

def consents_of(store: Store, person_id: str) -> list[ConsentInfo]:
    """A person's consents, newest first, withdrawn ones included."""
    _person_household(store, person_id)
    with store.read() as s:
        return [consent_info(r) for r in s.execute(consent_query().where(Consent.person_id == person_id))]


def consents_of_household(store: Store, household_id: str) -> list[ConsentInfo]:
    """The consents of every current member of a household, newest first."""
    require_household(store, household_id)
    with store.read() as s:
        return [consent_info(r) for r in s.execute(
            consent_query().where(Person.household_id == household_id, Person.deleted_at.is_(None)))]
