"""Issue 6: the audit log viewer on the reference store (every page is one query + names)."""

from datetime import timedelta

import sqlalchemy as sa

from shakyo_desk.store.models import AuditLog, ConferenceCase, Contact
from shakyo_desk.store.services import audit_log

from .common import measure
from shakyo_desk.domain import clock

TARGET_MS = 500.0  # "well under a second" for a filtered page of 500


def _busy_household(store) -> str:
    """A household with many records and a conference (the worst realistic household filter)."""
    with store.read() as s:
        return s.execute(sa.select(Contact.household_id).where(Contact.household_id.in_(
            sa.select(ConferenceCase.household_id))).group_by(Contact.household_id)
            .order_by(sa.func.count().desc()).limit(1)).scalar()


def bench_audit_pages(ctx):
    store = ctx.store
    with store.read() as s:
        total = s.execute(sa.select(sa.func.max(AuditLog.id))).scalar()
        oldest = s.execute(sa.select(sa.func.min(AuditLog.at))).scalar().date()
    household = _busy_household(store)
    first = audit_log.query(store)
    cases = [
        ("no filter, first page", {}),
        ("no filter, 10th page", {"before_id": total - 4500}),
        ("one account (demo)", {"login": "demo"}),
        ("one account, this month", {"login": "demo", "start": clock.today().replace(day=1)}),
        ("period: one month three years ago", {"start": clock.today() - timedelta(days=3 * 365),
                                               "end": clock.today() - timedelta(days=3 * 365 - 30)}),
        ("group 閲覧 (rare)", {"action_group": "view"}),
        ("group 出力", {"action_group": "export"}),
        ("group 登録・変更", {"action_group": "change"}),
        ("group アカウント・権限", {"action_group": "account"}),
        ("group その他", {"action_group": "other"}),
        ("household (records and conferences)", {"household_id": household}),
        ("household + 閲覧", {"household_id": household, "action_group": "view"}),
        ("oldest day only", {"start": oldest, "end": oldest}),
    ]
    results = []
    for name, kwargs in cases:
        page = audit_log.query(store, **kwargs)
        results.append(measure(f"audit log: {name}", lambda kwargs=kwargs: audit_log.query(store, **kwargs),
                               ctx.repeat, TARGET_MS, note=f"{len(page.entries)} entries"
                               + ("+" if page.more else "") + f" of {total:,}"))
    assert first.entries
    return results


def bench_audit_verify(ctx):
    report = audit_log.verify(ctx.store)
    return [measure("audit log: verify the whole chain", lambda: audit_log.verify(ctx.store), max(1, ctx.repeat // 3),
                    note=f"{report.entries:,} entries, {'sound' if report.sound else f'broken at {report.broken_at}'}")]
