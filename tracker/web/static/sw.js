/* The service worker: keeps the app shell (scripts, styles, the offline form page without
   user data) so the forms open without a network. Pages themselves stay no-store: a page
   that cannot be fetched is answered with the offline form page. No Background Sync: the
   page sends its queue itself (offline.js). */
"use strict";

const CACHE = "tracker-shell-v1";
const SHELL = "/uten-nett";
const ASSETS = [
  SHELL,
  "/static/app.css",
  "/static/offline.js",
  "/static/favicon.svg",
  "/manifest.webmanifest",
];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(ASSETS)).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim())
  );
});

function isAsset(url) {
  return url.origin === self.location.origin && ASSETS.includes(url.pathname);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    // The page from the network; without one, the offline forms (never a cached page).
    event.respondWith(
      fetch(request).catch(() =>
        caches.open(CACHE).then((cache) => cache.match(SHELL))
          .then((shell) => shell || Response.error())
      )
    );
    return;
  }
  if (request.method === "GET" && isAsset(url)) {
    // Network first so a new version is picked up; the cached copy when offline.
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok) {
            const copy = response.clone();
            caches.open(CACHE).then((cache) => cache.put(url.pathname, copy));
          }
          return response;
        })
        .catch(() => caches.open(CACHE).then((cache) => cache.match(url.pathname))
          .then((hit) => hit || Response.error()))
    );
  }
  // Everything else (the API, the JSON data) goes to the network untouched.
});
