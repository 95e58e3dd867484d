"""Personal data that leaves the encrypted store on purpose (a PDF, a CSV) is logged."""

from shakyo_desk.store.store import Store


def log_export(store: Store, kind: str, detail: dict) -> None:
    """Append an audit entry ``<kind>.export`` (e.g. route_pdf) with what went out.
    ``detail`` names files and record ids, never the personal data itself."""
    with store.write() as w:
        w.audit(f"{kind}.export", detail=detail)
