// The PIN screens and the inactivity lock. Locking drops the data key from
// memory (vault.js); nothing of the store can be read until the PIN is
// entered again, and sync stops with it (app.js syncs only while unlocked).
import { el } from "./form.js";
import { language } from "./i18n.js";
import { WrongPin, lock, pinProblem } from "./vault.js";

export const LOCK_AFTER_MS = 5 * 60 * 1000;
// Anything that fires this event locks the app at once, as the timer does
// (tests use it: docs/field-app.md, automation contract).
export const LOCK_EVENT = "patroli:lock";

const WORDS = {
  id: {
    pin: "PIN (minimal 6 angka atau huruf)",
    pin_help: "PIN melindungi laporan di ponsel ini. Jika lupa, laporan yang belum tersinkron tidak dapat dipulihkan.",
    unlock_title: "Aplikasi terkunci",
    unlock_help: "Masukkan PIN untuk membuka laporan di ponsel ini.",
    unlock: "Buka",
    unlocking: "Membuka…",
    wrong_pin: "PIN salah. Tidak ada yang diubah.",
    set_pin_title: "Pasang PIN",
    set_pin_help: "Laporan di ponsel ini akan dienkripsi dengan PIN Anda.",
    set_pin: "Pasang PIN dan enkripsi",
    pin_short: "PIN minimal 6 angka atau huruf.",
  },
  en: {
    pin: "PIN (at least 6 digits or letters)",
    pin_help: "The PIN protects the reports on this phone. If it is forgotten, reports not yet synced cannot be recovered.",
    unlock_title: "The app is locked",
    unlock_help: "Enter the PIN to open the reports on this phone.",
    unlock: "Open",
    unlocking: "Opening…",
    wrong_pin: "Wrong PIN. Nothing was changed.",
    set_pin_title: "Set a PIN",
    set_pin_help: "The reports on this phone will be encrypted with your PIN.",
    set_pin: "Set PIN and encrypt",
    pin_short: "The PIN needs at least 6 digits or letters.",
  },
};

export function w(key) {
  return WORDS[language()][key] ?? WORDS.id[key];
}

export function pinInput() {
  return [
    el("label", { for: "pin", text: w("pin") }),
    el("input", { id: "pin", name: "pin", type: "password", inputmode: "numeric", autocomplete: "off", required: true }),
  ];
}

// The unlock form ("unlock") or, for a store enrolled before encryption,
// the set-a-PIN form ("set-pin"); done() runs once the store is open.
export function pinView(store, kind, done) {
  const unlock = kind === "unlock";
  const form = el(
    "form",
    { "data-form": kind },
    el("h1", { text: w(unlock ? "unlock_title" : "set_pin_title") }),
    el("p", { text: w(unlock ? "unlock_help" : "set_pin_help") }),
    ...pinInput(),
    el("p", { class: "error", id: "pin-error" }),
    el("div", { class: "actions" }, el("button", { type: "submit", "data-action": kind, text: w(unlock ? "unlock" : "set_pin") })),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const pin = new FormData(form).get("pin");
    const error = form.querySelector("#pin-error");
    if (pinProblem(pin)) {
      error.textContent = w("pin_short");
      return;
    }
    error.textContent = w("unlocking");
    try {
      await (unlock ? store.unlock(pin) : store.encryptPlain(pin));
    } catch (err) {
      error.textContent = err instanceof WrongPin ? w("wrong_pin") : String(err.message || err);
      form.elements.pin.value = "";
      return;
    }
    await done();
  });
  return form;
}

// Lock after `ms` without a touch or a key; onLock redraws the lock screen.
export function idleLock(ms, onLock) {
  let timer = null;
  const fire = () => {
    clearTimeout(timer);
    lock();
    onLock();
  };
  const reset = () => {
    clearTimeout(timer);
    timer = setTimeout(fire, ms);
  };
  for (const name of ["pointerdown", "keydown", "touchstart"]) window.addEventListener(name, reset, { passive: true });
  window.addEventListener(LOCK_EVENT, fire);
  reset();
}

// The views the lock keeps: what the officer typed lives only in a form's
// inputs (and the chosen files in its closure) until it is saved.
const KEPT = "form[data-form=report], [data-open-report]";

// An open report or form is hidden, not destroyed: `hidden` takes it off the
// screen and `inert` out of reach of keys and screen readers.
export function keepBehindLock(view) {
  if (!view.querySelector(KEPT)) return;
  view.hidden = true;
  view.inert = true;
}

// After the right PIN: shows `view` again; true if it held a kept view.
export function releaseKept(view) {
  const kept = view.hidden && view.querySelector(KEPT) !== null;
  view.inert = false;
  view.hidden = false;
  return kept;
}
