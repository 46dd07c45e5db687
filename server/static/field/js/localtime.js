// Times in the post's zone, not the phone's: a phone may be set to another
// zone (or to UTC), and the commander reads reports in post time. The zone's
// offset comes from Intl with the post's IANA name (published by the server
// in /api/v1/vocabularies as post_time_zones), which works offline.

const pad = (n) => String(n).padStart(2, "0");

function formatOffset(minutes) {
  const sign = minutes >= 0 ? "+" : "-";
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

// The zone's offset from UTC in minutes at an instant (null: unknown zone,
// the caller falls back to the phone's own offset).
export function zoneOffsetMinutes(zone, instantMs) {
  if (!zone) return null;
  let parts;
  try {
    const format = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    parts = Object.fromEntries(format.formatToParts(new Date(instantMs)).map((p) => [p.type, Number(p.value)]));
  } catch (err) {
    if (err instanceof RangeError) return null; // not a zone this browser knows
    throw err;
  }
  const wall = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  return Math.round((wall - Math.floor(instantMs / 1000) * 1000) / 60000);
}

function offsetAt(zone, instantMs) {
  const minutes = zoneOffsetMinutes(zone, instantMs);
  return minutes ?? -new Date(instantMs).getTimezoneOffset();
}

// "2026-11-20T11:15" (what a datetime-local input holds) at an instant in the zone.
export function wallClock(instantMs, zone) {
  const shifted = new Date(instantMs + offsetAt(zone, instantMs) * 60000);
  return shifted.toISOString().slice(0, 16);
}

// An instant as RFC 3339 in the zone's offset, to the second:
// 2026-11-20T03:15:00Z in Asia/Makassar → "2026-11-20T11:15:00+08:00".
export function inZone(instantMs, zone) {
  const minutes = offsetAt(zone, instantMs);
  const shifted = new Date(instantMs + minutes * 60000);
  return `${shifted.toISOString().slice(0, 19)}${formatOffset(minutes)}`;
}

// A wall-clock time typed in the zone ("2026-11-20T11:15") → RFC 3339 with
// the zone's offset at that time (zones with summer time shift within a year).
export function fromWallClock(local, zone) {
  if (!local) return null;
  const seconds = local.length === 16 ? `${local}:00` : local.slice(0, 19);
  const asUtc = Date.parse(`${seconds}Z`);
  if (Number.isNaN(asUtc)) return null;
  let minutes = offsetAt(zone, asUtc);
  minutes = offsetAt(zone, asUtc - minutes * 60000);
  return `${seconds}${formatOffset(minutes)}`;
}

// Indonesia's zones by offset, as officers say them (and server/localtime.py).
const ABBREVIATIONS = { "+07:00": "WIB", "+08:00": "WITA", "+09:00": "WIT", "+00:00": "UTC" };

// A stored RFC 3339 time as an officer reads it, in its own offset:
// "2026-11-20T11:15:00+08:00" → "2026-11-20 11:15 WITA". Unreadable → as is.
export function shownTime(iso) {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.exec(iso || "");
  if (!match) return iso || "";
  const offset = match[3].toUpperCase() === "Z" ? "+00:00" : match[3];
  return `${match[1]} ${match[2]} ${ABBREVIATIONS[offset] || `UTC${offset}`}`;
}
