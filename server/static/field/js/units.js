// The report document as merge units (DESIGN §2), as sync/units.py.
// Every top-level field is one unit; each element of persons, actions,
// attachments and vehicles is its own unit "persons.<id>"; null removes an element.

export const MAP_FIELDS = ["persons", "actions", "attachments", "vehicles"];
export const SCALAR_FIELDS = [
  "post", "kind", "occurred_at", "ended_at", "location", "route", "title", "narrative",
  "modus", "destination_country", "agencies", "audience_size", "topics", "retracted",
  "retract_reason",
];
export const DEVICE_FIELDS = [...SCALAR_FIELDS, ...MAP_FIELDS];
export const SERVER_FIELDS = ["author", "device_id", "created_at", "received_at", "review", "rev", "missing_blobs"];

const ELEMENT_ID = /^[A-Za-z0-9_-]{1,64}$/;
const SHA256 = /^[0-9a-f]{64}$/;

export class UnitError extends Error {
  constructor(errors) {
    super(Object.entries(errors).map(([k, v]) => `${k}: ${v.join(" ")}`).join("; "));
    this.errors = errors;
  }
}

export function elementIdError(mapField, id) {
  if (mapField === "attachments") {
    return SHA256.test(id) ? null : "attachment keys must be the file's sha256 in lowercase hex";
  }
  return ELEMENT_ID.test(id) ? null : "element ids are 1-64 letters, digits, '-' or '_'";
}

function split(key) {
  const dot = key.indexOf(".");
  return dot < 0 ? [key, ""] : [key.slice(0, dot), key.slice(dot + 1)];
}

function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

export function expand(fields) {
  const units = {};
  const errors = {};
  for (const [key, value] of Object.entries(fields)) {
    const [head, tail] = split(key);
    const dotted = key.includes(".");
    if (SERVER_FIELDS.includes(head)) {
      errors[key] = ["is set by the server and cannot be sent by a device"];
    } else if (dotted && MAP_FIELDS.includes(head)) {
      const reason = elementIdError(head, tail);
      if (reason) errors[key] = [reason];
      else units[key] = value;
    } else if (dotted || !DEVICE_FIELDS.includes(head)) {
      errors[key] = ["unknown field"];
    } else if (MAP_FIELDS.includes(head)) {
      if (!isObject(value)) {
        errors[key] = ["must be an object keyed by element id"];
        continue;
      }
      for (const [id, element] of Object.entries(value)) {
        const reason = elementIdError(head, id);
        if (reason) errors[`${head}.${id}`] = [reason];
        else units[`${head}.${id}`] = element;
      }
    } else {
      units[key] = value;
    }
  }
  if (Object.keys(errors).length) throw new UnitError(errors);
  return units;
}

export function get(doc, unit) {
  const [head, tail] = split(unit);
  if (unit.includes(".")) return (doc[head] || {})[tail] ?? null;
  return doc[head] ?? null;
}

export function put(doc, unit, value) {
  const [head, tail] = split(unit);
  if (!unit.includes(".")) {
    doc[head] = value;
    return;
  }
  if (doc[head] == null) doc[head] = {};
  if (value === null) delete doc[head][tail];
  else doc[head][tail] = value;
}

export function applyUnits(doc, units) {
  for (const [unit, value] of Object.entries(units)) put(doc, unit, value);
  return doc;
}

// Structural equality of JSON values (key order does not matter).
export function same(a, b) {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && same(a[k], b[k]));
}

export function diff(old, now) {
  const changed = {};
  for (const key of DEVICE_FIELDS) {
    if (MAP_FIELDS.includes(key)) {
      const a = old[key] || {};
      const b = now[key] || {};
      for (const id of new Set([...Object.keys(a), ...Object.keys(b)])) {
        if (!same(a[id] ?? null, b[id] ?? null)) changed[`${key}.${id}`] = b[id] ?? null;
      }
    } else if (!same(old[key] ?? null, now[key] ?? null)) {
      changed[key] = now[key] ?? null;
    }
  }
  return changed;
}
