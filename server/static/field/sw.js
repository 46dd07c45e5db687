// The field app's service worker: precache the app shell so the app opens
// with no network, one cache per shell version. The server stamps VERSION
// and SHELL (server/web/field.py) from the shell files' contents.
const VERSION = "__SHELL_VERSION__";
const SHELL = ["__SHELL_URLS__"];
const CACHE = `patroli-field-${VERSION}`;

self.addEventListener("install", (event) => {
  // cache: "reload" skips the HTTP cache, so the new version is what is stored.
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(SHELL.map((url) => new Request(url, { cache: "reload" })))),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("patroli-field-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

// The page asks for this when the officer taps "update".
self.addEventListener("message", (event) => {
  if (event.data === "skip-waiting") self.skipWaiting();
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (!url.pathname.startsWith("/field/")) return; // the API always goes to the network
  const key = url.pathname === "/field/index.html" ? "/field/" : url.pathname;
  event.respondWith(
    caches.open(CACHE).then((cache) => cache.match(key).then((hit) => hit || fetch(event.request))),
  );
});
