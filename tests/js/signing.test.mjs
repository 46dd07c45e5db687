// The field app's signed ops (js/signing.js) against the Python vectors
// (tests/golden/signing_vectors.json, made by sync/signing.py).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { canonical, newKeyPair, opMessage, publicKeyText, signOp } from "../../server/static/field/js/signing.js";

const vectors = JSON.parse(readFileSync(new URL("../golden/signing_vectors.json", import.meta.url), "utf-8"));
const SIGN = { name: "ECDSA", hash: "SHA-256" };
const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

test("canonical JSON is byte for byte what Python's RFC 8785 encoder writes", () => {
  for (const { value, canonical: expected } of vectors.canonical) assert.equal(canonical(value), expected);
  assert.equal(new TextDecoder().decode(opMessage(vectors.op)), vectors.op_message);
});

test("a signature made in Python verifies in WebCrypto", async () => {
  const key = await crypto.subtle.importKey("spki", bytes(vectors.public_key), { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
  assert.equal(await crypto.subtle.verify(SIGN, key, bytes(vectors.signature), opMessage(vectors.op)), true);
  const changed = { ...vectors.op, base_rev: 1 };
  assert.equal(await crypto.subtle.verify(SIGN, key, bytes(vectors.signature), opMessage(changed)), false);
});

test("the app's own key signs in the wire form: 64 bytes, over the op only", async () => {
  const keys = await newKeyPair();
  assert.equal(keys.privateKey.extractable, false);
  const signed = await signOp(keys.privateKey, { ...vectors.op, extra: "not signed" });
  assert.equal(bytes(signed.signature).length, 64);
  const publicKey = await crypto.subtle.importKey("spki", bytes(await publicKeyText(keys.publicKey)), { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
  assert.equal(await crypto.subtle.verify(SIGN, publicKey, bytes(signed.signature), opMessage(vectors.op)), true);
});

test("values JSON cannot carry are refused, not signed", () => {
  assert.throws(() => canonical({ a: Number.NaN }), TypeError);
  assert.throws(() => canonical(undefined), TypeError);
});
