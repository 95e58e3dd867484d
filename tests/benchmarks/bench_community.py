"""Issue 19: the whole-council list of households living alone or elderly-only with no tie
(target 300 ms) and the community figures of the statistics, on the reference store."""

from shakyo_desk.domain import clock
from shakyo_desk.domain.wareki import fiscal_year
from shakyo_desk.store.services import stats, supporters, ties
from shakyo_desk.store.services.council import get_settings
from shakyo_desk.store.services.stats_community import community_tables

from .common import measure

NO_TIE_TARGET_MS = 300.0
STATS_TARGET_MS = 2000.0


def bench_community(ctx) -> list:
    store = ctx.store
    untied = ties.households_without_tie(store)
    live = len(ties.list_ties(store))
    results = [measure("no-tie list: whole council (一人暮らし・高齢者のみ with no tie)",
                       lambda: ties.households_without_tie(store), ctx.repeat, NO_TIE_TARGET_MS,
                       note=f"{len(untied):,} households listed; {live:,} ties holding")]
    year = fiscal_year(clock.today(), get_settings(store).fiscal_year_start_month) - 1
    period = stats.council_fiscal_year(store, year)
    scope = stats._scope(store, None)

    def community_only():
        with store.read() as s:
            return community_tables(s, scope, period, clock.today(), "")

    _, summary = community_only()
    results.append(measure(f"statistics: the community tables alone, {period.label}, whole council",
                           community_only, ctx.repeat, note=f"{summary['ties']:,} ties live at the end, "
                           f"{summary['supporters']:,} 担い手, {summary['activities']:,} 地域活動"))
    results.append(measure(f"statistics: {period.label} and the year before with the community figures (all tables)",
                           lambda: stats.yearly_figures(store, year), ctx.repeat, STATS_TARGET_MS))
    results.append(measure("担い手 per district against the 年度's target (supporters.counts)",
                           lambda: supporters.counts(store, year + 1), ctx.repeat))
    return results
