/*
 * The check-in desk's service worker, served from /staff/sessions/desk-sw.js so that its scope
 * covers the desk pages. It keeps the site's own styles, scripts and icons (no page, no
 * personal data), so an installed desk opens its files without the network; the session's
 * roster is in IndexedDB (static/js/desk-offline.js), and this worker forgets rosters whose
 * day has ended whenever it starts.
 */
"use strict";

var FILES = "desk-files-v1";
var DATABASE = "outreach-desk";

self.addEventListener("install", function () {
  self.skipWaiting();
});

function forgetPastDays() {
  return new Promise(function (resolve) {
    var opening = indexedDB.open(DATABASE, 1);
    opening.onupgradeneeded = function () {
      opening.result.createObjectStore("rosters", { keyPath: "session" });
      var queue = opening.result.createObjectStore("queue", { keyPath: "key" });
      queue.createIndex("session", "session");
    };
    opening.onerror = resolve;
    opening.onsuccess = function () {
      var db = opening.result;
      var rosters = db.transaction("rosters", "readwrite").objectStore("rosters");
      var all = rosters.getAll();
      all.onsuccess = function () {
        all.result.forEach(function (roster) {
          if (Date.parse(roster.expires) <= Date.now()) {
            rosters.delete(roster.session);
          }
        });
      };
      rosters.transaction.oncomplete = function () {
        db.close();
        resolve();
      };
      rosters.transaction.onerror = resolve;
    };
  });
}

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches
      .keys()
      .then(function (names) {
        return Promise.all(
          names
            .filter(function (name) {
              return name !== FILES;
            })
            .map(function (name) {
              return caches.delete(name);
            })
        );
      })
      .then(forgetPastDays)
      .then(function () {
        return self.clients.claim();
      })
  );
});

// A desk page asks for the files it uses and the desk without data to be kept.
self.addEventListener("message", function (event) {
  var files = (event.data && event.data.keep) || [];
  var mine = files.filter(function (file) {
    return new URL(file, self.location.href).origin === self.location.origin;
  });
  event.waitUntil(
    caches.open(FILES).then(function (kept) {
      return kept.addAll(mine);
    })
  );
});

var DESK_PAGE = /^(.*\/sessions\/)\d+\/roster$/;

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) {
    return;
  }
  var desk = DESK_PAGE.exec(url.pathname);
  if (request.mode === "navigate" && desk) {
    // A desk page from the network; without one, the desk kept without data.
    event.respondWith(
      fetch(request).catch(function () {
        return caches.match(desk[1] + "desk-offline", { ignoreVary: true }).then(function (kept) {
          return kept || Response.error();
        });
      })
    );
    return;
  }
  // The site's own files: from the network when it answers (kept for later), else as kept.
  if (url.pathname.indexOf("/static/") !== 0) {
    return;
  }
  event.respondWith(
    fetch(request)
      .then(function (response) {
        if (response.ok) {
          var copy = response.clone();
          caches.open(FILES).then(function (files) {
            // Addresses carry the file's version (?v=): forget the older ones of this file.
            return files
              .keys()
              .then(function (kept) {
                return Promise.all(
                  kept
                    .filter(function (each) {
                      var old = new URL(each.url);
                      return old.pathname === url.pathname && old.search !== url.search;
                    })
                    .map(function (each) {
                      return files.delete(each);
                    })
                );
              })
              .then(function () {
                return files.put(request, copy);
              });
          });
        }
        return response;
      })
      .catch(function () {
        return caches.match(request).then(function (kept) {
          return kept || Response.error();
        });
      })
  );
});
