// The field app: enroll, record offline, sync. Views are rebuilt from the
// IndexedDB store after every change, so what is shown is what is stored.
import { alertBadge, alertsSection, loadAlerts } from "./alerts.js";
import { sha256Hex } from "./blobs.js";
import { changedUnits, creation, edited } from "./changes.js";
import { attachedItem, pathWords, reportForm, readForm, showErrors, el } from "./form.js";
import { label, language, setLanguage, t } from "./i18n.js";
import { inZone, shownTime } from "./localtime.js";
import { LOCK_AFTER_MS, idleLock, keepBehindLock, pinInput, pinView, releaseKept, w } from "./lockscreen.js";
import { newSealableKeyPair, publicKeyText } from "./signing.js";
import { Store } from "./store.js";
import { sync } from "./sync.js";
import { Transport, TransportError } from "./transport.js";
import { validateDocument } from "./validate.js";
import { pinProblem } from "./vault.js";

const main = document.getElementById("main");
// The unlock form while an open report or form waits behind the lock.
const lockPane = el("section", { id: "lock", hidden: true });
main.after(lockPane);
const PAGE = 300;
const state = { store: null, rules: null, zone: null, open: null, syncing: false, message: "", shown: PAGE };

async function loadRules() {
  const [openapi, vocabularies] = await Promise.all([state.store.cached("openapi"), state.store.cached("vocabularies")]);
  state.rules = openapi && vocabularies ? { openapi, vocabularies } : null;
}

// The rules and words come from the server; cache them for offline use.
async function refreshRules() {
  try {
    const http = new Transport({ attempts: 1 });
    const [openapi, vocabularies] = await Promise.all([http.request("GET", "/api/v1/openapi.json"), http.request("GET", "/api/v1/vocabularies")]);
    await state.store.putCached("openapi", openapi);
    await state.store.putCached("vocabularies", vocabularies);
  } catch (err) {
    console.warn("rules not refreshed", err); // offline: the cached copy stays in use
  }
  await loadRules();
}

function enrollView() {
  const code = new URLSearchParams(location.hash.slice(1)).get("enroll") || "";
  const form = el(
    "form",
    { "data-form": "enroll" },
    el("h1", { text: t("enroll_title") }),
    el("p", { text: t("enroll_help") }),
    el("label", { for: "enrollment_code", text: t("enrollment_code") }),
    el("input", { id: "enrollment_code", name: "enrollment_code", value: code, autocomplete: "off", autocapitalize: "characters", required: true }),
    el("label", { for: "device_name", text: t("device_name") }),
    el("input", { id: "device_name", name: "device_name", value: "Android" }),
    ...pinInput(),
    el("p", { class: "muted", text: w("pin_help") }),
    el("p", { class: "error", id: "enroll-error" }),
    el("div", { class: "actions" }, el("button", { type: "submit", "data-action": "enroll", text: t("enroll") })),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const error = form.querySelector("#enroll-error");
    const pin = data.get("pin");
    if (pinProblem(pin)) {
      error.textContent = w("pin_short"); // before the code is spent
      return;
    }
    error.textContent = t("enrolling");
    try {
      // A new key for every enrollment; only its public half leaves the phone.
      const keys = await newSealableKeyPair();
      const answer = await new Transport({ attempts: 1 }).request("POST", "/api/v1/devices/enroll", {
        enrollment_code: data.get("enrollment_code"),
        device_name: data.get("device_name") || "Android",
        public_key: await publicKeyText(keys.publicKey),
      });
      await state.store.saveEnrollment(answer, Date.now(), keys, pin);
      history.replaceState(null, "", "/field/"); // the code is spent: keep it out of history
      await refreshRules();
      await render();
      runSync();
    } catch (err) {
      error.textContent = err instanceof TransportError ? t("no_signal") : `${t("enroll_failed")}: ${err.message}`;
    }
  });
  return form;
}

function vocabLabel(list, code) {
  const entry = (state.rules?.vocabularies[list] || []).find((e) => e.code === code);
  return entry ? label(entry) : code;
}

function waitingWords(counts) {
  const ops = counts.pending + counts.rejected;
  return ops || counts.blobs ? t("waiting", { ops, blobs: counts.blobs }) : t("all_sent");
}

async function listView(device) {
  const [rows, counts, alerted] = await Promise.all([state.store.listing(), state.store.counts(), state.store.alertedIds()]);
  // Needs-information first: the commander is waiting on the officer.
  const rank = (row) => (row.review.status === "needs_info" ? 0 : 1);
  const when = (row) => Date.parse(row.occurred_at) || 0; // offsets differ between posts
  rows.sort((a, b) => rank(a) - rank(b) || when(b) - when(a));
  // Drawing thousands of items costs a low-end phone seconds; the newest
  // PAGE are shown, and "more" adds the next PAGE.
  const items = rows.slice(0, state.shown).map((row) => {
    const review = row.review;
    return el(
      "li",
      { "data-report-id": row.id, "data-sync-state": row.state, "data-review": review.status },
      el("strong", { text: row.title || "" }),
      alertBadge(alerted, row.id),
      el("div", { class: "muted", text: `${vocabLabel("kinds", row.kind)} · ${shownTime(row.occurred_at)}` }),
      el("div", { class: "state", text: t(`state_${row.state}`) }),
      row.retracted ? el("div", { class: "muted", text: t("is_retracted") }) : null,
      review.status ? el("div", { class: "review", text: `${t("review")}: ${vocabLabel("review_statuses", review.status)}${review.note ? ` — ${review.note}` : ""}` }) : null,
      row.errors.map((errors) => el("div", { class: "error", text: Object.entries(errors).map(([k, v]) => `${pathWords(k)}: ${v.join(" ")}`).join("; ") })),
    );
  });
  const list = el("ul", { class: "reports" }, items.length ? items : el("li", { class: "muted", text: t("no_reports") }));
  const more = rows.length > state.shown ? el("button", { type: "button", class: "secondary", "data-action": "more", text: t("more", { shown: state.shown, total: rows.length }) }) : null;
  list.addEventListener("click", (event) => {
    const item = event.target.closest("[data-report-id]");
    if (item) openReport(item.dataset.reportId);
  });
  return el(
    "section",
    {},
    device.revoked ? el("p", { class: "status revoked", id: "revoked", text: t("revoked") }) : null,
    el(
      "div",
      { class: "status", id: "sync-status" },
      el("div", { id: "waiting", text: waitingWords(counts) }),
      el("div", { class: "muted", text: t("last_sync", { when: device.last_sync_at ? shownTime(inZone(Date.parse(device.last_sync_at), state.zone)) : t("never") }) }),
      // The revoked line above already says why nothing is sent: not twice.
      el("div", { id: "sync-message", text: device.revoked && state.message === t("revoked") ? "" : state.message }),
    ),
    state.rules ? null : el("p", { class: "error", text: t("rules_missing") }),
    el(
      "div",
      { class: "actions" },
      el("button", { type: "button", "data-action": "new-report", text: t("new_report") }),
      el("button", { type: "button", class: "secondary", "data-action": "sync", disabled: state.syncing || device.revoked, text: state.syncing ? t("syncing") : t("sync") }),
    ),
    list,
    more,
  );
}

// Not enrolled, enrolled before encryption, or locked: the form that opens the store.
function gateView(status) {
  if (status === "new") return enrollView();
  // As at start, opening does not sync by itself: the officer taps sync.
  return pinView(state.store, status === "plain" ? "set-pin" : "unlock", () => resume());
}

function drawHeader(device) {
  document.getElementById("who").textContent = device ? `${device.officer} · ${device.post}` : "";
  document.querySelector("[data-action=language]").textContent = language() === "id" ? "EN" : "ID";
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
}

// The lock fired (the data key is already dropped).
function lockNow() {
  keepBehindLock(main);
  render();
}

// The right PIN: back to the kept view as it was left, or to the list.
async function resume() {
  lockPane.hidden = true;
  lockPane.replaceChildren();
  if (!releaseKept(main)) return render();
  drawHeader(await state.store.device());
}

async function render() {
  const status = await state.store.status();
  if (status !== "unlocked" && main.hidden) {
    drawHeader(null);
    lockPane.replaceChildren(gateView(status));
    lockPane.hidden = false;
    return;
  }
  state.open = null; // the list (or enrollment) replaces any open report
  const device = status === "unlocked" ? await state.store.device() : null;
  // The post's time zone, from the cached rules (null: the phone's own offset).
  state.zone = (device && state.rules?.vocabularies.post_time_zones?.[device.post]) || null;
  drawHeader(device);
  const started = performance.now();
  main.replaceChildren(device ? await listView(device) : gateView(status));
  // For bench/field_app.py: how long the last list took to build and show.
  document.body.dataset.renderMs = String(Math.round(performance.now() - started));
}

// Both sides of each open conflict, so the officer knows what the commander decides on.
function conflictList(conflicts) {
  const open = conflicts.filter((c) => (c.record.status || "open") === "open");
  if (!open.length) return null;
  const value = (v) => (v === null || v === undefined ? t("none") : typeof v === "object" ? JSON.stringify(v) : String(v));
  return el(
    "section",
    { class: "status", id: "conflicts" },
    el("strong", { text: t("conflicts_title") }),
    open.map((c) =>
      el("p", { "data-conflict": c.field }, `${pathWords(c.field)}: ${t("kept")} “${value(c.record.kept)}” · ${t("lost")} “${value(c.record.lost)}”`),
    ),
  );
}

function detailView(row, conflicts = [], pendingBlobs = new Set()) {
  const doc = row.doc;
  const dl = el("dl");
  const show = (key, value) => value !== null && value !== undefined && value !== "" && dl.append(el("dt", { text: t(key) }), el("dd", { text: value }));
  const review = doc.review || {};
  // What the commander asked comes first: it is why the officer opened this.
  show("review", review.status && `${vocabLabel("review_statuses", review.status)}${review.note ? ` — ${review.note}` : ""}`);
  show("kind", vocabLabel("kinds", doc.kind));
  show("occurred_at", doc.occurred_at && shownTime(doc.occurred_at));
  show("ended_at", doc.ended_at && shownTime(doc.ended_at));
  if (doc.location) show("location", `${doc.location.place || ""} ${doc.location.lat}, ${doc.location.lon}`);
  show("route", doc.route);
  show("narrative", doc.narrative);
  show("destination_country", doc.destination_country && vocabLabel("countries", doc.destination_country));
  show("persons", Object.keys(doc.persons || {}).length || null);
  const files = Object.keys(doc.attachments || {});
  const waiting = files.filter((sha) => pendingBlobs.has(sha)).length;
  show("attachments", files.length ? `${files.length}${waiting ? ` (${t("attachments_waiting", { n: waiting })})` : ""}` : null);
  return el(
    "section",
    { "data-open-report": row.id },
    el("h1", { text: doc.title }),
    dl,
    conflictList(conflicts),
    el(
      "div",
      { class: "actions" },
      el("button", { type: "button", "data-action": "edit", text: t("edit") }),
      el("button", { type: "button", class: "secondary", "data-action": "back", text: t("back") }),
    ),
  );
}

async function openReport(reportId) {
  const [row, conflicts, blobs] = await Promise.all([state.store.report(reportId), state.store.conflictsOf(reportId), state.store.pendingBlobs()]);
  state.open = row;
  main.replaceChildren(detailView(row, conflicts, new Set(blobs.map((b) => b.sha256))));
  // Alerts come after the report shows: a slow link must not hold it back.
  const found = await loadAlerts(state.store, reportId, (await state.store.device()).token);
  const section = alertsSection(found, row.doc.persons || {}, (code) => vocabLabel("kinds", code), state.zone);
  const page = main.querySelector(`[data-open-report="${reportId}"]`);
  if (section && page && state.open?.id === reportId) page.querySelector("dl").after(section);
  if (page) page.dataset.alertsLoaded = "true"; // outside checks wait on this, not on time
}

async function attachFile(input, attachments, files) {
  for (const file of input.files) {
    const data = await file.arrayBuffer();
    const sha256 = await sha256Hex(data); // the bytes as taken: never re-encoded
    const mime = file.type || "application/octet-stream";
    attachments[sha256] = { mime, bytes: file.size, caption: null };
    files.push({ sha256, mime, bytes: file.size, data: new Blob([data], { type: mime }), uploaded: false, error: null });
    document.getElementById("attached").append(attachedItem(sha256, `${file.name} (${sha256.slice(0, 12)})`));
  }
}

function editView(row) {
  if (!state.rules) return el("p", { class: "error", text: t("rules_missing") });
  const before = row ? row.doc : {};
  const attachments = { ...(before.attachments || {}) };
  const files = [];
  const form = reportForm(state.rules.vocabularies, before, state.zone);
  form.querySelector("input[name=attachment]").addEventListener("change", (e) => attachFile(e.target, attachments, files));
  form.querySelector("[data-action=use-gps]").addEventListener("click", () => useGps(form));
  form.querySelector("[data-action=cancel]").addEventListener("click", () => render());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const doc = edited(before, readForm(form, attachments));
    const errors = validateDocument(state.rules, doc, !row || row.acked_rev === null);
    showErrors(form, errors);
    if (Object.keys(errors).length) return;
    if (row) {
      const fields = changedUnits(before, doc);
      if (Object.keys(fields).length) await state.store.edit(row.id, fields, files);
    } else {
      const { kind, fields } = creation(doc);
      await state.store.create(kind, fields, files);
    }
    state.message = t("saved");
    // Saved: should the lock fire before the list is drawn, the PIN must
    // not bring this form back to be saved twice.
    main.replaceChildren();
    await render();
  });
  return form;
}

function useGps(form) {
  const status = form.querySelector("#gps-status");
  status.textContent = t("gps_waiting");
  navigator.geolocation.getCurrentPosition(
    (pos) => {
      const round = (x) => Math.round(x * 1e6) / 1e6;
      form.elements["location.lat"].value = round(pos.coords.latitude);
      form.elements["location.lon"].value = round(pos.coords.longitude);
      form.elements["location.accuracy_m"].value = Math.round(pos.coords.accuracy);
      status.textContent = `${round(pos.coords.latitude)}, ${round(pos.coords.longitude)} (${t("accuracy")} ${Math.round(pos.coords.accuracy)} m)`;
      status.dataset.filled = "true";
    },
    (err) => {
      // The browser's own message is English and technical: say it in the officer's words.
      const why = { 1: "gps_denied", 2: "gps_unavailable", 3: "gps_timeout" }[err.code];
      status.textContent = why ? t(why) : `${t("gps_failed")}: ${err.message}`;
    },
    { enableHighAccuracy: true, timeout: 30000, maximumAge: 0 },
  );
}

function progress(phase, done, total) {
  const node = document.getElementById("sync-message");
  if (node) node.textContent = t(`progress_${phase}`, { done, total });
}

// A report form on the screen holds what the officer is typing: nothing that
// merely refreshes the screen (a sync, the language, the address) may redraw it.
function typing() {
  return Boolean(main.querySelector("form[data-form=report]"));
}

// The list is redrawn only when it is what the screen shows.
async function refreshList() {
  if (!state.open && !typing()) await render();
}

// Only while unlocked: the data key is in memory only then.
async function runSync() {
  if ((await state.store.status()) !== "unlocked") return;
  const device = await state.store.device();
  if (state.syncing || !device || device.revoked) return;
  state.syncing = true;
  state.message = t("syncing");
  await refreshList();
  try {
    const result = await sync(state.store, { progress });
    if (result.revoked) state.message = t("revoked");
    else if (result.complete) state.message = t("sync_done", result);
    else state.message = t("sync_failed", { reason: result.reason === "no-signal" ? t("no_signal") : result.reason });
    if (result.complete) await refreshRules();
  } catch (err) {
    // Locked mid-sync: each step already written stands; the rest waits for the PIN.
    console.error("sync stopped", err);
    state.message = String(err.message || err);
  } finally {
    state.syncing = false;
    await refreshList();
    // Finished syncs, counted: outside checks wait on this, not on time.
    document.body.dataset.syncs = String(Number(document.body.dataset.syncs || 0) + 1);
  }
}

main.addEventListener("click", async (event) => {
  const action = event.target.closest("[data-action]")?.dataset.action;
  if (action === "new-report") {
    state.open = null;
    main.replaceChildren(editView(null));
  } else if (action === "more") {
    state.shown += PAGE;
    await render();
  } else if (action === "sync") {
    runSync();
  } else if (action === "edit") {
    main.replaceChildren(editView(await state.store.report(state.open.id)));
  } else if (action === "back") {
    state.open = null;
    await render();
  }
});

document.querySelector("[data-action=language]").addEventListener("click", async () => {
  setLanguage(language() === "id" ? "en" : "id");
  await state.store.putCached("language", language());
  if (!typing()) return render();
  // The form keeps its words until it is saved or left; the rest switches now.
  document.querySelector("[data-action=language]").textContent = language() === "id" ? "EN" : "ID";
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
});

function watchForUpdates(registration) {
  const banner = document.getElementById("update");
  const offer = (worker) => {
    banner.hidden = false;
    banner.querySelector("[data-action=update]").onclick = () => worker.postMessage("skip-waiting");
  };
  if (registration.waiting && navigator.serviceWorker.controller) offer(registration.waiting);
  registration.addEventListener("updatefound", () => {
    const worker = registration.installing;
    worker.addEventListener("statechange", () => {
      if (worker.state === "installed" && navigator.serviceWorker.controller) offer(worker);
    });
  });
  let reloaded = false;
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (!reloaded && !banner.hidden) {
      reloaded = true;
      location.reload();
    }
  });
}

async function start() {
  state.store = await Store.open();
  setLanguage((await state.store.cached("language")) || "id");
  await loadRules();
  if (!state.rules) await refreshRules();
  await render();
  idleLock((await state.store.cached("lock_after_ms")) || LOCK_AFTER_MS, lockNow);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/field/sw.js", { scope: "/field/" }).then(watchForUpdates, (err) => console.error("service worker", err));
  }
  if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch((err) => console.warn("persist", err));
  window.addEventListener("online", () => runSync());
  window.addEventListener("hashchange", () => (typing() ? null : render()));
  document.body.dataset.ready = "true";
  document.body.dataset.readyMs = String(Math.round(performance.now())); // since navigation start
}

start().catch((err) => {
  main.textContent = String(err);
  console.error(err);
});
