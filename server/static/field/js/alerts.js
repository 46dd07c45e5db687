// Early-detection alerts (issue 15) on the officer's own report: asked from
// the server when the link is up, the same GET /api/v1/reports/<id> the CLI's
// `patroli field alerts` uses, and kept sealed in the store so they still show
// offline with the time they were asked. Only what the server returned for
// this device's scope is kept: kind, date, basis and explanation of each link.
import { el } from "./form.js";
import { language, t } from "./i18n.js";
import { inZone, shownTime } from "./localtime.js";
import { ProblemError, Transport, TransportError } from "./transport.js";

// The fields of a link the app keeps and shows; anything else the server
// might add stays out of the phone.
function slim(answer) {
  const links = {};
  for (const [personId, entries] of Object.entries(answer.person_links || {})) {
    links[personId] = entries.map(({ post, kind, occurred_at, basis, explanation }) => ({ post, kind, occurred_at, basis, explanation }));
  }
  const alerts = (answer.alerts || []).map(({ type, person_id, occurred_at }) => ({ type, person_id, occurred_at }));
  return { person_links: links, alerts };
}

// The server's answer (cached on success), else the last cached one. A report
// the server does not hold yet has nothing to say.
export async function loadAlerts(store, reportId, token) {
  try {
    const answer = await new Transport({ token, attempts: 1, timeoutMs: 10000 }).request("GET", `/api/v1/reports/${reportId}`);
    const record = { report_id: reportId, fetched_at: Date.now(), ...slim(answer) };
    await store.putAlerts(record);
    return { ...record, live: true };
  } catch (err) {
    if (!(err instanceof TransportError) && !(err instanceof ProblemError && err.slug === "not-found")) {
      console.warn("alerts not fetched", err); // logged: the cached answer still shows
    }
  }
  try {
    const cached = await store.alertsOf(reportId);
    return cached ? { ...cached, live: false } : null;
  } catch (err) {
    console.warn("cached alerts not read", err); // locked meanwhile: the lock screen shows
    return null;
  }
}

// The day only ("1 Agu 2026"), in the officer's post zone: the server gives
// the other report's time in UTC, and the hour says nothing useful here.
function day(iso, zone) {
  const ms = Date.parse(iso || "");
  if (Number.isNaN(ms)) return "?";
  const options = { day: "numeric", month: "short", year: "numeric", timeZone: zone || undefined };
  return new Date(ms).toLocaleDateString(language() === "id" ? "id-ID" : "en-GB", options);
}

function linkLine(link, kindLabel, zone) {
  const where = link.post || t("alert_other_post");
  const when = day(link.occurred_at, zone);
  return el("li", { "data-alert-link": link.basis, text: `${t("alert_seen")}: ${where}, ${kindLabel(link.kind)}, ${when}, ${t(`alert_basis_${link.basis}`)} (${link.explanation})` });
}

// One block per linked person, named as in the officer's own document.
export function alertsSection(found, persons, kindLabel, zone) {
  if (!found || !Object.keys(found.person_links).length) return null;
  const blocks = Object.entries(found.person_links).map(([personId, links]) => {
    const person = persons[personId] || {};
    const types = [...new Set(found.alerts.filter((a) => a.person_id === personId).map((a) => t(`alert_${a.type}`)))];
    return el(
      "div",
      { "data-alert-person": personId },
      el("strong", { text: `${person.name || person.role || personId}${types.length ? ` — ${types.join(", ")}` : ""}` }),
      el("ul", {}, links.map((link) => linkLine(link, kindLabel, zone))),
    );
  });
  const asOf = found.live ? null : el("p", { class: "muted", "data-alerts-as-of": "", text: t("alerts_as_of", { when: shownTime(inZone(found.fetched_at, zone)) }) });
  return el("section", { class: "status", id: "alerts" }, el("strong", { text: t("alerts_title") }), asOf, blocks);
}

// The list's small mark on a report whose last answer held links.
export function alertBadge(alerted, reportId) {
  return alerted.has(reportId) ? el("span", { class: "badge", "data-alert-badge": "", text: t("alert_badge") }) : null;
}
