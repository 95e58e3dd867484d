"""Issue 5 target (DESIGN §9): a 10-case handout with 12 copies under 3 s. The conference is
made on the reference store from its busiest households (the longest histories), then every
copy is produced as the app does it: consent gate, content built from the store, rendered,
written safely and registered."""

import tempfile
from datetime import timedelta
from pathlib import Path

from shakyo_desk.reports.handouts import export_handout
from shakyo_desk.store.services import case_views, conferences, consents, households

from .bench_field import _busiest_households
from .common import measure
from shakyo_desk.domain import clock

MEMBERS = [f"構成員{n:02d} 太郎/関係機関{n:02d}" for n in range(1, 13)]


def bench_handout(ctx) -> list:
    store = ctx.store
    cases = [(h, "今後の見守りと役割分担を決めたい。") for h in _busiest_households(store, 10)]
    meeting = conferences.add_conference(store, "support", clock.today() + timedelta(days=7), members=MEMBERS,
                                         cases=cases, title="ベンチマーク支援会議")
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        made = []

        def one_file():
            made.append(export_handout(store, meeting, out / f"h{len(made)}.pdf"))

        def separate():
            target = out / f"each{len(made)}"
            target.mkdir()
            made.append(export_handout(store, meeting, target, separate=True))

        whole = measure("handout: 10 cases, 12 numbered copies in one PDF (gate, build, write, register)",
                        one_file, ctx.repeat, 3000.0)
        size = made[-1].paths[0].stat().st_size
        pages = _pages(made[-1].paths[0])
        each = measure("handout: the same as 12 separate PDFs", separate, ctx.repeat, 3000.0)
        each_size = sum(p.stat().st_size for p in made[-1].paths)
    whole.note = f"{size / 1e6:.2f} MB, {pages} pages"
    each.note = f"{each_size / 1e6:.2f} MB in 12 files"
    return [whole, each, _multi_agency(ctx)]


def _multi_agency(ctx):
    """Issue 18: a 重層的支援会議 of the 10 open cases with the largest plans, each 本人 consenting,
    every case section with its plan in force (goals, who does what, the last monitoring)."""
    store, today = ctx.store, clock.today()
    open_cases = [c for c in case_views.list_cases(store, today=today) if c.status != "終結"]
    details = [case_views.get_case(store, c.id, log=False) for c in open_cases]
    largest = sorted(details, key=lambda d: -sum(len(g.actions) + len(g.monitoring)
                                                 for g in (d.plans[-1].goals if d.plans else ())))[:10]
    cases = []
    for d in largest:
        person = households.get_household(store, d.summary.household_id, log=False).members[0].id
        consents.add_consent(store, person, "multi-agency", given_on=today - timedelta(days=30))
        cases.append({"household_id": d.summary.household_id, "case_id": d.summary.id, "person_id": person,
                      "question": "プランの進み具合を共有し、役割分担を見直したい。"})
    meeting = conferences.add_conference(store, "multi-agency", today + timedelta(days=7), members=MEMBERS,
                                         cases=cases, title="ベンチマーク重層的支援会議")
    goals = sum(len(d.plans[-1].goals) for d in largest if d.plans)
    with tempfile.TemporaryDirectory() as folder:
        made = []
        result = measure("handout: 重層的支援会議, 10 cases with their plans, 12 copies in one PDF",
                         lambda: made.append(export_handout(store, meeting, Path(folder) / f"m{len(made)}.pdf")),
                         ctx.repeat, 3000.0)
        result.note = f"{goals} goals; {made[-1].paths[0].stat().st_size / 1e6:.2f} MB, {_pages(made[-1].paths[0])} pages"
    return result


def _pages(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(path).pages)
