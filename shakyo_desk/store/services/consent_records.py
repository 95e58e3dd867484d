"""What a consent record looks like when read (``ConsentInfo``) and how it is read. No rights
are checked here: the callers (``consents``, ``households``, ``conferences``) check them.
A leaf among the services, so the household detail can show consents without importing
the consent service, which itself checks households."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shakyo_desk.domain.vocab import CONFERENCE_TYPES
from shakyo_desk.store.models import Consent, Person, Staff


@dataclass(frozen=True)
class ConsentInfo:
    id: str
    person_id: str
    person_name: str
    household_id: str
    given_on: date
    meeting_types: tuple[str, ...]  # codes of vocab.CONFERENCE_TYPES
    agencies: tuple[str, ...]  # empty: not limited to named agencies
    method: str  # 書面 / 口頭
    recorded_by: str | None
    recorded_by_name: str
    withdrawn_on: date | None
    note: str
    created_at: datetime

    @property
    def meeting_type_labels(self) -> tuple[str, ...]:
        return tuple(CONFERENCE_TYPES.get(t, t) for t in self.meeting_types)

    def active_on(self, on: date) -> bool:
        return self.given_on <= on and (self.withdrawn_on is None or self.withdrawn_on > on)

    @property
    def summary(self) -> str:
        """One line for screens, e.g. 「重層的支援会議・支援会議（書面）　共有先：地域包括支援センター」."""
        text = "・".join(self.meeting_type_labels) + f"（{self.method}）"
        if self.agencies:
            text += "　共有先：" + "、".join(self.agencies)
        return text


def consent_query():
    return (sa.select(Consent, Person.name, Person.household_id, Staff.display_name)
            .join(Person, Person.id == Consent.person_id)
            .outerjoin(Staff, Staff.id == Consent.recorded_by)
            .where(Consent.deleted_at.is_(None))
            .order_by(Consent.given_on.desc(), Consent.created_at.desc()))


def consent_info(row) -> ConsentInfo:
    c, person_name, household_id, staff_name = row
    return ConsentInfo(c.id, c.person_id, person_name, household_id, c.given_on, tuple(c.meeting_types or ()),
                       tuple(c.agencies or ()), c.method, c.recorded_by, staff_name or "", c.withdrawn_on, c.note,
                       c.created_at)


def consents_by_person(session: Session, person_ids: Sequence[str]) -> dict[str, tuple[ConsentInfo, ...]]:
    """Within a read: the consents of these persons, newest first (no rights checked here)."""
    found: dict[str, list[ConsentInfo]] = {}
    if not person_ids:
        return {}
    for row in session.execute(consent_query().where(Consent.person_id.in_(list(person_ids)))):
        info = consent_info(row)
        found.setdefault(info.person_id, []).append(info)
    return {k: tuple(v) for k, v in found.items()}
