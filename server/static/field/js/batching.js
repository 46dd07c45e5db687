// Batch and page sizing of sync/engine.py.
export const START_BATCH = 100;
export const PULL = { fastS: 1.5, slowS: 15.0, min: 50, max: 2000 };
const encoder = new TextEncoder();

export function byteLength(value) {
  return encoder.encode(JSON.stringify(value)).length;
}

// Keep the uncompressed body under max_batch_bytes (the server bounds the
// inflated size too), with room for the envelope; always at least one op.
export function fitBytes(ops, maxBytes) {
  const budget = maxBytes - 1024;
  let size = 0;
  const kept = [];
  for (const op of ops) {
    size += byteLength(op) + 1;
    if (kept.length && size > budget) break;
    kept.push(op);
  }
  return kept;
}

export function grow(batch, maxOps) {
  return Math.min(maxOps, batch + Math.max(1, Math.floor(batch / 4)));
}

export function halve(size) {
  return Math.max(1, Math.floor(size / 2));
}

// Grow pull pages while they come fast, shrink them on a slow link.
export function nextPullLimit(limit, maxPull, seconds) {
  if (seconds < PULL.fastS) return Math.min(maxPull, limit * 2);
  if (seconds > PULL.slowS) return Math.max(PULL.min, Math.floor(limit / 2));
  return limit;
}
