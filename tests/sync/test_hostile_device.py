"""One hostile device among honest ones (issue 15, "Tests").

A Hypothesis state machine over four real SQLCipher stores of one council: the office and
three whole-council laptops enrolled from it (every roster names every device), one of which
— "evil" — is hostile. It holds its own real signing key and every device's public age
recipient, so it can sign and encrypt whatever it likes (tests/sync/hostile.py).

Honest devices (the office, laptop1, laptop2 — laptop2 unlocked by a staff account of the
district) edit the same fields of a few shared households (notes, phone), record visits with
unique notes, add and remove members (soft deletes), the office changes account roles, and
bundles go through a pool of folders: delivered to random devices, late, twice, or never.

The hostile device also works, sends genuine bundles and imports others' (so it has changes
of theirs to relay), and at any step it may: forge origins (a change claiming the office's or
an honest laptop's device id), forge authors (an admin's staff id on a promotion of the
reporter, a new admin account, an unknown account, the reporter writing a household), claim
ranges it does not carry, replay old files, reorder or truncate a payload, send nested or
inflated manifests and payloads, alter a change it relays, clone itself (its store folder
copied, both copies used), and be revoked by the office, after which it keeps writing and
sending. Forged files go to random honest devices.

Checked at every step: each forged file is refused (reason as expected, quarantined, nothing
of it kept); no honest bundle is refused (a clone's bundle may be reported as a clone, once
the hostile device has been cloned); no change is attributed to an honest device that it did
not make; no account has a role or exists unless the office made it so; after revocation no
honest store holds a change of the hostile device beyond what the office had kept of it (the
roster's `kept`). After a final full exchange among the honest devices (the hostile copies
take part while not revoked), the honest stores hold identical data, every visit an honest
device recorded, the roles the office set, and pass `check`.

What the machine found is reproduced, smallest, by the xfail tests at the end. Three rules
that run into those bugs are switched off until they are fixed (REVOKE_AFTER_CLONE,
UNCHAINED_OWN_RANGES, FORGE_AHEAD_OF_A_GAP), and one refusal is tolerated when it is exactly
the known bug (CLONED_EPOCH_UNCHAINED, `_unchained_clone_relay`).
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from shakyo_desk.store import changes_codec
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from shakyo_desk.domain.errors import InvalidInput
from shakyo_desk.domain.ids import new_id
from shakyo_desk.domain.roles import Role
from shakyo_desk.store.check import check_store
from shakyo_desk.store.exchange import clones
from shakyo_desk.store.exchange import identity as ident
from shakyo_desk.store.exchange.devices import revoke_device
from shakyo_desk.store.exchange.exporting import export_bundle
from shakyo_desk.store.exchange.importing import (
    ALREADY,
    APPLIED,
    REFUSED,
    import_paths,
    quarantine_list,
)
from shakyo_desk.store.keyfile import FAST_KDF
from shakyo_desk.store.models import ChangeLog, Contact, Person, Staff
from shakyo_desk.store.services import accounts, contacts, districts, households
from shakyo_desk.store.store import unlock
from tests.sync import hostile
from tests.sync.council import PASSPHRASE, enrol, make_office
from tests.sync.test_convergence import synced_rows

HONEST = ("office", "laptop1", "laptop2")
LAPTOPS = ("laptop1", "laptop2")
LOGIN = {"office": "admin", "laptop1": "admin", "laptop2": "tanaka", "evil": "admin"}
ROSTER_NAME = {"office": "事務局", "laptop1": "laptop1", "laptop2": "laptop2", "evil": "evil"}
BY_ROSTER_NAME = {v: k for k, v in ROSTER_NAME.items()}
FOLDER = {"office": "office", "laptop1": "store-laptop1", "laptop2": "store-laptop2", "evil": "store-evil"}
ACCOUNTS = (("sato", "佐藤 コーディネーター", Role.COORDINATOR), ("tanaka", "田中 職員", Role.STAFF),
            ("houkoku", "報告 一郎", Role.REPORTER))
# Roles the office may give (honestly) to the accounts nobody logs in with here.
ROLE_CHOICES = {"houkoku": (Role.REPORTER, Role.STAFF), "sato": (Role.COORDINATOR, Role.STAFF)}
PHONES = ("0000-11-1111", "0000-22-2222", "0000-33-3333", "")
EDITS = ("notes", "phone", "contact", "new member", "remove member")
# A device cloned and then revoked: the other copy's history an honest device holds is set aside
# when relayed (test_a_relayed_copy_of_a_revoked_clone_is_set_aside_not_refused).
REVOKE_AFTER_CLONE = True
# Its own ranges sent without their chain: taken on their sender's word but never relayed, and
# after a revocation passed on by the office alone as far as its `kept` says
# (test_an_unchained_epoch_declared_by_its_origin_does_not_get_honest_relays_refused).
UNCHAINED_OWN_RANGES = True
# A forged change of its own origin sent ahead of a gap: judged when it is parked, so the file
# itself is refused (test_a_forged_change_parked_behind_a_gap_does_not_block_later_honest_bundles).
FORGE_AHEAD_OF_A_GAP = True


# ---- the council, built once per test ---------------------------------------------------------


@dataclass(frozen=True)
class Template:
    root: Path
    households: tuple[str, ...]
    staff: dict[str, str]  # login → staff id
    roles: dict[str, str]  # staff id → role, as the office set it
    devices: dict[str, str]  # device → device id


def build_council(root: Path) -> Template:
    """The office, three shared households in 上町, an admin, a coordinator, a staff member of
    上町 and a reporter; laptop1, laptop2 (unlocked by the staff member) and evil enrolled, each
    then given an office bundle so that every roster names every device."""
    office, _ = make_office(root)
    district = districts.add_district(office, "上町", "かみまち")
    homes = tuple(households.add_household(office, district, name, "カクウ", phone="0000-99-9999")
                  for name in ("架空 一子", "架空 二郎", "架空 三子"))
    staff = {"admin": office.actor.staff_id}
    for login, name, role in ACCOUNTS:
        staff[login] = accounts.add_account(office, login, name, role, PASSPHRASE,
                                            district_ids=[district] if role == Role.STAFF else [], kdf=FAST_KDF)
    laptops = {name: enrol(office, root, name, login=LOGIN[name]) for name in ("laptop1", "laptop2", "evil")}
    usb = root / "usb"
    usb.mkdir()
    for laptop in laptops.values():
        [result] = import_paths(laptop, [export_bundle(office, usb).path]).results
        assert result.status == APPLIED, result.message
    devices = {name: hostile.me(store).device_id for name, store in {"office": office, **laptops}.items()}
    with office.read() as s:
        roles = dict(s.execute(sa.select(Staff.id, Staff.role)).all())
    for store in (office, *laptops.values()):
        store.close()
    return Template(root, homes, staff, roles, devices)


# ---- what the pool holds ----------------------------------------------------------------------


@dataclass
class Sent:
    """A file made during the run."""

    path: Path
    sender: str  # an honest device, or "evil" (any hostile copy)
    readers: tuple[str, ...]  # devices that can open it
    forged: str = ""  # what kind of forgery ("" for a genuine bundle)
    allowed: frozenset[str] = frozenset()  # refusal reasons that fit the forgery
    office_took: bool = False  # (evil's genuine bundles) imported by the office before the revocation
    dots: tuple[tuple[str, int, int], ...] = ()  # (forged authors) the dots of evil's own it claims


FORGED_ORIGIN = frozenset({"origin", "author"})  # author: a claimed staff change not from the office
FORGED_AUTHOR = frozenset({"author"})
CLAIMED = frozenset({"format", "origin"})
REPACKED = frozenset({"format", "origin", "payload", "decrypt", "limit"})
OVERSIZED = frozenset({"limit", "format"})
TAMPERED = frozenset({"origin"})


def staff_rows(store) -> dict[str, str]:
    with store.read() as s:
        return dict(s.execute(sa.select(Staff.id, Staff.role)).all())


def log_rows(store, origin: str) -> dict[tuple[int, int], tuple]:
    table = ChangeLog.__table__
    with store.read() as s:
        rows = changes_codec.rows(s.connection(), table.c.origin_device == origin)
        return {(r.epoch, r.seq): (r.entity, r.entity_id, r.op, r.hlc, r.staff_id, r.fields) for r in rows}


def fingerprint(store) -> tuple:
    """What a refused file must leave as it was."""
    with store.read() as s:
        count = s.execute(sa.select(sa.func.count()).select_from(ChangeLog)).scalar_one()
    return count, hostile.knowledge_of(store), staff_rows(store)


def unresolved_clones(store) -> list:
    with store.read() as s:
        return clones.unresolved(s.connection())


def visit_notes(store) -> set[str]:
    with store.read() as s:
        return set(s.execute(sa.select(Contact.seen_heard)).scalars())


# ---- the machine ------------------------------------------------------------------------------


class HostileCouncil(RuleBasedStateMachine):
    """The office, laptop1, laptop2 (honest) and evil (hostile; after `clone`, two copies),
    copied from the template for every example."""

    TEMPLATE: Template  # set by the test
    ROOT: Path  # the test's temporary folder: one sub-folder per example

    def __init__(self):
        super().__init__()
        t = self.TEMPLATE
        self.t = t
        self.root = Path(tempfile.mkdtemp(prefix="example-", dir=self.ROOT))
        for folder in FOLDER.values():
            shutil.copytree(t.root / folder, self.root / folder)
        self.stores = {name: unlock(self.root / FOLDER[name], LOGIN[name], PASSPHRASE) for name in HONEST}
        self.evil = [unlock(self.root / FOLDER["evil"], LOGIN["evil"], PASSPHRASE)]  # the hostile copies
        self.evil_id = t.devices["evil"]
        self.pool: list[Sent] = []
        self.counter = itertools.count(1)
        self.notes: dict[str, str] = {}  # visit note written by an honest device → its household
        self.roles = dict(t.roles)  # staff id → the role the office gave it last
        self.role_history = {staff_id: {role} for staff_id, role in t.roles.items()}
        self.revoked = False
        self.kept: dict[int, int] = {}  # evil's epoch → seq, from the roster that revoked it
        self.cloned = False
        self.forked = False  # evil signed two bundles under one number (not a clone of its store)
        self.forged_made = 0

    # -- helpers --------------------------------------------------------------------------

    def folder(self, kind: str) -> Path:
        folder = self.root / "pool" / f"{next(self.counter):04d}-{kind}"
        folder.mkdir(parents=True)
        return folder

    def name(self, kind: str) -> str:
        return f"forged-{next(self.counter):04d}-{kind}.bundle"

    def _copy(self, data) -> int:
        return data.draw(st.integers(0, len(self.evil) - 1), label="evil copy")

    def _household(self, data) -> str:
        return data.draw(st.sampled_from(self.t.households), label="household")

    def _receiver(self, data) -> str:
        return data.draw(st.sampled_from(HONEST), label="receiver")

    def _unchained_clone_relay(self, result, path: Path, store) -> bool:
        """A known bug (CLONED_EPOCH_UNCHAINED, the reproduction below): a copy of the cloned
        device sends its cloned epoch without a chain once it holds the other copy's changes of
        it; whoever takes that relays the epoch unchained too, and a device that did not take it
        from the copy refuses the honest relay (origin). True for exactly such a refusal."""
        if not (self.cloned and result.status == REFUSED and result.reason == "origin"):
            return False
        ranges = hostile.reopened(store, path).manifest["ranges"]
        if not any(r["origin"] == self.evil_id and "chain" not in r for r in ranges):
            return False
        event("known bug: an honest relay of a cloned epoch without its chain refused")
        return True

    def _evil_visit(self, store, data) -> None:
        text = f"evil の訪問 {next(self.counter)}"
        contacts.add_contact(store, household_id=self._household(data), seen_heard=text)

    # -- edits ----------------------------------------------------------------------------

    def _edit(self, store, who: str, kind: str, data) -> None:
        household = self._household(data)
        number = next(self.counter)
        if kind == "notes":
            households.update_household(store, household, notes=f"{who} のメモ {number}")
        elif kind == "phone":
            households.update_household(store, household, phone=data.draw(st.sampled_from(PHONES), label="phone"))
        elif kind == "contact":
            text = f"訪問記録 {number}：{who} で記入。"
            contacts.add_contact(store, household_id=household, seen_heard=text)
            if who in HONEST:
                self.notes[text] = household
        elif kind == "new member":
            households.add_person(store, household, f"新入 {number}")
        else:
            with store.read() as s:
                people = sorted(s.execute(sa.select(Person.id).where(Person.household_id == household,
                                                                     Person.deleted_at.is_(None))).scalars())
            person = data.draw(st.sampled_from(people), label="person")
            try:
                households.remove_person(store, person)
            except InvalidInput:
                pass  # the last member of a household stays

    @rule(device=st.sampled_from(HONEST), kind=st.sampled_from(EDITS), data=st.data())
    def work(self, device, kind, data):
        """An honest device edits a shared household, records a visit, adds or removes a member."""
        self._edit(self.stores[device], device, kind, data)

    @rule(account=st.sampled_from(sorted(ROLE_CHOICES)), data=st.data())
    def office_sets_a_role(self, account, data):
        """Accounts are edited at the office only."""
        role = data.draw(st.sampled_from(ROLE_CHOICES[account]), label="role")
        staff_id = self.t.staff[account]
        accounts.update_account(self.stores["office"], staff_id, role=role)
        self.roles[staff_id] = role.value
        self.role_history[staff_id].add(role.value)

    # -- honest exchange ------------------------------------------------------------------

    @rule(device=st.sampled_from(HONEST), data=st.data())
    def export(self, device, data):
        """A bundle into the pool: for the whole council, or made for one device."""
        store = self.stores[device]
        with store.read() as s:
            roster = ident.roster_data(s.connection())
        others = [d["name"] for d in roster["devices"]
                  if d["revoked_at"] is None and d["name"] != ROSTER_NAME[device]]
        target = data.draw(st.sampled_from([None, *others]), label="for")
        exported = export_bundle(store, self.folder(device), for_device=target)
        self.pool.append(Sent(exported.path, device, tuple(BY_ROSTER_NAME[n] for n in exported.recipients)))

    @precondition(lambda self: self.pool)
    @rule(data=st.data())
    def deliver(self, data):
        """Any genuine file of the pool to any device that can open it: late, twice, or never."""
        genuine = [s for s in self.pool if not s.forged]
        if not genuine:
            return
        sent = data.draw(st.sampled_from(genuine), label="file")
        receivers = [d for d in sent.readers if d in HONEST] + \
                    [f"evil{i}" for i in range(len(self.evil)) if "evil" in sent.readers and sent.sender != "evil"]
        if not receivers:
            return
        self._deliver(sent, data.draw(st.sampled_from(receivers), label="to"))

    def _deliver(self, sent: Sent, receiver: str):
        if receiver.startswith("evil"):
            store = self.evil[int(receiver[4:])]
            [result] = import_paths(store, [sent.path]).results
            assert result.status in (APPLIED, ALREADY) or self._unchained_clone_relay(result, sent.path, store), \
                (receiver, result.reason, result.message)
            return result
        store = self.stores[receiver]
        if sent.forged:
            return self._refused(sent, receiver)
        [result] = import_paths(store, [sent.path]).results
        event(f"genuine from {'evil' if sent.sender == 'evil' else 'honest'}: {result.status} {result.reason}")
        if sent.sender == "evil" and self.revoked and not sent.office_took:
            assert (result.status, result.reason) == (REFUSED, "revoked"), (result.status, result.message)
            assert (sent.path.name, "revoked") in [(q["file_name"], q["reason"]) for q in quarantine_list(store)]
            return result
        assert result.status in (APPLIED, ALREADY) or self._unchained_clone_relay(result, sent.path, store), \
            f"{receiver} refused a genuine bundle of {sent.sender}: {result.reason}: {result.message}"
        if result.status == REFUSED:
            return result
        if result.clone_detected:
            assert (self.cloned or self.forked) and result.clone_of == "evil", (result.clone_of, result.clone_notice)
        if receiver == "office" and sent.sender == "evil" and not self.revoked:
            sent.office_took = True
        return result

    def _refused(self, sent: Sent, receiver: str):
        store = self.stores[receiver]
        before = fingerprint(store)
        [result] = import_paths(store, [sent.path]).results
        allowed = sent.allowed | ({"revoked"} if self.revoked else set())
        if sent.dots and result.status == APPLIED and result.applied == 0 and all(
                seq <= before[1].get(f"{origin}:{epoch}", 0) for origin, epoch, seq in sent.dots):
            # A stale forgery of evil's own origin: the receiver holds those dots already (with
            # evil's genuine changes), so none of it is taken and its author is never judged.
            # The file is recorded under its bundle number, which evil's genuine bundles use
            # too: a fork of its chain that evil signed itself.
            event("stale forged author file taken as a no-op")
            self.forked = True
            assert fingerprint(store) == before, f"{sent.forged}: a stale forged file changed {receiver}"
            return result
        assert result.status == REFUSED and result.reason in allowed, \
            f"{sent.forged} to {receiver}: {result.status} {result.reason} {result.message}"
        assert (sent.path.name, result.reason) in [(q["file_name"], q["reason"]) for q in quarantine_list(store)]
        assert fingerprint(store) == before, f"{sent.forged}: a refused file changed {receiver}"
        event(f"forged {sent.forged}: {result.reason}")
        return result

    def _send_forged(self, path: Path | None, kind: str, allowed: frozenset[str], receiver: str,
                     dots: tuple = ()) -> None:
        if path is None:
            event(f"nothing to forge: {kind}")
            return
        sent = Sent(path, "evil", (receiver,), forged=kind, allowed=allowed, dots=dots)
        self.pool.append(sent)
        self.forged_made += 1
        self._refused(sent, receiver)

    # -- the hostile device: working and sending ------------------------------------------

    @rule(kind=st.sampled_from(EDITS), data=st.data())
    def evil_works(self, kind, data):
        """The hostile device keeps writing (before and after its revocation)."""
        self._edit(self.evil[self._copy(data)], "evil", kind, data)

    @rule(data=st.data())
    def evil_sends(self, data):
        """A genuine bundle of the hostile device, delivered now to one honest device and left in
        the pool (later, after a revocation, it is refused unless the office had taken it)."""
        copy = self._copy(data)
        exported = export_bundle(self.evil[copy], self.folder(f"evil{copy}"))
        sent = Sent(exported.path, "evil", tuple(BY_ROSTER_NAME[n] for n in exported.recipients))
        self.pool.append(sent)
        self._deliver(sent, data.draw(st.sampled_from([d for d in sent.readers if d in HONEST]), label="to"))

    @precondition(lambda self: self.pool)
    @rule(data=st.data())
    def evil_receives(self, data):
        """The hostile device imports honest files it can open (so it has others' changes to relay)."""
        readable = [s for s in self.pool if not s.forged and s.sender != "evil" and "evil" in s.readers]
        if readable:
            self._deliver(data.draw(st.sampled_from(readable), label="file"), f"evil{self._copy(data)}")

    # -- the hostile device: forgeries ----------------------------------------------------

    @rule(victim=st.sampled_from(HONEST), variant=st.sampled_from(["unsigned", "self-signed", "promotion", "rewrite"]),
          number=st.sampled_from([1, 2, 1_000]), data=st.data())
    def forge_origin(self, victim, variant, number, data):
        """A change claiming an honest device's origin (the promotion: the office's)."""
        if variant == "promotion":
            victim = "office"
        receiver = self._receiver(data)
        path = hostile.forged_origin(self.evil[self._copy(data)], self.stores[receiver], self.stores[victim],
                                     self.folder("origin"), self.name(f"origin-{variant}"), variant=variant,
                                     staff=self.t.staff, household=self._household(data), number=number)
        self._send_forged(path, f"origin {variant}", FORGED_ORIGIN, receiver)

    @rule(variant=st.sampled_from(["promotion", "new admin", "ghost", "reporter"]),
          number=st.sampled_from([1, 2, 1_000]), data=st.data())
    def forge_author(self, variant, number, data):
        """Its own origin, chained and signed, but an author who could not have made the change."""
        receiver = self._receiver(data)
        store = self.evil[self._copy(data)]
        me = hostile.me(store)
        dot = (me.device_id, me.epoch, hostile.known(self.stores[receiver], me.device_id, me.epoch) + 1)
        path = hostile.forged_author(store, self.stores[receiver], self.folder("author"),
                                     self.name(f"author-{variant}"), variant=variant, staff=self.t.staff,
                                     household=self._household(data), number=number)
        self._send_forged(path, f"author {variant}", FORGED_AUTHOR, receiver, dots=(dot,))

    @precondition(lambda self: FORGE_AHEAD_OF_A_GAP)
    @rule(variant=st.sampled_from(["ghost", "reporter"]), data=st.data())
    def forge_ahead_of_a_gap(self, variant, data):
        """A forged author on a change of its own origin one seq past a change the receiver
        lacks (the hostile device writes that change itself and keeps it back for now)."""
        receiver = self._receiver(data)
        store = self.evil[self._copy(data)]
        me = hostile.me(store)
        k = hostile.known(self.stores[receiver], me.device_id, me.epoch)
        if k != hostile.known(store, me.device_id, me.epoch):
            return  # (the receiver lacks some already: the gap is there)
        self._evil_visit(store, data)
        author = new_id() if variant == "ghost" else self.t.staff["houkoku"]
        forged = hostile.wire(me.device_id, me.epoch, k + 2, "household", self._household(data), "update",
                              {"notes": f"権限のないメモ {next(self.counter)}"}, author)
        entry = hostile.chained([forged], hostile.tip(store, me.device_id, me.epoch, k + 1), me)
        path = hostile.signed_bundle(store, self.stores[receiver], self.folder("gap"), self.name(f"gap-{variant}"),
                                     [forged], [hostile.span([forged], entry)], number=1_000)
        self._send_forged(path, f"ahead of a gap {variant}", FORGED_AUTHOR, receiver,
                          dots=((me.device_id, me.epoch, k + 2),))

    @rule(variant=st.sampled_from(["own", "own signed", "victim", "held"]), victim=st.sampled_from(HONEST),
          data=st.data())
    def claim_ranges(self, variant, victim, data):
        """Ranges declared in the manifest that the payload does not carry."""
        receiver = self._receiver(data)
        path = hostile.claimed_range(self.evil[self._copy(data)], self.stores[receiver], self.stores[victim],
                                     self.folder("claim"), self.name(f"claim-{variant.replace(' ', '-')}"),
                                     variant=variant)
        self._send_forged(path, f"claim {variant}", CLAIMED, receiver)

    @precondition(lambda self: self.pool)
    @rule(data=st.data())
    def replay(self, data):
        """An old file — genuine or forged, anyone's — delivered again to an honest device."""
        sent = data.draw(st.sampled_from(self.pool), label="old file")
        receivers = [d for d in sent.readers if d in HONEST]
        if receivers:
            self._deliver(sent, data.draw(st.sampled_from(receivers), label="to"))

    def _genuine_then(self, data, kind: str, variant: str, allowed: frozenset[str]) -> None:
        """A fresh genuine bundle of the hostile device (two visits of its own in it, so a range
        has two changes), altered and signed again; the genuine one stays in the pool."""
        copy = self._copy(data)
        store = self.evil[copy]
        for _ in range(2):
            self._evil_visit(store, data)
        exported = export_bundle(store, self.folder(f"evil{copy}"))
        readers = tuple(BY_ROSTER_NAME[n] for n in exported.recipients)
        self.pool.append(Sent(exported.path, "evil", readers))
        receiver = data.draw(st.sampled_from([d for d in readers if d in HONEST]), label="receiver")
        name = self.name(f"{kind}-{variant.replace(' ', '-')}")
        path = hostile.repacked(store, exported.path, self.folder(kind), name, variant=variant)
        self._send_forged(path, f"{kind} {variant}", allowed, receiver)

    @rule(data=st.data())
    def reorder(self, data):
        self._genuine_then(data, "reorder", "reorder", REPACKED)

    @rule(variant=st.sampled_from(["drop last", "cut relayed", "cut payload", "cut file"]), data=st.data())
    def truncate(self, variant, data):
        self._genuine_then(data, "truncate", variant, REPACKED)

    @precondition(lambda self: UNCHAINED_OWN_RANGES)
    @rule(data=st.data())
    def unchain(self, data):
        """Its own genuine changes with the chain entries of its own ranges left out (as if its
        epoch were from before origin chains): taken, since an origin may say so of its own
        epochs. It is signed under the number of the genuine bundle it was made from, which the
        device's next bundle names: a fork of its chain, as a clone's would be."""
        copy = self._copy(data)
        store = self.evil[copy]
        self._evil_visit(store, data)
        exported = export_bundle(store, self.folder(f"evil{copy}-made"))
        readers = tuple(BY_ROSTER_NAME[n] for n in exported.recipients)
        path = hostile.repacked(store, exported.path, self.folder(f"evil{copy}"), exported.path.name,
                                variant="unchained")
        self.forked = True
        sent = Sent(path, "evil", readers)
        self.pool.append(sent)
        self._deliver(sent, data.draw(st.sampled_from([d for d in readers if d in HONEST]), label="to"))

    @rule(variant=st.sampled_from(["nested manifest", "huge manifest", "bomb", "liar", "nested value", "long value"]),
          data=st.data())
    def oversize(self, variant, data):
        """Deeply nested or inflated manifests and payloads, signed by the hostile device."""
        receiver = self._receiver(data)
        path = hostile.oversized(self.evil[self._copy(data)], self.stores[receiver], self.folder("big"),
                                 self.name(variant.replace(" ", "-")), variant=variant,
                                 household=self._household(data), staff=self.t.staff)
        self._send_forged(path, variant, OVERSIZED, receiver)

    @rule(data=st.data())
    def tamper(self, data):
        """An export of the hostile device that alters every change of another device it relays.
        (Nothing of another device in it: a genuine bundle.)"""
        copy = self._copy(data)
        exported, altered = hostile.export_tampered(self.evil[copy], self.folder(f"evil{copy}-tampered"))
        readers = tuple(BY_ROSTER_NAME[n] for n in exported.recipients)
        receiver = data.draw(st.sampled_from([d for d in readers if d in HONEST]), label="receiver")
        if not altered:
            sent = Sent(exported.path, "evil", readers)
            self.pool.append(sent)
            self._deliver(sent, receiver)
            return
        self._send_forged(exported.path, "tampered relay", TAMPERED, receiver)

    # -- the hostile device: clone and revocation -----------------------------------------

    @precondition(lambda self: len(self.evil) < 2)
    @rule()
    def clone(self):
        """The hostile device's store folder copied and both copies used."""
        root = self.evil[0].layout.root
        self.evil[0].close()
        copy = self.root / f"store-evil-copy{next(self.counter)}"
        shutil.copytree(root, copy)
        self.evil = [unlock(root, LOGIN["evil"], PASSPHRASE), unlock(copy, LOGIN["evil"], PASSPHRASE)]
        self.cloned = True

    @precondition(lambda self: not self.revoked and (REVOKE_AFTER_CLONE or not self.cloned))
    @rule(now=st.booleans())
    def revoke(self, now):
        """The office revokes the hostile device (or not yet: so that about a third of the runs
        see the forgeries judged by content, not refused as the revoked device's). First it
        takes everything the hostile copies and the laptops hold of it (so that what the office
        keeps is the device's counter), then revokes it and carries the new roster to both
        laptops at once."""
        if not now:
            return
        office = self.stores["office"]
        for _ in range(6):
            applied = 0
            for copy, store in enumerate(self.evil):
                exported = export_bundle(store, self.folder(f"evil{copy}"))
                sent = Sent(exported.path, "evil", tuple(BY_ROSTER_NAME[n] for n in exported.recipients))
                self.pool.append(sent)
                applied += self._deliver(sent, "office").applied
            for laptop in LAPTOPS:
                exported = export_bundle(self.stores[laptop], self.folder(laptop), for_device=ROSTER_NAME["office"])
                applied += self._deliver(Sent(exported.path, laptop, ("office",)), "office").applied
            exported = export_bundle(office, self.folder("office"))
            sent = Sent(exported.path, "office", tuple(BY_ROSTER_NAME[n] for n in exported.recipients))
            self.pool.append(sent)
            for copy in range(len(self.evil)):
                applied += self._deliver(sent, f"evil{copy}").applied
            if not applied and not unresolved_clones(office):
                break
        else:
            raise AssertionError("the office still takes new changes of the hostile device after 6 rounds")
        held = hostile.knowledge_of(office)
        for store in [*self.evil, *(self.stores[d] for d in LAPTOPS)]:
            for key, seq in hostile.knowledge_of(store).items():
                if key.startswith(self.evil_id):
                    assert seq <= held.get(key, 0), (key, seq, held.get(key))
        revoke_device(office, ROSTER_NAME["evil"])
        self.revoked = True
        with office.read() as s:
            [entry] = [d for d in ident.roster_data(s.connection())["devices"] if d["device_id"] == self.evil_id]
        self.kept = {k["epoch"]: k["seq"] for k in entry["kept"]}
        for laptop in LAPTOPS:
            exported = export_bundle(office, self.folder("office"), for_device=ROSTER_NAME[laptop])
            result = self._deliver(Sent(exported.path, "office", (laptop,)), laptop)
            assert result.status == APPLIED
        event("revoked")

    # -- at every step --------------------------------------------------------------------

    @invariant()
    def nobody_writes_as_an_honest_device(self):
        """Every change attributed to an honest device is one it made."""
        for origin in HONEST:
            own = log_rows(self.stores[origin], self.t.devices[origin])
            for name in HONEST:
                if name == origin:
                    continue
                for dot, row in log_rows(self.stores[name], self.t.devices[origin]).items():
                    assert own.get(dot) == row, f"{name} holds {dot} of {origin} that {origin} did not write: {row}"

    @invariant()
    def roles_are_the_offices(self):
        """No account has a role the office did not give it; no account the office did not make."""
        for name in HONEST:
            for staff_id, role in staff_rows(self.stores[name]).items():
                assert staff_id in self.role_history, f"{name}: an account the office never made: {staff_id}"
                assert role in self.role_history[staff_id], f"{name}: {staff_id} is {role}"

    @invariant()
    def nothing_of_the_revoked_device_after_its_revocation(self):
        if not self.revoked:
            return
        for name in HONEST:
            for epoch, seq in log_rows(self.stores[name], self.evil_id):
                assert seq <= self.kept.get(epoch, 0), \
                    f"{name} holds evil's change {epoch}:{seq}, the office kept {self.kept}"

    # -- the end --------------------------------------------------------------------------

    def full_exchange(self) -> None:
        """Every participant exports for the whole council and every other imports it, until a
        round brings nothing new (and a clone found is re-issued: its copies must each sync once
        after they hear of it). The hostile copies take part while not revoked."""
        participants = {name: self.stores[name] for name in HONEST}
        if not self.revoked:
            participants.update({f"evil{i}": store for i, store in enumerate(self.evil)})
        for _ in range(8):
            files = {name: export_bundle(store, self.folder(f"final-{name}")).path
                     for name, store in participants.items()}
            applied = 0
            for name, store in participants.items():
                # (Copies of the hostile device do not import each other's bundles: CLONE_STORM.)
                incoming = [path for sender, path in files.items()
                            if sender != name and not (sender.startswith("evil") and name.startswith("evil"))]
                report = import_paths(store, incoming)
                for path, result in zip(incoming, report.results, strict=True):
                    assert result.status in (APPLIED, ALREADY) or self._unchained_clone_relay(result, path, store), \
                        (name, result.file, result.reason, result.message)
                    if result.clone_detected:
                        assert self.cloned or self.forked, (name, result.clone_notice)
                applied += report.applied
            if not applied and not any(unresolved_clones(store) for store in participants.values()):
                return
        raise AssertionError("still exchanging new changes after 8 full rounds")

    def teardown(self):
        try:
            self.full_exchange()
            self.check_end()
        finally:
            for store in [*self.stores.values(), *self.evil]:
                if store.is_open:
                    store.close()
            shutil.rmtree(self.root, ignore_errors=True)

    def check_end(self):
        event(f"forged files: {min(self.forged_made, 5)}+" if self.forged_made >= 5 else
              f"forged files: {self.forged_made}")
        expected = synced_rows(self.stores["office"])
        for name in HONEST:
            store = self.stores[name]
            rows = synced_rows(store)
            for entity, table_rows in expected.items():
                assert rows[entity] == table_rows, f"{name}: table {entity} differs from the office"
            missing = set(self.notes) - visit_notes(store)
            assert not missing, f"{name} lost visits: {missing}"
            assert staff_rows(store) == self.roles, name
            report = check_store(store)
            assert report.sound, (name, report.problems)


HOSTILE = settings(max_examples=12, stateful_step_count=15, deadline=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                          HealthCheck.filter_too_much])


@pytest.fixture
def council(tmp_path, pinned_clock):
    return build_council(tmp_path / "template")


def test_a_hostile_device_cannot_forge_its_way_in(council, tmp_path):
    HostileCouncil.TEMPLATE = council
    HostileCouncil.ROOT = tmp_path
    run_state_machine_as_test(HostileCouncil, settings=HOSTILE)


# ---- what the machine found (smallest reproductions) -------------------------------------------


# Why each reproduction below fails today (bugs in the app, left for its authors to fix).
CLONE_THEN_REVOKED = ("origins.Run.see refuses (origin) a revoked origin's range whose chain at the roster's kept seq "
                      "differs from the kept value, instead of setting it aside: an honest device holding the other "
                      "copy's history of a cloned, then revoked device has its bundles refused as forged")
UNCHAINED_EPOCH = ("origins.Origins.run takes a chainless range of an epoch that has a chain from its own origin and "
                   "marks the epoch legacy; the receiver then relays it without a chain and every other device "
                   "refuses the honest relay (origin)")
PARKED_FORGERY = ("a change of the hostile device's own origin whose author is forged is parked behind a gap without "
                  "being judged (the file is applied); when the gap fills, the parked change refuses every import "
                  "that releases it (author), honest relays included, for good")
CLONED_EPOCH_UNCHAINED = ("chains.attach sends a device's own range without a chain when it holds changes of "
                          "that epoch off its chain (a copy holding the other copy's changes of the cloned epoch); "
                          "receivers take it (an origin may declare its own epoch legacy) and relay it unchained, "
                          "and every device that did not take it from the copy refuses the honest relay (origin)")
CLONE_STORM = ("clones.my_epochs counts every epoch of our device id held in the change log, the other copy's "
               "re-issued epochs included: a copy importing the other copy's bundle takes it for a clone of its own "
               "epoch and re-issues it, and so back and forth, the change logs growing at every exchange")
PARKED_AT_REVOCATION = ("a revoked device's change parked at the office before the revocation (waiting for another "
                        "device's change) is released afterwards: the office holds it though the roster's `kept` "
                        "leaves it out, and no other device ever takes it")


def council_of(tmp_path: Path, laptops: tuple[str, ...]) -> tuple[dict, str]:
    """The office with one household, and whole-council laptops, each given an office bundle so
    that every roster names every device. Returns (stores by name, the household)."""
    office, _ = make_office(tmp_path)
    district = districts.add_district(office, "上町", "かみまち")
    home = households.add_household(office, district, "架空 花子")
    stores = {"office": office, **{name: enrol(office, tmp_path, name) for name in laptops}}
    for name in laptops:
        assert carry(office, stores[name], tmp_path / f"roster-{name}").status == APPLIED
    return stores, home


@pytest.fixture
def small_council(tmp_path, pinned_clock):
    """The office, the hostile laptop evil, and honest laptopB and laptopC."""
    stores, home = council_of(tmp_path, ("evil", "laptopB", "laptopC"))
    yield stores, home, tmp_path
    for store in stores.values():
        if store.is_open:
            store.close()


@pytest.fixture
def honest_council(tmp_path, pinned_clock):
    """The office and honest laptopA, laptopB and laptopC."""
    stores, home = council_of(tmp_path, ("laptopA", "laptopB", "laptopC"))
    yield stores, home, tmp_path
    for store in stores.values():
        if store.is_open:
            store.close()


def carry(source, target, folder: Path, **options):
    folder.mkdir(parents=True, exist_ok=True)
    [result] = import_paths(target, [export_bundle(source, folder, **options).path]).results
    return result


def visits(store) -> set[str]:
    return {c.seen_heard for c in contacts.list_contacts(store)}


def test_a_relayed_copy_of_a_revoked_clone_is_set_aside_not_refused(small_council):
    """evil's store is copied; each copy records a visit under the same dot; the office gets one
    copy's, laptopB the other's; the office revokes evil (kept: its copy's chain). laptopB,
    honest, then passes the other copy's visit on to laptopC: the kept chain does not match it,
    and laptopB's whole bundle — its own visit too — is refused as forged, naming laptopB.
    (Found by the machine: clone, evil sends to a laptop, revoke, final exchange.)"""
    stores, home, tmp_path = small_council
    root = stores["evil"].layout.root
    stores["evil"].close()
    shutil.copytree(root, tmp_path / "evil-copy")
    one = stores["evil"] = unlock(root, "admin", PASSPHRASE)
    two = stores["evil-copy"] = unlock(tmp_path / "evil-copy", "admin", PASSPHRASE)
    contacts.add_contact(one, household_id=home, seen_heard="一台目の訪問")
    contacts.add_contact(two, household_id=home, seen_heard="二台目の訪問")
    assert carry(one, stores["office"], tmp_path / "one-office").status == APPLIED
    assert carry(two, stores["laptopB"], tmp_path / "two-b").status == APPLIED
    revoke_device(stores["office"], "evil")
    assert carry(stores["office"], stores["laptopB"], tmp_path / "office-b").status == APPLIED
    contacts.add_contact(stores["laptopB"], household_id=home, seen_heard="Bの訪問")
    result = carry(stores["laptopB"], stores["laptopC"], tmp_path / "b-c")
    assert result.status == APPLIED, (result.reason, result.message)  # today: refused, origin
    assert "Bの訪問" in visits(stores["laptopC"])


def test_a_copied_installations_epoch_is_relayed_by_laptops_without_refusals(honest_council):
    """No hostile device at all: laptopA's store folder is copied and both copies are used. The
    original records two visits, the copy one under the original's first dot. The original's
    reach the copy through laptopB; the copy now holds the original's second visit off its
    chain, so its next bundle carries its cloned epoch without a chain (chains.attach).
    laptopC takes that (an origin may say so of its own epoch) and marks the epoch legacy; its
    own next bundle relays the epoch unchained, and the office refuses it (origin, "書いた端末
    の署名で確かめられない変更"), blaming laptopC — and laptopC's visit with it. (Found by the
    machine: clone, both copies write and exchange through the laptops, final exchange.)"""
    stores, home, tmp_path = honest_council
    root = stores["laptopA"].layout.root
    stores["laptopA"].close()
    shutil.copytree(root, tmp_path / "a-copy")
    original = stores["laptopA"] = unlock(root, "admin", PASSPHRASE)
    copy = stores["a-copy"] = unlock(tmp_path / "a-copy", "admin", PASSPHRASE)
    for text in ("元の端末の訪問1", "元の端末の訪問2"):
        contacts.add_contact(original, household_id=home, seen_heard=text)
    contacts.add_contact(copy, household_id=home, seen_heard="複製の訪問")
    assert carry(original, stores["laptopB"], tmp_path / "original-b").status == APPLIED
    found = carry(stores["laptopB"], copy, tmp_path / "b-copy")
    assert found.status == APPLIED and found.clone_detected
    assert carry(copy, stores["laptopC"], tmp_path / "copy-c").status == APPLIED
    contacts.add_contact(stores["laptopC"], household_id=home, seen_heard="Cの訪問")
    result = carry(stores["laptopC"], stores["office"], tmp_path / "c-office")
    assert result.status == APPLIED, (result.reason, result.message)  # today: refused, origin
    assert "Cの訪問" in visits(stores["office"])


def test_two_copies_that_exchange_directly_stop_re_issuing(honest_council):
    """laptopA's store folder is copied; each copy records a visit under the same dot. Through
    the office the clone is found and resolved (each copy moves to a new epoch and re-issues;
    three rounds, every change log alike). Then the copies exchange bundles directly (a stick
    passed between them): each takes the other's new epoch for a clone of its own ("own") and
    re-issues it under yet another epoch, without end — 23 changes, then 27, 28, 38, 41...
    (Found by the machine: the copies' final exchange with everyone.)"""
    stores, home, tmp_path = honest_council
    root = stores["laptopA"].layout.root
    stores["laptopA"].close()
    shutil.copytree(root, tmp_path / "a-copy")
    one = stores["laptopA"] = unlock(root, "admin", PASSPHRASE)
    two = stores["a-copy"] = unlock(tmp_path / "a-copy", "admin", PASSPHRASE)
    contacts.add_contact(one, household_id=home, seen_heard="元の端末の訪問")
    contacts.add_contact(two, household_id=home, seen_heard="複製の訪問")
    office = stores["office"]
    for n in range(3):
        for copy in (one, two):
            assert carry(copy, office, tmp_path / f"to-office-{n}-{id(copy)}").status == APPLIED
        for copy in (one, two):
            assert carry(office, copy, tmp_path / f"from-office-{n}-{id(copy)}").status == APPLIED
    settled = [len(log_rows(s, hostile.me(one).device_id)) for s in (one, two, office)]
    assert settled[0] == settled[1] == settled[2]
    for n in range(3):
        forth, back = carry(two, one, tmp_path / f"two-one-{n}"), carry(one, two, tmp_path / f"one-two-{n}")
        assert (forth.clone_reissued, back.clone_reissued) == (0, 0), n  # today: 1 and 2
    assert [len(log_rows(s, hostile.me(one).device_id)) for s in (one, two)] == settled[:2]


def test_an_unchained_epoch_declared_by_its_origin_does_not_get_honest_relays_refused(small_council):
    """evil sends laptopB its own (genuine) visit with the chain entry of its range left out —
    as if its epoch dated from before origin chains. laptopB takes it and marks the epoch
    legacy; its next bundle carries evil's range without a chain, and laptopC and the office
    refuse it (origin, "書いた端末の署名で確かめられない変更"), blaming laptopB: one file from a
    hostile device stops laptopB's own work from reaching anyone until evil's visit reaches
    them some other way. (Found by the machine's `unchain` rule, UNCHAINED_OWN_RANGES.)"""
    stores, home, tmp_path = small_council
    evil, b = stores["evil"], stores["laptopB"]
    contacts.add_contact(evil, household_id=home, seen_heard="鎖のない訪問")
    (tmp_path / "made").mkdir()
    genuine = export_bundle(evil, tmp_path / "made")
    path = hostile.repacked(evil, genuine.path, tmp_path / "evil-b", genuine.path.name, variant="unchained")
    [taken] = import_paths(b, [path]).results
    assert taken.status == APPLIED and taken.applied == 1  # taken: an origin may say so of its own epoch
    contacts.add_contact(b, household_id=home, seen_heard="Bの訪問")
    for receiver in ("laptopC", "office"):
        result = carry(b, stores[receiver], tmp_path / f"b-{receiver}")
        assert result.status == APPLIED, (receiver, result.reason, result.message)  # today: refused, origin
        assert "Bの訪問" in visits(stores[receiver])



def test_a_forged_change_parked_behind_a_gap_does_not_block_later_honest_bundles(small_council):
    """evil writes its visit 1 (kept to itself) and sends laptopB a forged change 2 — an account
    nobody created edits the household — correctly chained after 1 and signed with evil's own
    key. laptopB lacks 1, so it parks 2 and reports the file applied. Every later bundle that
    brings evil's 1 (evil's own, or laptopC relaying evil's genuine changes) releases the parked
    forgery and is refused as `author`, naming the honest sender: laptopB takes nothing from
    laptopC again (nor evil's range from anyone). (Found while building the machine's
    forge_author rule, which therefore forges at the next seq the receiver lacks.)"""
    stores, home, tmp_path = small_council
    evil, b, c = stores["evil"], stores["laptopB"], stores["laptopC"]
    me = hostile.me(evil)
    contacts.add_contact(evil, household_id=home, seen_heard="本物の訪問")
    ghost = new_id()  # an account nobody created
    forged = hostile.wire(me.device_id, me.epoch, 2, "household", home, "update", {"notes": "幽霊のメモ"}, ghost)
    entry = hostile.chained([forged], hostile.tip(evil, me.device_id, me.epoch, 1), me)
    path = hostile.signed_bundle(evil, b, tmp_path / "forged", "forged.bundle", [forged],
                                 [hostile.span([forged], entry)], number=1000)
    [parked] = import_paths(b, [path]).results
    assert carry(evil, c, tmp_path / "evil-c").status == APPLIED  # laptopC takes evil's genuine visit
    contacts.add_contact(c, household_id=home, seen_heard="Cの訪問")
    relayed = carry(c, b, tmp_path / "c-b")
    assert relayed.status == APPLIED, (relayed.reason, relayed.message)  # today: refused, author
    assert {"本物の訪問", "Cの訪問"} <= visits(b)
    assert parked.status == REFUSED  # the forgery itself should have been refused


def test_a_change_parked_at_the_office_before_a_revocation_ends_alike_everywhere(small_council):
    """laptopB's visit reaches evil; evil records a visit and makes a bundle for laptopB (so it
    leaves laptopB's visit out) that reaches the office, which parks evil's visit until it has
    laptopB's. The office revokes evil: `kept` counts what the office holds on its chain, not
    what is parked. laptopB's bundle then releases the parked visit at the office; the office
    shows it, relays it, and laptopC sets it aside (beyond `kept`): the office and laptopC
    differ for good, and the office holds a revoked device's change beyond what it kept."""
    stores, home, tmp_path = small_council
    office, evil, b, c = (stores[n] for n in ("office", "evil", "laptopB", "laptopC"))
    contacts.add_contact(b, household_id=home, seen_heard="Bの訪問")
    assert carry(b, evil, tmp_path / "b-evil").status == APPLIED
    contacts.add_contact(evil, household_id=home, seen_heard="停止前の訪問")
    parked = carry(evil, office, tmp_path / "evil-office", for_device="laptopB")
    assert parked.status == APPLIED and parked.applied == 0 and parked.gaps
    revoke_device(office, "evil")
    with office.read() as s:
        [entry] = [d for d in ident.roster_data(s.connection())["devices"] if d["name"] == "evil"]
    kept = {k["epoch"]: k["seq"] for k in entry["kept"]}
    assert carry(b, office, tmp_path / "b-office").status == APPLIED
    assert carry(office, c, tmp_path / "office-c").status == APPLIED
    evil_id = hostile.me(evil).device_id
    held = log_rows(office, evil_id)
    assert all(seq <= kept.get(epoch, 0) for epoch, seq in held), (held.keys(), kept)  # today: beyond kept
    assert visits(office) == visits(c)


def test_a_third_device_that_meets_both_copies_of_a_dot_detects_the_clone(small_council):
    """evil's store folder is copied. Copy one records two visits and writes two bundles that
    are lost (its next bundle number is 3, so no bundle-chain fork shows: the office will hold
    only number 1, copy two's). Copy two records one visit under copy one's first dot and sends
    it to the office with its range's chain entry left out (taken on the bundle's signature).
    Copy one's bundle 3 then reaches the office and laptopB. Both contents of dot 1 are signed
    with evil's key, yet the office kept copy two's and stored copy one's second visit on top,
    silently: its history of the epoch, on no chain, is never relayed, so neither copy ever
    meets the other's content and nobody re-issues; laptopB holds copy one's. Once evil is
    revoked the office and laptopB differ for good. The office must take the other content of
    a held dot, authenticated by its origin, for the clone it proves (`sync.clone_detected`,
    how `content`), so the copies re-issue before the revocation. (Found by the machine:
    clone, unchain, evil sends, revoke, final exchange.)"""
    stores, home, tmp_path = small_council
    root = stores["evil"].layout.root
    stores["evil"].close()
    shutil.copytree(root, tmp_path / "evil-copy")
    one = stores["evil"] = unlock(root, "admin", PASSPHRASE)
    two = stores["evil-copy"] = unlock(tmp_path / "evil-copy", "admin", PASSPHRASE)
    office, b, c = stores["office"], stores["laptopB"], stores["laptopC"]
    for text in ("一台目の訪問1", "一台目の訪問2"):
        contacts.add_contact(one, household_id=home, seen_heard=text)
    (tmp_path / "lost").mkdir()
    for _ in range(2):  # numbers 1 and 2 of copy one: never delivered
        export_bundle(one, tmp_path / "lost")
    contacts.add_contact(two, household_id=home, seen_heard="二台目の訪問")
    (tmp_path / "two").mkdir()
    genuine = export_bundle(two, tmp_path / "two")
    unchained = hostile.repacked(two, genuine.path, tmp_path / "two-office", genuine.path.name, variant="unchained")
    assert import_paths(office, [unchained]).results[0].status == APPLIED  # on its bundle's signature
    for _ in range(8):  # copy two's numbers 2 to 9 are lost too: no number of the copies meets again
        export_bundle(two, tmp_path / "lost")
    (tmp_path / "one").mkdir()
    second = export_bundle(one, tmp_path / "one").path
    [at_office] = import_paths(office, [second]).results
    [at_b] = import_paths(b, [second]).results
    assert at_b.status == APPLIED and not at_b.clone_detected
    assert at_office.status == APPLIED, (at_office.reason, at_office.message)
    assert at_office.clone_detected and at_office.clone_of == "evil"  # today: not detected
    # Each copy syncs with the office until nothing new comes (as an admin would, having read
    # the office's notice), then the office revokes the device.
    for n in range(4):
        for i, copy in enumerate((one, two)):
            assert carry(copy, office, tmp_path / f"copy{i}-office-{n}").status == APPLIED
            assert carry(office, copy, tmp_path / f"office-copy{i}-{n}").status == APPLIED
    with office.read() as s:
        assert not clones.unresolved(s.connection())
    revoke_device(office, "evil")
    honest = {"office": office, "laptopB": b, "laptopC": c}
    for n in range(3):
        for sender, source in honest.items():
            for receiver, target in honest.items():
                if sender != receiver:
                    result = carry(source, target, tmp_path / f"final-{n}-{sender}-{receiver}")
                    assert result.status in (APPLIED, ALREADY), (sender, receiver, result.reason, result.message)
    expected = synced_rows(office)
    for name in ("laptopB", "laptopC"):
        assert synced_rows(honest[name]) == expected, name
    assert {"一台目の訪問1", "一台目の訪問2", "二台目の訪問"} <= visits(office)
    for store in honest.values():
        assert check_store(store).sound, check_store(store).problems


def test_a_relayed_range_of_a_copy_tells_a_third_device_of_the_clone(small_council):
    """As above, but copy one's changes reach the office only relayed by laptopB, on their
    chain: the relayed range carries dot 1 with copy one's content and evil's signed head, the
    office holds copy two's there. That is the same proof of two copies (and names evil, not the
    honest relay); a relay that altered the change instead is refused (origin), detecting nothing."""
    stores, home, tmp_path = small_council
    root = stores["evil"].layout.root
    stores["evil"].close()
    shutil.copytree(root, tmp_path / "evil-copy")
    one = stores["evil"] = unlock(root, "admin", PASSPHRASE)
    two = stores["evil-copy"] = unlock(tmp_path / "evil-copy", "admin", PASSPHRASE)
    office, b = stores["office"], stores["laptopB"]
    for text in ("一台目の訪問1", "一台目の訪問2"):
        contacts.add_contact(one, household_id=home, seen_heard=text)
    contacts.add_contact(two, household_id=home, seen_heard="二台目の訪問")
    (tmp_path / "two").mkdir()
    genuine = export_bundle(two, tmp_path / "two")
    unchained = hostile.repacked(two, genuine.path, tmp_path / "two-office", genuine.path.name, variant="unchained")
    assert import_paths(office, [unchained]).results[0].status == APPLIED
    assert carry(one, b, tmp_path / "one-b").status == APPLIED
    contacts.add_contact(b, household_id=home, seen_heard="Bの訪問")
    with hostile.tampering(b) as altered:  # laptopB's file with evil's visit altered: refused, nothing noted
        (tmp_path / "b-tampered").mkdir()
        tampered = export_bundle(b, tmp_path / "b-tampered").path
    assert altered
    [refused] = import_paths(office, [tampered]).results
    assert (refused.status, refused.reason, refused.clone_detected) == (REFUSED, "origin", False)
    with office.read() as s:
        assert not clones.known(s.connection())
    relayed = carry(b, office, tmp_path / "b-office")
    assert relayed.status == APPLIED, (relayed.reason, relayed.message)
    assert relayed.clone_detected and relayed.clone_of == "evil"  # before: not detected
    with office.read() as s:
        [clone] = clones.known(s.connection()).values()
    assert (clone.origin, clone.same_through) == (hostile.me(one).device_id, 0)
    assert "Bの訪問" in visits(office)
