// The field store's encryption at rest (client_sqlite/encryption.py for the
// browser). A random AES-GCM data key encrypts every record; a key derived
// from the officer's PIN only wraps it, so changing the PIN rewraps one key
// instead of re-encrypting the store. The salt, the KDF's parameters and the
// wrapped key are the store's only plaintext metadata (docs/evidence.md).
//
// WebCrypto has no memory-hard KDF: PBKDF2-SHA-256 with a high iteration
// count is used, and the reasons and limits are in docs/evidence.md.

export const MIN_PIN = 6;
export const ITERATIONS = 600_000;
const AES = { name: "AES-GCM", length: 256 };

export class WrongPin extends Error {
  constructor() {
    super("wrong PIN");
    this.name = "WrongPin";
  }
}

export class Locked extends Error {
  constructor() {
    super("the store is locked: enter the PIN");
    this.name = "Locked";
  }
}

// The reason a PIN is refused before any key is derived, or null.
export function pinProblem(pin) {
  return typeof pin === "string" && pin.length >= MIN_PIN ? null : `the PIN must have at least ${MIN_PIN} characters`;
}

const text = new TextEncoder();

async function keyFromPin(pin, kdf) {
  const problem = pinProblem(pin);
  if (problem) throw new Error(problem);
  const base = await crypto.subtle.importKey("raw", text.encode(pin), "PBKDF2", false, ["deriveKey"]);
  const params = { name: "PBKDF2", hash: "SHA-256", salt: kdf.salt, iterations: kdf.iterations };
  return crypto.subtle.deriveKey(params, base, AES, false, ["wrapKey", "unwrapKey"]);
}

async function wrap(dataKey, pin, iterations) {
  const kdf = { name: "PBKDF2-SHA-256", iterations, salt: crypto.getRandomValues(new Uint8Array(16)) };
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const wrapped = await crypto.subtle.wrapKey("raw", dataKey, await keyFromPin(pin, kdf), { name: "AES-GCM", iv });
  return { version: 1, kdf, iv, wrapped: new Uint8Array(wrapped) };
}

// The data key unwrapped; a wrong PIN fails AES-GCM's tag check.
async function unwrap(meta, pin, extractable) {
  const kek = await keyFromPin(pin, meta.kdf);
  try {
    return await crypto.subtle.unwrapKey("raw", meta.wrapped, kek, { name: "AES-GCM", iv: meta.iv }, AES, extractable, ["encrypt", "decrypt"]);
  } catch {
    throw new WrongPin();
  }
}

export class Vault {
  constructor(dataKey) {
    this.key = dataKey;
  }

  // A new data key and its metadata record; the key never leaves memory in clear.
  static async create(pin, iterations = ITERATIONS) {
    const dataKey = await crypto.subtle.generateKey(AES, true, ["encrypt", "decrypt"]);
    const meta = await wrap(dataKey, pin, iterations);
    return { meta, vault: await Vault.unlock(meta, pin) };
  }

  static async unlock(meta, pin) {
    return new Vault(await unwrap(meta, pin, false));
  }

  // The same data key under a new PIN: nothing else is re-encrypted.
  static async changePin(meta, oldPin, newPin) {
    const dataKey = await unwrap(meta, oldPin, true);
    return wrap(dataKey, newPin, meta.kdf.iterations);
  }

  // aad binds a ciphertext to its record, so one cannot be swapped for another.
  async sealBytes(bytes, aad) {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const params = { name: "AES-GCM", iv, additionalData: text.encode(aad) };
    return { iv, ct: new Uint8Array(await crypto.subtle.encrypt(params, this.key, bytes)) };
  }

  async openBytes(box, aad) {
    const params = { name: "AES-GCM", iv: box.iv, additionalData: text.encode(aad) };
    return new Uint8Array(await crypto.subtle.decrypt(params, this.key, box.ct));
  }

  async seal(value, aad) {
    return this.sealBytes(text.encode(JSON.stringify(value)), aad);
  }

  async open(box, aad) {
    return JSON.parse(new TextDecoder().decode(await this.openBytes(box, aad)));
  }
}

// The unlocked vault of this page: in memory only, dropped when the app locks.
let current = null;

export function unlocked() {
  if (!current) throw new Locked();
  return current;
}

export function isUnlocked() {
  return current !== null;
}

export function setVault(vault) {
  current = vault;
}

export function lock() {
  current = null;
}
