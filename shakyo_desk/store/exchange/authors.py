"""Authorised authors (issue 15): every received change is checked against what its author
could do, judged from the synced history, before anything of its bundle is applied.

`importing._apply` builds one `Authors` per import and asks `refusal(change)` for every change
it is about to apply (parked ones released by the import included). A sentence back refuses the
whole bundle (reason `author`, quarantined, nothing applied).

The rules mirror the services (store/services/, domain/roles.py):

- **Known author.** `staff_id` names an account this store knows: a `staff` row, an account of
  the roster (signed by the council admin key), or a `staff` insert accepted earlier in the same
  import. No service writes a change without an account (the only account-less actor, a restore
  with the recovery key, writes no changes), so a change without `staff_id` is refused.
- **Accounts and settings** (`staff`, `council`): only changes made on the office installation
  (`origin` is the roster's office device) by an admin. Nobody edits their own account row: a
  passphrase change re-wraps the key file only (`accounts.change_passphrase` writes an audit
  entry, no change), so there is no own-row exception.
- **Registers** (`district`, `agency`, `concern_category`, `salon`): roles that
  `manages_registers`. **Conferences** (`conference`, `conference_member`, `conference_case`,
  `handout_copy`): roles that `manages_conferences`.
- **Field work** (`place`, `salon_session`, `salon_regular`, `attendance`, `remark`,
  `household`, `person`, `contact`, `consent`, `concern_sheet`, `sheet_status_change`,
  `referral`): admins, coordinators and staff. A reporter only files sheets
  (`sheets.file_sheet`): a `concern_sheet` insert noticed by the reporter, its first
  `sheet_status_change`, and the `sheet_id` of the remark the sheet was made from.
- **Staff and their districts.** A `household` insert or update authored by an account that
  was never an admin or coordinator must concern a household in one of the author's districts
  (sub-districts included), as `may_add_household` / `may_edit_household` say: the district of
  an insert, the new district of a move, and for an update one of the districts the household
  ever had here (a coordinator may have moved it meanwhile; the staff member saw it in theirs).
- **Legal erasure** (`op` purge): admins only (`retention.purge_households`), at the office,
  with the admin's author signature like an account change: it cannot be undone, so a device
  that writes one under an admin's name is refused.

"At that time": an author is judged by every role and every district the account ever had in
the synced history — the current row, every `staff` change in the change log, the roster, and
the `staff` changes of the same import — so work done before a demotion or a change of
districts still passes when it is relayed late, and converging devices judge alike.

Not checked (limits):

- A disabled account's changes are accepted: a laptop may relay work done before the account
  was disabled, and a change carries no trustworthy time of its own (`recorded_at` is the
  author's clock). Revoking the device is what stops a lost laptop.
- The roles are the union over the history, so an account once made coordinator keeps passing
  as one after a demotion (the price of judging late-relayed work without trusted times).
- District scope is checked for `household` rows only; members, visits, sheets, consents and
  the other records hanging on a household are judged by role alone (finding their household
  would cost a lookup per change through person, session or sheet).
- A staff member's update of a household this store has never heard of is accepted (its
  insert may come later; the merge applies the update to it then).
- Within one import a change is judged with what was accepted before it: an account, role or
  district given by a `staff` change that comes later in the same import is not known yet.
  Parked ranges released by an import are judged before the import's own changes, which
  may be the very ones that created their author. With ``defer=True`` such doubts are kept
  and judged again by `finish()` once the import has passed everything (the importer must
  then call `finish()` before committing).
- A reporter's `sheet_status_change` insert is not matched to their own sheet (the sheet may
  come in another range; a purge blanks the status).
- Where the services allow more than these rules, the change is refused here: an admin
  editing accounts or settings on a laptop, and a coordinator resolving a conflict on a
  `staff` or `council` row (`conflicts._visible` lets `manages_registers` resolve conflicts
  outside households). The services should refuse both on other installations.
- Who really made a change rests on origin authentication (`sync/chain.py`): before it, any
  enrolled device can write another device's origin or another account's id.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shakyo_desk.domain.roles import (
    ROLE_LABELS,
    Role,
    manages_conferences,
    manages_registers,
)
from shakyo_desk.store.exchange import chains
from shakyo_desk.store import changes_codec
from shakyo_desk.store.models import ChangeLog, District, Household, Roster, Staff
from shakyo_desk.store.nouns import NOUNS  # what the messages call each record, as the audit viewer
from shakyo_desk.sync import authorship
from shakyo_desk.sync import roster as rosters

ADMINS = frozenset({Role.ADMIN.value})
REGISTERS = frozenset(r.value for r in Role if manages_registers(r))
CONFERENCES = frozenset(r.value for r in Role if manages_conferences(r))
# The services' "anyone but a reporter" (contacts, consents, places, salons, sheets, referrals).
FIELD_WORK = frozenset({Role.ADMIN.value, Role.COORDINATOR.value, Role.STAFF.value})
ALL_HOUSEHOLDS = frozenset({Role.ADMIN.value, Role.COORDINATOR.value})  # sees_all_households
REPORTER = Role.REPORTER.value

OFFICE_ONLY = frozenset({"staff", "council"})
WRITERS: dict[str, frozenset[str]] = {
    "council": ADMINS, "staff": ADMINS,
    "district": REGISTERS, "agency": REGISTERS, "concern_category": REGISTERS, "salon": REGISTERS,
    "conference": CONFERENCES, "conference_member": CONFERENCES, "conference_case": CONFERENCES,
    "handout_copy": CONFERENCES,
    **{entity: FIELD_WORK for entity in (
        "place", "salon_session", "salon_regular", "attendance", "remark", "household", "person", "contact",
        "consent", "concern_sheet", "sheet_status_change", "referral")},
    # Case work (issue 18). Opening, closing and assigning a case are a coordinator's (services/cases.py),
    # but a staff member's assessment or monitoring moves the case's status, so the case and its
    # status history are field work here (the check is per record, not per field). The links made
    # only when a case is opened or closed, and the 地域課題 register, are coordinators'.
    **{entity: FIELD_WORK for entity in (
        "support_case", "case_status_change", "assessment_view", "support_plan", "plan_goal", "plan_action",
        "missing_resource", "monitoring")},
    **{entity: ALL_HOUSEHOLDS for entity in ("case_sheet", "case_evaluation", "community_issue_case")},
    "community_issue": REGISTERS,
    # Meetings fed by requests (0017): the staff member in charge of a case puts it forward
    # (受付表, services/meeting_requests.py; taking it into a meeting is a coordinator's write of the
    # same record, and the check is per record); seats per case and 委嘱 are coordinators'.
    "meeting_request": FIELD_WORK,
    "conference_case_member": CONFERENCES, "appointment": CONFERENCES,
    # Community work (0018): staff of the districts record ties and activities (and an activity's
    # 地域課題 links); supporters, targets and a missing resource's link to the register are coordinators'.
    **{entity: FIELD_WORK for entity in ("support_tie", "community_activity", "community_issue_activity")},
    **{entity: REGISTERS for entity in ("supporter", "supporter_target", "community_issue_resource")},
}

MAX_DOUBTS = 20_000  # changes kept for `finish()`; a bundle with more doubtful ones is refused at once
MAX_ROUNDS = 8  # passes of `finish()` (a real import needs one or two)

# Problems a later `staff` or `district` change of the same import could cure (defer=True).
# ("signature" cures nothing, but judged at `finish()` it comes after the origin chains: a change
# forged in the office's name is named as such first.)
_CURABLE = frozenset({"unknown", "role", "district", "signature"})
_LABELS = {role.value: label for role, label in ROLE_LABELS.items()}


class Authors:
    def __init__(self, conn: Connection, roster: dict, sender: str, *, defer: bool = False):
        self.conn, self.roster, self.sender = conn, roster, sender
        self.office = rosters.office_device_id(roster)
        self.names = {d["device_id"]: d["name"] for d in roster.get("devices") or ()}
        self.defer = defer
        self.doubts: list[dict] = []
        # Per account: every role and every district it ever had, its login and latest role.
        self.roles: dict[str, set[str]] = {}
        self.districts: dict[str, set[str]] = {}
        self.logins: dict[str, str] = {}
        self.latest: dict[str, str] = {}
        for entry in roster.get("staff") or ():
            self._account(entry.get("id"), {"role": entry.get("role"), "login": entry.get("login")})
        staff = Staff.__table__
        for row in changes_codec.rows(conn, ChangeLog.entity == "staff", order_by=(ChangeLog.hlc,)):
            self._account(row.entity_id, row.fields or {})
        for row in conn.execute(sa.select(staff.c.id, staff.c.login, staff.c.role, staff.c.district_ids)):
            self._account(row.id, {"login": row.login, "role": row.role, "district_ids": row.district_ids})
        self._scopes: dict[str, frozenset[str]] = {}  # per account: its districts with their sub-districts
        # District tree and the districts each household ever had: read at the first household
        # change a staff member wrote (most imports never need them); this import's own in `_moves`.
        self._children: dict[str | None, list[str]] | None = None
        self._homes: dict[str, set[str]] | None = None
        self._new_children: list[tuple[str | None, str]] = []
        self._moves: dict[str, set[str]] = {}
        self._admin_keys: dict[str, set[str]] | None = None  # per account: admin signing keys of every roster

    # ---- the check --------------------------------------------------------------------------

    def refusal(self, change: dict) -> str | None:
        """None when the change's author could make it; otherwise the sentence to show."""
        problem = self._problem(change)
        if problem is None:
            self._learn(change)
            return None
        if self.defer and problem in _CURABLE and len(self.doubts) < MAX_DOUBTS:
            self.doubts.append(change)
            return None
        return self._say(change, problem)

    def finish(self) -> str | None:
        """With ``defer=True``: judge the doubtful changes again with everything the import
        passed (an account created by a change that came after one of its own changes). None
        when every one passes now; otherwise the sentence for the first that does not."""
        for _ in range(MAX_ROUNDS):
            if not self.doubts:
                return None
            left = []
            for change in self.doubts:
                if self._problem(change) is None:
                    self._learn(change)
                else:
                    left.append(change)
            if len(left) == len(self.doubts):
                break
            self.doubts = left
        if not self.doubts:
            return None
        first = self.doubts[0]
        return self._say(first, self._problem(first) or "unknown")

    def _problem(self, change: dict) -> str | None:
        entity, author, op = change["entity"], change["staff_id"], change["op"]
        if not isinstance(author, str) or not author:
            return "anonymous"
        roles = self.roles.get(author)
        if entity in OFFICE_ONLY and change["origin"] != self.office:
            return "office"
        if roles is None:
            return "unknown"
        if op == "purge":  # erasure cannot be undone: an admin's, signed, at the office
            if Role.ADMIN.value not in roles:
                return "role"
            if change["origin"] != self.office:
                return "office"
            return None if self._signed(change, author) else "signature"
        allowed = WRITERS.get(entity, ADMINS)
        if roles.isdisjoint(allowed):
            if REPORTER in roles and self._filing(change, author):
                return None
            return "role"
        if entity in OFFICE_ONLY and not self._signed(change, author):
            return "signature"
        if entity == "household" and roles.isdisjoint(ALL_HOUSEHOLDS):
            return None if self._in_districts(change, author) else "district"
        return None

    def _signed(self, change: dict, author: str) -> bool:
        """Issue 16: an account or settings change carries its author's signature, by a key some
        roster version listed for that account as an admin's (older changes, written before the
        office signed, are exempt: the roster's `unsigned_before`)."""
        if not authorship.required(self.roster, change["origin"], change["epoch"], change["seq"]):
            return True
        signature = change.get("author_sig")
        if signature is None:
            return False
        if self._admin_keys is None:
            versions = [rosters.SignedRoster(body, "").data
                        for body in self.conn.execute(sa.select(Roster.body)).scalars()]
            self._admin_keys = authorship.admin_keys([*versions, self.roster])
        keys = self._admin_keys.get(author)
        if not keys:
            return False
        digest = chains.wire_digest(change)
        return any(authorship.valid(key, digest, signature) for key in keys)

    @staticmethod
    def _filing(change: dict, author: str) -> bool:
        """What a reporter's `sheets.file_sheet` writes: the sheet (noticed by them), its first
        status, and the link from the remark the sheet was made from."""
        entity, op, fields = change["entity"], change["op"], change["fields"]
        if entity == "concern_sheet":
            return op == "insert" and fields.get("noticed_by") == author
        if entity == "sheet_status_change":
            return op == "insert"
        if entity == "remark":
            return op == "update" and fields.keys() <= {"sheet_id"}
        return False

    def _in_districts(self, change: dict, author: str) -> bool:
        scope = self._scope(author)
        fields = change["fields"]
        if change["op"] == "insert" or "district_id" in fields:
            district = fields.get("district_id")
            if not isinstance(district, str) or district not in scope:
                return False
            if change["op"] == "insert":
                return True
        homes = self._homes_of(change["entity_id"])
        return not homes or not homes.isdisjoint(scope)  # never heard of: see the module's limits

    # ---- what the import has passed so far ----------------------------------------------------

    def _learn(self, change: dict) -> None:
        entity = change["entity"]
        if entity == "staff":
            self._account(change["entity_id"], change["fields"])
            self._scopes.clear()
        elif entity == "district" and change["op"] == "insert":
            parent = change["fields"].get("parent_id")
            if parent is None or isinstance(parent, str):
                self._new_children.append((parent, change["entity_id"]))
                if self._children is not None:
                    self._children.setdefault(parent, []).append(change["entity_id"])
                self._scopes.clear()
        elif entity == "household" and isinstance(change["fields"].get("district_id"), str):
            self._moves.setdefault(change["entity_id"], set()).add(change["fields"]["district_id"])

    def _account(self, staff_id: str | None, fields: dict) -> None:
        if not staff_id:
            return
        roles = self.roles.setdefault(staff_id, set())
        role = fields.get("role")
        if isinstance(role, str) and role:
            roles.add(role)
            self.latest[staff_id] = role
        districts = fields.get("district_ids")
        if isinstance(districts, list):
            self.districts.setdefault(staff_id, set()).update(d for d in districts if isinstance(d, str))
        login = fields.get("login")
        if isinstance(login, str) and login:
            self.logins[staff_id] = login

    def _scope(self, author: str) -> frozenset[str]:
        scope = self._scopes.get(author)
        if scope is None:
            children = self._tree()
            found, todo = set(), list(self.districts.get(author, ()))
            while todo:
                current = todo.pop()
                if current not in found:
                    found.add(current)
                    todo.extend(children.get(current, ()))
            scope = self._scopes[author] = frozenset(found)
        return scope

    def _tree(self) -> dict[str | None, list[str]]:
        if self._children is None:
            children: dict[str | None, list[str]] = {}
            table = District.__table__
            for district_id, parent_id in self.conn.execute(sa.select(table.c.id, table.c.parent_id)):
                children.setdefault(parent_id, []).append(district_id)
            for parent_id, district_id in self._new_children:
                children.setdefault(parent_id, []).append(district_id)
            self._children = children
        return self._children

    def _homes_of(self, household_id: str) -> set[str]:
        if self._homes is None:
            homes: dict[str, set[str]] = {}
            table = Household.__table__
            for household, district in self.conn.execute(
                    sa.select(table.c.id, table.c.district_id).where(table.c.district_id.is_not(None))):
                homes.setdefault(household, set()).add(district)
            # (a derived insert's district is its row's, read above: only packed values to read)
            for change in changes_codec.stream(self.conn, sa.select(ChangeLog.__table__).where(
                    ChangeLog.entity == "household", ChangeLog.packed.is_not(None))):
                if change.fields.get("district_id") is not None:
                    homes.setdefault(change.entity_id, set()).add(change.fields["district_id"])
            self._homes = homes
        return self._homes.get(household_id, set()) | self._moves.get(household_id, set())

    # ---- the sentence -----------------------------------------------------------------------

    def _say(self, change: dict, problem: str) -> str:
        sender = self._device(self.sender)
        origin = change["origin"]
        what = f"{NOUNS.get(change['entity'], '記録')}の{_verb(change)}"
        made = "" if origin == self.sender else f"（端末「{self._device(origin)}」で作られたとされる変更）"
        author = change["staff_id"]
        account = f"アカウント「{self.logins.get(author, author)}」" if isinstance(author, str) else ""
        if problem == "anonymous":
            found = f"どのアカウントが行ったか記録されていない{what}{made}"
        elif problem == "office":
            found = (f"事務局の端末以外で行われた{what}{made}"
                     "（アカウントと社協の設定は、事務局の端末で管理者だけが変更できます）")
        elif problem == "unknown":
            found = f"職員名簿にない{account}による{what}{made}"
        elif problem == "district":
            found = f"{account}の担当地区の外の{what}{made}"
        elif problem == "signature":
            found = (f"{account}本人の正しい署名がない{what}{made}"
                     "（アカウントと社協の設定の変更には、管理者本人の署名鍵による署名が必要です）")
        else:
            label = _LABELS.get(self.latest.get(author, ""))
            held = f"（{label}）" if label else ""
            found = f"{account}{held}には認められていない{what}{made}"
        return (f"端末「{sender}」から届いた同期ファイルに、{found}が含まれていたため、このファイルは取り込みませんでした"
                f"（何も変更していません）。管理者は、端末「{sender}」が正しく使われているか、"
                "アプリが書き換えられていないかを確かめてください。")

    def _device(self, device_id: str) -> str:
        return self.names.get(device_id) or device_id


def _verb(change: dict) -> str:
    if change["op"] == "insert":
        return "登録"
    if change["op"] == "purge":
        return "消去"
    return "削除" if change["fields"].get("deleted_at") else "変更"
