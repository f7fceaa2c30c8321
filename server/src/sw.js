// Prospecta's service worker: keeps the app shell (page shell, wasm, js, css, icons) of one release so the
// app opens with no network. A new release has a new VERSION, installs its own cache and deletes the old one.
const VERSION = "__VERSION__";
const CACHE = "prospecta-" + VERSION;
// The files every page needs, kept at install (the page has just loaded them: they come from the HTTP cache).
const CORE = ["__CORE__"];
// The chunks of pages not visited yet and of the offline engine: kept once a page says it is idle, so
// they never compete with the page's own loading.
const LATER = ["__LATER__"];
// Hashed names never change content: such a file is served from the cache first, without asking.
const HASHED = __HASHED__;
const SHELL = ["/app-shell", ...CORE, "/manifest.webmanifest", "/favicon.svg", "/icon-192.png", "/icon-512.png"];
const PACKAGE = new Set([...CORE, ...LATER]);

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("prospecta-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()));
});

// "idle" from a page: fetch what is missing, a few at a time.
self.addEventListener("message", (event) => {
  if (event.data !== "idle") return;
  event.waitUntil(caches.open(CACHE).then(async (c) => {
    const missing = [];
    for (const f of LATER) if (!(await c.match(f))) missing.push(f);
    for (let i = 0; i < missing.length; i += 6) {
      await Promise.all(missing.slice(i, i + 6).map((f) => c.add(f).catch(() => {})));
    }
  }));
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  // Server functions and form posts always go to the network; the app queues them itself when offline.
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  const fromCache = () => caches.open(CACHE).then((c) => c.match(req.mode === "navigate" ? "/app-shell" : url.pathname));
  if (req.mode === "navigate") {
    event.respondWith(fetch(req).catch(fromCache));
  } else if (HASHED && PACKAGE.has(url.pathname)) {
    event.respondWith(fromCache().then((hit) => hit || fetch(req)));
  } else if (SHELL.includes(url.pathname) || PACKAGE.has(url.pathname)) {
    // Online, a page and its files come from the network, so they always belong to the same release.
    event.respondWith(fetch(req).catch(fromCache));
  }
});
