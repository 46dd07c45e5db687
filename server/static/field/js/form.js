// The report form, made for a thumb. Inputs are named by document path
// (kind, title, location.place, persons.<id>.age, …): that naming is part of
// the automation contract in docs/field-app.md.
import { label, t } from "./i18n.js";
import { uuid7 } from "./uuid7.js";

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) if (child) node.append(child);
  return node;
}

function field(name, labelText, input) {
  input.name = name;
  input.id = `f-${name}`;
  return el("div", { "data-field": name }, el("label", { for: input.id, text: labelText }), input, el("div", { class: "error", "data-error-for": name }));
}

function select(entries, value, withEmpty = true) {
  const node = el("select");
  if (withEmpty) node.append(el("option", { value: "", text: t("select") }));
  for (const entry of entries) node.append(el("option", { value: entry.code, selected: entry.code === value, text: label(entry) }));
  return node;
}

function choices(name, entries, chosen) {
  return el(
    "fieldset",
    { class: "choices", "data-field": name },
    el("legend", { text: t(name) }),
    entries.map((entry) =>
      el("label", {}, el("input", { type: "checkbox", name, value: entry.code, checked: (chosen || []).includes(entry.code) }), label(entry)),
    ),
    el("div", { class: "error", "data-error-for": name }),
  );
}

// "2026-11-20T03:15" in the phone's zone → RFC 3339 with the phone's offset
// (the phone is at the post, so its offset is the post's).
export function withOffset(local) {
  if (!local) return null;
  const date = new Date(local);
  const minutes = -date.getTimezoneOffset();
  const sign = minutes >= 0 ? "+" : "-";
  const abs = Math.abs(minutes);
  const seconds = local.length === 16 ? ":00" : "";
  return `${local}${seconds}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

function toLocalInput(iso, empty = false) {
  if (!iso && empty) return "";
  const date = iso ? new Date(iso) : new Date();
  const shifted = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
  return shifted.toISOString().slice(0, 16);
}

function personBlock(vocab, id, person = {}) {
  const doc = person.document || {};
  const p = (key) => `persons.${id}.${key}`;
  return el(
    "fieldset",
    { "data-person": id },
    el("legend", { text: t("persons") }),
    field(p("role"), t("role"), select(vocab.person_roles, person.role, false)),
    field(p("sex"), t("sex"), select(vocab.sexes, person.sex)),
    field(p("age"), t("age"), el("input", { type: "number", inputmode: "numeric", min: 0, max: 120, value: person.age ?? "" })),
    field(p("nationality"), t("nationality"), select(vocab.countries, person.nationality)),
    field(p("name"), t("name"), el("input", { type: "text", value: person.name ?? "" })),
    field(p("document.type"), t("document_type"), select(vocab.document_types, doc.type)),
    field(p("document.number"), t("document_number"), el("input", { type: "text", value: doc.number ?? "" })),
    el("button", { type: "button", class: "secondary", "data-action": "remove-person", "data-id": id, text: t("remove") }),
  );
}

function actionBlock(vocab, id, action = {}) {
  const a = (key) => `actions.${id}.${key}`;
  return el(
    "fieldset",
    { "data-action-item": id },
    el("legend", { text: t("actions") }),
    field(a("type"), t("action_type"), select(vocab.action_types, action.type, false)),
    field(a("agency"), t("agency"), select(vocab.agencies, action.agency)),
    field(a("note"), t("note"), el("input", { type: "text", value: action.note ?? "" })),
    el("button", { type: "button", class: "secondary", "data-action": "remove-action", "data-id": id, text: t("remove") }),
  );
}

// Reports are evidence: an officer never deletes one, but may retract it with a reason.
function retraction(doc) {
  return el(
    "fieldset",
    { "data-field": "retracted" },
    el("legend", { text: t("retraction") }),
    el("label", {}, el("input", { type: "checkbox", name: "retracted", value: "true", checked: doc.retracted === true }), t("retracted")),
    field("retract_reason", t("retract_reason"), el("input", { type: "text", value: doc.retract_reason ?? "" })),
  );
}

// One attached file: what it is, and its caption (input attachments.<sha256>.caption).
export function attachedItem(sha256, name, caption = null) {
  const input = el("input", { type: "text", name: `attachments.${sha256}.caption`, maxlength: 500, value: caption ?? "", placeholder: t("caption") });
  return el("li", { "data-attachment": sha256 }, el("div", { text: name }), input);
}

export function reportForm(vocab, doc = {}) {
  const loc = doc.location || {};
  const persons = el("div", { id: "persons" }, Object.entries(doc.persons || {}).map(([id, p]) => personBlock(vocab, id, p)));
  const actions = el("div", { id: "actions" }, Object.entries(doc.actions || {}).map(([id, a]) => actionBlock(vocab, id, a)));
  const form = el(
    "form",
    { "data-form": "report", novalidate: true },
    field("kind", t("kind"), select(vocab.kinds, doc.kind || "incident", false)),
    field("title", t("title"), el("input", { type: "text", maxlength: 200, value: doc.title ?? "" })),
    field("occurred_at", t("occurred_at"), el("input", { type: "datetime-local", value: toLocalInput(doc.occurred_at) })),
    field("ended_at", t("ended_at"), el("input", { type: "datetime-local", value: toLocalInput(doc.ended_at, true) })),
    el(
      "fieldset",
      { "data-field": "location" },
      el("legend", { text: t("location") }),
      el("button", { type: "button", "data-action": "use-gps", text: t("use_gps") }),
      el("p", { class: "muted", id: "gps-status", text: loc.lat != null ? `${loc.lat}, ${loc.lon} (${t("accuracy")} ${loc.accuracy_m ?? "?"} m)` : "" }),
      el("input", { type: "hidden", name: "location.lat", value: loc.lat ?? "" }),
      el("input", { type: "hidden", name: "location.lon", value: loc.lon ?? "" }),
      el("input", { type: "hidden", name: "location.accuracy_m", value: loc.accuracy_m ?? "" }),
      field("location.place", t("place"), el("input", { type: "text", value: loc.place ?? "" })),
      el("div", { class: "error", "data-error-for": "location" }),
    ),
    field("route", t("route"), el("input", { type: "text", value: doc.route ?? "" })),
    field("narrative", t("narrative"), el("textarea", { rows: 4, text: doc.narrative ?? "" })),
    field("destination_country", t("destination_country"), select(vocab.countries, doc.destination_country)),
    choices("modus", vocab.modus, doc.modus),
    choices("agencies", vocab.agencies, doc.agencies),
    field("topics", t("topics"), el("input", { type: "text", value: (doc.topics || []).join(", ") })),
    field("audience_size", t("audience_size"), el("input", { type: "number", inputmode: "numeric", min: 0, value: doc.audience_size ?? "" })),
    persons,
    el("button", { type: "button", class: "secondary", "data-action": "add-person", text: t("add_person") }),
    actions,
    el("button", { type: "button", class: "secondary", "data-action": "add-action", text: t("add_action") }),
    field("attachment", t("attachment"), el("input", { type: "file", accept: "image/*,application/pdf", capture: "environment" })),
    el("ul", { id: "attached" }, Object.entries(doc.attachments || {}).map(([sha, a]) => attachedItem(sha, sha.slice(0, 12), a.caption))),
    doc.id ? retraction(doc) : null,
    el("p", { class: "error", id: "form-error" }),
    el(
      "div",
      { class: "actions" },
      el("button", { type: "submit", "data-action": "save", text: t("save") }),
      el("button", { type: "button", class: "secondary", "data-action": "cancel", text: t("cancel") }),
    ),
  );
  form.addEventListener("click", (event) => {
    const action = event.target.closest("[data-action]")?.dataset.action;
    const id = event.target.dataset.id;
    if (action === "add-person") persons.append(personBlock(vocab, uuid7()));
    if (action === "add-action") actions.append(actionBlock(vocab, uuid7()));
    if (action === "remove-person") form.querySelector(`[data-person="${id}"]`).remove();
    if (action === "remove-action") form.querySelector(`[data-action-item="${id}"]`).remove();
  });
  return form;
}

const text = (v) => (v === undefined || v.trim() === "" ? null : v.trim());
// "trafficking, safe migration" → ["trafficking", "safe migration"]; blank → null.
const list = (v) => {
  const items = (v || "").split(",").map((x) => x.trim()).filter(Boolean);
  return items.length ? items : null;
};
const int = (v) => (v === undefined || v.trim() === "" ? null : Number(v));

// The document the form shows (device fields), with attachments kept as given.
export function readForm(form, attachments) {
  const data = new FormData(form);
  const one = (name) => {
    const v = data.get(name);
    return typeof v === "string" ? v : undefined;
  };
  const lat = int(one("location.lat"));
  const place = text(one("location.place"));
  const doc = {
    kind: one("kind"),
    title: text(one("title")) ?? "",
    occurred_at: withOffset(one("occurred_at")),
    ended_at: withOffset(one("ended_at")),
    location: lat === null && place === null ? null : { lat, lon: int(one("location.lon")), accuracy_m: int(one("location.accuracy_m")), place },
    route: text(one("route")),
    narrative: text(one("narrative")),
    destination_country: text(one("destination_country")),
    modus: data.getAll("modus").length ? data.getAll("modus") : null,
    agencies: data.getAll("agencies").length ? data.getAll("agencies") : null,
    topics: list(one("topics")),
    audience_size: int(one("audience_size")),
    persons: {},
    actions: {},
    attachments: {},
  };
  for (const [sha256, attachment] of Object.entries(attachments)) {
    doc.attachments[sha256] = { ...attachment, caption: text(one(`attachments.${sha256}.caption`)) };
  }
  if (form.elements.retracted) {
    doc.retracted = form.elements.retracted.checked;
    doc.retract_reason = text(one("retract_reason"));
  }
  for (const block of form.querySelectorAll("[data-person]")) {
    const p = (key) => one(`persons.${block.dataset.person}.${key}`);
    const docType = text(p("document.type"));
    doc.persons[block.dataset.person] = {
      role: p("role"),
      sex: text(p("sex")),
      age: int(p("age")),
      nationality: text(p("nationality")),
      name: text(p("name")),
      document: docType ? { type: docType, number: text(p("document.number")) } : null,
    };
  }
  for (const block of form.querySelectorAll("[data-action-item]")) {
    const a = (key) => one(`actions.${block.dataset.actionItem}.${key}`);
    doc.actions[block.dataset.actionItem] = { type: a("type"), agency: text(a("agency")), note: text(a("note")) };
  }
  return doc;
}

export function showErrors(form, errors) {
  for (const node of form.querySelectorAll("[data-error-for]")) node.textContent = "";
  for (const [path, codes] of Object.entries(errors)) {
    const words = codes.map((c) => t(c)).join(", ");
    let target = form.querySelector(`[data-error-for="${CSS.escape(path)}"]`);
    for (let p = path; !target && p.includes("."); p = p.slice(0, p.lastIndexOf("."))) {
      target = form.querySelector(`[data-error-for="${CSS.escape(p.slice(0, p.lastIndexOf(".")))}"]`);
    }
    (target || form.querySelector("#form-error")).textContent += `${path}: ${words} `;
  }
}
