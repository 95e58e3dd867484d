"""Issue 6: listing the households past retention (the admin page and `retention list`)."""

from shakyo_desk.store.services import retention

from .common import measure


def bench_retention_list(ctx):
    found = retention.list_expired(ctx.store)
    note = f"{len(found)} households past retention, {sum(e.records for e in found):,} records to erase"
    return [measure("retention: households past retention (list_expired)", lambda: retention.list_expired(ctx.store),
                    ctx.repeat, note=note)]
