// Hybrid logical clocks in the wire form of DESIGN §3, as sync/hlc.py.
// <16-digit ms>-<5-digit counter>-<node>: string order is time order.

export const MAX_COUNTER = 99999;
const PATTERN = /^([0-9]{16})-([0-9]{5})-([A-Za-z0-9._:-]{1,64})$/;

export function format(h) {
  return `${String(h.ms).padStart(16, "0")}-${String(h.counter).padStart(5, "0")}-${h.node}`;
}

export function isValid(text) {
  return typeof text === "string" && PATTERN.test(text);
}

export function parse(text) {
  const m = typeof text === "string" ? PATTERN.exec(text) : null;
  if (!m) throw new Error("not a valid HLC (expected <16 digits>-<5 digits>-<node id>)");
  return { ms: Number(m[1]), counter: Number(m[2]), node: m[3] };
}

// The counter has five digits on the wire: on overflow borrow the next
// millisecond rather than emit a string that would sort wrongly.
function bump(ms, counter) {
  return counter >= MAX_COUNTER ? [ms + 1, 0] : [ms, counter + 1];
}

export function tick(last, node, wall = Date.now()) {
  if (!last || wall > last.ms) return { ms: wall, counter: 0, node };
  const [ms, counter] = bump(last.ms, last.counter);
  return { ms, counter, node };
}

export function receive(last, remote, node, wall = Date.now()) {
  const base = Math.max(wall, remote.ms, last ? last.ms : 0);
  let next;
  if (last && base === last.ms && base === remote.ms) {
    next = bump(base, Math.max(last.counter, remote.counter));
  } else if (last && base === last.ms) {
    next = bump(base, last.counter);
  } else if (base === remote.ms) {
    next = bump(base, remote.counter);
  } else {
    next = [base, 0];
  }
  return { ms: next[0], counter: next[1], node };
}

export function parseServerTime(text) {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new Error(`not a server time: ${text}`);
  return ms;
}

export function formatServerTime(ms) {
  return new Date(ms).toISOString();
}
