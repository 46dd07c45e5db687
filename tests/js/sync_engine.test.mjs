// The field app's sync engine (server/static/field/js/sync.js) against an
// in-memory store and a scripted server: lost answers are replayed with the
// same op ids, a 413 halves the batch, a 410 restarts the download once, a
// revoked device is marked and keeps its ops, pull pages land with their cursor,
// echoes are skipped only once a whole pull has ended.
import assert from "node:assert/strict";
import { webcrypto } from "node:crypto";
import { test } from "node:test";

import * as O from "../../server/static/field/js/outbox.js";
import { sync } from "../../server/static/field/js/sync.js";
import { ProblemError, TransportError } from "../../server/static/field/js/transport.js";

globalThis.crypto ??= webcrypto;

const PROBLEM = "urn:patroli:problem:";
const NOW = "2026-11-20T03:15:00.000Z";

const wire = (ops) => ops.map(({ op_id, report_id, base_rev, hlc, fields }) => ({ op_id, report_id, base_rev, hlc, fields }));

class MemoryStore {
  constructor(ops) {
    this.dev = { device_id: "dev-1", token: "t", hlc: "0000000000000000-00000-dev-1", cursor: null, revoked: false };
    this.outbox = ops;
    this.pages = [];
    this.serverTimes = [];
  }
  async device() { return { ...this.dev }; }
  async updateDevice(change) { Object.assign(this.dev, change); }
  async observeServerTime(t) { this.serverTimes.push(t); }
  async pendingBlobs() { return []; }
  async markBlob() {}
  async pendingOps(limit) { return wire(O.sendable(this.outbox, limit)); }
  async markInFlight(ids) {
    this.outbox = O.markInFlight(this.outbox, ids);
    return wire(this.outbox.filter((op) => ids.includes(op.op_id)));
  }
  async applyPushResults(results) { this.outbox = O.applyResults(this.outbox, results); }
  async rejectLocally(opId, errors) { this.outbox = O.applyResults(this.outbox, [{ op_id: opId, status: "rejected", errors }]); }
  async resetCursor() { this.dev.cursor = null; }
  async applyPullPage(changes, cursor, { last = false } = {}) {
    this.pages.push(changes.length);
    Object.assign(this.dev, { cursor, skip_echo: this.dev.skip_echo === true || last });
  }
}

function ops(n) {
  return Array.from({ length: n }, (_, i) => O.createOp({ opId: `op-${i}`, reportId: `r-${i}`, hlc: `h${i}`, kind: "patrol", fields: { title: `t${i}` } }));
}

// A scripted server: `faults` is consumed one per push / pull request.
class FakeServer {
  constructor({ pushFaults = [], pullFaults = [], reports = 0, maxOps = 500 } = {}) {
    Object.assign(this, { pushFaults, pullFaults, reports, maxOps });
    this.applied = new Map();
    this.pushes = [];
    this.pullCursors = [];
    this.skipEcho = [];
  }
  async request(method, path, body) {
    if (path === "/api/v1/meta") return { max_batch_ops: this.maxOps, max_batch_bytes: 8388608, server_time: NOW };
    if (path === "/api/v1/sync/push") return this.push(body);
    if (path.startsWith("/api/v1/sync/pull")) return this.pull(new URLSearchParams(path.split("?")[1]));
    throw new Error(`unexpected ${method} ${path}`);
  }
  push(body) {
    this.pushes.push(body.changes.map((c) => c.op_id));
    this.sentFields = [...(this.sentFields || []), ...body.changes.map((c) => c.fields)];
    const fault = this.pushFaults.shift();
    if (fault === "too-large") throw new ProblemError(413, { type: `${PROBLEM}payload-too-large` });
    if (fault === "revoked") throw new ProblemError(401, { type: `${PROBLEM}device-revoked` });
    const results = body.changes.map((c) => {
      const replayed = this.applied.has(c.op_id);
      this.applied.set(c.op_id, (this.applied.get(c.op_id) || 0) + (replayed ? 0 : 1));
      return { op_id: c.op_id, report_id: c.report_id, status: "applied", rev: 1, replayed };
    });
    if (fault === "lose-answer") throw new TransportError("connection reset after the commit");
    return { batch_id: body.batch_id, server_time: NOW, results };
  }
  pull(query) {
    const cursor = query.get("cursor");
    this.pullCursors.push(cursor);
    this.skipEcho.push(query.get("skip_echo"));
    const fault = this.pullFaults.shift();
    if (fault === "no-signal") throw new TransportError("the link dropped");
    if (fault === "expired") throw new ProblemError(410, { type: `${PROBLEM}cursor-expired` });
    const start = cursor ? Number(cursor) : 0;
    const end = Math.min(this.reports, start + Number(query.get("limit")));
    const changes = Array.from({ length: end - start }, (_, i) => ({ report: { id: `s-${start + i}`, rev: 1 }, open_conflicts: [] }));
    return { changes, cursor: String(end), has_more: end < this.reports, server_time: NOW };
  }
}

test("a lost push answer is replayed with the same op id at the next sync, applied once", async () => {
  const store = new MemoryStore(ops(1));
  const server = new FakeServer({ pushFaults: ["lose-answer"] });
  const first = await sync(store, { transport: server });
  assert.equal(first.complete, false);
  assert.equal(first.reason, "no-signal");
  assert.deepEqual(store.outbox.map((op) => op.state), ["in_flight"]);
  const second = await sync(store, { transport: server });
  assert.equal(second.complete, true);
  assert.deepEqual(server.pushes, [["op-0"], ["op-0"]]);
  assert.deepEqual([...server.applied.values()], [1]);
  assert.deepEqual(store.outbox, []);
  assert.ok(store.dev.last_sync_at);
});

test("a batch whose answer is lost is resent smaller in the same sync, nothing applied twice", async () => {
  const store = new MemoryStore(ops(3));
  const server = new FakeServer({ pushFaults: ["lose-answer"] });
  const result = await sync(store, { transport: server });
  assert.equal(result.complete, true);
  assert.deepEqual(server.pushes[0], ["op-0", "op-1", "op-2"]);
  assert.deepEqual(server.pushes[1], ["op-0"]);
  assert.deepEqual([...server.applied.values()], [1, 1, 1]);
  assert.deepEqual(store.outbox, []);
});

test("a 413 halves the batch until it fits; a single op too large is rejected locally", async () => {
  const store = new MemoryStore(ops(8));
  const server = new FakeServer({ pushFaults: ["too-large", "too-large"] });
  const result = await sync(store, { transport: server });
  assert.deepEqual(server.pushes.map((p) => p.length).slice(0, 3), [8, 4, 2]);
  assert.equal(result.complete, true);
  assert.equal(server.applied.size, 8);

  const lone = new MemoryStore(ops(1));
  const refusing = new FakeServer({ pushFaults: ["too-large"] });
  const refused = await sync(lone, { transport: refusing });
  assert.equal(refused.complete, false);
  assert.equal(lone.outbox[0].state, "rejected");
  assert.match(lone.outbox[0].errors.fields[0], /larger than the server accepts/);
});

test("batches start at 100 and grow while the server keeps up", async () => {
  const store = new MemoryStore(ops(500));
  const server = new FakeServer();
  await sync(store, { transport: server });
  assert.deepEqual(server.pushes.map((p) => p.length), [100, 125, 156, 119]);
});

test("a 410 restarts the download once from the beginning, page by page with its cursor", async () => {
  const store = new MemoryStore([]);
  store.dev.cursor = "old";
  const server = new FakeServer({ pullFaults: ["expired"], reports: 1200 });
  const result = await sync(store, { transport: server });
  assert.equal(result.complete, true);
  assert.deepEqual(server.pullCursors.slice(0, 2), ["old", null]);
  assert.equal(result.pulled, 1200);
  assert.equal(store.dev.cursor, "1200");
  assert.equal(store.pages.reduce((a, b) => a + b, 0), 1200);
});

test("a revoked device is marked revoked and keeps its ops", async () => {
  const store = new MemoryStore(ops(2));
  const server = new FakeServer({ pushFaults: ["revoked"] });
  const result = await sync(store, { transport: server });
  assert.equal(result.revoked, true);
  assert.equal(store.dev.revoked, true);
  assert.equal(store.outbox.length, 2);
  assert.equal(server.applied.size, 0);
});

test("pulls skip echoes only after a whole pull has ended under this version", async () => {
  // An older version dropped applied results: what it pushed must come back once.
  const store = new MemoryStore([]);
  const server = new FakeServer({ pullFaults: [null, "no-signal"], reports: 1200 });
  const cut = await sync(store, { transport: server });
  assert.equal(cut.complete, false);
  assert.deepEqual(server.skipEcho, [null, null]);
  assert.notEqual(store.dev.skip_echo, true);
  const whole = await sync(store, { transport: server });
  assert.equal(whole.complete, true);
  const asked = server.skipEcho.length;
  assert.ok(asked > 2 && server.skipEcho.every((v) => v === null));
  await sync(store, { transport: server });
  assert.deepEqual(server.skipEcho.slice(asked), ["1"]);
});

test("an edit saved while a batch is being read goes out with it, not lost", async () => {
  // The officer saves while the engine reads the outbox: the edit folds into
  // the newest op (still pending) before the engine marks it in flight.
  const store = new MemoryStore(ops(2));
  const mark = store.markInFlight.bind(store);
  store.markInFlight = async (ids) => {
    const plan = O.planEdit(store.outbox, { opId: "op-late", reportId: "r-1", hlc: "h9", fields: { narrative: "typed" }, ackedRev: null });
    store.outbox = O.applyPlan(store.outbox, plan);
    store.markInFlight = mark;
    return mark(ids);
  };
  const server = new FakeServer();
  const result = await sync(store, { transport: server });
  assert.equal(result.complete, true);
  assert.deepEqual(server.pushes, [["op-0", "op-1"]]);
  assert.equal(server.sentFields[1].narrative, "typed");
  assert.deepEqual(store.outbox, []);
});
