// Resumable attachment uploads as DESIGN's blob protocol says: HEAD to skip
// what the server has (or learn the committed offset of a partial upload),
// then PUT chunks with Content-Range from that offset.
import { ProblemError, problem } from "./transport.js";

export const CHUNK_BYTES = 256 * 1024;

export async function sha256Hex(buffer) {
  const digest = await crypto.subtle.digest("SHA-256", buffer);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export async function upload(transport, blob, progress = () => {}) {
  const url = `/api/v1/blobs/${blob.sha256}`;
  const head = await transport.fetch(url, { method: "HEAD", headers: transport.headers() });
  if (head.status === 200) return 0;
  if (head.status !== 404) throw await problem(head);
  let offset = Number(head.headers.get("Upload-Offset") || 0);
  let sent = 0;
  const total = blob.data.size;
  while (offset < total) {
    const end = Math.min(total, offset + CHUNK_BYTES);
    const resp = await transport.fetch(url, {
      method: "PUT",
      headers: transport.headers({ "Content-Type": blob.mime, "Content-Range": `bytes ${offset}-${end - 1}/${total}` }),
      body: blob.data.slice(offset, end),
    });
    if (resp.status === 409 && resp.headers.get("Upload-Offset") !== null) {
      offset = Number(resp.headers.get("Upload-Offset"));
      continue;
    }
    if (!resp.ok) throw await problem(resp);
    sent += end - offset;
    offset = resp.status === 202 ? Number(resp.headers.get("Upload-Offset") ?? end) : total;
    progress(offset, total);
  }
  return sent;
}

export { ProblemError };
