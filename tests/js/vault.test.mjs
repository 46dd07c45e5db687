// The field store's encryption (js/vault.js, js/sealed.js): a PIN wraps a
// random data key; records are sealed with AES-GCM bound to their record.
import assert from "node:assert/strict";
import { test } from "node:test";

import * as P from "../../server/static/field/js/sealed.js";
import { Vault, WrongPin } from "../../server/static/field/js/vault.js";

// Fewer PBKDF2 rounds than the app's: the scheme, not the cost, is under test.
const ROUNDS = 1000;
const text = (bytes) => new TextDecoder().decode(bytes);

test("a record round-trips, and its box shows nothing of it", async () => {
  const { vault } = await Vault.create("246810", ROUNDS);
  const report = { id: "r1", doc: { title: "Siti Aminah", narrative: "dibawa lewat jalur tikus" }, acked_rev: null };
  const row = await P.seal(vault, "reports", report);
  assert.deepEqual(Object.keys(row).sort(), ["box", "id"]);
  assert.equal(text(row.box.ct).includes("Siti"), false);
  assert.deepEqual(await P.open(vault, "reports", row), report);
});

test("a box moved to another record does not open", async () => {
  const { vault } = await Vault.create("246810", ROUNDS);
  const row = await P.seal(vault, "reports", { id: "r1", doc: {} });
  await assert.rejects(P.open(vault, "reports", { ...row, id: "r2" }));
});

test("a file's bytes are sealed apart and come back as they were", async () => {
  const { vault } = await Vault.create("246810", ROUNDS);
  const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
  const file = { sha256: "ab", mime: "image/jpeg", bytes: 7, data: new Blob([jpeg]), uploaded: false, error: null };
  const row = await P.seal(vault, "blobs", file);
  assert.equal(Buffer.from(row.data.ct).includes(Buffer.from([0xff, 0xd8, 0xff])), false);
  const back = await P.open(vault, "blobs", row);
  assert.deepEqual(new Uint8Array(await back.data.arrayBuffer()), jpeg);
  assert.equal(back.mime, "image/jpeg");
});

test("a wrong PIN is refused and the metadata is left as it was", async () => {
  const { meta } = await Vault.create("246810", ROUNDS);
  const before = structuredClone(meta);
  await assert.rejects(Vault.unlock(meta, "135790"), WrongPin);
  assert.deepEqual(meta, before);
  await assert.rejects(Vault.unlock(meta, "12"), /at least 6/);
});

test("the data key survives a PIN change: old records open under the new PIN only", async () => {
  const { meta, vault } = await Vault.create("246810", ROUNDS);
  const row = await P.seal(vault, "listing", { id: "r1", title: "Siti Aminah" });
  const next = await Vault.changePin(meta, "246810", "975310");
  assert.notDeepEqual(next.kdf.salt, meta.kdf.salt);
  const reopened = await Vault.unlock(next, "975310");
  assert.equal((await P.open(reopened, "listing", row)).title, "Siti Aminah");
  await assert.rejects(Vault.unlock(next, "246810"), WrongPin);
  await assert.rejects(Vault.changePin(meta, "000000", "975310"), WrongPin);
});

test("the metadata record holds no key in clear and the app's default cost is high", async () => {
  const { meta } = await Vault.create("246810");
  assert.equal(meta.kdf.iterations >= 600_000, true);
  assert.deepEqual(Object.keys(meta).sort(), ["iv", "kdf", "version", "wrapped"]);
  assert.equal(meta.wrapped.length, 32 + 16); // a 256-bit key and the GCM tag
});
