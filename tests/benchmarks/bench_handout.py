"""Issue 5 target (DESIGN §9): a 10-case handout with 12 copies under 3 s. The conference is
made on the reference store from its busiest households (the longest histories), then every
copy is produced as the app does it: consent gate, content built from the store, rendered,
written safely and registered."""

import tempfile
from datetime import timedelta
from pathlib import Path

from shakyo_desk.reports.handouts import export_handout
from shakyo_desk.store.services import conferences

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
    return [whole, each]


def _pages(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(path).pages)
