// How each IndexedDB record is split into what indexing needs in clear and a
// sealed box (vault.js): ids, sync states and flags only, never a title, a
// name, a narrative, a server message or a file's bytes.

import { importPrivateKey } from "./signing.js";

// Per object store: the fields kept in clear, and the one naming the record
// (the AES-GCM associated data, so a box cannot be moved to another record).
const LAYOUT = {
  // A device enrolled before encryption has a non-extractable signing key that
  // cannot be wrapped: it stays a CryptoKey (docs/evidence.md says so).
  device: { clear: ["device_id", "revoked", "legacy_signing_key"], name: () => "self" },
  reports: { clear: ["id"], name: (r) => r.id },
  listing: { clear: ["id"], name: (r) => r.id },
  outbox: { clear: ["seq", "op_id", "report_id", "state"], name: (r) => r.op_id },
  conflicts: { clear: ["id", "report_id"], name: (r) => r.id },
  blobs: { clear: ["sha256", "uploaded"], name: (r) => r.sha256 },
  // Early-detection answers, kept in the "cache" object store under "alerts:<id>".
  alerts: { clear: ["report_id"], name: (r) => r.report_id },
};

const aad = (store, record) => `${store}:${LAYOUT[store].name(record)}`;

function split(store, record) {
  const clear = {};
  const rest = { ...record };
  for (const key of LAYOUT[store].clear) {
    if (key in rest) clear[key] = rest[key];
    delete rest[key];
  }
  return { clear, rest };
}

export async function seal(vault, store, record) {
  const { clear, rest } = split(store, record);
  if (store === "blobs") {
    // The file's bytes in their own box: JSON would triple their size.
    const { data, ...about } = rest;
    const bytes = new Uint8Array(await data.arrayBuffer());
    return { ...clear, box: await vault.seal(about, aad(store, record)), data: await vault.sealBytes(bytes, `${aad(store, record)}:data`) };
  }
  return { ...clear, box: await vault.seal(rest, aad(store, record)) };
}

// withData false leaves a file's bytes sealed (counting files needs none).
export async function open(vault, store, row, withData = true) {
  if (!row) return row ?? null;
  const { box, data, ...clear } = row;
  const record = { ...(await vault.open(box, aad(store, row))), ...clear };
  if (store === "blobs" && withData) {
    const bytes = await vault.openBytes(data, `${aad(store, row)}:data`);
    record.data = new Blob([bytes], { type: record.mime });
  }
  return record;
}

export function openAll(vault, store, rows, withData = true) {
  return Promise.all(rows.map((row) => open(vault, store, row, withData)));
}

export function sealAll(vault, store, records) {
  return Promise.all(records.map((record) => seal(vault, store, record)));
}

// A record written before encryption: no box.
export function isPlain(row) {
  return Boolean(row) && !("box" in row);
}

// The device record, with its signing key ready to sign: imported from the
// sealed PKCS#8 (non-extractable), or the legacy CryptoKey.
export async function openDevice(vault, row) {
  const device = await open(vault, "device", row);
  if (!device) return null;
  const key = device.legacy_signing_key || (device.signing_pkcs8 ? await importPrivateKey(device.signing_pkcs8) : null);
  return { ...device, signing_key: key };
}

export function sealDevice(vault, device) {
  const { signing_key, ...rest } = device; // derived from what is sealed
  return seal(vault, "device", rest);
}
