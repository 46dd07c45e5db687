// The field app's sync rules against the golden vectors computed by the
// Python sync code (tests/golden/sync_vectors.py writes them).
import assert from "node:assert/strict";
import { webcrypto } from "node:crypto";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import * as B from "../../server/static/field/js/batching.js";
import * as H from "../../server/static/field/js/hlc.js";
import * as O from "../../server/static/field/js/outbox.js";
import * as U from "../../server/static/field/js/units.js";
import { uuid7 } from "../../server/static/field/js/uuid7.js";

// Node 18 (Debian 12's nodejs) has Web Crypto only as a module, not as a global.
globalThis.crypto ??= webcrypto;

const V = JSON.parse(readFileSync(new URL("../golden/sync_vectors.json", import.meta.url), "utf8"));
const clock = (h) => (h ? { ms: h.ms, counter: h.counter, node: h.node } : null);

test("hlc tick", () => {
  for (const c of V.hlc.tick) {
    const out = H.tick(clock(c.last), "dev-1", c.wall);
    assert.equal(H.format(out), c.out.text);
  }
});

test("hlc receive advances past the server", () => {
  for (const c of V.hlc.receive) {
    const out = H.receive(clock(c.last), clock(c.remote), "dev-1", c.wall);
    assert.equal(H.format(out), c.out.text, JSON.stringify(c));
  }
});

test("hlc parse, validity and order", () => {
  V.hlc.valid.forEach((text, i) => {
    assert.ok(H.isValid(text));
    assert.deepEqual(H.parse(text), clock(V.hlc.parse[i]));
  });
  for (const text of V.hlc.invalid) {
    assert.equal(H.isValid(text), false, text);
    assert.throws(() => H.parse(text));
  }
  assert.deepEqual([...V.hlc.sorted].reverse().sort(), V.hlc.sorted);
});

test("server time", () => {
  for (const c of V.hlc.server_time) {
    assert.equal(H.parseServerTime(c.text), c.ms);
    assert.equal(H.formatServerTime(c.ms), c.text);
  }
});

test("units expand and refuse", () => {
  for (const c of V.units.expand) {
    if (c.errors) {
      assert.throws(() => U.expand(c.fields), (e) => (assert.deepEqual(e.errors, c.errors), true));
    } else {
      assert.deepEqual(U.expand(c.fields), c.units);
    }
  }
});

test("units apply and diff", () => {
  for (const c of V.units.apply) {
    const out = U.applyUnits(structuredClone(c.doc), U.expand(c.edit));
    assert.deepEqual(out, c.out);
    assert.deepEqual(U.diff(c.doc, out), c.diff);
  }
});

function project(outbox) {
  return outbox.map((op) => ({ report_id: op.report_id, base_rev: op.base_rev, state: op.state, fields: op.fields }));
}

test("outbox folding, sending, acknowledging and rejecting", () => {
  for (const scenario of V.outbox) {
    let outbox = [];
    const acked = {};
    let n = 0;
    for (const { step, outbox: expected } of scenario.steps) {
      const reportId = scenario.ids[step.report];
      const opId = `op-${n++}`;
      const hlc = H.format({ ms: 1000 + n, counter: 0, node: "dev-1" });
      if (step.do === "create") {
        outbox = [...outbox, O.createOp({ opId, reportId, hlc, kind: step.kind, fields: step.fields })];
      } else if (step.do === "edit") {
        const plan = O.planEdit(outbox, { opId, reportId, hlc, fields: step.fields, ackedRev: acked[reportId] });
        outbox = O.applyPlan(outbox, plan);
      } else if (step.do === "send") {
        outbox = O.markInFlight(outbox, O.sendable(outbox, step.count).map((op) => op.op_id));
      } else if (step.do === "ack") {
        const ops = O.sendable(outbox, step.count);
        outbox = O.applyResults(outbox, ops.map((op) => ({ op_id: op.op_id, status: "applied" })));
        for (const op of ops) acked[op.report_id] = step.rev;
      } else if (step.do === "reject") {
        const op = outbox[step.index];
        outbox = O.applyResults(outbox, [{ op_id: op.op_id, status: "rejected", errors: step.errors }]);
      }
      assert.deepEqual(project(outbox), expected, `after ${JSON.stringify(step)}`);
    }
  }
});

test("batches fit the byte limit and adapt", () => {
  const b = V.batching;
  b.ops.forEach((op, i) => assert.equal(B.byteLength(op), b.op_bytes[i]));
  for (const c of b.fit) assert.equal(B.fitBytes(b.ops, c.max_bytes).length, c.fit, `max_bytes ${c.max_bytes}`);
  assert.equal(B.START_BATCH, b.start_batch);
  let size = B.START_BATCH;
  const grown = b.grow_to_500.map(() => (size = B.grow(size, 500)));
  assert.deepEqual(grown, b.grow_to_500);
  for (const c of b.halve) assert.equal(B.halve(c.size), c.next);
  assert.deepEqual(
    { fastS: B.PULL.fastS, slowS: B.PULL.slowS, min: B.PULL.min, max: B.PULL.max },
    { fastS: b.pull_bounds.fast_s, slowS: b.pull_bounds.slow_s, min: b.pull_bounds.min, max: b.pull_bounds.max },
  );
  for (const c of b.pull) {
    assert.equal(B.nextPullLimit(c.limit, Math.max(c.limit, B.PULL.max), c.seconds), c.next);
  }
});

test("uuid7 ids are version 7 and ordered by time", () => {
  const a = uuid7(1_763_800_000_000);
  const z = uuid7(1_763_800_000_001);
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.ok(a < z);
  assert.equal(a.slice(0, 13).replace("-", ""), (1_763_800_000_000).toString(16).padStart(12, "0"));
});
