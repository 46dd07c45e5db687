// What an edit in the field app's form stores and sends (js/changes.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { changedUnits, creation, edited } from "../../server/static/field/js/changes.js";

// A document as the server serves it (issue 11 shape: nulls spelled out).
const before = {
  id: "r1",
  post: "NNK",
  kind: "foreigner_check",
  title: "Check at the sawmill",
  narrative: null,
  retracted: false,
  retract_reason: null,
  location: { lat: 4.1, lon: 117.6, accuracy_m: 8, place: "Sei Pancang" },
  persons: {
    p1: { role: "foreign_national", sex: null, age: 30, workplace: "Sawmill", document: { type: "passport", number: "A1", country: "MY" } },
    p2: { role: "witness", sex: null, age: null },
  },
  actions: {},
  attachments: { ["ab".repeat(32)]: { mime: "image/jpeg", bytes: 10, caption: null } },
  review: { status: "submitted", note: null },
  rev: 3,
};

// What the form reads back: only the members it shows, every one spelled out.
function shown(change = {}) {
  return {
    kind: "foreigner_check",
    title: "Check at the sawmill",
    narrative: null,
    location: { lat: 4.1, lon: 117.6, accuracy_m: 8, place: "Sei Pancang" },
    persons: {
      p1: { role: "foreign_national", sex: null, age: 30, nationality: null, name: null, document: { type: "passport", number: "A1" } },
      p2: { role: "witness", sex: null, age: null, nationality: null, name: null, document: null },
    },
    actions: {},
    attachments: { ["ab".repeat(32)]: { mime: "image/jpeg", bytes: 10, caption: null } },
    ...change,
  };
}

test("an unchanged form changes nothing", () => {
  assert.deepEqual(changedUnits(before, edited(before, shown())), {});
});

test("an edited person keeps the members the form does not show", () => {
  const form = shown();
  form.persons.p1.age = 31;
  const fields = changedUnits(before, edited(before, form));
  assert.deepEqual(fields, {
    "persons.p1": { role: "foreign_national", age: 31, workplace: "Sawmill", document: { type: "passport", number: "A1", country: "MY" } },
  });
});

test("a removed person is a null unit; a cleared place leaves the location", () => {
  const form = shown({ location: { lat: 4.1, lon: 117.6, accuracy_m: 8, place: null } });
  delete form.persons.p2;
  const fields = changedUnits(before, edited(before, form));
  assert.deepEqual(fields, { "persons.p2": null, location: { lat: 4.1, lon: 117.6, accuracy_m: 8 } });
});

test("a caption is an attachment unit; post and review are never sent", () => {
  const sha = "ab".repeat(32);
  const form = shown();
  form.attachments[sha] = { mime: "image/jpeg", bytes: 10, caption: "the boat" };
  const doc = edited(before, form);
  assert.equal(doc.post, "NNK");
  assert.deepEqual(changedUnits(before, doc), { [`attachments.${sha}`]: { mime: "image/jpeg", bytes: 10, caption: "the boat" } });
});

test("a new report leaves empty values out", () => {
  const { kind, fields } = creation(edited({}, { kind: "patrol", title: "Ridge", route: "East", narrative: null, persons: {}, modus: null }));
  assert.equal(kind, "patrol");
  assert.deepEqual(fields, { title: "Ridge", route: "East" });
});
