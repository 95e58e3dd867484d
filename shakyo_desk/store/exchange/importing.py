"""The import pipeline (DESIGN §5): staging copy → decrypt → verify (signature, council,
roster, revocation, hash chain, replay) → apply in one transaction → summary.

Every refusal names its reason and changes nothing; refused files are copied into the
store's quarantine folder and listed, never dropped silently."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shakyo_desk.domain import faults
from shakyo_desk.domain.errors import UserError
from shakyo_desk.domain.file_errors import read_failure
from shakyo_desk.domain.roles import may_sync
from shakyo_desk.store import audit_witness, migrate
from shakyo_desk.store.exchange import chains, clones
from shakyo_desk.store.exchange import drops as carried_drops
from shakyo_desk.store.exchange import authors
from shakyo_desk.store.exchange import identity as ident
from shakyo_desk.store.exchange import knowledge
from shakyo_desk.store.exchange.apply import STORED_TEXT, apply_changes, wire_problem
from shakyo_desk.store.exchange.origins import Origins
from shakyo_desk.store.models import SyncBundle, SyncPeer, SyncPending, SyncQuarantine
from shakyo_desk.store.services._common import require
from shakyo_desk.store.store import Store
from shakyo_desk.sync import roster as rosters
from shakyo_desk.sync.bundle import (BUNDLE_SUFFIX, PARTIAL_SUFFIX, BundleRefused, CarriedRoster, Verified,
                                     bundle_files_in, verify_bundle)
from shakyo_desk.domain import clock, safe_file

Progress = Callable[[int, int, str], None]

APPLIED, ALREADY, OWN, REFUSED = "applied", "already", "own", "refused"


@dataclass
class ImportResult:
    file: str
    status: str  # applied | already | own | refused
    message: str = ""
    reason: str = ""
    sender: str = ""  # device name
    seq: int = 0
    changes: int = 0
    applied: int = 0
    conflicts: int = 0
    gaps: list[str] = field(default_factory=list)
    clone_detected: bool = False
    clone_of: str = ""  # the name of another device found in two copies ("" when it is this one)
    clone_quarantine: bool = False  # a forked chain: applied, and a copy kept in quarantine
    clone_reissued: int = 0  # our own cloned epochs whose changes this import re-issued
    notes: list[str] = field(default_factory=list)  # reporters' sheets it carried that were left out

    @property
    def clone_notice(self) -> str:
        """What a person is told when this file showed that an installation exists twice."""
        if self.clone_of:
            return (f"端末「{self.clone_of}」が二か所で使われています（データフォルダの複製か、登録ファイルの二重使用）。"
                    "どちらの記録も取り込みました。使い続けるのはどちらか一方にするよう、管理者に知らせてください。")
        return "この端末の複製が見つかりました。これからの変更は新しい番号（エポック）で記録します。管理者に知らせてください。"


@dataclass
class ImportReport:
    results: list[ImportResult] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # after the run: the drop box (services/drops.py)

    @property
    def refused(self) -> list[ImportResult]:
        return [r for r in self.results if r.status == REFUSED]

    @property
    def applied(self) -> int:
        return sum(r.applied for r in self.results)

    @property
    def conflicts(self) -> int:
        return sum(r.conflicts for r in self.results)


def bundle_paths(paths: Iterable[Path]) -> list[Path]:
    """Files and folders → bundle files, oldest bundle number first per sender (names sort so).

    In a folder only bundle names count (`bundle.is_bundle_name`: temporary and lock files of
    file-sync clients are left alone, unlisted); hidden sub-folders (`.stfolder`, `.stversions`,
    `.dropbox.cache`, `.tmp.drivedownload`) are not outboxes. A file named explicitly is taken."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found.extend(bundle_files_in(path))
            subs = sorted(p for p in path.iterdir() if not p.name.startswith(".") and p.is_dir())
            for sub in subs:  # a shared folder's outboxes
                found.extend(bundle_files_in(sub))
        else:
            found.append(path)
    return found


def import_paths(store: Store, paths: Iterable[Path], progress: Progress | None = None,
                 skip_own_outbox: Path | None = None) -> ImportReport:
    require(may_sync(store.actor.role))
    files = [p for p in bundle_paths(paths) if skip_own_outbox is None or p.parent != Path(skip_own_outbox)]
    report = ImportReport()
    for index, path in enumerate(files):
        if progress:
            progress(index, len(files), path.name)
        report.results.append(_import_isolated(store, path))
    if progress:
        progress(len(files), len(files), "")
    from shakyo_desk.store.services.drops import after_import  # (services import this module)

    report.notices.extend(after_import(store, report))
    return report


def _import_isolated(store: Store, path: Path) -> ImportResult:
    """One file of a run: whatever goes wrong with it, the run goes on with the next file, so
    one file can never keep a mailbox stuck. A refusal is import_file's; any other error is a
    fault of the app: written to a crash report (no personal data) and recorded as a refused
    result naming the file. Its transaction was rolled back, so nothing of it is kept."""
    try:
        return import_file(store, path)
    except UserError as error:  # a store-level condition (locked, keys missing): not the file's fault
        return ImportResult(Path(path).name, REFUSED, message=error.message, reason="store")
    except Exception as error:  # noqa: BLE001 - one file's fault never ends the run
        return ImportResult(Path(path).name, REFUSED, message=_fault_message(error), reason="fault")


def _fault_message(error: BaseException) -> str:
    report = faults.record(error, "sync import")
    where = f"詳しい記録：{report}　" if report is not None else ""
    return (f"この同期ファイルの取り込み中に予期しないエラーが起きた（{type(error).__name__}）ため、"
            f"このファイルは取り込まずに次のファイルへ進みました。{where}"
            "アプリを最新版に更新してからもう一度取り込み、それでも同じならサポート担当に伝えてください。")


# ---- one file ---------------------------------------------------------------------------


class _Refusal(Exception):
    def __init__(self, reason: str, message: str, quarantine: bool = True):
        super().__init__(message)
        self.reason, self.message, self.quarantine = reason, message, quarantine


def _stage(store: Store, path: Path) -> Path:
    """Copy the whole file into the staging folder first: a stick pulled halfway fails here,
    before anything is changed. The import reads the copy (never all of it into memory at
    once) and a refused file is quarantined from it."""
    if path.name.endswith(PARTIAL_SUFFIX):
        raise _Refusal("partial", "書き込みの途中で止まった同期ファイルです（書き出しが終わっていません）。"
                                  "書き出しをやり直してもらってください。", quarantine=False)
    if not path.name.endswith(BUNDLE_SUFFIX):
        raise _Refusal("name", "同期ファイル（名前の最後が .bundle のファイル）ではありません。", quarantine=False)
    staging = store.layout.staging
    staged = staging / path.name
    try:
        safe_file.make_private_dir(staging)
        safe_file.copy_private(path, staged)
    except OSError as error:
        staged.unlink(missing_ok=True)
        raise _Refusal("read", read_failure("同期ファイル", path, error) + "何も変更していません。",
                       quarantine=False) from error
    return staged


def import_file(store: Store, path: Path) -> ImportResult:
    path = Path(path)
    result = ImportResult(path.name, REFUSED)
    try:
        staged = _stage(store, path)
    except _Refusal as refusal:
        result.reason, result.message = refusal.reason, refusal.message
        return result
    try:
        with store.write() as w:
            carried = _import(w, staged, result)
        if carried:  # reporters' sheets it carried, kept once the import is committed
            carried_drops.keep(store.layout.root, carried, result.notes)
        if result.clone_quarantine:  # applied, and the forked file kept for whoever looks into it
            _quarantine(store, path, staged, _Refusal("clone", CLONE_KEPT.format(name=result.sender, seq=result.seq)))
    except _Refusal as refusal:
        result.status, result.reason, result.message = (
            ALREADY if refusal.reason == "replay" else OWN if refusal.reason == "own" else REFUSED,
            refusal.reason, refusal.message)
        if refusal.quarantine:
            _quarantine(store, path, staged, refusal)
    except BundleRefused as refusal:
        result.reason, result.message = refusal.reason, refusal.message
        _quarantine(store, path, staged, _Refusal(refusal.reason, refusal.message))
    finally:
        staged.unlink(missing_ok=True)
    return result


def _import(w, staged: Path, result: ImportResult) -> carried_drops.Carried:
    conn = w.conn
    me = ident.load(conn)
    adopted: list[bool] = []

    def trusted(carried: CarriedRoster | None) -> dict:
        # Called before the bundle's signature is checked: the roster is adopted only if the
        # council admin key signed its raw bytes (rosters.verify), and only then is it parsed.
        if carried is not None:
            signed = rosters.SignedRoster(carried.body, ident.b64(carried.signature))
            try:
                adopted.append(ident.adopt_roster(conn, signed, me.council_id))
            except rosters.RosterInvalid:
                pass  # judged below by the roster we hold: an unsigned roster changes nothing
        return rosters.trusted_keys(ident.roster_data(conn))

    opened = verify_bundle(staged, me.keys, trusted, me.council_id)
    device_id, epoch, seq = opened.sender
    roster = ident.roster_data(conn)
    entry = rosters.device(roster, device_id)
    result.sender, result.seq, result.changes = entry["name"], seq, opened.count

    if device_id == me.device_id:
        if _known_bundle(conn, opened.bundle_hash):
            raise _Refusal("own", "この端末が書き出した同期ファイルです。取り込む必要はありません。", quarantine=False)
        # Our identity, a bundle we never wrote: a copy of this installation exists somewhere.
        # It is imported like any other device's; what it wrote under one of our own epochs is
        # a clone of that epoch (resolved after the changes are in, clones.resolve_own).
        result.clone_detected = True
        if epoch in clones.my_epochs(conn, me.device_id, me.epoch):
            clones.note(w, device_id, epoch, _range_evidence(opened, device_id, epoch), how="own")
    if not rosters.accepts_bundle(entry, opened.bundle_hash):
        raise _Refusal("revoked", f"端末「{entry['name']}」は利用停止されています。停止後に作られた同期ファイルは取り込めません。")
    schema = str(opened.manifest["schema_version"])
    if schema not in migrate.known_revisions():
        raise _Refusal("schema", "この同期ファイルは新しいバージョンの社協デスクで作られています。"
                                 "アプリを最新版に更新してから取り込んでください。", quarantine=False)
    if _known_bundle(conn, opened.bundle_hash):
        raise _Refusal("replay", f"この同期ファイル（{entry['name']}の第{seq}号）は取り込み済みです。", quarantine=False)
    claims = clones.read_claims(opened.manifest)
    if claims is None:
        raise _Refusal("format", "同期ファイルの目録（端末の複製の知らせ）の形式が正しくないため取り込めません。")
    forked = _check_chain(conn, opened, entry["name"], result)
    if forked and device_id != me.device_id:
        # Two bundles under one number of a device signed with its key: two copies of that
        # installation are writing (a copied folder, an enrolment joined twice). Their changes
        # whose dots we do not hold are taken; colliding ones come again when the copies re-issue.
        result.clone_detected = True
        result.clone_quarantine = True
        result.clone_of = entry["name"]
        clones.note(w, device_id, epoch, _range_evidence(opened, device_id, epoch), how="fork")
    _leave_cloned_epoch(w, opened, me)
    compare = clones.Compare(conn, clones.watch_keys(conn, me, [(device_id, epoch)] if forked else []))
    ranges_ok = _apply(conn, opened, result, compare=compare)
    for key in sorted(compare.differ):
        result.clone_detected = True
        # Identical content proves a dot older than the copy only where we wrote what we hold
        # (our own origin): another device's dots we hold may be either copy's, a mixture of
        # both (taken where the dots were free). There only a forked bundle's own ranges say more.
        same = compare.evidence(key) if key[0] == me.device_id else 0
        if key[0] != me.device_id:
            other = rosters.device(roster, key[0])
            result.clone_of = result.clone_of or (other["name"] if other else key[0][:8])
        told = _range_evidence(opened, *key) if forked and key[0] in (device_id, me.device_id) else 0
        clones.note(w, *key, max(same, told), how="content")
    result.conflicts = len(ranges_ok.conflicts_opened)
    result.applied = ranges_ok.stored
    _take_claims(w, claims, device_id, result)
    reissued = clones.resolve_own(w)
    if reissued:
        result.clone_detected = True
        result.clone_reissued = len(reissued)
    _record(conn, opened, result)
    audit_witness.take_from_manifest(conn, opened.manifest, me.device_id, device_id, opened.bundle_hash)
    carried = carried_drops.received(conn, me, roster, opened.manifest, device_id, result.notes)
    w.audit("sync.import", detail={"sender": device_id, "seq": seq, "changes": result.changes,
                                   "applied": result.applied, "conflicts": result.conflicts})
    result.status = APPLIED
    return carried


def _range_evidence(opened: Verified, origin: str, epoch: int) -> int:
    """How far (origin, epoch) is the same on both copies, as a forked chain's bundle shows it:
    its sender carried that origin's changes from just above what it believed every receiver
    held, which it learnt before the copies went apart."""
    firsts = [r["first"] for r in opened.manifest["ranges"] if r["origin"] == origin and r["epoch"] == epoch]
    return max(0, min(firsts) - 1) if firsts else 0


def _leave_cloned_epoch(w, opened: Verified, me: ident.Identity) -> None:
    """Changes of our own origin and current epoch that we never issued (a copy of this
    installation wrote them): we move to a fresh epoch before storing them, so we never issue
    one of those dots ourselves."""
    held = me.next_seq - 1
    for r in opened.manifest["ranges"]:
        if r["origin"] == me.device_id and r["epoch"] == me.epoch and r["last"] > held:
            clones.note(w, me.device_id, me.epoch, 0, how="relayed")
            clones.leave_epoch_if_cloned(w, me.epoch)
            return


def _take_claims(w, claims: list[clones.Clone], sender: str, result: ImportResult) -> None:
    """The clones the sender knows of: ours to resolve if one is of our own origin, and news of
    a re-issue to pass on."""
    me = ident.load(w.conn)
    for claim in claims:
        if clones.note(w, claim.origin, claim.epoch, claim.same_through, how="told") and claim.origin == me.device_id:
            result.clone_detected = True
        if claim.reissued:
            clones.seen_reissued(w, claim.origin, claim.epoch)


CLONE_KEPT = ("端末「{name}」の第{seq}号は、取り込み済みの同じ番号のファイルと内容が違います（端末のデータが複製されて"
              "2台で使われているおそれ）。重ならない変更は取り込み、重なった変更はそれぞれの端末が次の同期で"
              "出し直します。このファイルは確認のために残しています。")


def _known_bundle(conn: Connection, digest: str) -> bool:
    return conn.execute(sa.select(SyncBundle.bundle_hash).where(SyncBundle.bundle_hash == digest)).first() is not None


def _check_chain(conn: Connection, opened: Verified, name: str, result: ImportResult) -> bool:
    """Per-sender hash chain: a bundle must extend what we hold from that sender; a missing
    number is a gap to report, a different history under the same numbers is refused.

    A sender commits a bundle's number and hash before its file exists (exporting.py), so a
    crash never makes it issue two contents under one number. A number whose export never
    finished is declared in a later manifest's `abandoned`: it is no gap (it may still arrive,
    and is then taken like any other). Gaps are reported as runs of numbers, one sentence each."""
    device_id, epoch, seq = opened.sender
    rows = conn.execute(sa.select(SyncBundle.seq, SyncBundle.bundle_hash).where(
        SyncBundle.sender == device_id, SyncBundle.epoch == epoch, SyncBundle.direction == "in")).all()
    by_seq = {r.seq: r.bundle_hash for r in rows}
    prev = opened.manifest["prev_bundle_hash"]
    forked = (seq in by_seq) or (seq - 1 in by_seq and by_seq[seq - 1] != prev) or (seq == 1 and prev is not None)
    if forked:
        # Only a holder of the sender's key can fork its chain: a copy of that installation.
        # Returned to _import, which takes what does not collide and keeps the file in quarantine.
        result.gaps.append(f"端末「{name}」の第{seq}号として、取り込み済みのものと食い違う同期ファイルです。"
                           "端末のデータが複製されて2台で使われているおそれがあります。重ならない変更は取り込み、"
                           "ファイルは隔離して残しました。管理者に相談してください。")
        return True
    abandoned = _abandoned(opened.manifest, seq)
    last = max((s for s in by_seq if s < seq), default=0)
    start = last + 1
    for skipped in [*sorted(n for n in abandoned if n > last), seq]:
        if start < skipped:
            result.gaps.append(_missing(name, start, skipped - 1))
        start = skipped + 1
    return False


MAX_ABANDONED = 1000  # abandoned numbers a manifest may declare (a sender declares at most 64)


def _abandoned(manifest: dict, seq: int) -> set[int]:
    """The sender's numbers it never finished writing (manifest key `abandoned`, optional)."""
    declared = manifest.get("abandoned", [])
    if (not isinstance(declared, list) or len(declared) > MAX_ABANDONED
            or not all(type(n) is int and 1 <= n < seq for n in declared)):
        raise _Refusal("format", "同期ファイルの目録（書き出しが終わらなかった番号）の形式が正しくないため取り込めません。")
    return set(declared)


def _missing(name: str, first: int, last: int) -> str:
    if first == last:
        return f"「{name}」の第{first}号の同期ファイルがまだ届いていません。"
    return f"「{name}」の第{first}号から第{last}号までの同期ファイルがまだ届いていません。"


@dataclass
class _Outcome:
    stored: int = 0
    conflicts_opened: list[str] = field(default_factory=list)


def _apply(conn: Connection, opened: Verified, result: ImportResult,
           compare: clones.Compare | None = None) -> _Outcome:
    """Take each range that continues what we hold; park ranges that arrive ahead of a gap.

    A range is taken only together with everything its sender held (the bundle's declared
    knowledge): a change may refer to a record another device created — a visit to a
    household made at the office — and that household's insert may be behind a gap or not in
    this bundle at all (a bundle made for another device, a district-limited laptop passing on
    only its own changes). Taking it alone broke the foreign key and the whole import.

    Which ranges are taken is settled from the manifest alone; the changes are then read from
    the payload once, as they come, and applied in slices."""
    known = knowledge.own(conn)
    me = ident.load(conn)
    # Knowledge advances by the declared ranges, so they must be what the bundle carries: every
    # change of each range, once. Only the office's bundle for a district-limited laptop leaves
    # out what lies outside the laptop's districts (and widens ranges for households entering them).
    filtered = bool(me.scope) and opened.sender[0] == rosters.office_device_id(ident.roster_data(conn))
    origins = Origins(conn, ident.roster_data(conn), opened.sender[0], filtered=filtered)
    # Our own origin is not a requirement: only a copy of this installation could know more of it.
    requires = origins.requires({k: v for k, v in opened.manifest["knowledge"].items()
                                 if isinstance(v, int) and knowledge.split(k)[0] != me.device_id})
    # A district-limited laptop holds only its districts' part of what its knowledge covers: a
    # household that moved into them arrives with its earlier history (exporting._fill_entering),
    # below what the laptop knows. Whoever holds everything up to its knowledge skips such ranges.
    old_news = bool(me.scope)
    declared: list[_Range] = []
    aside: list[tuple[str, int, int, int]] = []  # a revoked device's changes past what is kept
    for spec in opened.manifest["ranges"]:
        upto = origins.taken_part(spec)
        if upto < spec["last"]:
            aside.append((spec["origin"], spec["epoch"], max(spec["first"], upto + 1), spec["last"]))
        if upto >= spec["first"]:
            declared.append(_Range(None, spec["origin"], spec["epoch"], spec["first"], upto, [], requires, spec=spec))
    incoming = [r for r in declared if old_news or r.last > known.get(r.key, 0)]
    parked = [_Range(row.id, row.origin, row.epoch, row.first, row.last, row.changes, row.requires or {})
              for row in conn.execute(sa.select(SyncPending.__table__).order_by(SyncPending.id))]
    # A revoked device's changes still parked were never taken, so they are not in the roster's
    # `kept`: they go (what is kept of it comes again through the rules for revoked origins).
    revoked = {d["device_id"] for d in ident.roster_data(conn)["devices"] if d["revoked_at"] is not None}
    stale = [r.id for r in parked if r.origin in revoked]
    if stale:
        conn.execute(SyncPending.__table__.delete().where(SyncPending.id.in_(stale)))
        parked = [r for r in parked if r.id not in stale]
    taken, reach = _settle(known, incoming + parked)
    taken_ids = {id(r) for r in taken}

    def to_apply() -> Iterator[dict]:
        judge = authors.Authors(conn, ident.roster_data(conn), opened.sender[0], defer=True)
        for r in sorted((r for r in parked if id(r) in taken_ids), key=lambda r: (r.key, r.first)):
            origins.released(r.changes)
            for change in r.changes:
                refusal = judge.refusal(change)
                if refusal:
                    raise _Refusal("author", refusal)
                if origins.taking(change):
                    yield change
        incoming_ids = {id(r) for r in incoming}
        # Per origin and epoch: its declared ranges, whether each is taken or parked, and the
        # seq above which a change is new (changes we hold already are skipped when stored).
        by_key: dict[tuple[str, int], list[tuple[_Range, bool, bool]]] = defaultdict(list)
        for r in declared:
            by_key[(r.origin, r.epoch)].append((r, id(r) in taken_ids, id(r) in incoming_ids))
        floor = {(r.origin, r.epoch): 0 if old_news else known.get(r.key, 0) for r in declared}
        dense = not filtered
        carried = _Carried(declared, dense=dense)
        runs = {id(r): origins.run(r.spec, r.last) for r in declared}
        vouched = {id(r) for r in declared if _compare_held(conn, r, runs[id(r)], opened.sender[0], known)} \
            if compare is not None and not filtered else set()
        for change in opened.iter_changes():
            if wire_problem(change):
                raise _Refusal("format", "同期ファイルの中に形式の正しくない変更があるため取り込めません。")
            key, seq = (change["origin"], change["epoch"]), change["seq"]
            if aside and any((o, e) == key and a <= seq <= b for o, e, a, b in aside):
                continue  # set aside: a revoked device's, past what the office kept of it
            compared = compare is not None and key in compare.keys
            if compared:
                compare.see(change)  # a dot we hold with other content is a clone (clones.Compare)
            inside = False
            for r, is_taken, is_incoming in by_key.get(key, ()):
                if r.first <= seq <= r.last:
                    inside = True
                    if dense:
                        carried.saw(r, seq)
                    new = seq > floor[key] if is_taken else is_incoming
                    run = runs[id(r)]
                    run.see(change, new)
                    if not compared and id(r) in vouched and seq <= known.get(r.key, 0):
                        compared = True
                        compare.see(change)
                    if is_taken:
                        if new:
                            refusal = judge.refusal(change)
                            if refusal:
                                raise _Refusal("author", refusal)
                            if run.kept is not None:  # taken once the kept value is met (below)
                                run.held = (run.held or []) + [change]
                            elif origins.taking(change):
                                yield change
                    elif is_incoming:
                        # Judged now too: a forgery parked behind a gap would otherwise make every
                        # later import that releases it refused, naming an honest sender.
                        refusal = judge.refusal(change)
                        if refusal:
                            raise _Refusal("author", refusal)
                        if isinstance(change.get("chain"), bytes):
                            change["chain"] = change["chain"].hex()  # (parked as JSON)
                        change.pop(STORED_TEXT, None)
                        r.changes.append(change)  # parked below, or dropped as held already
            if not inside:
                raise _Refusal("format", RANGE_MISMATCH)
        for run in runs.values():
            run.finish()  # the heads: before apply_changes returns, so a refusal rolls everything back
        carried.finish()
        for r in declared:  # a revoked device's changes: all of the range as the office kept it, or none
            run = runs[id(r)]
            if run.aside:
                set_aside.add(r.key)
            elif run.held:
                yield from (c for c in run.held if origins.taking(c))
        refusal = judge.finish()  # changes whose author's role arrived later in this import
        if refusal:
            raise _Refusal("author", refusal)
        yield from origins.blanked()
        if compare is not None:
            compare.flush()

    set_aside: set[str] = set()
    applied = apply_changes(conn, to_apply())
    origins.finish()
    for key in set_aside:  # nothing of those ranges was taken: knowledge stays where it was
        reach[key] = known.get(key, 0)
        result.gaps.append(f"「{result.sender}」から届いた、利用停止された端末の変更の一部は、"
                           "事務局が停止時に受け取っていたものと違うため取り込みませんでした。")

    done = [r.id for r in parked if id(r) in taken_ids or (not old_news and r.last <= reach.get(r.key, 0))]
    if done:
        conn.execute(SyncPending.__table__.delete().where(SyncPending.id.in_(done)))
    for r in incoming:
        if id(r) in taken_ids or (r.last <= reach.get(r.key, 0) and not (old_news and r.changes)):
            continue
        conn.execute(SyncPending.__table__.insert(), dict(origin=r.origin, epoch=r.epoch, first=r.first,
                                                          last=r.last, changes=r.changes, requires=r.requires))
        if r.first > reach.get(r.key, 0) + 1:
            result.gaps.append(f"「{result.sender}」から届いた変更の一部は、前の同期ファイルが届くまで保留しています。")
        else:
            result.gaps.append(f"「{result.sender}」から届いた変更の一部は、その前提となるほかの端末の変更が届くまで保留しています。")
    result.gaps = list(dict.fromkeys(result.gaps))
    knowledge.save(conn, {k: v for k, v in reach.items() if k != _own_key(conn)})
    return _Outcome(applied.stored, applied.conflicts_opened)


def _compare_held(conn: Connection, r: _Range, run, sender: str, known: dict[str, int]) -> bool:
    """Whether the changes of range `r` at dots we hold are compared with ours (clones.Compare):
    a held dot met with other content that its origin vouches for — its own bundle's signature,
    or a chain its signed head ends (checked before anything commits) — proves two copies of
    that origin, whoever carries it. Not when the range's head is the chain value we hold there:
    the chain binds every change up to it, so what we hold is what the origin signed (a full
    bundle re-sends everything; comparing it dot by dot cost the import 75 % more CPU)."""
    if not (r.origin == sender or (run.value is not None and run.kept is None)):
        return False  # a relay's word (an epoch from before chains), or a revoked origin's
    if min(r.last, known.get(r.key, 0)) < r.first:
        return False  # nothing of it held
    entry = r.spec.get("chain") if r.spec else None
    if entry is not None and r.spec["last"] <= known.get(r.key, 0):
        return chains.tip(conn, r.origin, r.epoch, r.spec["last"]) != bytes.fromhex(entry["head"])
    return True


RANGE_MISMATCH = ("同期ファイルの変更が目録（範囲）と一致しないため取り込めません。"
                  "書き出した端末の人に、もう一度書き出してもらってください。")


class _Carried:
    """Checks that a bundle carries exactly the changes its ranges declare: a range claimed
    without its changes would make us believe we hold another device's work, and that work
    would then never be sent to us (nor by us to anyone)."""

    def __init__(self, declared: list[_Range], *, dense: bool):
        self.dense = dense
        self.declared = declared
        if dense:
            keys = [r.key for r in declared]
            if len(keys) != len(set(keys)):
                raise _Refusal("format", RANGE_MISMATCH)

    def saw(self, r: _Range, seq: int) -> None:
        if seq <= r.last_seen:  # twice, or out of order
            raise _Refusal("format", RANGE_MISMATCH)
        r.last_seen = seq
        r.seen += 1

    def finish(self) -> None:
        if self.dense and any(r.seen != r.last - r.first + 1 for r in self.declared):
            raise _Refusal("format", RANGE_MISMATCH)


def _own_key(conn: Connection) -> str:
    me = ident.load(conn)
    return f"{me.device_id}:{me.epoch}"


@dataclass(eq=False)
class _Range:
    id: int | None  # the sync_pending row, None for a range of the bundle being imported
    origin: str
    epoch: int
    first: int
    last: int
    changes: list[dict]
    requires: dict[str, int]  # the sender's knowledge: what must be held before these apply
    seen: int = 0  # changes of this range met in the payload (a bundle's own ranges)
    last_seen: int = 0
    spec: dict | None = None  # the manifest's range (its chain entry): origins.Origins.run

    @property
    def key(self) -> str:
        return f"{self.origin}:{self.epoch}"


def _settle(known: dict[str, int], candidates: list[_Range]) -> tuple[list[_Range], dict[str, int]]:
    """The ranges that can be taken now and the knowledge after taking them: the largest set
    whose ranges continue what we hold (directly or through each other) and whose senders'
    knowledge is then held in full. Ranges of one bundle need each other, so the set is found
    by starting from every candidate and dropping what falls short until nothing changes."""
    chosen = list(candidates)
    while True:
        reach = dict(known)
        linked: list[_Range] = []
        waiting = sorted(chosen, key=lambda r: r.first)
        progress = True
        while progress:
            progress = False
            for r in list(waiting):
                if r.first <= reach.get(r.key, 0) + 1:
                    reach[r.key] = max(reach.get(r.key, 0), r.last)
                    linked.append(r)
                    waiting.remove(r)
                    progress = True
        ready = [r for r in linked if all(reach.get(k, 0) >= v for k, v in r.requires.items())]
        if len(ready) == len(chosen):
            return ready, reach
        chosen = ready


def _record(conn: Connection, opened: Verified, result: ImportResult) -> None:
    device_id, epoch, seq = opened.sender
    at = clock.utcnow()
    conn.execute(SyncBundle.__table__.insert(), dict(
        bundle_hash=opened.bundle_hash, direction="in", sender=device_id, epoch=epoch, seq=seq, at=at,
        file_name=result.file, changes=result.changes, applied=result.applied, conflicts=result.conflicts))
    table = SyncPeer.__table__
    current = conn.execute(sa.select(table.c.last_in_epoch, table.c.last_in_seq, table.c.knowledge)
                           .where(table.c.device_id == device_id)).first()
    # Per epoch of the sender (knowledge.with_peer_bundle): copies of one installation share its id.
    declared = knowledge.with_peer_bundle(current.knowledge if current is not None else None, epoch, seq,
                                          opened.manifest["knowledge"])
    values = dict(knowledge=declared, last_in_epoch=epoch, last_in_seq=seq,
                  last_in_hash=opened.bundle_hash, last_in_at=at)
    if (current is not None and current.last_in_seq is not None and current.last_in_epoch == epoch
            and current.last_in_seq > seq):
        # An older bundle filling a gap: it must not make us forget newer knowledge.
        values = dict(knowledge=declared)
    if conn.execute(table.update().where(table.c.device_id == device_id), values).rowcount == 0:
        conn.execute(table.insert(), {"device_id": device_id, **values})


def quarantine_folder(store: Store) -> Path:
    """Where copies of refused files are kept (the 同期 page opens it for whoever looks into them)."""
    return store.layout.root / "quarantine"


def _quarantine(store: Store, path: Path, staged: Path, refusal: _Refusal) -> None:
    folder = quarantine_folder(store)
    kept = ""
    try:
        with open(staged, "rb") as fh:
            digest = hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError:
        digest = ""
    try:
        safe_file.make_private_dir(folder)
        target = folder / f"{digest[:12]}-{path.name}"
        safe_file.copy_private(staged, target)
        kept = target.name
    except OSError:
        pass  # the list entry matters more than the copy
    with store.write() as w:
        w.conn.execute(SyncQuarantine.__table__.insert(), dict(
            at=clock.utcnow(), file_name=path.name, file_sha256=digest, reason=refusal.reason,
            message=refusal.message, kept_as=kept))
        w.audit("sync.quarantine", detail={"file": path.name, "reason": refusal.reason})


def quarantine_list(store: Store) -> list[dict]:
    with store.read() as s:
        return [dict(r._mapping) for r in s.execute(
            sa.select(SyncQuarantine.__table__).order_by(SyncQuarantine.id.desc()))]

