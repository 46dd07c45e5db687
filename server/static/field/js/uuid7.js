// Time-ordered UUIDs (version 7, RFC 9562) for report, op and batch ids.
//
// Ids minted within one millisecond (or while the clock has stepped back)
// must still sort in minting order, so that the outbox and the server's
// keys append: such an id is the previous one with its 62 random bits of
// rand_b counted up by one (RFC 9562 §6.2, method 2). Only if that counter
// runs out does the id move on to the next millisecond.

const RAND_B_FIRST = 8; // rand_b: the low 6 bits of byte 8, then bytes 9-15

function fresh(ms, random) {
  const b = new Uint8Array(16);
  random(b);
  let rest = ms;
  for (let i = 5; i >= 0; i--) {
    b[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  return b;
}

// Add one to rand_b in place; false when it overflowed.
function increment(b) {
  for (let i = 15; i > RAND_B_FIRST; i--) {
    if (b[i] < 0xff) {
      b[i] += 1;
      return true;
    }
    b[i] = 0;
  }
  if ((b[RAND_B_FIRST] & 0x3f) < 0x3f) {
    b[RAND_B_FIRST] += 1;
    return true;
  }
  return false;
}

function format(b) {
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// A UUIDv7 minter with its own ordering state; `random` fills a byte array.
export function uuid7Source(random = (bytes) => crypto.getRandomValues(bytes)) {
  let lastMs = -1;
  let last = null;
  return function uuid7(now = Date.now()) {
    let b = null;
    if (last !== null && now <= lastMs) {
      b = last.slice();
      if (!increment(b)) {
        lastMs += 1;
        b = fresh(lastMs, random);
      }
    } else {
      lastMs = now;
      b = fresh(now, random);
    }
    last = b;
    return format(b);
  };
}

export const uuid7 = uuid7Source();
