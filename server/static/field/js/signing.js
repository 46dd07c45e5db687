// Signed ops (sync/signing.py for the browser): the phone's own ES256 key,
// made at enrollment, signs every op over its RFC 8785 canonical JSON.
// ECDSA P-256 is in every browser's WebCrypto (Ed25519 is not, on older
// Android ones). The private key is made non-extractable and kept in
// IndexedDB as a CryptoKey: no script, this app's included, can read it out.

const ALG = { name: "ECDSA", namedCurve: "P-256" };
const SIGN = { name: "ECDSA", hash: "SHA-256" };

// RFC 8785: object keys sorted by UTF-16 code units (JavaScript's own string
// order), no whitespace, strings and numbers as JSON.stringify writes them.
export function canonical(value) {
  if (value === null || typeof value !== "object") {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError("not a JSON value");
    if (typeof value === "number" && !Number.isFinite(value)) throw new TypeError("not a JSON number");
    return text;
  }
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
}

export function opMessage(op) {
  const { op_id, report_id, base_rev, hlc, fields } = op;
  return new TextEncoder().encode(canonical({ op_id, report_id, base_rev, hlc, fields }));
}

function base64(buffer) {
  let binary = "";
  for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

export async function newKeyPair() {
  return crypto.subtle.generateKey(ALG, false, ["sign", "verify"]);
}

// A key pair whose private half can be kept sealed in the store (vault.js):
// made extractable once to export it as PKCS#8, and used only as the
// non-extractable copy imported from those bytes.
export async function newSealableKeyPair() {
  const keys = await crypto.subtle.generateKey(ALG, true, ["sign", "verify"]);
  const pkcs8 = base64(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  return { publicKey: keys.publicKey, privateKey: await importPrivateKey(pkcs8), pkcs8 };
}

export async function importPrivateKey(pkcs8) {
  const bytes = Uint8Array.from(atob(pkcs8), (c) => c.charCodeAt(0));
  return crypto.subtle.importKey("pkcs8", bytes, ALG, false, ["sign"]);
}

// The wire form of a public key: base64 of its SubjectPublicKeyInfo.
export async function publicKeyText(publicKey) {
  return base64(await crypto.subtle.exportKey("spki", publicKey));
}

// The op with its signature: base64 of WebCrypto's 64-byte r || s.
export async function signOp(privateKey, op) {
  return { ...op, signature: base64(await crypto.subtle.sign(SIGN, privateKey, opMessage(op))) };
}
