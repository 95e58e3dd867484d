"""不足している社会資源 with their ids (issue 19): what the plans of the cases this account may
see say is missing, to link to a 地域課題 (``community_issues.link_resource``)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from shakyo_desk.domain.roles import sees_all_households
from shakyo_desk.store.models import Household, MissingResource
from shakyo_desk.store.store import Store


@dataclass(frozen=True)
class MissingResourceInfo:
    id: str
    case_id: str
    household_id: str
    text: str


def list_missing_resources(store: Store, case_id: str | None = None) -> list[MissingResourceInfo]:
    """Every live missing resource (of one case when ``case_id``) in the account's districts."""
    query = (sa.select(MissingResource.id, MissingResource.case_id, MissingResource.household_id,
                       MissingResource.text, Household.district_id)
             .join(Household, Household.id == MissingResource.household_id)
             .where(MissingResource.deleted_at.is_(None), Household.deleted_at.is_(None)))
    if case_id:
        query = query.where(MissingResource.case_id == case_id)
    actor = store.actor
    with store.read() as s:
        rows = s.execute(query.order_by(MissingResource.created_at, MissingResource.id)).all()
    return [MissingResourceInfo(r.id, r.case_id, r.household_id, r.text) for r in rows
            if sees_all_households(actor.role) or r.district_id in actor.district_ids]
