// From what the form shows to what is stored and sent. Pure functions, so
// Node tests them (tests/js/changes.test.mjs).
import { diff } from "./units.js";

// The form shows some members of a location, person or action; the others
// (a person's workplace, a document's country…) must survive an edit, so
// the form's values go over the stored element rather than replace it.
export function overlay(before, shown) {
  const out = { ...before, ...shown };
  const over = (old, item) => {
    if (!old || !item) return item;
    const merged = { ...old, ...item };
    if (old.document && item.document) merged.document = { ...old.document, ...item.document };
    return merged;
  };
  if (before.location && shown.location) out.location = over(before.location, shown.location);
  for (const name of ["persons", "actions"]) {
    out[name] = Object.fromEntries(Object.entries(shown[name] || {}).map(([id, item]) => [id, over(before[name]?.[id], item)]));
  }
  return out;
}

// Locations and elements without null members, so that a form that spells
// out every optional key (or a server that does) does not look like a change.
export function compact(doc) {
  const out = structuredClone(doc);
  const strip = (obj) => (obj && typeof obj === "object" ? Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== null)) : obj);
  if (out.location) out.location = strip(out.location);
  for (const name of ["persons", "actions", "attachments"]) {
    out[name] = Object.fromEntries(Object.entries(out[name] || {}).map(([id, item]) => [id, strip(item)]));
  }
  return out;
}

// The document after the officer's edit: fields the form does not show
// (post, retraction, a person's workplace…) stay as they are.
export function edited(before, shown) {
  return compact(overlay(before, shown));
}

// The units an edit changes (what its outbox op carries).
export function changedUnits(before, doc) {
  return diff(compact(before), doc);
}

// A new report's kind and fields: empty values left out.
export function creation(doc) {
  const { kind, ...rest } = doc;
  const empty = (v) => v === null || v === undefined || (typeof v === "object" && !Array.isArray(v) && !Object.keys(v).length);
  return { kind, fields: Object.fromEntries(Object.entries(rest).filter(([, v]) => !empty(v))) };
}
