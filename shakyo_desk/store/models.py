"""Tables. Synced entities carry a UUID, creation stamps, a soft-delete marker
and the HLC stamp of their last change; local tables (device state, search
index, change log, audit log) are never sent as rows of their own."""

from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy import JSON, BigInteger, Boolean, Date, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from shakyo_desk.domain.vocab import DEFAULT_CONFIDENTIALITY_NOTICE, DEFAULT_HANDOUT_RETENTION_DAYS


class Base(DeclarativeBase):
    pass


class Synced:
    """Columns every synced entity has (DESIGN §3)."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str | None] = mapped_column(String(36))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)
    hlc: Mapped[str] = mapped_column(String(64), default="")


class Council(Synced, Base):
    __tablename__ = "council"
    name: Mapped[str] = mapped_column(String(200))
    municipality: Mapped[str] = mapped_column(String(200), default="")
    fiscal_year_start_month: Mapped[int] = mapped_column(Integer, default=4)
    idle_lock_minutes: Mapped[int] = mapped_column(Integer, default=10)
    retention_years: Mapped[int] = mapped_column(Integer, default=5)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    # Handouts (0004): the statutory notice printed on a 支援会議's handout, and how many days
    # after a meeting copies not yet destroyed are listed.
    confidentiality_notice: Mapped[str] = mapped_column(Text, default=DEFAULT_CONFIDENTIALITY_NOTICE)
    handout_retention_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_HANDOUT_RETENTION_DAYS)
    # Statistics (0005): counts below this are suppressed in anything exported (reports/stats_suppress.py).
    stats_suppression_threshold: Mapped[int] = mapped_column(Integer, default=3)
    # Backups (0006): admins are reminded when this installation's last backup is older.
    backup_reminder_days: Mapped[int] = mapped_column(Integer, default=7)


class District(Synced, Base):
    __tablename__ = "district"
    name: Mapped[str] = mapped_column(String(100))
    kana: Mapped[str] = mapped_column(String(200), default="")
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("district.id"))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class Staff(Synced, Base):
    __tablename__ = "staff"
    login: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    section: Mapped[str] = mapped_column(String(100), default="")
    district_ids: Mapped[list] = mapped_column(JSON, default=list)
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime)


class Household(Synced, Base):
    __tablename__ = "household"
    code: Mapped[str] = mapped_column(String(20), default="")
    district_id: Mapped[str | None] = mapped_column(ForeignKey("district.id"))
    address: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
    housing_type: Mapped[str] = mapped_column(String(50), default="")
    flags: Mapped[list] = mapped_column(JSON, default=list)
    welfare_commissioner: Mapped[str] = mapped_column(String(100), default="")
    staff_main_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    staff_sub_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    watch_level: Mapped[str] = mapped_column(String(20), default="なし")
    watch_interval_days: Mapped[int | None] = mapped_column(Integer)
    watch_interval_months: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str] = mapped_column(Text, default="")
    # 課税・所得に関する情報: tax-derived by definition, never printed on a handout (0004).
    tax_note: Mapped[str] = mapped_column(Text, default="")


class Person(Synced, Base):
    __tablename__ = "person"
    household_id: Mapped[str] = mapped_column(ForeignKey("household.id"))
    name: Mapped[str] = mapped_column(String(100))
    kana: Mapped[str] = mapped_column(String(200), default="")
    sex: Mapped[str] = mapped_column(String(10), default="不明")
    birth_date: Mapped[date | None] = mapped_column(Date)
    age_band: Mapped[str] = mapped_column(String(20), default="")
    relation: Mapped[str] = mapped_column(String(30), default="本人")
    flags: Mapped[list] = mapped_column(JSON, default=list)
    roles: Mapped[list] = mapped_column(JSON, default=list)
    wishes: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_person_household", "household_id"),)


class Agency(Synced, Base):
    __tablename__ = "agency"
    name: Mapped[str] = mapped_column(String(200))
    kana: Mapped[str] = mapped_column(String(300), default="")
    field: Mapped[str] = mapped_column(String(50), default="")
    contact: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
    services: Mapped[str] = mapped_column(Text, default="")


class ConcernCategory(Synced, Base):
    __tablename__ = "concern_category"
    name: Mapped[str] = mapped_column(String(100))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Place(Synced, Base):
    """地域の拠点: a shop, post office, コンビニ or 公民館 where community contacts happen."""

    __tablename__ = "place"
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(50), default="その他")
    district_id: Mapped[str | None] = mapped_column(ForeignKey("district.id"))
    address: Mapped[str] = mapped_column(String(300), default="")
    notes: Mapped[str] = mapped_column(Text, default="")


class Contact(Synced, Base):
    """アウトリーチ/訪問記録: any attempt to reach a household or a place (failed ones count)."""

    __tablename__ = "contact"
    contact_date: Mapped[date] = mapped_column(Date)
    contact_time: Mapped[str] = mapped_column(String(5), default="")  # HH:MM, optional
    method: Mapped[str] = mapped_column(String(20))
    staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    companions: Mapped[list] = mapped_column(JSON, default=list)
    household_id: Mapped[str | None] = mapped_column(ForeignKey("household.id"))
    place_id: Mapped[str | None] = mapped_column(ForeignKey("place.id"))
    seen_heard: Mapped[str] = mapped_column(Text, default="")
    concerns: Mapped[list] = mapped_column(JSON, default=list)
    urgency: Mapped[str] = mapped_column(String(10), default="")
    isolation: Mapped[str] = mapped_column(String(20), default="")
    next_action: Mapped[str] = mapped_column(Text, default="")
    next_contact_date: Mapped[date | None] = mapped_column(Date)
    # What was learnt comes from tax records (課税情報): never printed on a handout (0004).
    tax_derived: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_contact_household_date", "household_id", "contact_date"),)


def contact_moment():
    """When on its day a contact was made, for ordering: the time typed (HH:MM) or, when none was,
    the time it was recorded (HH:MM:SS of ``created_at``, stored in UTC, in Japan time). The
    offset is a literal (Japan has no summer time) and every part is written into the SQL, so the
    expression is deterministic and matches ``ix_contact_order``'s (migration 0015) exactly:
    a bound parameter instead of a literal would not."""
    from sqlalchemy import func, literal_column

    return func.coalesce(func.nullif(Contact.contact_time, literal_column("''")),
                         func.strftime(literal_column("'%H:%M:%S'"), Contact.created_at,
                                       literal_column("'+9 hours'")))


# Newest-first lists (訪問記録) walk this index and stop after a page instead of sorting every
# contact. An expression index: a batch_alter_table of contact in a later migration would not
# carry it over (SQLAlchemy does not reflect expression indexes), so such a migration creates it again.
Index("ix_contact_order", Contact.contact_date, contact_moment(), Contact.created_at)


class Salon(Synced, Base):
    __tablename__ = "salon"
    name: Mapped[str] = mapped_column(String(200))
    district_id: Mapped[str | None] = mapped_column(ForeignKey("district.id"))
    venue: Mapped[str] = mapped_column(String(200), default="")
    organiser: Mapped[str] = mapped_column(String(20), default="住民主体")
    schedule: Mapped[str] = mapped_column(String(200), default="")
    fee_yen: Mapped[int | None] = mapped_column(Integer)
    transport: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class SalonRegular(Synced, Base):
    """A person who usually comes to a salon (常連); soft-deleted when they stop."""

    __tablename__ = "salon_regular"
    salon_id: Mapped[str] = mapped_column(ForeignKey("salon.id"))
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"))

    __table_args__ = (Index("ix_salon_regular_salon", "salon_id"),)


class SalonSession(Synced, Base):
    """開催: one meeting of a salon."""

    __tablename__ = "salon_session"
    salon_id: Mapped[str] = mapped_column(ForeignKey("salon.id"))
    session_date: Mapped[date] = mapped_column(Date)
    activities: Mapped[str] = mapped_column(Text, default="")
    helpers: Mapped[str] = mapped_column(Text, default="")
    unnamed_count: Mapped[int] = mapped_column(Integer, default=0)
    notes: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_salon_session_salon_date", "salon_id", "session_date"),)


class Attendance(Synced, Base):
    """A named person present at a session (append-only; removal is a soft delete)."""

    __tablename__ = "attendance"
    session_id: Mapped[str] = mapped_column(ForeignKey("salon_session.id"))
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"))

    __table_args__ = (Index("ix_attendance_session", "session_id"), Index("ix_attendance_person", "person_id"))


class Remark(Synced, Base):
    """つぶやき: something heard at a session that may be a sign of need."""

    __tablename__ = "remark"
    session_id: Mapped[str | None] = mapped_column(ForeignKey("salon_session.id"))
    person_id: Mapped[str | None] = mapped_column(ForeignKey("person.id"))
    text: Mapped[str] = mapped_column(Text)
    sheet_id: Mapped[str | None] = mapped_column(ForeignKey("concern_sheet.id"))

    __table_args__ = (Index("ix_remark_session", "session_id"),)


class ConcernSheet(Synced, Base):
    """困っている家庭把握シート: the quick hand-over form any employee fills in."""

    __tablename__ = "concern_sheet"
    noticed_on: Mapped[date] = mapped_column(Date)
    noticed_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    section: Mapped[str] = mapped_column(String(100), default="")
    setting: Mapped[str] = mapped_column(String(50), default="")
    source: Mapped[str] = mapped_column(String(200), default="")
    household_id: Mapped[str | None] = mapped_column(ForeignKey("household.id"))
    household_hint: Mapped[str] = mapped_column(String(300), default="")
    person_of_concern: Mapped[str] = mapped_column(String(200), default="")
    concerns: Mapped[list] = mapped_column(JSON, default=list)
    urgency: Mapped[str] = mapped_column(String(10), default="見守り")
    connected_agencies: Mapped[list] = mapped_column(JSON, default=list)
    wish_for_help: Mapped[str] = mapped_column(String(10), default="不明")
    situation: Mapped[str] = mapped_column(Text, default="")
    strengths: Mapped[str] = mapped_column(Text, default="")
    possible_supporter: Mapped[str] = mapped_column(Text, default="")
    suggested_handoff: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="受付")
    from_contact_id: Mapped[str | None] = mapped_column(ForeignKey("contact.id"))
    from_remark_id: Mapped[str | None] = mapped_column(String(36))
    # 担当 (0016): the staff member a coordinator handed the sheet to (`sheet assign`); a plain
    # id column (SQLite cannot add a column with a foreign key), checked by the service.
    assignee_id: Mapped[str | None] = mapped_column(String(36))

    __table_args__ = (Index("ix_sheet_household", "household_id"), Index("ix_sheet_status", "status"))


class SheetStatusChange(Synced, Base):
    """Append-only history of a sheet's status, dated and attributed."""

    __tablename__ = "sheet_status_change"
    sheet_id: Mapped[str] = mapped_column(ForeignKey("concern_sheet.id"))
    status: Mapped[str] = mapped_column(String(20))
    changed_on: Mapped[date] = mapped_column(Date)
    agency_id: Mapped[str | None] = mapped_column(ForeignKey("agency.id"))
    note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_sheet_status_change_sheet", "sheet_id"),)


class Referral(Synced, Base):
    """つなぎ: handing a case on to an agency."""

    __tablename__ = "referral"
    household_id: Mapped[str | None] = mapped_column(ForeignKey("household.id"))
    sheet_id: Mapped[str | None] = mapped_column(ForeignKey("concern_sheet.id"))
    agency_id: Mapped[str] = mapped_column(ForeignKey("agency.id"))
    referred_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(String(30), default="確認中")
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    follow_up_on: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (Index("ix_referral_household", "household_id"), Index("ix_referral_follow_up", "follow_up_on"))


class Consent(Synced, Base):
    """本人同意: a person's agreement to share information, for some meeting types and agencies."""

    __tablename__ = "consent"
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"))
    given_on: Mapped[date] = mapped_column(Date)
    meeting_types: Mapped[list] = mapped_column(JSON, default=list)  # codes of vocab.CONFERENCE_TYPES
    agencies: Mapped[list] = mapped_column(JSON, default=list)  # names as agreed; empty = not limited
    method: Mapped[str] = mapped_column(String(10), default="書面")
    recorded_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    withdrawn_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_consent_person", "person_id"),)


class Conference(Synced, Base):
    """会議: a case conference (支援会議, 重層的支援会議, ケース検討会, 地域ケア会議)."""

    __tablename__ = "conference"
    meeting_type: Mapped[str] = mapped_column(String(20))  # code of vocab.CONFERENCE_TYPES
    legal_basis: Mapped[str] = mapped_column(String(40), default="")  # code of vocab.LEGAL_BASES (支援会議 only)
    title: Mapped[str] = mapped_column(String(200), default="")
    held_on: Mapped[date] = mapped_column(Date)
    start_time: Mapped[str] = mapped_column(String(5), default="")  # HH:MM, optional
    end_time: Mapped[str] = mapped_column(String(5), default="")
    place: Mapped[str] = mapped_column(String(200), default="")
    convenor: Mapped[str] = mapped_column(String(200), default="")
    agenda: Mapped[str] = mapped_column(Text, default="")
    minutes: Mapped[str] = mapped_column(Text, default="")  # never printed on a handout
    disclosures: Mapped[list] = mapped_column(JSON, default=list)  # keys of vocab.DISCLOSABLE_FIELDS shown in full
    # 0017 (issue 18): what a meeting without a household discusses (地域資源の検討), and the
    # existing body held as this meeting (e.g. 地域ケア会議 held as a 支援会議 with its legal basis).
    topic: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(String(200), default="")

    __table_args__ = (Index("ix_conference_held_on", "held_on"),)


class ConferenceMember(Synced, Base):
    """A member of a conference; one numbered handout copy each."""

    __tablename__ = "conference_member"
    conference_id: Mapped[str] = mapped_column(ForeignKey("conference.id"))
    name: Mapped[str] = mapped_column(String(100))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    confidentiality_acknowledged_on: Mapped[date | None] = mapped_column(Date)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_conference_member_conference", "conference_id"),)


class ConferenceCase(Synced, Base):
    """A household discussed at a conference, the question put to the meeting and what was
    decided for it (support policy, lead agency, roles per agency, next review)."""

    __tablename__ = "conference_case"
    conference_id: Mapped[str] = mapped_column(ForeignKey("conference.id"))
    household_id: Mapped[str] = mapped_column(ForeignKey("household.id"))
    question: Mapped[str] = mapped_column(Text, default="")
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    support_policy: Mapped[str] = mapped_column(Text, default="")
    lead_agency: Mapped[str] = mapped_column(String(200), default="")
    roles: Mapped[list] = mapped_column(JSON, default=list)  # [{"agency": …, "role": …}]
    next_review_on: Mapped[date | None] = mapped_column(Date)
    # 0017 (issue 18): the 支援ケース discussed, the 本人 whose consent counts for a 重層的支援会議
    # (None: chosen by conference_consent.principal), and the 受付表 request the case came from. Plain id
    # columns: SQLite adds no column with a foreign key (the services check them).
    case_id: Mapped[str | None] = mapped_column(String(36))
    person_id: Mapped[str | None] = mapped_column(String(36))
    request_id: Mapped[str | None] = mapped_column(String(36))

    __table_args__ = (Index("ix_conference_case_conference", "conference_id"),
                      Index("ix_conference_case_household", "household_id"))


class HandoutCopy(Synced, Base):
    """配布資料の台帳: one printed or exported copy of a conference's handout."""

    __tablename__ = "handout_copy"
    conference_id: Mapped[str] = mapped_column(ForeignKey("conference.id"))
    copy_number: Mapped[int] = mapped_column(Integer)
    recipient: Mapped[str] = mapped_column(String(300))
    member_id: Mapped[str | None] = mapped_column(ForeignKey("conference_member.id"))
    made_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    made_at: Mapped[datetime] = mapped_column(DateTime)
    collected_on: Mapped[date | None] = mapped_column(Date)
    destroyed_on: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (Index("ix_handout_copy_conference", "conference_id"),)


# ---- case work (0016, issue 18) -----------------------------------------------
# Every record of a case carries its household_id (denormalised): scope, retention purge and
# the household of a conflict read it directly, as they do for contacts and referrals.


class SupportCase(Synced, Base):
    """支援ケース: one episode of support for a household, 受付 → … → 終結; reopens."""

    __tablename__ = "support_case"
    household_id: Mapped[str] = mapped_column(ForeignKey("household.id"))
    status: Mapped[str] = mapped_column(String(20), default="受付")  # vocab.CASE_STATUSES
    opened_on: Mapped[date] = mapped_column(Date)
    assignee_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    lead_agency_id: Mapped[str | None] = mapped_column(ForeignKey("agency.id"))
    from_contact_id: Mapped[str | None] = mapped_column(ForeignKey("contact.id"))
    closed_on: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (Index("ix_support_case_household", "household_id"), Index("ix_support_case_status", "status"))


class CaseStatusChange(Synced, Base):
    """Append-only history of a case's status (reopening keeps what came before)."""

    __tablename__ = "case_status_change"
    case_id: Mapped[str] = mapped_column(ForeignKey("support_case.id"))
    household_id: Mapped[str] = mapped_column(ForeignKey("household.id"))
    status: Mapped[str] = mapped_column(String(20))
    changed_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_case_status_change_case", "case_id"),)


class CaseSheet(Synced, Base):
    """A 把握シート a case was opened from (one case per sheet)."""

    __tablename__ = "case_sheet"
    case_id: Mapped[str] = mapped_column(ForeignKey("support_case.id"))
    sheet_id: Mapped[str] = mapped_column(ForeignKey("concern_sheet.id"))
    household_id: Mapped[str] = mapped_column(ForeignKey("household.id"))

    __table_args__ = (Index("ix_case_sheet_case", "case_id"), Index("ix_case_sheet_sheet", "sheet_id"))


class AssessmentView(Synced, Base):
    """全方位型アセスメント: one participant's view, for a member or the whole household."""

    __tablename__ = "assessment_view"
    case_id: Mapped[str] = mapped_column(ForeignKey("support_case.id"))
    household_id: Mapped[str] = mapped_column(ForeignKey("household.id"))
    person_id: Mapped[str | None] = mapped_column(ForeignKey("person.id"))  # None: the household
    participant: Mapped[str] = mapped_column(String(100))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    recorded_on: Mapped[date] = mapped_column(Date)
    problem: Mapped[str] = mapped_column(Text, default="")
    strength: Mapped[str] = mapped_column(Text, default="")
    wish: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_assessment_view_case", "case_id"),)


class SupportPlan(Synced, Base):
    """支援プラン, one version: a revision is a new row (version + 1); earlier ones stay."""

    __tablename__ = "support_plan"
    case_id: Mapped[str] = mapped_column(ForeignKey("support_case.id"))
    household_id: Mapped[str] = mapped_column(ForeignKey("household.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    made_on: Mapped[date] = mapped_column(Date)
    policy: Mapped[str] = mapped_column(Text, default="")  # 支援方針: long text, conflicts side by side

    __table_args__ = (Index("ix_support_plan_case", "case_id"),)


class PlanGoal(Synced, Base):
    """目標 of a plan version, for a member or the household, with its review date."""

    __tablename__ = "plan_goal"
    plan_id: Mapped[str] = mapped_column(ForeignKey("support_plan.id"))
    case_id: Mapped[str] = mapped_column(ForeignKey("support_case.id"))
    household_id: Mapped[str] = mapped_column(ForeignKey("household.id"))
    person_id: Mapped[str | None] = mapped_column(ForeignKey("person.id"))
    text: Mapped[str] = mapped_column(Text)
    review_on: Mapped[date] = mapped_column(Date)
    from_goal_id: Mapped[str | None] = mapped_column(String(36))  # the same goal in the earlier version
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_plan_goal_plan", "plan_id"), Index("ix_plan_goal_case", "case_id"))


class PlanAction(Synced, Base):
    """役割: who (staff, agency, resident supporter, the person or family) does what, by when."""

    __tablename__ = "plan_action"
    goal_id: Mapped[str] = mapped_column(ForeignKey("plan_goal.id"))
    case_id: Mapped[str] = mapped_column(ForeignKey("support_case.id"))
    household_id: Mapped[str] = mapped_column(ForeignKey("household.id"))
    who_kind: Mapped[str] = mapped_column(String(20))  # vocab.ACTION_WHO
    who: Mapped[str] = mapped_column(String(200))
    staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    agency_id: Mapped[str | None] = mapped_column(ForeignKey("agency.id"))
    what: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (Index("ix_plan_action_goal", "goal_id"),)


class MissingResource(Synced, Base):
    """不足している社会資源: what a plan needs that no one provides."""

    __tablename__ = "missing_resource"
    case_id: Mapped[str] = mapped_column(ForeignKey("support_case.id"))
    plan_id: Mapped[str] = mapped_column(ForeignKey("support_plan.id"))
    household_id: Mapped[str] = mapped_column(ForeignKey("household.id"))
    text: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_missing_resource_case", "case_id"),)


class Monitoring(Synced, Base):
    """モニタリング: a dated check of a goal, with the next review."""

    __tablename__ = "monitoring"
    goal_id: Mapped[str] = mapped_column(ForeignKey("plan_goal.id"))
    case_id: Mapped[str] = mapped_column(ForeignKey("support_case.id"))
    household_id: Mapped[str] = mapped_column(ForeignKey("household.id"))
    monitored_on: Mapped[date] = mapped_column(Date)
    progress: Mapped[str] = mapped_column(String(20))  # vocab.MONITORING_PROGRESS
    note: Mapped[str] = mapped_column(Text, default="")
    next_review_on: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (Index("ix_monitoring_case", "case_id"), Index("ix_monitoring_goal", "goal_id"))


class CaseEvaluation(Synced, Base):
    """終結時の評価: one per closure (a reopened and closed again case has several)."""

    __tablename__ = "case_evaluation"
    case_id: Mapped[str] = mapped_column(ForeignKey("support_case.id"))
    household_id: Mapped[str] = mapped_column(ForeignKey("household.id"))
    closed_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    changes: Mapped[str] = mapped_column(Text, default="")  # what changed for the household
    worked: Mapped[str] = mapped_column(Text, default="")  # what worked

    __table_args__ = (Index("ix_case_evaluation_case", "case_id"),)


class CommunityIssue(Synced, Base):
    """地域課題: a register entry that outlives the cases that show it (names no household)."""

    __tablename__ = "community_issue"
    title: Mapped[str] = mapped_column(String(200))
    district_id: Mapped[str | None] = mapped_column(ForeignKey("district.id"))
    raised_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    # 0018 (issue 19): where the register stands (vocab.COMMUNITY_ISSUE_STATUSES) and what the
    # council and the town do about it.
    status: Mapped[str] = mapped_column(String(20), default="把握")
    response: Mapped[str] = mapped_column(Text, default="")


class CommunityIssueCase(Synced, Base):
    """A case that shows a 地域課題 (purged with its household; the issue stays)."""

    __tablename__ = "community_issue_case"
    issue_id: Mapped[str] = mapped_column(ForeignKey("community_issue.id"))
    case_id: Mapped[str] = mapped_column(ForeignKey("support_case.id"))
    household_id: Mapped[str] = mapped_column(ForeignKey("household.id"))

    __table_args__ = (Index("ix_community_issue_case_issue", "issue_id"),)


# ---- meetings fed by requests (0017, issue 18) ----------------------------------


class MeetingRequest(Synced, Base):
    """受付表 (検討依頼): a case put forward for a meeting type with a question; taken into a
    meeting (conference_id) or withdrawn."""

    __tablename__ = "meeting_request"
    case_id: Mapped[str] = mapped_column(ForeignKey("support_case.id"))
    household_id: Mapped[str] = mapped_column(ForeignKey("household.id"))
    meeting_type: Mapped[str] = mapped_column(String(20))  # code of vocab.CONFERENCE_TYPES
    question: Mapped[str] = mapped_column(Text)  # 検討したいこと
    requested_on: Mapped[date] = mapped_column(Date)
    agencies_involved: Mapped[list] = mapped_column(JSON, default=list)  # 関係機関
    agencies_needed: Mapped[list] = mapped_column(JSON, default=list)  # 今後関わりが必要となる機関
    person_id: Mapped[str | None] = mapped_column(ForeignKey("person.id"))  # the 本人, when named
    conference_id: Mapped[str | None] = mapped_column(ForeignKey("conference.id"))  # set when taken
    withdrawn_on: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (Index("ix_meeting_request_case", "case_id"), Index("ix_meeting_request_type", "meeting_type"))


class ConferenceCaseMember(Synced, Base):
    """A member who sits for one case of a meeting; a case with no rows has every member."""

    __tablename__ = "conference_case_member"
    conference_id: Mapped[str] = mapped_column(ForeignKey("conference.id"))
    conference_case_id: Mapped[str] = mapped_column(ForeignKey("conference_case.id"))
    member_id: Mapped[str] = mapped_column(ForeignKey("conference_member.id"))
    household_id: Mapped[str] = mapped_column(ForeignKey("household.id"))

    __table_args__ = (Index("ix_conference_case_member_case", "conference_case_id"),
                      Index("ix_conference_case_member_conference", "conference_id"))


class Appointment(Synced, Base):
    """委嘱: a standing appointment whose confidentiality pledge (守秘義務の誓約) counts for every
    meeting of its type in its period (names no household)."""

    __tablename__ = "appointment"
    name: Mapped[str] = mapped_column(String(100))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    meeting_type: Mapped[str] = mapped_column(String(20))  # code of vocab.CONFERENCE_TYPES
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    pledge_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")


# ---- community work (0018, issue 19) -------------------------------------------


class Supporter(Synced, Base):
    """担い手: someone who does or could support neighbours (council-wide when district_id is null)."""

    __tablename__ = "supporter"
    name: Mapped[str] = mapped_column(String(100))
    kana: Mapped[str] = mapped_column(String(200), default="")
    district_id: Mapped[str | None] = mapped_column(ForeignKey("district.id"))
    can_do: Mapped[str] = mapped_column(Text, default="")
    contact_consent: Mapped[bool] = mapped_column(Boolean, default=False)  # agreed to be contacted / named
    current_role: Mapped[str] = mapped_column(String(200), default="")
    # A registered resident, and the sheet whose 「支え手になれそうか」 named them: plain ids, no foreign
    # key — the supporter travels to laptops that do not hold that household (a tie there names them).
    person_id: Mapped[str | None] = mapped_column(String(36))
    sheet_id: Mapped[str | None] = mapped_column(String(36))
    since: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (Index("ix_supporter_district", "district_id"),)


class CommunityActivity(Synced, Base):
    """地域活動: a 地域懇談会, 学習会, 協議体 … held in a district (council-wide when null)."""

    __tablename__ = "community_activity"
    activity_type: Mapped[str] = mapped_column(String(20))  # vocab.ACTIVITY_TYPES
    held_on: Mapped[date] = mapped_column(Date)
    district_id: Mapped[str | None] = mapped_column(ForeignKey("district.id"))
    title: Mapped[str] = mapped_column(String(200))
    participants: Mapped[int | None] = mapped_column(Integer)
    organisations: Mapped[list] = mapped_column(JSON, default=list)
    raised: Mapped[str] = mapped_column(Text, default="")  # what was raised
    followed: Mapped[str] = mapped_column(Text, default="")  # what followed
    note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_community_activity_district", "district_id", "held_on"),)


class SupportTie(Synced, Base):
    """支え合いの関係: who watches over or helps a household (scope through household_id)."""

    __tablename__ = "support_tie"
    household_id: Mapped[str] = mapped_column(ForeignKey("household.id"))
    person_id: Mapped[str | None] = mapped_column(ForeignKey("person.id"))  # the member helped, if one
    supporter_id: Mapped[str | None] = mapped_column(ForeignKey("supporter.id"))
    supporter_name: Mapped[str] = mapped_column(String(100), default="")  # when not a registered supporter
    supporter_kind: Mapped[str] = mapped_column(String(20), default="")  # vocab.SUPPORTER_KINDS
    kind: Mapped[str] = mapped_column(String(20))  # vocab.TIE_KINDS
    frequency: Mapped[str] = mapped_column(String(100), default="")
    since: Mapped[date | None] = mapped_column(Date)
    confirmed_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(20), default="世帯")  # vocab.TIE_SOURCES
    # The visit it was heard at: a plain id (the visit may be to another household, outside a laptop's scope).
    contact_id: Mapped[str | None] = mapped_column(String(36))
    activity_id: Mapped[str | None] = mapped_column(ForeignKey("community_activity.id"))

    __table_args__ = (Index("ix_support_tie_household", "household_id"),
                      Index("ix_support_tie_supporter", "supporter_id"))


class CommunityIssueActivity(Synced, Base):
    """An activity that shows a 地域課題 (goes with the activity's district)."""

    __tablename__ = "community_issue_activity"
    issue_id: Mapped[str] = mapped_column(ForeignKey("community_issue.id"))
    activity_id: Mapped[str] = mapped_column(ForeignKey("community_activity.id"))

    __table_args__ = (Index("ix_community_issue_activity_issue", "issue_id"),)


class CommunityIssueResource(Synced, Base):
    """A plan's 不足している社会資源 that shows a 地域課題 (household_id for scope and purge)."""

    __tablename__ = "community_issue_resource"
    issue_id: Mapped[str] = mapped_column(ForeignKey("community_issue.id"))
    resource_id: Mapped[str] = mapped_column(ForeignKey("missing_resource.id"))
    household_id: Mapped[str] = mapped_column(ForeignKey("household.id"))

    __table_args__ = (Index("ix_community_issue_resource_issue", "issue_id"),)


class SupporterTarget(Synced, Base):
    """The council's target number of supporters for a fiscal year, per district or council-wide."""

    __tablename__ = "supporter_target"
    district_id: Mapped[str | None] = mapped_column(ForeignKey("district.id"))
    fiscal_year: Mapped[int] = mapped_column(Integer)
    target: Mapped[int] = mapped_column(Integer)


# ---- local tables ------------------------------------------------------------


class DeviceState(Base):
    """This installation's identity and counters (one row)."""

    __tablename__ = "device_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[str] = mapped_column(String(36))
    epoch: Mapped[int] = mapped_column(Integer, default=1)
    council_id: Mapped[str] = mapped_column(String(36))
    next_seq: Mapped[int] = mapped_column(Integer, default=1)
    hlc_wall_ms: Mapped[int] = mapped_column(Integer, default=0)
    hlc_counter: Mapped[int] = mapped_column(Integer, default=0)
    # Sync identity (0003). Secrets live only here, inside the encrypted database.
    device_name: Mapped[str] = mapped_column(String(100), default="")
    signing_key: Mapped[bytes | None] = mapped_column(LargeBinary)  # Ed25519, raw 32 bytes
    age_identity: Mapped[str | None] = mapped_column(String(100))  # AGE-SECRET-KEY-1…
    # The council admin key of a store not yet migrated (issue 16): an admin's next unlock seals it
    # into keys.json for the admins and empties this column (store/council_key.py).
    admin_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    scope: Mapped[list] = mapped_column(JSON, default=list)  # district ids; empty = the whole council
    bundle_seq: Mapped[int] = mapped_column(Integer, default=0)  # bundles issued in this epoch
    last_bundle_hash: Mapped[str | None] = mapped_column(String(64))
    # The epochs this installation wrote itself (0014): a copy of it writes under the same device
    # id, and its epochs must not be taken for ours (exchange/clones.py, my_epochs).
    own_epochs: Mapped[list] = mapped_column(JSON, default=list)
    # A store upgraded from before sync got its recovery identity on first unlock: kept
    # until an admin has printed it, then erased (a new store prints it at `init`).
    recovery_identity_unprinted: Mapped[str | None] = mapped_column(String(100))
    # Backups (0006): when this installation last wrote a verified backup file (store/backup.py).
    last_backup_at: Mapped[datetime | None] = mapped_column(DateTime)


class Roster(Base):
    """Every signed roster version this device has seen (sync/roster.py)."""

    __tablename__ = "roster"
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    signature: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(DateTime)


class SyncKnowledge(Base):
    """Highest contiguous change seq held per origin device and epoch (what we know)."""

    __tablename__ = "sync_knowledge"
    origin: Mapped[str] = mapped_column(String(36), primary_key=True)
    epoch: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)


class SyncPeer(Base):
    """What we know of another installation: its knowledge and the last bundles each way."""

    __tablename__ = "sync_peer"
    device_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    knowledge: Mapped[dict] = mapped_column(JSON, default=dict)
    last_in_epoch: Mapped[int | None] = mapped_column(Integer)
    last_in_seq: Mapped[int | None] = mapped_column(Integer)
    last_in_hash: Mapped[str | None] = mapped_column(String(64))
    last_in_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_out_seq: Mapped[int | None] = mapped_column(Integer)
    last_out_at: Mapped[datetime | None] = mapped_column(DateTime)


class SyncBundle(Base):
    """Every bundle written or imported, by its hash: replays are recognised, and our own
    bundles (reserved ones too) are never taken for a clone's."""

    __tablename__ = "sync_bundle"
    bundle_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    sender: Mapped[str] = mapped_column(String(36))
    epoch: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime)
    file_name: Mapped[str] = mapped_column(String(300), default="")
    changes: Mapped[int] = mapped_column(Integer, default=0)
    applied: Mapped[int] = mapped_column(Integer, default=0)
    conflicts: Mapped[int] = mapped_column(Integer, default=0)
    # Bundles we write (0008): "reserved" when its number and hash are committed, before the
    # file exists; "written" once the file is in place and read back; "abandoned" when a later
    # export finds it still reserved (killed or failed midway) and declares it in its manifest.
    # NULL for imported bundles and for exports recorded before 0008.
    state: Mapped[str | None] = mapped_column(String(10))
    # Bundles we write (0009): the chain (audience) it belongs to — "council" for the bundles
    # every full-scope device can open, a district-limited laptop's device id for the office's
    # bundles to that laptop; each chain numbers its bundles 1, 2, 3… on its own. NULL for
    # imported bundles and for exports recorded before 0009 (docs/sync-protocol.md, "Bundle chains").
    chain: Mapped[str | None] = mapped_column(String(36))

    __table_args__ = (Index("ix_sync_bundle_sender", "sender", "epoch", "seq"),)


class SyncNotOurs(Base):
    """Bundle files in the shared folder that are addressed to other installations (their age
    header names none of our keys): skipped quietly, and not opened again while their size and
    modification time stay the same (store/exchange/mailbox.py)."""

    __tablename__ = "sync_not_ours"
    file_name: Mapped[str] = mapped_column(String(300), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    mtime_ns: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(DateTime)


class SyncMailboxFile(Base):
    """Bundle files taken from the shared folder (imported, a replay, or our own): not opened
    again while their name, size and modification time stay the same. A file replaced under
    the same name (a copied installation writes the same names into the same outbox) is opened
    again (store/exchange/mailbox.py). Size and time are NULL for names carried over from
    sync_bundle by migration 0010: the next run takes the file as it then finds it."""

    __tablename__ = "sync_mailbox_file"
    file_name: Mapped[str] = mapped_column(String(300), primary_key=True)
    size: Mapped[int | None] = mapped_column(BigInteger)
    mtime_ns: Mapped[int | None] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(DateTime)


class SyncPending(Base):
    """Changes that arrived ahead of a missing bundle; applied once the gap is filled and we
    hold everything their sender held (``requires``, its knowledge)."""

    __tablename__ = "sync_pending"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    origin: Mapped[str] = mapped_column(String(36))
    epoch: Mapped[int] = mapped_column(Integer)
    first: Mapped[int] = mapped_column(Integer)
    last: Mapped[int] = mapped_column(Integer)
    changes: Mapped[list] = mapped_column(JSON)
    requires: Mapped[dict | None] = mapped_column(JSON)


class SyncQuarantine(Base):
    """A bundle file refused by the import pipeline: listed, never silently dropped."""

    __tablename__ = "sync_quarantine"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    file_name: Mapped[str] = mapped_column(String(300))
    file_sha256: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(30))
    message: Mapped[str] = mapped_column(Text)
    kept_as: Mapped[str] = mapped_column(String(300), default="")


class SyncConflict(Base):
    """Index of fields marked 要確認; the values themselves come from the change log."""

    __tablename__ = "sync_conflict"
    id: Mapped[str] = mapped_column(String(12), primary_key=True)  # same on every device
    entity: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[str] = mapped_column(String(36))
    field: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(10))
    household_id: Mapped[str | None] = mapped_column(String(36))
    opened_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (Index("ix_sync_conflict_entity", "entity", "entity_id"),
                      Index("ix_sync_conflict_household", "household_id"))


class HouseholdSearch(Base):
    """Folded text of a household and its members, rebuilt on every write."""

    __tablename__ = "household_search"
    household_id: Mapped[str] = mapped_column(ForeignKey("household.id"), primary_key=True)
    text: Mapped[str] = mapped_column(Text, default="")
    head_name: Mapped[str] = mapped_column(String(100), default="")
    head_kana: Mapped[str] = mapped_column(String(200), default="")
    member_count: Mapped[int] = mapped_column(Integer, default=0)


class ChangeLog(Base):
    """Append-only history for sync (DESIGN §5)."""

    __tablename__ = "change_log"
    origin_device: Mapped[str] = mapped_column(String(36), primary_key=True)
    epoch: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[str] = mapped_column(String(36))
    op: Mapped[str] = mapped_column(String(10))
    # The values (0019, store/changes_codec.py, the only code that reads these three): the field
    # names' order (change_keys), the values packed, or NULL: derived from the record's row.
    key_order: Mapped[int] = mapped_column(Integer)
    packed: Mapped[bytes | None] = mapped_column(LargeBinary)
    values_hash: Mapped[bytes | None] = mapped_column(LargeBinary)  # a derived insert off any chain
    base: Mapped[dict] = mapped_column(JSON, default=dict)
    hlc: Mapped[str] = mapped_column(String(64))
    staff_id: Mapped[str | None] = mapped_column(String(36))
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
    # Origin chains (0011, sync/chain.py): the origin's chain value at this change (None for a
    # change written before 0011, or one held off its origin's chain: a copy's, a district
    # laptop's); the origin's signature of that value when it ended a range we received (a
    # head: we can relay up to here); the hash of its values once a purge has blanked them.
    chain: Mapped[bytes | None] = mapped_column(LargeBinary)
    head: Mapped[str | None] = mapped_column(String(100))
    sealed: Mapped[str | None] = mapped_column(String(64))
    # The author's signature of an account or settings change (0013, sync/authorship.py).
    author_sig: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (Index("ix_change_log_entity_order", "entity", "entity_id", "hlc"),)


class ChangeKeys(Base):
    """The field-name orders of the change log's values (0019, store/changes_codec.py)."""

    __tablename__ = "change_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    names: Mapped[str] = mapped_column(Text)  # JSON array text; ids never reused


class SyncLegacyEpoch(Base):
    """Epochs written before origin chains (0011): their changes carry no chain and are taken
    on the word of whoever carries them, as before."""

    __tablename__ = "sync_legacy_epoch"
    origin: Mapped[str] = mapped_column(String(36), primary_key=True)
    epoch: Mapped[int] = mapped_column(Integer, primary_key=True)


class MicroTime(TypeDecorator):
    """A naive UTC time stored as integer microseconds since 1970 (audit log v2: 8 bytes, not
    26 characters). A value that is not a number (written by hand) reads back as it was."""

    impl = BigInteger
    cache_ok = True
    _EPOCH = datetime(1970, 1, 1)

    def process_bind_param(self, value, dialect):
        if isinstance(value, datetime):
            if value.tzinfo is not None:
                value = value.astimezone(timezone.utc).replace(tzinfo=None)
            return (value - self._EPOCH) // timedelta(microseconds=1)
        return value

    def process_result_value(self, value, dialect):
        if isinstance(value, int):
            return self._EPOCH + timedelta(microseconds=value)
        return datetime.fromisoformat(value) if isinstance(value, str) else value


class HexBytes(TypeDecorator):
    """A hash stored as its bytes, read and written as lowercase hex (audit log v2: 32 bytes, not
    64 characters). Text that is not such hex (written by hand) is stored and read as it is."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if isinstance(value, str) and len(value) % 2 == 0 and value == value.lower():
            try:
                return bytes.fromhex(value)
            except ValueError:
                return value
        return value

    def process_result_value(self, value, dialect):
        return value.hex() if isinstance(value, bytes) else value


class AuditLog(Base):
    """Hash-chained record of who viewed, changed or exported what (store/audit.py). Since
    0012 ids are AUTOINCREMENT (never reused, so a cut tail leaves a gap) and entries are
    keyed (``key_id`` names the HMAC key; NULL: a plain SHA-256 entry from before 0012).

    Since 0020 (audit log v2) the table holds what cannot be rebuilt: the entry of a change
    names its change-log row (``device_id``, ``epoch``, ``seq``) and leaves ``action``,
    ``entity``, ``entity_id`` and ``staff_id`` NULL (the change's), ``detail`` NULL is ``{}``;
    ``prev_hash`` is a prefix of the previous entry's hash (whole only after a gap);
    ``device_id`` and ``key_id`` are ids of ``audit_name`` rows. Read entries through
    ``audit.entries`` (store/audit.py), which rebuilds them; the keyed hash's input is the same
    as before."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(MicroTime)
    staff_id: Mapped[str | None] = mapped_column(String(36))
    login: Mapped[str] = mapped_column(String(64), default="")
    device_id: Mapped[int | str] = mapped_column(Integer)  # an audit_name id (v2); text only if written by hand
    action: Mapped[str | None] = mapped_column(String(50))
    entity: Mapped[str | None] = mapped_column(String(50))
    entity_id: Mapped[str | None] = mapped_column(String(36))
    detail: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    epoch: Mapped[int | None] = mapped_column(Integer)
    seq: Mapped[int | None] = mapped_column(Integer)
    prev_hash: Mapped[str | None] = mapped_column(HexBytes)
    hash: Mapped[str] = mapped_column(HexBytes)
    key_id: Mapped[int | str | None] = mapped_column(Integer)  # an audit_name id (v2)
    # The viewer's filters (issue 6, migration 0007; partial since 0020: a change's entry has no
    # action or entity id of its own, the change log's entity index finds those): each index
    # ends in ``at`` (and the rowid), so one account's or one action's entries come out newest
    # first without a sort. ``ix_audit_log_change``: a change → its entry.
    __table_args__ = (Index("ix_audit_log_at", "at"), Index("ix_audit_log_login_at", "login", "at"),
                      Index("ix_audit_log_action_at", "action", "at", sqlite_where=sa.text("action IS NOT NULL")),
                      Index("ix_audit_log_entity_id", "entity_id", sqlite_where=sa.text("entity_id IS NOT NULL")),
                      Index("ix_audit_log_change", "seq", "epoch", sqlite_where=sa.text("seq IS NOT NULL")),
                      {"sqlite_autoincrement": True})


class AuditName(Base):
    """Device ids and audit key ids, each stored once (audit log v2): an entry names them by id."""

    __tablename__ = "audit_name"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)


class AuditState(Base):
    """The audit chain's own facts (one row, 0012): from which id every entry must be keyed
    (entries before it are plain SHA-256 ones written before 0012)."""

    __tablename__ = "audit_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    keyed_from: Mapped[int] = mapped_column(Integer)


class AuditKey(Base):
    """Audit keys of earlier data keys (a data key rotation, store/rekey.py), each sealed under
    a later data key (``sealer``: the audit key id of that data key), so entries written before
    the rotation stay verifiable (audit_witness.carry_keys). Rows sealed under a key that never
    came into use (a rotation that failed) are simply never opened."""

    __tablename__ = "audit_key"
    key_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    sealer: Mapped[str] = mapped_column(String(16), primary_key=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    retired_at: Mapped[datetime] = mapped_column(DateTime)


class AuditWitness(Base):
    """Heads (last id and hash) of an installation's audit log seen somewhere it cannot rewrite
    (store/audit_witness.py): our own head as written into each bundle and backup and where an
    epoch ended; each sender's head from its bundles; and our head as other devices recorded it,
    sent back in their bundles. ``audit verify`` compares the chain with every one of them."""

    __tablename__ = "audit_witness"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    device_id: Mapped[str] = mapped_column(String(36))  # whose audit log
    epoch: Mapped[int] = mapped_column(Integer)  # that device's epoch when the head was taken
    entry_id: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    entry_at: Mapped[str] = mapped_column(String(40), default="")
    source: Mapped[str] = mapped_column(String(16))  # export, backup, epoch_end, bundle, returned
    witness: Mapped[str] = mapped_column(String(36))  # the device that holds (held) it
    bundle_hash: Mapped[str | None] = mapped_column(String(64))
    noted_at: Mapped[datetime] = mapped_column(DateTime)
    __table_args__ = (Index("ix_audit_witness_device", "device_id", "epoch", "entry_id"),)


SYNCED_MODELS = {m.__tablename__: m for m in (
    Council, District, Staff, Household, Person, Agency, ConcernCategory, Place, Contact, Salon, SalonRegular,
    SalonSession, Attendance, Remark, ConcernSheet, SheetStatusChange, Referral,
    Consent, Conference, ConferenceMember, ConferenceCase, HandoutCopy,
    SupportCase, CaseStatusChange, CaseSheet, AssessmentView, SupportPlan, PlanGoal, PlanAction, MissingResource,
    Monitoring, CaseEvaluation, CommunityIssue, CommunityIssueCase,
    MeetingRequest, ConferenceCaseMember, Appointment,
    Supporter, CommunityActivity, SupportTie, CommunityIssueActivity, CommunityIssueResource, SupporterTarget,
)}
