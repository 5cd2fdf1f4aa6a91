// Keeps the page's files so it opens with no network; API calls always go to the network.
// Intake fills in VERSION (a hash of the files) and SHELL when it serves this script, so any
// change to a file installs a new worker with a fresh copy of all of them. A plain script:
// the module worker (sw.js) imports it, and the classic fallback (sw-classic.js) loads it with
// importScripts where browsers have no module workers.
const VERSION = "__VERSION__";
const SHELL = ["__SHELL__"];
const CACHE = "xiaoan-mobile-" + VERSION;
const CONFIG = "/m/config.json";

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll(SHELL.map((url) => new Request(url, { cache: "no-cache" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names
        .filter((name) => name.startsWith("xiaoan-mobile-") && name !== CACHE)
        .map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

// The cached copy a request is answered from: every page (/m/, /q/<token>) is the same page.
function shellUrl(request) {
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return null;
  if (request.mode === "navigate") {
    return url.pathname === "/m/" || url.pathname.startsWith("/q/") ? "/m/" : null;
  }
  return SHELL.includes(url.pathname) ? url.pathname : null;
}

async function fromCache(url) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(url);
  if (url === CONFIG) {
    // The config follows intake's settings, not the files: refresh it behind the cached copy.
    const fresh = fetch(url, { cache: "no-cache" }).then((response) => {
      if (response.ok) cache.put(url, response.clone());
      return response;
    });
    if (cached) {
      fresh.catch(() => {});
      return cached;
    }
    return fresh;
  }
  return cached || fetch(url);
}

self.addEventListener("fetch", (event) => {
  const url = shellUrl(event.request);
  if (url) event.respondWith(fromCache(url));
});
