// The acknowledged copy a clean push leaves, as client_sqlite/acknowledged.py
// builds it: the server's document at the result's rev is the copy the op was
// based on, with the op's units written and the result's server_fields. With
// it kept, the pull asks for skip_echo=1 and the server does not send the
// device's own reports back (docs/protocol.md, "Pull"). Pure functions, so
// Node holds them to the Python answers (tests/golden/sync_vectors.json).
import { onTop } from "./outbox.js";
import { MAP_FIELDS, applyUnits, expand } from "./units.js";

// sync/document.py's order: id, the device fields, the server fields.
export const DEVICE_ORDER = [
  "post", "kind", "occurred_at", "ended_at", "location", "route", "title", "narrative",
  "modus", "destination_country", "agencies", "audience_size", "topics", "persons",
  "vehicles", "actions", "attachments", "retracted", "retract_reason",
];
export const SERVER_ORDER = ["author", "device_id", "created_at", "received_at", "review", "rev"];
export const FIELDS = ["id", ...DEVICE_ORDER, ...SERVER_ORDER];

const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);

// Every field of a document, in order, as the server serves it: empty maps
// as {}, retracted as false, any other unset value as null; nothing else.
export function full(doc) {
  const out = {};
  for (const name of FIELDS) {
    let value = doc[name] ?? null;
    if (value === null && MAP_FIELDS.includes(name)) value = {};
    else if (value === null && name === "retracted") value = false;
    out[name] = value;
  }
  return out;
}

// The device fields of a copy, maps copied (the op's units write into them).
function ownPart(acked) {
  const doc = {};
  for (const name of DEVICE_ORDER) {
    const value = acked[name];
    if (value === null || value === undefined) continue;
    doc[name] = MAP_FIELDS.includes(name) && isObject(value) ? { ...value } : value;
  }
  return doc;
}

// The acknowledged documents applied ops leave, by report id, in result order.
// `ops` maps op_id to the outbox op ({base_rev, fields}); `copies` maps the
// report id of each report held to its acknowledged copy ({} before the server
// has one). An op counts only when the copy is still the one it was based on
// and the result is newer; otherwise the copy moved on and a pull decides.
export function appliedDocuments(results, ops, copies) {
  const docs = new Map();
  for (const r of results) {
    if (r.status !== "applied" || !isObject(r.server_fields)) continue;
    const op = ops.get(r.op_id);
    if (!op || !copies.has(r.report_id)) continue;
    const acked = docs.get(r.report_id) ?? copies.get(r.report_id) ?? {};
    const base = op.base_rev ?? null;
    if ((acked.rev ?? null) !== base || (base !== null && !(r.rev > base))) continue;
    const doc = applyUnits(ownPart(acked), expand(op.fields));
    docs.set(r.report_id, full({ ...doc, ...r.server_fields, id: r.report_id }));
  }
  return docs;
}

// What a push answer does, in the order of `outbox` (the ops as stored): each
// op's next state (null: delivered, it leaves; rejected ones keep the
// server's words), and for each report a clean op left, the new acknowledged
// copy with the report's ops still in the outbox on top (the local document).
export function takePushResults(outbox, results, copies) {
  const byId = new Map(results.map((r) => [r.op_id, r]));
  const next = outbox.map((op) => {
    const r = byId.get(op.op_id);
    if (!r) return op;
    return r.status === "rejected" ? { ...op, state: "rejected", errors: r.errors || {} } : null;
  });
  const unsent = new Map();
  for (const op of next) if (op) unsent.set(op.report_id, [...(unsent.get(op.report_id) || []), op]);
  const acked = appliedDocuments(results, new Map(outbox.map((op) => [op.op_id, op])), copies);
  const reports = [...acked].map(([id, doc]) => {
    const mine = unsent.get(id) || [];
    return { id, doc: mine.length ? onTop(doc, mine) : doc, acked: doc, acked_rev: doc.rev };
  });
  return { next, reports };
}
