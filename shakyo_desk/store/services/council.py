"""Council settings (name, municipality, fiscal-year start, idle lock, retention, handout
wording and how long handout copies may stay out, the statistics suppression threshold,
after how many days admins are reminded to back up)."""

from dataclasses import dataclass

import sqlalchemy as sa

from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.domain.roles import manages_settings
from shakyo_desk.domain.vocab import DEFAULT_CONFIDENTIALITY_NOTICE, DEFAULT_HANDOUT_RETENTION_DAYS
from shakyo_desk.store.models import Council
from shakyo_desk.store.services._common import optional_text, require, required_text, require_office
from shakyo_desk.store.store import Store

# Counts below this are suppressed in exported statistics (a small count can name a villager).
DEFAULT_STATS_SUPPRESSION_THRESHOLD = 3
# Admins see a reminder when this installation's last backup is older than this (store/backup.py).
DEFAULT_BACKUP_REMINDER_DAYS = 7


@dataclass(frozen=True)
class CouncilSettings:
    id: str
    name: str
    municipality: str
    fiscal_year_start_month: int
    idle_lock_minutes: int
    retention_years: int
    is_demo: bool
    confidentiality_notice: str = DEFAULT_CONFIDENTIALITY_NOTICE  # printed on every 支援会議 handout
    handout_retention_days: int = DEFAULT_HANDOUT_RETENTION_DAYS  # copies still out this long after a meeting are listed
    stats_suppression_threshold: int = DEFAULT_STATS_SUPPRESSION_THRESHOLD  # exported counts below it are hidden
    backup_reminder_days: int = DEFAULT_BACKUP_REMINDER_DAYS  # remind admins when the last backup is older


def get_settings(store: Store) -> CouncilSettings:
    from shakyo_desk.store.reporter import is_reporter_session

    if is_reporter_session(store):  # what the council published to the drop box for reporters
        c = store.catalogue()
        minutes = c.get("idle_lock_minutes")
        return CouncilSettings("", str(c.get("council") or ""), "", 4,
                               minutes if isinstance(minutes, int) and minutes > 0 else 10, 5, bool(c.get("is_demo")))
    with store.read() as s:
        c = s.execute(sa.select(Council).where(Council.deleted_at.is_(None))).scalars().first()
        return CouncilSettings(c.id, c.name, c.municipality, c.fiscal_year_start_month, c.idle_lock_minutes,
                               c.retention_years, c.is_demo, c.confidentiality_notice, c.handout_retention_days,
                               c.stats_suppression_threshold, c.backup_reminder_days)


def update_settings(store: Store, **changes) -> CouncilSettings:
    require(manages_settings(store.actor.role))
    require_office(store)
    current = get_settings(store)
    values = {}
    if "name" in changes:
        values["name"] = required_text(changes.pop("name"), "社協の名前")
    if "municipality" in changes:
        values["municipality"] = optional_text(changes.pop("municipality"), "市町村名", 200)
    if "confidentiality_notice" in changes:
        values["confidentiality_notice"] = required_text(changes.pop("confidentiality_notice"),
                                                         "支援会議の資料に載せる守秘義務の注意書き", 2000)
    for field, label, low, high in (
        ("fiscal_year_start_month", "年度の開始月", 1, 12),
        ("idle_lock_minutes", "自動ロックまでの分数", 1, 240),
        ("retention_years", "保存年数", 1, 100),
        ("handout_retention_days", "配布資料を回収・廃棄するまでの日数", 1, 3650),
        ("stats_suppression_threshold", "統計で伏せる件数の基準（この数未満を伏せる）", 1, 20),
        ("backup_reminder_days", "バックアップを促すまでの日数", 1, 365),
    ):
        if field in changes:
            try:
                number = int(changes.pop(field))
            except (TypeError, ValueError):
                raise InvalidInput(f"{label}は数字で入力してください。") from None
            if not low <= number <= high:
                raise InvalidInput(f"{label}は{low}〜{high}の範囲で入力してください。")
            values[field] = number
    if changes:
        raise InvalidInput(f"変更できない項目です：{'、'.join(changes)}")
    with store.write() as w:
        w.update(Council, current.id, values)
    return get_settings(store)
