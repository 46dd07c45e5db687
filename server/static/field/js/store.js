// The device store in IndexedDB, the same model as client_sqlite: per report
// the acknowledged document and the local one, an outbox of ops, the pull
// cursor, identity and token (here only, never in cookies or localStorage),
// conflicts, and the attachment files themselves.
import * as H from "./hlc.js";
import { open, request, transaction } from "./idb.js";
import * as O from "./outbox.js";
import * as S from "./signing.js";
import { uuid7 } from "./uuid7.js";

const NAME = "patroli-field";
// "listing" holds what the report list shows, so that opening the app reads
// a few fields per report rather than every whole document.
const STORES = ["device", "reports", "listing", "outbox", "conflicts", "blobs", "cache"];

function listingRow(doc) {
  const review = doc.review || {};
  return {
    id: doc.id,
    title: doc.title,
    kind: doc.kind,
    occurred_at: doc.occurred_at,
    retracted: doc.retracted === true,
    review: { status: review.status || null, note: review.note || null },
  };
}

function upgrade(db, oldVersion) {
  if (oldVersion < 1) {
    db.createObjectStore("device");
    db.createObjectStore("reports", { keyPath: "id" });
    db.createObjectStore("listing", { keyPath: "id" });
    const outbox = db.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
    outbox.createIndex("op_id", "op_id", { unique: true });
    outbox.createIndex("report_id", "report_id");
    const conflicts = db.createObjectStore("conflicts", { keyPath: "id" });
    conflicts.createIndex("report_id", "report_id");
    db.createObjectStore("blobs", { keyPath: "sha256" });
    db.createObjectStore("cache");
  }
}

export class LocalError extends Error {
  constructor(errors) {
    super(Object.entries(errors).map(([k, v]) => `${k}: ${v.join(", ")}`).join("; "));
    this.errors = errors;
  }
}

export class Store {
  static async open() {
    const store = new Store(await open(NAME, 1, upgrade));
    return store;
  }

  constructor(db) {
    this.db = db;
  }

  tx(names, mode, fn) {
    return transaction(this.db, names, mode, fn);
  }

  async device() {
    return this.tx(["device"], "readonly", async (s) => (await request(s.device.get("self"))) || null);
  }

  async saveEnrollment(answer, localMs = Date.now(), signingKey = null) {
    await this.tx(["device"], "readwrite", async (s) => {
      const node = answer.device_id;
      const clock = H.receive(null, { ms: H.parseServerTime(answer.server_time), counter: 0, node }, node, localMs);
      s.device.put(
        {
          device_id: answer.device_id,
          token: answer.token,
          officer: answer.officer,
          post: answer.post,
          hlc: H.format(clock),
          cursor: null,
          revoked: false,
          enrolled_at: new Date().toISOString(),
          last_sync_at: null,
          signing_key: signingKey,
        },
        "self",
      );
    });
  }

  async updateDevice(change) {
    await this.tx(["device"], "readwrite", async (s) => {
      const device = await request(s.device.get("self"));
      s.device.put({ ...device, ...change }, "self");
    });
  }

  async observeServerTime(serverTime, localMs = Date.now()) {
    await this.tx(["device"], "readwrite", async (s) => {
      const device = await request(s.device.get("self"));
      const remote = { ms: H.parseServerTime(serverTime), counter: 0, node: device.device_id };
      const clock = H.receive(H.parse(device.hlc), remote, device.device_id, localMs);
      s.device.put({ ...device, hlc: H.format(clock), clock_offset_ms: remote.ms - localMs }, "self");
    });
  }

  async cached(key) {
    return this.tx(["cache"], "readonly", async (s) => (await request(s.cache.get(key))) ?? null);
  }

  async putCached(key, value) {
    await this.tx(["cache"], "readwrite", async (s) => {
      s.cache.put(value, key);
    });
  }

  // -- local edits -----------------------------------------------------------

  static tick(device) {
    const clock = H.tick(H.parse(device.hlc), device.device_id);
    device.hlc = H.format(clock);
    return device.hlc;
  }

  // A new report: its document, its outbox op, its files and the clock, at once.
  async create(kind, fields, files = []) {
    const reportId = uuid7();
    await this.tx(["device", "reports", "listing", "outbox", "blobs"], "readwrite", async (s) => {
      const device = await request(s.device.get("self"));
      const hlc = Store.tick(device);
      const op = O.createOp({ opId: uuid7(), reportId, hlc, kind, fields: { ...fields, post: device.post } });
      const doc = O.onTop({ id: reportId }, [op]);
      s.reports.put({ id: reportId, doc, acked: null, acked_rev: null, updated_at: Date.now() });
      s.listing.put(listingRow(doc));
      s.outbox.add(op);
      for (const file of files) s.blobs.put(file);
      s.device.put(device, "self");
    });
    return reportId;
  }

  // An edit (only the changed units), folded as client_sqlite folds it.
  async edit(reportId, fields, files = []) {
    await this.tx(["device", "reports", "listing", "outbox", "blobs"], "readwrite", async (s) => {
      const row = await request(s.reports.get(reportId));
      if (!row) throw new LocalError({ id: [`no report ${reportId} on this device`] });
      const device = await request(s.device.get("self"));
      const hlc = Store.tick(device);
      const outbox = await request(s.outbox.getAll());
      const plan = O.planEdit(outbox, { opId: uuid7(), reportId, hlc, fields, ackedRev: row.acked_rev });
      for (const opId of plan.remove) {
        s.outbox.delete(outbox.find((op) => op.op_id === opId).seq);
      }
      if (plan.update) s.outbox.put(plan.update);
      if (plan.insert) s.outbox.add(plan.insert);
      const doc = O.onTop(row.doc, [{ fields }]);
      s.reports.put({ ...row, doc, updated_at: Date.now() });
      s.listing.put(listingRow(doc));
      for (const file of files) s.blobs.put(file);
      s.device.put(device, "self");
    });
  }

  // -- what the sync engine needs ---------------------------------------------

  async pendingOps(limit) {
    const [outbox, device] = await this.tx(["outbox", "device"], "readonly", (s) =>
      Promise.all([request(s.outbox.getAll()), request(s.device.get("self"))]),
    );
    const ops = O.sendable(outbox, limit).map(({ op_id, report_id, base_rev, hlc, fields }) => ({ op_id, report_id, base_rev, hlc, fields }));
    // Signed after the transaction: WebCrypto's promises would let it commit early.
    // A device enrolled before signing has no key; its ops go unsigned.
    const key = device?.signing_key;
    return key ? Promise.all(ops.map((op) => S.signOp(key, op))) : ops;
  }

  async markInFlight(opIds) {
    await this.tx(["outbox"], "readwrite", async (s) => {
      for (const op of await request(s.outbox.getAll())) {
        if (opIds.includes(op.op_id)) s.outbox.put({ ...op, state: "in_flight", attempts: (op.attempts || 0) + 1 });
      }
    });
  }

  async applyPushResults(results) {
    await this.tx(["outbox", "conflicts"], "readwrite", async (s) => {
      const byId = new Map(results.map((r) => [r.op_id, r]));
      for (const op of await request(s.outbox.getAll())) {
        const r = byId.get(op.op_id);
        if (!r) continue;
        if (r.status === "rejected") s.outbox.put({ ...op, state: "rejected", errors: r.errors || {} });
        else s.outbox.delete(op.seq);
        for (const c of r.conflicts || []) s.conflicts.put({ id: c.id, report_id: r.report_id, field: c.field, record: c });
      }
    });
  }

  async rejectLocally(opId, errors) {
    await this.tx(["outbox"], "readwrite", async (s) => {
      const op = await request(s.outbox.index("op_id").get(opId));
      if (op) s.outbox.put({ ...op, state: "rejected", errors });
    });
  }

  async pendingBlobs() {
    const blobs = await this.tx(["blobs"], "readonly", (s) => request(s.blobs.getAll()));
    return blobs.filter((b) => !b.uploaded && !b.error);
  }

  async markBlob(sha256, error = null) {
    await this.tx(["blobs"], "readwrite", async (s) => {
      const blob = await request(s.blobs.get(sha256));
      if (blob) s.blobs.put(error ? { ...blob, error } : { ...blob, uploaded: true });
    });
  }

  async resetCursor() {
    await this.updateDevice({ cursor: null });
  }

  // One pull page and its cursor in one transaction; local edits stay on top.
  async applyPullPage(changes, cursor) {
    await this.tx(["device", "reports", "listing", "outbox", "conflicts"], "readwrite", async (s) => {
      const outbox = await request(s.outbox.getAll());
      for (const change of changes) {
        if (change.removed) {
          await this._drop(s, change.report_id, outbox);
          continue;
        }
        const acked = change.report;
        const ops = outbox.filter((op) => op.report_id === acked.id);
        const doc = ops.length ? O.onTop(acked, ops) : acked;
        s.reports.put({ id: acked.id, doc, acked, acked_rev: acked.rev, updated_at: Date.now() });
        s.listing.put(listingRow(doc));
        for (const key of await request(s.conflicts.index("report_id").getAllKeys(acked.id))) s.conflicts.delete(key);
        for (const c of change.open_conflicts || []) s.conflicts.put({ id: c.id, report_id: acked.id, field: c.field, record: c });
      }
      const device = await request(s.device.get("self"));
      s.device.put({ ...device, cursor }, "self");
    });
  }

  // The report left this post: unsent edits stay visible as rejected.
  async _drop(s, reportId, outbox) {
    s.reports.delete(reportId);
    s.listing.delete(reportId);
    for (const key of await request(s.conflicts.index("report_id").getAllKeys(reportId))) s.conflicts.delete(key);
    for (const op of outbox.filter((o) => o.report_id === reportId)) {
      s.outbox.put({ ...op, state: "rejected", errors: { report_id: ["the report moved out of your post's scope"] } });
    }
  }

  // -- reading -------------------------------------------------------------------

  async report(reportId) {
    return this.tx(["reports"], "readonly", async (s) => (await request(s.reports.get(reportId))) || null);
  }

  // Conflict records of one report (the commander resolves them on the web page).
  async conflictsOf(reportId) {
    return this.tx(["conflicts"], "readonly", (s) => request(s.conflicts.index("report_id").getAll(reportId)));
  }

  // What the list shows of every report, with its sync state.
  async listing() {
    return this.tx(["listing", "outbox", "conflicts"], "readonly", async (s) => {
      const [rows, outbox, conflicts] = await Promise.all([
        request(s.listing.getAll()),
        request(s.outbox.getAll()),
        request(s.conflicts.getAll()),
      ]);
      const ops = new Map();
      for (const op of outbox) ops.set(op.report_id, [...(ops.get(op.report_id) || []), op]);
      const open = new Set(conflicts.filter((c) => (c.record.status || "open") === "open").map((c) => c.report_id));
      return rows.map((row) => {
        const mine = ops.get(row.id) || [];
        const rejected = mine.filter((op) => op.state === "rejected");
        let state = "sent";
        if (rejected.length) state = "rejected";
        else if (mine.length) state = "pending";
        else if (open.has(row.id)) state = "conflict";
        return { ...row, state, errors: rejected.map((op) => op.errors) };
      });
    });
  }

  async counts() {
    return this.tx(["outbox", "blobs"], "readonly", async (s) => {
      const outbox = await request(s.outbox.getAll());
      const blobs = await request(s.blobs.getAll());
      return {
        pending: outbox.filter((op) => op.state !== "rejected").length,
        rejected: outbox.filter((op) => op.state === "rejected").length,
        blobs: blobs.filter((b) => !b.uploaded && !b.error).length,
      };
    });
  }
}
