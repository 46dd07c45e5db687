// The outbox rules of client_sqlite/editing.py, as pure functions over an
// array of ops in outbox order. The store runs them inside the IndexedDB
// transaction that also writes the local document.
import { applyUnits, expand } from "./units.js";

// Fields with whole maps spelled as element units, so merging is per element.
export function flat(fields) {
  return expand(fields);
}

export function createOp({ opId, reportId, hlc, kind, fields }) {
  return { op_id: opId, report_id: reportId, base_rev: null, hlc, fields: { ...fields, kind }, state: "pending" };
}

// What an edit does to the outbox: earlier rejected changes of the report are
// carried along under the new one (nothing typed is dropped); the edit folds
// into the newest op of the whole outbox when that op is this report's and
// was never sent (only the newest, so outbox order stays HLC order).
export function planEdit(outbox, { opId, reportId, hlc, fields, ackedRev }) {
  const rejected = outbox.filter((op) => op.report_id === reportId && op.state === "rejected");
  let wire = fields;
  if (rejected.length) {
    wire = {};
    for (const op of rejected) Object.assign(wire, flat(op.fields));
    Object.assign(wire, flat(fields));
  }
  const remove = rejected.map((op) => op.op_id);
  const rest = outbox.filter((op) => !remove.includes(op.op_id));
  const last = rest[rest.length - 1];
  if (last && last.report_id === reportId && last.state === "pending") {
    return { remove, update: { ...last, hlc, fields: { ...flat(last.fields), ...flat(wire) } }, insert: null };
  }
  const insert = { op_id: opId, report_id: reportId, base_rev: ackedRev ?? null, hlc, fields: wire, state: "pending" };
  return { remove, update: null, insert };
}

export function applyPlan(outbox, plan) {
  const kept = outbox.filter((op) => !plan.remove.includes(op.op_id));
  const out = kept.map((op) => (plan.update && op.op_id === plan.update.op_id ? plan.update : op));
  if (plan.insert) out.push(plan.insert);
  return out;
}

// Ops to send, oldest first: pending, or in flight from an earlier try
// (resent with the same op_id: the server answers those as replays).
export function sendable(outbox, limit) {
  return outbox.filter((op) => op.state !== "rejected").slice(0, limit);
}

export function markInFlight(outbox, opIds) {
  return outbox.map((op) => (opIds.includes(op.op_id) ? { ...op, state: "in_flight", attempts: (op.attempts || 0) + 1 } : op));
}

// Delivered ops leave the outbox; rejected ones stay with the server's words.
export function applyResults(outbox, results) {
  const byId = new Map(results.map((r) => [r.op_id, r]));
  const out = [];
  for (const op of outbox) {
    const r = byId.get(op.op_id);
    if (!r) out.push(op);
    else if (r.status === "rejected") out.push({ ...op, state: "rejected", errors: r.errors || {} });
  }
  return out;
}

// The acknowledged document with every outbox op of the report on top.
export function onTop(acked, ops) {
  const doc = structuredClone(acked);
  for (const op of ops) applyUnits(doc, expand(op.fields));
  return doc;
}
