// A thin promise layer over IndexedDB: one function per transaction, so a
// local edit and its outbox entry are written together or not at all.
export function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

export function open(name, version, upgrade) {
  const req = indexedDB.open(name, version);
  req.onupgradeneeded = (event) => upgrade(req.result, event.oldVersion);
  return request(req);
}

// Run fn(stores) in one transaction; resolve with fn's result once it commits.
// fn may await IndexedDB requests only: anything else would let it commit early.
export function transaction(db, names, mode, fn) {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(names, mode, { durability: "strict" });
    const stores = Object.fromEntries(names.map((n) => [n, tx.objectStore(n)]));
    let result;
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
    Promise.resolve()
      .then(() => fn(stores))
      .then((value) => {
        result = value;
      })
      .catch((err) => {
        try {
          tx.abort();
        } catch {
          // already finished: the original error is what matters
        }
        reject(err);
      });
  });
}

// One change at a time in this page (and across tabs where Web Locks exist):
// a change that reads, awaits WebCrypto, then writes must not interleave
// with another one.
let queue = Promise.resolve();
export function exclusive(fn) {
  const locks = globalThis.navigator?.locks;
  const run = queue.then(() => (locks ? locks.request("patroli-field", () => fn()) : fn()));
  queue = run.catch(() => {});
  return run;
}
