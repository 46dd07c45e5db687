// The device store in IndexedDB, the same model as client_sqlite: per report
// the acknowledged document and the local one, an outbox of ops, the pull
// cursor, identity and token (here only, never in cookies or localStorage),
// conflicts, and the attachment files themselves. Every record's content is
// sealed (sealed.js, vault.js); IndexedDB transactions end at any other await,
// so each change reads, decrypts, computes and encrypts outside them and
// writes in one transaction, changes queued one at a time (exclusive).
import * as H from "./hlc.js";
import { exclusive, open, request, transaction } from "./idb.js";
import * as O from "./outbox.js";
import { NAME, listingRow, upgrade } from "./schema.js";
import * as P from "./sealed.js";
import * as S from "./signing.js";
import { applyPullPage, applyPushResults } from "./sync_answers.js";
import { uuid7 } from "./uuid7.js";
import { Vault, isUnlocked, setVault, unlocked } from "./vault.js";

export class LocalError extends Error {
  constructor(errors) {
    super(Object.entries(errors).map(([k, v]) => `${k}: ${v.join(", ")}`).join("; "));
    this.errors = errors;
  }
}

export class Store {
  static async open() {
    return new Store(await open(NAME, 1, upgrade));
  }

  constructor(db) {
    this.db = db;
  }

  tx(names, mode, fn) {
    return transaction(this.db, names, mode, fn);
  }

  read(names, fn) {
    return this.tx(names, "readonly", fn);
  }

  // -- the lock ------------------------------------------------------------------

  // "new" (not enrolled), "plain" (enrolled before encryption: set a PIN),
  // "locked" or "unlocked".
  async status() {
    const [self, meta] = await this.read(["device"], (s) => Promise.all([request(s.device.get("self")), request(s.device.get("vault"))]));
    if (!self) return "new";
    if (!meta || P.isPlain(self)) return "plain";
    return isUnlocked() ? "unlocked" : "locked";
  }

  // A wrong PIN throws WrongPin and changes nothing.
  async unlock(pin) {
    const meta = await this.read(["device"], (s) => request(s.device.get("vault")));
    setVault(await Vault.unlock(meta, pin));
  }

  async changePin(oldPin, newPin) {
    await exclusive(async () => {
      const meta = await this.read(["device"], (s) => request(s.device.get("vault")));
      const next = await Vault.changePin(meta, oldPin, newPin);
      await this.tx(["device"], "readwrite", async (s) => s.device.put(next, "vault"));
    });
  }

  // A store written before encryption, sealed under a new PIN in one transaction.
  async encryptPlain(pin) {
    await exclusive(async () => {
      const names = ["device", "reports", "listing", "outbox", "conflicts", "blobs"];
      const raw = await this.read(names, (s) => Promise.all(names.map((n) => request(n === "device" ? s.device.get("self") : s[n].getAll()))));
      const { meta, vault } = await Vault.create(pin);
      const [self, ...rows] = raw;
      const { signing_key, ...device } = self;
      const sealedDevice = await P.seal(vault, "device", { ...device, legacy_signing_key: signing_key || null });
      const sealed = await Promise.all(names.slice(1).map((n, i) => P.sealAll(vault, n, rows[i])));
      await this.tx(names, "readwrite", async (s) => {
        names.slice(1).forEach((n, i) => {
          s[n].clear();
          for (const row of sealed[i]) s[n].put(row);
        });
        s.device.put(sealedDevice, "self");
        s.device.put(meta, "vault");
      });
      setVault(vault);
    });
  }

  // -- the device ----------------------------------------------------------------

  async device() {
    const row = await this.read(["device"], (s) => request(s.device.get("self")));
    return row ? P.openDevice(unlocked(), row) : null;
  }

  // Enrolling seals the device under a new data key wrapped by the PIN.
  async saveEnrollment(answer, localMs, keys, pin) {
    await exclusive(async () => {
      const { meta, vault } = await Vault.create(pin);
      const node = answer.device_id;
      const clock = H.receive(null, { ms: H.parseServerTime(answer.server_time), counter: 0, node }, node, localMs);
      const device = {
        device_id: answer.device_id,
        token: answer.token,
        officer: answer.officer,
        post: answer.post,
        hlc: H.format(clock),
        cursor: null,
        revoked: false,
        enrolled_at: new Date().toISOString(),
        last_sync_at: null,
        signing_pkcs8: keys ? keys.pkcs8 : null,
      };
      const row = await P.seal(vault, "device", device);
      await this.tx(["device"], "readwrite", async (s) => {
        s.device.put(meta, "vault");
        s.device.put(row, "self");
      });
      setVault(vault);
    });
  }

  async _change(fn) {
    await exclusive(async () => {
      const vault = unlocked();
      const device = await this.device();
      const row = await P.sealDevice(vault, fn(device));
      await this.tx(["device"], "readwrite", async (s) => s.device.put(row, "self"));
    });
  }

  async updateDevice(change) {
    await this._change((device) => ({ ...device, ...change }));
  }

  async observeServerTime(serverTime, localMs = Date.now()) {
    await this._change((device) => {
      const remote = { ms: H.parseServerTime(serverTime), counter: 0, node: device.device_id };
      const clock = H.receive(H.parse(device.hlc), remote, device.device_id, localMs);
      return { ...device, hlc: H.format(clock), clock_offset_ms: remote.ms - localMs };
    });
  }

  // The server's rules, vocabularies and the language: public, kept in clear.
  async cached(key) {
    return this.read(["cache"], async (s) => (await request(s.cache.get(key))) ?? null);
  }

  async putCached(key, value) {
    await this.tx(["cache"], "readwrite", async (s) => {
      s.cache.put(value, key);
    });
  }

  // The last early-detection answer per report, sealed (alerts.js): it names
  // other posts and how a person was linked, so never in clear.
  async putAlerts(record) {
    const row = await P.seal(unlocked(), "alerts", record);
    await this.tx(["cache"], "readwrite", async (s) => {
      s.cache.put(row, `alerts:${record.report_id}`);
    });
  }

  async alertsOf(reportId) {
    return P.open(unlocked(), "alerts", await this.read(["cache"], (s) => request(s.cache.get(`alerts:${reportId}`))));
  }

  // Ids of reports whose last answer linked a person: the list's badges.
  async alertedIds() {
    const range = IDBKeyRange.bound("alerts:", "alerts:\uffff");
    const rows = await P.openAll(unlocked(), "alerts", await this.read(["cache"], (s) => request(s.cache.getAll(range))));
    return new Set(rows.filter((r) => Object.keys(r.person_links).length).map((r) => r.report_id));
  }

  // -- local edits -----------------------------------------------------------

  static tick(device) {
    const clock = H.tick(H.parse(device.hlc), device.device_id);
    device.hlc = H.format(clock);
    return device.hlc;
  }

  // A document, its listing row, the files and the device, sealed for one write.
  async _sealEdit(vault, device, report, files) {
    return Promise.all([
      P.sealDevice(vault, device),
      P.seal(vault, "reports", report),
      P.seal(vault, "listing", listingRow(report.doc)),
      P.sealAll(vault, "blobs", files),
    ]);
  }

  // A new report: its document, its outbox op, its files and the clock, at once.
  async create(kind, fields, files = []) {
    const reportId = uuid7();
    await exclusive(async () => {
      const vault = unlocked();
      const device = await this.device();
      const hlc = Store.tick(device);
      const op = O.createOp({ opId: uuid7(), reportId, hlc, kind, fields: { ...fields, post: device.post } });
      const doc = O.onTop({ id: reportId }, [op]);
      const report = { id: reportId, doc, acked: null, acked_rev: null, updated_at: Date.now() };
      const [d, r, l, b] = await this._sealEdit(vault, device, report, files);
      const sealedOp = await P.seal(vault, "outbox", op);
      await this.tx(["device", "reports", "listing", "outbox", "blobs"], "readwrite", async (s) => {
        s.reports.put(r);
        s.listing.put(l);
        s.outbox.add(sealedOp);
        for (const file of b) s.blobs.put(file);
        s.device.put(d, "self");
      });
    });
    return reportId;
  }

  // An edit (only the changed units), folded as client_sqlite folds it.
  async edit(reportId, fields, files = []) {
    await exclusive(async () => {
      const vault = unlocked();
      const row = await this.report(reportId);
      if (!row) throw new LocalError({ id: [`no report ${reportId} on this device`] });
      const device = await this.device();
      const hlc = Store.tick(device);
      const outbox = await this._outbox();
      const plan = O.planEdit(outbox, { opId: uuid7(), reportId, hlc, fields, ackedRev: row.acked_rev });
      const report = { ...row, doc: O.onTop(row.doc, [{ fields }]), updated_at: Date.now() };
      const [d, r, l, b] = await this._sealEdit(vault, device, report, files);
      const update = plan.update && (await P.seal(vault, "outbox", plan.update));
      const insert = plan.insert && (await P.seal(vault, "outbox", plan.insert));
      await this.tx(["device", "reports", "listing", "outbox", "blobs"], "readwrite", async (s) => {
        for (const opId of plan.remove) s.outbox.delete(outbox.find((op) => op.op_id === opId).seq);
        if (update) s.outbox.put(update);
        if (insert) s.outbox.add(insert);
        s.reports.put(r);
        s.listing.put(l);
        for (const file of b) s.blobs.put(file);
        s.device.put(d, "self");
      });
    });
  }

  // -- what the sync engine needs ---------------------------------------------

  async _outbox() {
    return P.openAll(unlocked(), "outbox", await this.read(["outbox"], (s) => request(s.outbox.getAll())));
  }

  async pendingOps(limit) {
    return this._wire(O.sendable(await this._outbox(), limit));
  }

  // Ops as sent: the wire fields, signed. A device enrolled before signing
  // has no key; its ops go unsigned.
  async _wire(ops) {
    const key = (await this.device())?.signing_key;
    const wire = ops.map(({ op_id, report_id, base_rev, hlc, fields }) => ({ op_id, report_id, base_rev, hlc, fields }));
    return key ? Promise.all(wire.map((op) => S.signOp(key, op))) : wire;
  }

  // Rewrite the outbox ops fn changes, in one write; returns them as written,
  // in outbox order. The outbox is read inside the queue of changes, so an
  // edit saved a moment before is in it.
  async _rewriteOutbox(fn) {
    return exclusive(async () => {
      const vault = unlocked();
      const changed = [];
      for (const op of await this._outbox()) {
        const next = fn(op);
        if (next !== op) changed.push(next);
      }
      const sealed = await P.sealAll(vault, "outbox", changed);
      await this.tx(["outbox"], "readwrite", async (s) => {
        for (const op of sealed) s.outbox.put(op);
      });
      return changed;
    });
  }

  // Marks the ops in flight (no edit folds into them from now on) and returns
  // them as sent, as the mark wrote them: an edit saved since pendingOps read
  // them may have folded into the newest, and must go out with it.
  async markInFlight(opIds) {
    return this._wire(await this._rewriteOutbox((op) => (opIds.includes(op.op_id) ? { ...op, state: "in_flight", attempts: (op.attempts || 0) + 1 } : op)));
  }

  // A push answer and a pull page land in one write each (sync_answers.js).
  applyPushResults(results) {
    return applyPushResults(this, results);
  }

  applyPullPage(changes, cursor, options = {}) {
    return applyPullPage(this, changes, cursor, options);
  }

  async rejectLocally(opId, errors) {
    await this._rewriteOutbox((op) => (op.op_id === opId ? { ...op, state: "rejected", errors } : op));
  }

  async _blobs(withData) {
    const rows = await this.read(["blobs"], (s) => request(s.blobs.getAll()));
    return P.openAll(unlocked(), "blobs", rows.filter((b) => !b.uploaded), withData);
  }

  async pendingBlobs() {
    return (await this._blobs(true)).filter((b) => !b.error);
  }

  async markBlob(sha256, error = null) {
    await exclusive(async () => {
      const vault = unlocked();
      const blob = await P.open(vault, "blobs", await this.read(["blobs"], (s) => request(s.blobs.get(sha256))));
      if (!blob) return;
      const row = await P.seal(vault, "blobs", error ? { ...blob, error } : { ...blob, uploaded: true });
      await this.tx(["blobs"], "readwrite", async (s) => s.blobs.put(row));
    });
  }

  async resetCursor() {
    await this.updateDevice({ cursor: null });
  }

  // -- reading -------------------------------------------------------------------

  async report(reportId) {
    return P.open(unlocked(), "reports", await this.read(["reports"], (s) => request(s.reports.get(reportId))));
  }

  // Conflict records of one report (the commander resolves them on the web page).
  async conflictsOf(reportId) {
    return P.openAll(unlocked(), "conflicts", await this.read(["conflicts"], (s) => request(s.conflicts.index("report_id").getAll(reportId))));
  }

  // What the list shows of every report, with its sync state.
  async listing() {
    const vault = unlocked();
    const [listed, outbox, conflicts] = await this.read(["listing", "outbox", "conflicts"], (s) =>
      Promise.all([request(s.listing.getAll()), request(s.outbox.getAll()), request(s.conflicts.getAll())]),
    );
    const rows = await P.openAll(vault, "listing", listed);
    const rejectedOps = await P.openAll(vault, "outbox", outbox.filter((op) => op.state === "rejected"));
    const open = new Set((await P.openAll(vault, "conflicts", conflicts)).filter((c) => (c.record.status || "open") === "open").map((c) => c.report_id));
    const ops = new Map();
    for (const op of outbox) ops.set(op.report_id, [...(ops.get(op.report_id) || []), op]);
    const errorsOf = new Map(rejectedOps.map((op) => [op.op_id, op.errors]));
    return rows.map((row) => {
      const mine = ops.get(row.id) || [];
      const rejected = mine.filter((op) => op.state === "rejected");
      let state = "sent";
      if (rejected.length) state = "rejected";
      else if (mine.length) state = "pending";
      else if (open.has(row.id)) state = "conflict";
      return { ...row, state, errors: rejected.map((op) => errorsOf.get(op.op_id)) };
    });
  }

  async counts() {
    const outbox = await this.read(["outbox"], (s) => request(s.outbox.getAll()));
    const blobs = await this._blobs(false);
    return {
      pending: outbox.filter((op) => op.state !== "rejected").length,
      rejected: outbox.filter((op) => op.state === "rejected").length,
      blobs: blobs.filter((b) => !b.error).length,
    };
  }
}
