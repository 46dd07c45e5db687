// The acknowledged copy an applied push leaves (acknowledged.js) against the
// answers of client_sqlite/acknowledged.py on the same device and results
// (tests/golden/acknowledged_vectors.py writes them into sync_vectors.json).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import * as A from "../../server/static/field/js/acknowledged.js";

const V = JSON.parse(readFileSync(new URL("../golden/sync_vectors.json", import.meta.url), "utf8")).acknowledged;

function build(results) {
  const copies = new Map(Object.entries(structuredClone(V.copies)));
  const ops = new Map(Object.entries(structuredClone(V.ops)));
  return { copies, out: A.appliedDocuments(results, ops, copies) };
}

test("every case builds what client_sqlite builds, in the server's key order", () => {
  assert.ok(V.cases.length >= 10);
  for (const c of V.cases) {
    const { out } = build(c.results);
    assert.deepEqual(Object.fromEntries(out), c.out, c.name);
    for (const doc of out.values()) assert.deepEqual(Object.keys(doc), V.fields, c.name);
  }
});

test("the cases cover taking a copy and each way of leaving it to the pull", () => {
  const taken = V.cases.filter((c) => Object.keys(c.out).length).length;
  assert.ok(taken >= 4 && V.cases.length - taken >= 5);
});

test("building leaves the held copies as they were", () => {
  for (const c of V.cases) {
    const { copies } = build(c.results);
    assert.deepEqual(Object.fromEntries(copies), V.copies, c.name);
  }
});

test("full fills every field in order and keeps no other key", () => {
  const doc = A.full({ rev: 2, title: "t", id: "r", missing_blobs: ["x"], persons: null });
  assert.deepEqual(Object.keys(doc), V.fields);
  assert.deepEqual([doc.persons, doc.actions, doc.retracted, doc.route], [{}, {}, false, null]);
});

test("a push answer: delivered ops leave, refused ones stay, unsent edits go on top of the new copy", () => {
  const fields = { kind: "patrol", title: "Night patrol", route: "A", post: "NNK" };
  const outbox = [
    { seq: 1, op_id: "c1", report_id: "r1", base_rev: null, fields, state: "in_flight" },
    { seq: 2, op_id: "x1", report_id: "r2", base_rev: 3, fields: { title: "" }, state: "in_flight" },
    { seq: 3, op_id: "e1", report_id: "r1", base_rev: null, fields: { narrative: "typed later" }, state: "pending" },
  ];
  const serverFields = { author: "ofc.nnk.1", device_id: "dev-1", created_at: "t", received_at: "t", review: null, rev: 1, post: "NNK" };
  const results = [
    { op_id: "c1", report_id: "r1", status: "applied", rev: 1, server_fields: serverFields },
    { op_id: "x1", report_id: "r2", status: "rejected", rev: null, errors: { title: ["is empty"] } },
  ];
  const { next, reports } = A.takePushResults(outbox, results, new Map([["r1", {}], ["r2", { rev: 3 }]]));
  assert.equal(next[0], null);
  assert.deepEqual(next[1], { ...outbox[1], state: "rejected", errors: { title: ["is empty"] } });
  assert.equal(next[2], outbox[2]);
  assert.equal(reports.length, 1);
  const [r1] = reports;
  const acked = A.full({ ...fields, ...serverFields, id: "r1" });
  assert.deepEqual(r1, { id: "r1", acked, acked_rev: 1, doc: { ...acked, narrative: "typed later" } });
});
