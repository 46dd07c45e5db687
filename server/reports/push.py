"""The push service: apply a device's batch of ops (DESIGN §3 "Push").

A batch runs in one write transaction.  Each op is evaluated in memory
against the batch's working copy of its report and either contributes all
of its writes or none (an op is atomic); the working copies, revisions,
conflicts and op records are then written with one statement per table.
A replayed ``op_id`` returns the stored result and changes nothing; an
``op_id`` that another device already used is refused and reveals nothing
of that device's op (idempotency keys belong to the device that sent them).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from server.http.auth import Principal
from server.infra.bulk import bulk_write
from server.infra.clock import clock, utcnow
from server.infra.models import Device, OpRecord
from server.infra.transactions import is_retryable, write_connection
from server.reports import evidence_chain, row_codec, store
from server.reports.push_checks import Checked, check, envelope, result_of
from server.reports.replays import Done, answer_done, settled_fields
from server.reports.signatures import device_key
from sync import hlc as sync_hlc
from sync import merge as sync_merge
from sync import report_schema
from sync import units as sync_units

ops_table = OpRecord.__table__
devices_table = Device.__table__

SCOPE_ERROR = {"report_id": ["is not a report of your post, or does not exist"]}
_RETRIES = 3


class _Batch:
    """One batch being applied: its working report states and bookkeeping."""

    def __init__(self, principal: Principal, conn: Connection, now: datetime):
        self.principal = principal
        self.device = principal.device
        # Read once: each read of an ORM attribute costs more than the op's dict work.
        self.device_id: str = principal.device.id
        self.author: str = principal.name
        self.post = principal.user.post_code
        self.conn = conn
        self.now = now
        self.wall_ms = sync_hlc.now_ms()
        self.states: dict[str, store.ReportState] = {}
        self.op_rows: list[dict[str, Any]] = []
        # Canonical bytes of the ops whose signatures were checked, by op_id.
        self.messages: dict[str, bytes] = {}
        # Per report written: whether every op of this batch on it applied
        # cleanly (the device then holds exactly the resulting document).
        self.clean: dict[str, bool] = {}

    def load(self, changes: list[dict[str, Any]]) -> dict[str, Done]:
        """Lock/load the batch's reports, then read which ops were already applied."""
        ids = [c.get("report_id") for c in changes if isinstance(c.get("report_id"), str)]
        self.states = store.load(self.conn, ids)
        # Read op records only after the report locks are held: a concurrent
        # replay of the same op on another process has committed by then.
        op_ids = [c["op_id"] for c in changes]
        rows = self.conn.execute(
            select(
                ops_table.c.op_id, ops_table.c.device_id, ops_table.c.report_id, ops_table.c.result
            ).where(ops_table.c.op_id.in_(op_ids))
        )
        done = {
            row.op_id: Done(
                row.device_id, row_codec.decode_result(row.result, row.op_id, row.report_id)
            )
            for row in rows
        }
        # A report another process created with one of these ops did not exist
        # when the locks were taken; it does now: load it, so that the replay
        # answers with its server_fields like the first answer did.
        late = {d.result.get("report_id") for d in done.values()} - self.states.keys()
        late.discard(None)
        if late:
            self.states.update(store.load(self.conn, list(late)))
        return done

    def apply(self, change: dict[str, Any], checked: Checked) -> dict[str, Any]:
        """Evaluate one op against the working states; never raises for bad input."""
        if checked.errors:
            return result_of(change, sync_merge.REJECTED, None, errors=checked.errors)
        state = self.states.get(change["report_id"])
        if not change["fields"]:
            return result_of(
                change,
                sync_merge.REJECTED,
                state.rev if state else None,
                errors={"fields": ["must change at least one field"]},
            )
        base = change["base_rev"]
        if state is None:
            if base not in (None, 0):
                return result_of(change, sync_merge.REJECTED, None, errors=SCOPE_ERROR)
        elif state.post != self.post:
            return result_of(change, sync_merge.REJECTED, None, errors=SCOPE_ERROR)
        elif base is not None and base > state.rev:
            return result_of(
                change,
                sync_merge.REJECTED,
                state.rev,
                errors={"base_rev": [f"is {base} but the report is only at revision {state.rev}"]},
            )
        current_rev = state.rev if state else None
        if checked.unit_errors:
            return result_of(change, sync_merge.REJECTED, current_rev, errors=checked.unit_errors)
        try:
            units = self._settle_post(checked.units or {}, state)
        except sync_units.UnitError as exc:
            return result_of(change, sync_merge.REJECTED, current_rev, errors=exc.errors)
        if checked.value_errors:
            return result_of(change, sync_merge.REJECTED, current_rev, errors=checked.value_errors)
        if checked.message is not None:
            self.messages[change["op_id"]] = checked.message
        return self._merge(change, state, units)

    def _settle_post(self, sent: dict[str, Any], state: store.ReportState | None) -> dict[str, Any]:
        """The units with ``post`` settled: own post on creation, never changed after."""
        post = state.post if state else self.post
        if "post" in sent and sent["post"] != post:
            reason = (
                "must be your own post"
                if state is None
                else "can only be changed by a commander's transfer"
            )
            raise sync_units.UnitError({"post": [reason]})
        units = dict(sent)  # ``sent`` is reused if the batch is retried
        if state is None:
            units.setdefault("post", post)
        elif "post" in units:
            del units["post"]
            if not units:
                raise sync_units.UnitError({"fields": ["must change at least one field"]})
        return units

    def _merge(
        self, change: dict[str, Any], state: store.ReportState | None, units: dict[str, Any]
    ) -> dict[str, Any]:
        """Merge a valid op into its report's working state; its result."""
        # The node part is the tie-break of equal clocks: a device may not
        # claim another's (or a made-up, always-winning) id. The wire form
        # was validated, so the node starts after "<16 digits>-<5 digits>-".
        hlc, clamped = change["hlc"][: sync_hlc.MS_DIGITS + 7] + self.device_id, False
        # Only an HLC ahead of the batch's start by more than the allowed
        # drift can be ahead of the server clock (which is never behind the
        # wall clock); the rest skip parsing and the shared clock's lock.
        if int(hlc[: sync_hlc.MS_DIGITS]) - self.wall_ms > sync_hlc.MAX_DRIFT_MS:
            op_hlc, clamped = sync_hlc.clamp(sync_hlc.HLC.parse(hlc), clock.now())
            hlc = str(op_hlc)
        creating = state is None
        if creating:
            state = store.ReportState.new(
                change["report_id"], self.post, self.author, self.device_id, self.now
            )
        op = sync_merge.Op(change["base_rev"], hlc, units, self.device_id, self.author)
        outcome = sync_merge.merge_op(state.device_doc, state.meta, state.rev, op)
        if creating:
            errors = report_schema.required_errors(outcome.doc)
            if errors:
                return result_of(change, sync_merge.REJECTED, None, errors=errors)
        elif outcome.doc.get("retracted") is True and not outcome.doc.get("retract_reason"):
            return result_of(
                change,
                sync_merge.REJECTED,
                state.rev,
                errors={"retract_reason": ["a retraction needs a reason"]},
            )
        if creating:
            self.states[state.id] = state
        records = self._commit_outcome(change, state, outcome, units)
        applied = outcome.status == sync_merge.APPLIED
        self.clean[state.id] = self.clean.get(state.id, True) and applied
        result = result_of(
            change, outcome.status, state.rev, hlc_clamped=clamped, conflicts=records
        )
        if applied:
            result["server_fields"] = settled_fields(state)
        return result

    def _commit_outcome(
        self,
        change: dict[str, Any],
        state: store.ReportState,
        outcome: sync_merge.Outcome,
        units: dict[str, Any],
    ) -> list[dict[str, Any]]:
        if outcome.changed:
            self._new_revision(change, state, outcome, units)
        elif outcome.affirmed:
            # Same values re-sent with a newer HLC: no revision, but the
            # larger HLC must be stored for later merges to be order-free.
            state.meta = outcome.meta
            state.dirty = True
        records = [self._open_conflict(change, state, c) for c in outcome.conflicts]
        state.row["open_conflicts"] += len(records)
        # A conflict the op lost changes no unit, but devices must still see
        # it on their next pull, so the report is written (new seq) anyway.
        state.dirty = state.dirty or outcome.changed or bool(records)
        return records

    def _new_revision(
        self,
        change: dict[str, Any],
        state: store.ReportState,
        outcome: sync_merge.Outcome,
        units: dict[str, Any],
    ) -> None:
        state.row["rev"] += 1
        state.device_doc, state.meta = outcome.doc, outcome.meta
        # A written unit holds the value the op sent (merge rules 1 and 3).
        changes = {unit: units[unit] for unit in outcome.written}
        if state.row["review_status"] == "approved":
            # Rule 4: content changed after approval goes back for review.
            state.row["review_status"] = "submitted"
            state.row["status_since"] = self.now
            changes["review.status"] = "submitted"
        row = store.revision_row(
            state,
            at=self.now,
            by=self.author,
            action="create" if state.rev == 1 else "push",
            changes=changes,
            device_id=self.device_id,
            op_id=change["op_id"],
            signed=change,
        )
        message = self.messages.get(change["op_id"])
        if message is not None:
            row[evidence_chain.OP_BYTES] = message
        state.revisions.append(row)

    def _open_conflict(
        self, change: dict[str, Any], state: store.ReportState, c: sync_merge.ConflictRecord
    ) -> dict[str, Any]:
        """The conflict's entry in the op's result; its stored row joins the report's."""
        record = {
            "id": str(uuid.uuid4()),
            "field": c.field,
            "kept": c.kept,
            "lost": c.lost,
            "kept_by": c.kept_by,
            "lost_by": c.lost_by,
            "kept_hlc": c.kept_hlc,
            "lost_hlc": c.lost_hlc,
            "rev": state.rev,
            "status": "open",
        }
        state.conflicts.append(
            dict(
                record,
                report_id=state.id,
                post_code=state.post,
                kept_device=c.kept_device,
                lost_device=c.lost_device,
                op_id=change["op_id"],
                created_at=self.now,
            )
        )
        return record

    def replay(self, change: dict[str, Any], done: Done) -> dict[str, Any]:
        """The answer to an op seen before, with its ``server_fields`` while they still hold."""
        result = answer_done(change, done, self.device_id)
        state = self.states.get(change.get("report_id"))
        if (
            result.get("replayed")
            and result["status"] == sync_merge.APPLIED
            and state is not None
            and state.rev == result["rev"]
        ):
            # Every committed change adds a revision, so at the same revision
            # the report is still what this op left; a later one comes by pull.
            result["server_fields"] = settled_fields(state)
        return result

    def record(self, change: dict[str, Any], result: dict[str, Any]) -> None:
        """Keep the op's result so that a replay returns it unchanged.

        ``server_fields`` is not stored: a replay rebuilds it (``replay``).
        """
        result = {k: v for k, v in result.items() if k != "server_fields"}
        hlc_sent = change.get("hlc") if isinstance(change.get("hlc"), str) else None
        report_id = change.get("report_id") if isinstance(change.get("report_id"), str) else None
        self.op_rows.append(
            {
                "op_id": change["op_id"],
                "device_id": self.device_id,
                "report_id": report_id,
                "sent_hlc": hlc_sent[:96] if hlc_sent else None,
                "result": row_codec.encode_result(result, change["op_id"], report_id),
                "created_at": self.now,
            }
        )

    def save(self, changes: list[dict[str, Any]]) -> None:
        """Write op records, the device's push bookkeeping, then the reports.

        The reports come last: saving them takes the change-sequence counter
        row, whose lock every writer needs and holds until commit, so the
        less that follows it, the less concurrent pushes wait for each other.
        """
        bulk_write(self.conn, ops_table, self.op_rows)
        sent = [
            c["hlc"]
            for c in changes
            if isinstance(c.get("hlc"), str) and sync_hlc.is_valid(c["hlc"])
        ]
        values: dict[str, Any] = {"last_push_at": self.now}
        if sent:
            acked = min(sent)
            if self.device.acked_hlc is None or acked > self.device.acked_hlc:
                values["acked_hlc"] = acked
        self.conn.execute(
            update(devices_table).where(devices_table.c.id == self.device.id).values(**values)
        )
        for report_id, clean in self.clean.items():
            if clean:
                self.states[report_id].echo_device = self.device.id
        store.save(self.conn, self.states.values(), self.now)


def _run_batch(
    principal: Principal, changes: list[dict[str, Any]], checked: list[Checked]
) -> list[dict[str, Any]]:
    with write_connection() as conn:
        batch = _Batch(principal, conn, utcnow())
        done = batch.load(changes)
        results = []
        for change, verdict in zip(changes, checked, strict=True):
            previous = done.get(change["op_id"])
            if previous is not None:
                results.append(batch.replay(change, previous))
                continue
            result = batch.apply(change, verdict)
            done[change["op_id"]] = Done(batch.device_id, result)
            batch.record(change, result)
            results.append(result)
        batch.save(changes)
        return results


def push(principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
    """Apply a push body for ``principal``'s device and build the response."""
    changes = envelope(body)
    key = device_key(principal.device)
    checked = [check(change, key) for change in changes]
    for attempt in range(_RETRIES):
        try:
            results = _run_batch(principal, changes, checked)
            break
        except DBAPIError as exc:
            # Two processes creating the same report or sending the same op
            # at once: the loser's insert fails; rerun the whole batch, which
            # now sees the winner's rows and answers with replays (or, for an
            # op_id another device won, with a refusal).
            if attempt == _RETRIES - 1 or not is_retryable(exc):
                raise
            current_app.logger.info(
                "push batch %s retried after %s", body["batch_id"], type(exc).__name__
            )
    return {
        "batch_id": body["batch_id"],
        "server_time": sync_hlc.format_server_time(),
        "results": results,
    }
