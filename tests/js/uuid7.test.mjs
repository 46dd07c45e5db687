// The field app's UUIDv7 minter: RFC 9562 layout and order within a millisecond.
import assert from "node:assert/strict";
import { webcrypto } from "node:crypto";
import { test } from "node:test";

import { uuid7, uuid7Source } from "../../server/static/field/js/uuid7.js";

// Node 18 (Debian 12's nodejs) has Web Crypto only as a module, not as a global.
globalThis.crypto ??= webcrypto;

const SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const bits = (id) => BigInt(`0x${id.replaceAll("-", "")}`);

test("version 7, RFC variant, the millisecond in the first 48 bits", () => {
  const mint = uuid7Source();
  const ms = 1_763_800_000_123;
  const id = mint(ms);
  assert.match(id, SHAPE);
  assert.equal(bits(id) >> 80n, BigInt(ms));
  assert.equal((bits(id) >> 76n) & 0xfn, 7n);
  assert.equal((bits(id) >> 62n) & 0x3n, 2n);
});

test("ids of one millisecond are strictly increasing", () => {
  const mint = uuid7Source();
  const ids = Array.from({ length: 2000 }, () => mint(1_763_800_000_000));
  for (const id of ids) assert.match(id, SHAPE);
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1] < ids[i], `${ids[i - 1]} ${ids[i]}`);
  assert.ok(ids.every((id) => bits(id) >> 80n === 1_763_800_000_000n));
});

test("a clock stepping back never reorders ids", () => {
  const mint = uuid7Source();
  const a = mint(1_763_800_000_500);
  const b = mint(1_763_800_000_100);
  const c = mint(1_763_800_000_600);
  assert.ok(a < b && b < c);
  assert.equal(bits(b) >> 80n, 1_763_800_000_500n);
});

test("a counter that runs out moves to the next millisecond, still in order", () => {
  // Random bytes all 0xff: rand_b starts at its maximum and overflows at once.
  const mint = uuid7Source((bytes) => bytes.fill(0xff));
  const a = mint(1_763_800_000_000);
  const b = mint(1_763_800_000_000);
  assert.match(b, SHAPE);
  assert.ok(a < b);
  assert.equal(bits(b) >> 80n, 1_763_800_000_001n);
});

test("the shared minter uses the clock and Web Crypto", () => {
  const before = Date.now();
  const id = uuid7();
  assert.match(id, SHAPE);
  assert.ok(bits(id) >> 80n >= BigInt(before));
});
