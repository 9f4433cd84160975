/*
 * Check-in at the desk: read the resident's QR code with the phone's camera, or take a typed
 * code, and send it to the check-in endpoint; show the answer in the desk's card, big, in green,
 * orange or red, with a second tap for another day and an undo. Without this script the same
 * forms post and the page comes back with the card.
 *
 * QR decoding: jsQR 1.4.0 (Apache-2.0), bundled as static/vendor/jsQR.js from the npm
 * package "jsqr"; its licence is static/vendor/jsQR.LICENSE. No CDN: the app serves both.
 */
(function () {
  "use strict";

  var form = document.getElementById("check-in");
  var card = document.getElementById("desk-card");
  var result = document.getElementById("scan-result");
  var scanner = document.getElementById("scanner");
  if (!form || !card || !result || !scanner) {
    return;
  }
  var confirmForm = document.getElementById("desk-confirm");
  var undoForm = document.getElementById("desk-undo");
  var video = document.getElementById("camera");
  var canvas = document.getElementById("frame");
  var startButton = document.getElementById("start-camera");
  var stopButton = document.getElementById("stop-camera");
  var cameraStatus = document.getElementById("camera-status");
  var codeInput = form.querySelector("input[name=code]");
  var peopleInput = form.querySelector("input[name=people]");

  var REPEAT_AFTER_MS = 5000; // the same code held in view is sent again only after this
  var MAX_FRAME_WIDTH = 640; // smaller frames decode faster on old phones
  var busy = false;
  var lastCode = "";
  var lastAt = 0;
  var stream = null;

  function paragraph(className, text) {
    var element = document.createElement("p");
    element.className = className;
    element.textContent = text;
    return element;
  }

  // The card as the server renders it (templates/staff/roster/_macros.html), from its JSON.
  function show(answer) {
    card.className = "desk-card " + answer.tone;
    var facts = document.createElement("dl");
    facts.className = "desk-facts";
    (answer.facts || []).forEach(function (fact) {
      var row = document.createElement("div");
      var term = document.createElement("dt");
      var value = document.createElement("dd");
      term.textContent = fact.label;
      value.textContent = fact.value;
      row.appendChild(term);
      row.appendChild(value);
      facts.appendChild(row);
    });
    // When the facts say it all to the eye, the message is for screen readers (card.quiet).
    var hidden = answer.quiet ? " visually-hidden" : "";
    result.replaceChildren(
      paragraph("desk-title", answer.title),
      paragraph("desk-message" + hidden, answer.message),
      facts
    );
    confirmForm.hidden = !answer.confirm;
    if (answer.confirm) {
      confirmForm.querySelector("[name=code]").value = answer.confirm.code;
      confirmForm.querySelector("[name=people]").value = answer.confirm.people;
    }
    undoForm.hidden = !answer.undo;
    if (answer.undo) {
      undoForm.action = answer.undo.url;
      undoForm.querySelector("[name=people]").value = answer.undo.people;
      undoForm.querySelector("[name=people]").max = answer.undo.people;
    }
  }

  function failed() {
    show({ tone: "error", title: scanner.dataset.failedTitle, message: scanner.dataset.failed });
  }

  // The page's CSRF token expires after a while (an hour by default) while the page stays
  // open at the desk: fetch the page again for a fresh one.
  function refreshToken() {
    return fetch(window.location.pathname, { credentials: "same-origin" })
      .then(function (response) {
        return response.text();
      })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.querySelector("#check-in input[name=csrf_token]");
        if (!fresh) {
          throw new Error("signed out");
        }
        [form, confirmForm, undoForm].forEach(function (each) {
          each.querySelector("input[name=csrf_token]").value = fresh.value;
        });
      });
  }

  function post(target, body, retried) {
    return fetch(target.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") !== -1) {
        return response.json();
      }
      if (response.status === 400 && !retried) {
        return refreshToken().then(function () {
          body.set("csrf_token", target.querySelector("input[name=csrf_token]").value);
          return post(target, body, true);
        });
      }
      throw new Error("not JSON: " + response.status);
    });
  }

  function send(target, body) {
    busy = true;
    return post(target, body, false)
      .then(function (answer) {
        show(answer.card);
        if (answer.ok && navigator.vibrate) {
          navigator.vibrate(150);
        }
        return answer;
      })
      .catch(function () {
        failed();
      })
      .then(function (answer) {
        busy = false;
        return answer;
      });
  }

  function sendCode(code) {
    var body = new FormData(form);
    body.set("code", code);
    return send(form, body);
  }

  // The next code is typed into the same field: the answer stays in view beside it.
  // A code that found no one stays selected, to be corrected or typed over.
  function ready(answer) {
    codeInput.focus({ preventScroll: true });
    if (answer && answer.card.facts.length) {
      codeInput.value = "";
      peopleInput.value = "";
    } else {
      codeInput.select();
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var code = codeInput.value.trim();
    if (!code || busy) {
      return;
    }
    sendCode(code).then(ready);
  });

  [confirmForm, undoForm].forEach(function (action) {
    action.addEventListener("submit", function (event) {
      event.preventDefault();
      if (busy) {
        return;
      }
      send(action, new FormData(action)).then(function () {
        codeInput.focus({ preventScroll: true });
      });
    });
  });

  function scanFrame() {
    if (!stream) {
      return;
    }
    if (!busy && video.readyState === video.HAVE_ENOUGH_DATA) {
      var scale = Math.min(1, MAX_FRAME_WIDTH / video.videoWidth);
      var width = Math.floor(video.videoWidth * scale);
      var height = Math.floor(video.videoHeight * scale);
      canvas.width = width;
      canvas.height = height;
      var context = canvas.getContext("2d", { willReadFrequently: true });
      context.drawImage(video, 0, 0, width, height);
      var image = context.getImageData(0, 0, width, height);
      var found = window.jsQR(image.data, width, height, { inversionAttempts: "dontInvert" });
      var code = found && found.data ? found.data.trim() : "";
      var now = Date.now();
      if (code && (code !== lastCode || now - lastAt > REPEAT_AFTER_MS)) {
        lastCode = code;
        lastAt = now;
        sendCode(code);
      }
    }
    window.requestAnimationFrame(scanFrame);
  }

  function stopCamera() {
    if (stream) {
      stream.getTracks().forEach(function (track) {
        track.stop();
      });
    }
    stream = null;
    video.hidden = true;
    stopButton.hidden = true;
    startButton.hidden = false;
    cameraStatus.textContent = "";
  }

  function startCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.jsQR) {
      cameraStatus.textContent = scanner.dataset.noCamera;
      return;
    }
    cameraStatus.textContent = scanner.dataset.starting;
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        video.hidden = false;
        startButton.hidden = true;
        stopButton.hidden = false;
        cameraStatus.textContent = scanner.dataset.scanning;
        return video.play();
      })
      .then(function () {
        window.requestAnimationFrame(scanFrame);
      })
      .catch(function () {
        stopCamera();
        cameraStatus.textContent = scanner.dataset.denied;
      });
  }

  startButton.addEventListener("click", startCamera);
  stopButton.addEventListener("click", stopCamera);
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    cameraStatus.textContent = scanner.dataset.noCamera;
  }
})();
