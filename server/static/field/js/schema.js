// The device database's object stores and indexes, and the list's row of a report.
export const NAME = "patroli-field";

// What the report list shows of a report: "listing" holds it, so opening the
// app reads a few fields per report rather than every whole document.
export function listingRow(doc) {
  const review = doc.review || {};
  return {
    id: doc.id,
    title: doc.title,
    kind: doc.kind,
    occurred_at: doc.occurred_at,
    retracted: doc.retracted === true,
    review: { status: review.status || null, note: review.note || null },
  };
}

export function upgrade(db, oldVersion) {
  if (oldVersion < 1) {
    db.createObjectStore("device");
    db.createObjectStore("reports", { keyPath: "id" });
    db.createObjectStore("listing", { keyPath: "id" });
    const outbox = db.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
    outbox.createIndex("op_id", "op_id", { unique: true });
    outbox.createIndex("report_id", "report_id");
    const conflicts = db.createObjectStore("conflicts", { keyPath: "id" });
    conflicts.createIndex("report_id", "report_id");
    db.createObjectStore("blobs", { keyPath: "sha256" });
    db.createObjectStore("cache");
  }
}
