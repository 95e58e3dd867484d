"""Roles (DESIGN §3) and what each may do. The services enforce these rules."""

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    STAFF = "staff"
    REPORTER = "reporter"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.ADMIN: "管理者（事務局長）",
    Role.COORDINATOR: "コーディネーター（地域福祉係）",
    Role.STAFF: "職員",
    Role.REPORTER: "報告者（介護・ボランティアセンター等）",
}


def manages_accounts(role: Role) -> bool:
    return role == Role.ADMIN


def manages_settings(role: Role) -> bool:
    return role == Role.ADMIN


def manages_registers(role: Role) -> bool:
    """Districts, agencies, concern categories."""
    return role in (Role.ADMIN, Role.COORDINATOR)


def manages_conferences(role: Role) -> bool:
    """Case conferences, their handouts and the handout register (issue 5)."""
    return role in (Role.ADMIN, Role.COORDINATOR)


def sees_all_households(role: Role) -> bool:
    return role in (Role.ADMIN, Role.COORDINATOR)


def may_see_household(role: Role, own_districts: frozenset[str], district_id: str | None) -> bool:
    """Staff see the households of their districts; reporters see none directly."""
    if sees_all_households(role):
        return True
    if role == Role.STAFF:
        return district_id in own_districts
    return False


def may_edit_household(role: Role, own_districts: frozenset[str], district_id: str | None) -> bool:
    return may_see_household(role, own_districts, district_id)


def may_add_household(role: Role, own_districts: frozenset[str], district_id: str | None) -> bool:
    return may_see_household(role, own_districts, district_id)


def may_sync(role: Role) -> bool:
    """Carrying bundles between installations: everyone who records field work."""
    return role in (Role.ADMIN, Role.COORDINATOR, Role.STAFF)
