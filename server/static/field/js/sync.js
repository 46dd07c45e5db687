// The device sync engine of sync/engine.py for the browser: attachments
// first, then the outbox in order in adaptive batches, then pull pages until
// nothing is left. Every state change is its own IndexedDB transaction, so
// the app (or the server) can die at any point: ops in flight are resent with
// the same op_id, and a pull page lands with its cursor or not at all.
// Pushed reports are not downloaded again: an applied op's result becomes the
// report's acknowledged copy (acknowledged.js) and the pull asks for
// skip_echo=1, but only once a whole pull has ended under this version: an
// older one dropped those results, so its last pushes must come back once.
import * as B from "./batching.js";
import * as Blobs from "./blobs.js";
import { ProblemError, Transport, TransportError } from "./transport.js";
import { uuid7 } from "./uuid7.js";

export async function sync(store, { progress = () => {}, transport = null } = {}) {
  const device = await store.device();
  const http = transport || new Transport({ token: device.token });
  const result = { pushed: 0, pulled: 0, rejected: 0, conflicts: 0, blobs: 0, complete: false, revoked: false, reason: null };
  try {
    const meta = await http.request("GET", "/api/v1/meta");
    await store.observeServerTime(meta.server_time);
    const limits = { maxOps: meta.max_batch_ops || 500, maxBytes: meta.max_batch_bytes || 8 * 1024 * 1024 };
    const blobTrouble = await uploadBlobs(store, http, result, progress);
    await pushAll(store, http, limits, result, progress);
    await pullAll(store, http, result, progress);
    result.complete = result.rejected === 0 && !blobTrouble;
    result.reason = result.rejected ? `${result.rejected} rejected` : blobTrouble;
  } catch (err) {
    if (err instanceof ProblemError && err.slug === "device-revoked") {
      result.revoked = true;
      await store.updateDevice({ revoked: true });
    }
    result.reason = err instanceof TransportError ? "no-signal" : err.message;
  }
  await store.updateDevice(result.complete ? { last_sync_at: new Date().toISOString(), last_sync_ok: true } : { last_sync_ok: false });
  return result;
}

async function uploadBlobs(store, http, result, progress) {
  const pending = await store.pendingBlobs();
  const total = pending.reduce((n, b) => n + b.bytes, 0);
  let before = 0;
  let trouble = null;
  for (const blob of pending) {
    try {
      await Blobs.upload(http, blob, (done) => progress("upload", before + done, total));
      await store.markBlob(blob.sha256);
      result.blobs += 1;
    } catch (err) {
      if (err instanceof ProblemError && (err.status === 401 || err.status === 403)) throw err;
      if (err instanceof ProblemError) await store.markBlob(blob.sha256, err.message);
      trouble = `attachment: ${err.message}`;
    }
    before += blob.bytes;
  }
  return trouble;
}

async function pushAll(store, http, limits, result, progress) {
  let batch = Math.min(B.START_BATCH, limits.maxOps);
  for (;;) {
    const read = B.fitBytes(await store.pendingOps(batch), limits.maxBytes);
    if (!read.length) return;
    const ops = await store.markInFlight(read.map((op) => op.op_id));
    let answer;
    try {
      answer = await http.request("POST", "/api/v1/sync/push", { batch_id: uuid7(), changes: ops });
    } catch (err) {
      if (err instanceof ProblemError && err.slug === "payload-too-large") {
        if (ops.length === 1) {
          await store.rejectLocally(ops[0].op_id, { fields: ["this change is larger than the server accepts; shorten it"] });
          result.rejected += 1;
        }
        batch = B.halve(ops.length);
        continue;
      }
      if (err instanceof TransportError && ops.length > 1) {
        batch = B.halve(ops.length); // a slow link times out on big batches
        continue;
      }
      throw err;
    }
    await store.observeServerTime(answer.server_time);
    await store.applyPushResults(answer.results);
    for (const r of answer.results) {
      result.pushed += 1;
      if (r.status === "rejected") result.rejected += 1;
      if (r.status === "conflict") result.conflicts += 1;
    }
    progress("push", result.pushed, null);
    batch = B.grow(batch, limits.maxOps);
  }
}

async function pullAll(store, http, result, progress) {
  let limit = 500;
  let restarted = false;
  for (;;) {
    const { cursor, skip_echo: skipEcho } = await store.device();
    const query = new URLSearchParams({ limit: String(limit) });
    if (cursor) query.set("cursor", cursor);
    if (skipEcho) query.set("skip_echo", "1");
    const started = performance.now();
    let page;
    try {
      page = await http.request("GET", `/api/v1/sync/pull?${query}`);
    } catch (err) {
      if (err instanceof ProblemError && err.slug === "cursor-expired" && !restarted) {
        restarted = true; // download the scope again; pending edits stay on top
        await store.resetCursor();
        continue;
      }
      throw err;
    }
    await store.observeServerTime(page.server_time);
    await store.applyPullPage(page.changes, page.cursor, { last: !page.has_more });
    result.pulled += page.changes.length;
    progress("pull", result.pulled, null);
    if (!page.has_more) return;
    limit = B.nextPullLimit(limit, B.PULL.max, (performance.now() - started) / 1000);
  }
}
