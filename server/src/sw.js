// Prospecta's service worker: keeps the app shell (page shell, wasm, js, css, icons) of one release so the
// app opens with no network. Online, everything comes from the network first, so a page and its wasm
// always belong to the same release; the cache is only the fallback. A new release has a new VERSION,
// installs its own cache and deletes the old one.
const VERSION = "__VERSION__";
const CACHE = "prospecta-" + VERSION;
// Every browser file of the release, including the code-split chunks of pages not visited yet.
const FILES = ["__FILES__"];
const SHELL = ["/app-shell", ...FILES, "/manifest.webmanifest", "/favicon.svg", "/icon-192.png", "/icon-512.png"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("prospecta-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  // Server functions and form posts always go to the network; the app queues them itself when offline.
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.mode === "navigate") {
    event.respondWith(fetch(req).catch(() => caches.open(CACHE).then((c) => c.match("/app-shell"))));
  } else if (SHELL.includes(url.pathname)) {
    event.respondWith(fetch(req).catch(() => caches.open(CACHE).then((c) => c.match(url.pathname))));
  }
});
