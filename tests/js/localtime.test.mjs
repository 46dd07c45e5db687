// Times in the post's zone whatever the phone's zone (js/localtime.js).
// Run with TZ=UTC or any other zone: the answers must not change.
import assert from "node:assert/strict";
import { test } from "node:test";

import { fromWallClock, inZone, shownTime, wallClock, zoneOffsetMinutes } from "../../server/static/field/js/localtime.js";

const INSTANT = Date.parse("2026-11-20T03:15:42Z");

test("an instant is spelled in the post's offset, not the phone's", () => {
  assert.equal(inZone(INSTANT, "Asia/Makassar"), "2026-11-20T11:15:42+08:00");
  assert.equal(inZone(INSTANT, "Asia/Jakarta"), "2026-11-20T10:15:42+07:00");
  assert.equal(inZone(INSTANT, "Asia/Jayapura"), "2026-11-20T12:15:42+09:00");
  assert.equal(inZone(INSTANT, "UTC"), "2026-11-20T03:15:42+00:00");
});

test("the wall clock crosses midnight with the zone", () => {
  const late = Date.parse("2026-11-20T20:30:00Z");
  assert.equal(wallClock(late, "Asia/Makassar"), "2026-11-21T04:30");
  assert.equal(inZone(late, "Asia/Kolkata"), "2026-11-21T02:00:00+05:30");
  assert.equal(inZone(late, "America/St_Johns"), "2026-11-20T17:00:00-03:30");
});

test("a typed wall-clock time takes the zone's offset at that time", () => {
  assert.equal(fromWallClock("2026-11-20T11:15", "Asia/Makassar"), "2026-11-20T11:15:00+08:00");
  assert.equal(fromWallClock("2026-11-20T11:15:07", "Asia/Jakarta"), "2026-11-20T11:15:07+07:00");
  // Summer time: the offset is the one in force on the typed day.
  assert.equal(fromWallClock("2026-07-01T09:00", "Europe/Amsterdam"), "2026-07-01T09:00:00+02:00");
  assert.equal(fromWallClock("2026-12-01T09:00", "Europe/Amsterdam"), "2026-12-01T09:00:00+01:00");
  assert.equal(fromWallClock("", "Asia/Makassar"), null);
});

test("an unknown or missing zone falls back to the phone's offset", () => {
  assert.equal(zoneOffsetMinutes("Not/AZone", INSTANT), null);
  assert.equal(zoneOffsetMinutes(null, INSTANT), null);
  // Still the same instant, spelled in whatever offset the phone has.
  assert.equal(Date.parse(inZone(INSTANT, "Not/AZone")), Math.floor(INSTANT / 1000) * 1000);
  assert.equal(Date.parse(fromWallClock(wallClock(INSTANT, null), null)), Date.parse("2026-11-20T03:15:00Z"));
});

test("a stored time reads as date, time and the zone's name", () => {
  assert.equal(shownTime("2026-11-20T11:15:42+08:00"), "2026-11-20 11:15 WITA");
  assert.equal(shownTime("2026-11-20T10:15:00+07:00"), "2026-11-20 10:15 WIB");
  assert.equal(shownTime("2026-11-20T12:15:00.250+09:00"), "2026-11-20 12:15 WIT");
  assert.equal(shownTime("2026-11-20T03:15:00Z"), "2026-11-20 03:15 UTC");
  assert.equal(shownTime("2026-11-20T08:45:00+05:30"), "2026-11-20 08:45 UTC+05:30");
  assert.equal(shownTime("yesterday"), "yesterday");
  assert.equal(shownTime(null), "");
});
