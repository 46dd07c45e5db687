// HTTP to the Patroli server that served the app: timeouts, retries with
// backoff and full jitter for transient failures, gzip bodies, problems.
const PREFIX = "urn:patroli:problem:";
const GZIP_MIN_BYTES = 1024;

export class TransportError extends Error {}

export class ProblemError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    const type = String(problem.type || "");
    this.slug = type.startsWith(PREFIX) ? type.slice(PREFIX.length) : "";
  }
}

async function gzip(text) {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export class Transport {
  constructor({ token = null, attempts = 4, timeoutMs = 30000, backoffMs = 500, capMs = 8000 } = {}) {
    this.token = token;
    this.attempts = attempts;
    this.timeoutMs = timeoutMs;
    this.backoffMs = backoffMs;
    this.capMs = capMs;
    this.sent = 0;
  }

  headers(extra = {}) {
    const h = { Accept: "application/json", ...extra };
    if (this.token) h.Authorization = `Bearer ${this.token}`;
    return h;
  }

  async delay(attempt) {
    // Full jitter: phones that lost the link together do not all come back at once.
    const ms = Math.random() * Math.min(this.capMs, this.backoffMs * 2 ** attempt);
    await new Promise((resolve) => setTimeout(resolve, ms));
  }

  // A raw fetch with a timeout; network trouble becomes TransportError.
  async fetch(path, init = {}) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    try {
      return await fetch(path, { ...init, signal: controller.signal, cache: "no-store" });
    } catch (err) {
      throw new TransportError(String(err && err.message ? err.message : err));
    } finally {
      clearTimeout(timer);
    }
  }

  async request(method, path, body = undefined) {
    const init = { method, headers: this.headers() };
    if (body !== undefined) {
      const text = JSON.stringify(body);
      init.headers["Content-Type"] = "application/json";
      if (text.length >= GZIP_MIN_BYTES && typeof CompressionStream !== "undefined") {
        init.body = await gzip(text);
        init.headers["Content-Encoding"] = "gzip";
      } else {
        init.body = text;
      }
      this.sent += init.body.length;
    }
    let failure = "";
    for (let attempt = 0; attempt < this.attempts; attempt++) {
      try {
        const resp = await this.fetch(path, init);
        if (resp.ok) return await resp.json();
        if (resp.status !== 429 && resp.status < 500) throw await problem(resp);
        failure = `HTTP ${resp.status}`;
      } catch (err) {
        if (err instanceof ProblemError) throw err;
        failure = err.message; // a lost answer: resending is safe, ops carry their op_id
      }
      if (attempt + 1 < this.attempts) await this.delay(attempt);
    }
    throw new TransportError(failure);
  }
}

export async function problem(resp) {
  let body;
  try {
    body = await resp.json();
  } catch {
    body = { title: `HTTP ${resp.status}` };
  }
  return new ProblemError(resp.status, body && typeof body === "object" ? body : { title: `HTTP ${resp.status}` });
}
