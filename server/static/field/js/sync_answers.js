// What a sync answer writes into the device store (store.js), each in one
// IndexedDB transaction: a push answer (delivered ops leave the outbox, a
// clean op's result becomes the acknowledged copy: acknowledged.js) and a
// pull page with its cursor (local edits stay on top).
import * as A from "./acknowledged.js";
import { exclusive, request } from "./idb.js";
import * as O from "./outbox.js";
import { listingRow } from "./schema.js";
import * as P from "./sealed.js";
import { unlocked } from "./vault.js";

// Delivered ops leave the outbox, rejected ones stay with the server's
// words; a clean op's result becomes the report's acknowledged copy
// (acknowledged.js), with the still unsent edits on top, all in one write.
export async function applyPushResults(store, results) {
  const conflicts = results.flatMap((r) => (r.conflicts || []).map((c) => ({ id: c.id, report_id: r.report_id, field: c.field, record: c })));
  await exclusive(async () => {
    const vault = unlocked();
    const outbox = await store._outbox();
    const { next, reports } = A.takePushResults(outbox, results, await ackedCopies(store, results));
    const sealedReports = [];
    for (const report of reports) {
      const row = { ...report, updated_at: Date.now() };
      sealedReports.push(await Promise.all([P.seal(vault, "reports", row), P.seal(vault, "listing", listingRow(row.doc))]));
    }
    const changed = await P.sealAll(vault, "outbox", next.filter((op, i) => op !== null && op !== outbox[i]));
    const sealedConflicts = await P.sealAll(vault, "conflicts", conflicts);
    const delivered = outbox.filter((op, i) => next[i] === null).map((op) => op.seq);
    await store.tx(["outbox", "conflicts", "reports", "listing"], "readwrite", async (s) => {
      for (const seq of delivered) s.outbox.delete(seq);
      for (const op of changed) s.outbox.put(op);
      for (const c of sealedConflicts) s.conflicts.put(c);
      for (const [report, listing] of sealedReports) {
        s.reports.put(report);
        s.listing.put(listing);
      }
    });
  });
}

// The acknowledged copy of each report an applied result names and this
// device holds ({} before the server has one), as appliedDocuments reads them.
async function ackedCopies(store, results) {
  const ids = [...new Set(results.filter((r) => r.status === "applied" && r.server_fields).map((r) => r.report_id))];
  if (!ids.length) return new Map();
  const rows = await store.read(["reports"], (s) => Promise.all(ids.map((id) => request(s.reports.get(id)))));
  const held = await P.openAll(unlocked(), "reports", rows.filter(Boolean));
  return new Map(held.map((row) => [row.id, row.acked_rev == null ? {} : row.acked]));
}

// One pull page and its cursor in one transaction; local edits stay on top.
// `last` (the page ended the pull) marks the device as holding every
// report it pushed: from then on it pulls with skip_echo (sync.js).
export async function applyPullPage(store, changes, cursor, { last = false } = {}) {
  await exclusive(async () => {
    const vault = unlocked();
    const [outbox, device] = await Promise.all([store._outbox(), store.device()]);
    const steps = [];
    for (const change of changes) steps.push(await pullStep(vault, change, outbox));
    const d = await P.sealDevice(vault, { ...device, cursor, skip_echo: device.skip_echo === true || last });
    await store.tx(["device", "reports", "listing", "outbox", "conflicts", "cache"], "readwrite", async (s) => {
      for (const step of steps) {
        const keys = await request(s.conflicts.index("report_id").getAllKeys(step.reportId));
        for (const key of keys) s.conflicts.delete(key);
        if (step.removed) {
          s.reports.delete(step.reportId);
          s.listing.delete(step.reportId);
          s.cache.delete(`alerts:${step.reportId}`); // out of scope: its links go too
        } else {
          s.reports.put(step.report);
          s.listing.put(step.listing);
        }
        for (const c of step.conflicts) s.conflicts.put(c);
        for (const op of step.ops) s.outbox.put(op);
      }
      s.device.put(d, "self");
    });
  });
}

// What one change of a pull page writes, sealed. A report that left this
// post goes; its unsent edits stay visible as rejected.
async function pullStep(vault, change, outbox) {
  if (change.removed) {
    const gone = outbox.filter((o) => o.report_id === change.report_id);
    const errors = { report_id: ["the report moved out of your post's scope"] };
    const ops = await P.sealAll(vault, "outbox", gone.map((op) => ({ ...op, state: "rejected", errors })));
    return { reportId: change.report_id, removed: true, ops, conflicts: [] };
  }
  const acked = change.report;
  const mine = outbox.filter((op) => op.report_id === acked.id);
  const doc = mine.length ? O.onTop(acked, mine) : acked;
  const report = await P.seal(vault, "reports", { id: acked.id, doc, acked, acked_rev: acked.rev, updated_at: Date.now() });
  const conflicts = (change.open_conflicts || []).map((c) => ({ id: c.id, report_id: acked.id, field: c.field, record: c }));
  return {
    reportId: acked.id,
    removed: false,
    report,
    listing: await P.seal(vault, "listing", listingRow(doc)),
    conflicts: await P.sealAll(vault, "conflicts", conflicts),
    ops: [],
  };
}
