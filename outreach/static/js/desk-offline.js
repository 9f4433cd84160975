/*
 * The desk without network. While online, the session's roster for the day (codes, masked
 * names, party, slot, who has arrived: never a phone number or a full name) is kept in
 * IndexedDB. When a check-in cannot be sent (static/checkin.js asks window.deskOffline), the
 * code is checked in here, on the device: the card says it waits to be sent, and a counter
 * shows how many do. When the network returns (the "online" event, or a retry every little
 * while) they go to the server in one batch, each with its own key (a UUID) and the time it was
 * made, so a batch sent twice counts once; what the server could not do comes back as a list of
 * conflicts for the checker. The roster is forgotten when the session's local day ends, and
 * on signing out (the sign-out answer clears the site's storage).
 */
(function () {
  "use strict";

  var box = document.getElementById("desk-offline");
  if (!box || !window.indexedDB) {
    return;
  }
  var text = box.dataset;
  var session = Number(text.session);
  var rosterUrl = text.roster;
  if (!session) {
    // The desk the service worker keeps (no session in it): the session is in the address.
    var found = /^(.*\/sessions\/)(\d+)\//.exec(window.location.pathname);
    if (!found) {
      return;
    }
    session = Number(found[2]);
    rosterUrl = found[1] + session + "/desk.json";
    ["check-in", "desk-confirm"].forEach(function (id) {
      var each = document.getElementById(id);
      if (each) {
        each.action = found[1] + session + "/check-in";
      }
    });
  }
  var pendingLine = document.getElementById("desk-pending");
  var offlineLine = document.getElementById("desk-offline-note");
  var conflictBox = document.getElementById("desk-conflicts");
  var conflictList = conflictBox.querySelector("ul");
  var RETRY_MS = 15000;
  var BATCH = 200; // check-ins sent at once (the server takes up to 500)
  var DATABASE = "outreach-desk";
  var syncing = false;
  var more = false;
  var csrfToken = "";
  var syncUrl = "";

  function request(operation) {
    return new Promise(function (resolve, reject) {
      operation.onsuccess = function () {
        resolve(operation.result);
      };
      operation.onerror = function () {
        reject(operation.error);
      };
    });
  }

  var opened = null;
  function database() {
    if (!opened) {
      var opening = indexedDB.open(DATABASE, 1);
      opening.onupgradeneeded = function () {
        opening.result.createObjectStore("rosters", { keyPath: "session" });
        var queue = opening.result.createObjectStore("queue", { keyPath: "key" });
        queue.createIndex("session", "session");
      };
      opened = request(opening);
    }
    return opened;
  }

  function store(name, mode) {
    return database().then(function (db) {
      return db.transaction(name, mode).objectStore(name);
    });
  }

  function getRoster() {
    return store("rosters", "readonly")
      .then(function (rosters) {
        return request(rosters.get(session));
      })
      .then(function (roster) {
        return roster && Date.parse(roster.expires) > Date.now() ? roster : null;
      });
  }

  function putRoster(roster) {
    return store("rosters", "readwrite").then(function (rosters) {
      return request(rosters.put(roster));
    });
  }

  function forgetRoster() {
    return store("rosters", "readwrite").then(function (rosters) {
      return request(rosters.delete(session));
    });
  }

  function queued() {
    return store("queue", "readonly").then(function (queue) {
      return request(queue.index("session").getAll(session));
    });
  }

  function forget(keys) {
    return store("queue", "readwrite").then(function (queue) {
      return Promise.all(
        keys.map(function (key) {
          return request(queue.delete(key));
        })
      );
    });
  }

  // Rosters of days that have ended are forgotten, whichever session they were of.
  function forgetPastDays() {
    return store("rosters", "readwrite").then(function (rosters) {
      return request(rosters.getAll()).then(function (all) {
        all.forEach(function (roster) {
          if (Date.parse(roster.expires) <= Date.now()) {
            rosters.delete(roster.session);
          }
        });
      });
    });
  }

  function uuid() {
    if (window.crypto.randomUUID) {
      return window.crypto.randomUUID();
    }
    var bytes = window.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) {
      return (b + 0x100).toString(16).slice(1);
    });
    return [0, 4, 6, 8, 10]
      .map(function (start, i, starts) {
        return hex.slice(start, starts[i + 1] || 16).join("");
      })
      .join("-");
  }

  function two(number) {
    return (number < 10 ? "0" : "") + number;
  }

  // The device's local time with its offset, "2026-12-05T09:41:07+08:00".
  function localIso(date) {
    var offset = -date.getTimezoneOffset();
    var sign = offset >= 0 ? "+" : "-";
    offset = Math.abs(offset);
    return (
      date.getFullYear() + "-" + two(date.getMonth() + 1) + "-" + two(date.getDate()) +
      "T" + two(date.getHours()) + ":" + two(date.getMinutes()) + ":" + two(date.getSeconds()) +
      sign + two(Math.floor(offset / 60)) + ":" + two(offset % 60)
    );
  }

  function fill(template, values) {
    return template.replace(/%\((\w+)\)d|%\((\w+)\)s/g, function (all, number, word) {
      return String(values[number || word]);
    });
  }

  function showPending(count) {
    pendingLine.hidden = count === 0;
    pendingLine.textContent = fill(count === 1 ? text.pendingOne : text.pendingMany, {
      num: count,
    });
  }

  function countPending() {
    return queued().then(function (items) {
      showPending(items.length);
      return items;
    });
  }

  function showOffline() {
    offlineLine.hidden = navigator.onLine;
  }

  function refreshRoster() {
    return fetch(rosterUrl, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (response.ok && type.indexOf("application/json") === -1) {
          // Signed out (the sign-in page answered): the list is not kept any longer.
          return forgetRoster().then(function () {
            throw new Error("signed out");
          });
        }
        if (!response.ok) {
          throw new Error("no roster: " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        var rows = {};
        data.registrations.forEach(function (row) {
          rows[row.code] = row;
        });
        csrfToken = data.csrf_token;
        syncUrl = data.sync_url;
        // The token stays in memory only: the device keeps codes and masked names.
        return putRoster({
          session: data.session,
          day: data.day,
          starts: data.starts,
          expires: data.expires,
          rows: rows,
        }).then(function () {
          box.dataset.kept = data.day; // the day whose list is kept
        });
      });
  }

  function facts(row) {
    var list = [
      { label: text.nameLabel, value: row.name || row.code },
      {
        label: text.arrivedLabel,
        value: fill(text.arrived, { arrived: row.arrived, party: row.party }),
      },
    ];
    if (row.slot) {
      list.push({ label: text.slotLabel, value: row.slot });
    }
    return list;
  }

  function card(tone, title, message, row) {
    return {
      ok: tone === "ok",
      card: {
        tone: tone,
        title: title,
        message: message,
        facts: row ? facts(row) : [],
        undo: null,
        confirm: null,
        quiet: false,
      },
    };
  }

  // A check-in made on the device: the answer checkin.js shows in the desk's card.
  function checkIn(body) {
    var code = String(body.get("code") || "").replace(/\s+/g, "").toUpperCase();
    var people = parseInt(body.get("people"), 10) || null;
    return getRoster().then(function (roster) {
      if (!roster) {
        return card("error", text.failedTitle, text.noRoster);
      }
      if (Date.parse(roster.starts) > Date.now()) {
        return card("warn", text.notTodayTitle, text.notToday);
      }
      var row = roster.rows[code];
      if (!row) {
        return card("error", text.failedTitle, text.unknown);
      }
      if (row.status === "cancelled") {
        return card("error", text.failedTitle, text.cancelled, row);
      }
      if (row.status === "waitlisted") {
        return card("warn", text.failedTitle, text.waitlisted, row);
      }
      var left = row.party - row.arrived;
      if (left <= 0) {
        return card("warn", text.alreadyTitle, fill(text.already, { time: row.checked_in_clock }), row);
      }
      var adding = Math.min(people || left, left);
      var now = new Date();
      row.arrived += adding;
      if (!row.checked_in_at) {
        row.checked_in_at = localIso(now);
        row.checked_in_clock = two(now.getHours()) + ":" + two(now.getMinutes());
      }
      var item = {
        key: uuid(),
        session: session,
        code: code,
        people: people ? adding : null,
        at: localIso(now),
      };
      return putRoster(roster)
        .then(function () {
          return store("queue", "readwrite");
        })
        .then(function (queue) {
          return request(queue.add(item));
        })
        .then(countPending)
        .then(function () {
          return card("ok", text.savedTitle, text.saved, row);
        });
    });
  }

  function showConflicts(results) {
    results
      .filter(function (result) {
        return result.conflict;
      })
      .forEach(function (result) {
        var line = document.createElement("li");
        line.textContent = [result.code, result.name, result.message]
          .filter(Boolean)
          .join(" · ");
        conflictList.appendChild(line);
      });
    conflictBox.hidden = conflictList.children.length === 0;
  }

  function post(items, retried) {
    return fetch(syncUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        Accept: "application/json",
        "Content-Type": "application/json",
        "X-CSRFToken": csrfToken,
      },
      body: JSON.stringify({
        items: items.map(function (item) {
          return { key: item.key, code: item.code, people: item.people, at: item.at };
        }),
      }),
    }).then(function (response) {
      if (response.status === 400 && !retried) {
        // The token expired while the desk was offline: a fresh one comes with the roster.
        return refreshRoster().then(function () {
          return post(items, true);
        });
      }
      if (!response.ok) {
        throw new Error("not sent: " + response.status);
      }
      return response.json();
    });
  }

  // Send what waits, in one batch; then take the server's roster as it is now.
  function sync() {
    if (syncing || !navigator.onLine) {
      return Promise.resolve();
    }
    syncing = true;
    more = false;
    return queued()
      .then(function (items) {
        if (!items.length) {
          return refreshRoster();
        }
        var ready = syncUrl ? Promise.resolve() : refreshRoster();
        return ready
          .then(function () {
            return post(items.slice(0, BATCH), false);
          })
          .then(function (answer) {
            more = items.length > BATCH; // sent: the rest go next, at once
            showConflicts(answer.results);
            return forget(
              answer.results.map(function (result) {
                return result.key;
              })
            );
          })
          .then(refreshRoster);
      })
      .catch(function () {
        // Not now: the next "online" event or retry sends it.
      })
      .then(function () {
        syncing = false;
        showOffline();
        return countPending();
      })
      .then(function (left) {
        if (more && left.length && navigator.onLine) {
          return sync();
        }
      });
  }

  window.deskOffline = { checkIn: checkIn, sync: sync };

  window.addEventListener("online", function () {
    showOffline();
    sync();
  });
  window.addEventListener("offline", showOffline);
  window.setInterval(sync, RETRY_MS);
  box.hidden = false;
  showOffline();
  forgetPastDays().then(countPending).then(sync);

  if ("serviceWorker" in navigator && text.worker) {
    navigator.serviceWorker
      .register(text.worker, { scope: text.scope })
      .then(function () {
        return navigator.serviceWorker.ready;
      })
      .then(function (registration) {
        // The worker keeps the desk without data and the files this page uses, for the day
        // the page cannot be loaded.
        var files = [text.shell];
        document.querySelectorAll("link[rel=stylesheet], script[src]").forEach(function (each) {
          files.push(each.href || each.src);
        });
        registration.active.postMessage({ keep: files });
      })
      .catch(function () {
        // Without it the open page still works offline; only reopening it needs the network.
      });
  }
})();
