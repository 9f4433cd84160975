/*
 * Check-in at the desk: read the resident's QR code with the phone's camera, or take a typed
 * code, and send it to the check-in endpoint; show the answer big, in green, orange or red.
 *
 * QR decoding: jsQR 1.4.0 (Apache-2.0), bundled as static/vendor/jsQR.js from the npm
 * package "jsqr"; its licence is static/vendor/jsQR.LICENSE. No CDN: the app serves both.
 */
(function () {
  "use strict";

  var form = document.getElementById("check-in");
  var result = document.getElementById("scan-result");
  var scanner = document.getElementById("scanner");
  if (!form || !result || !scanner) {
    return;
  }
  var video = document.getElementById("camera");
  var canvas = document.getElementById("frame");
  var startButton = document.getElementById("start-camera");
  var stopButton = document.getElementById("stop-camera");
  var cameraStatus = document.getElementById("camera-status");
  var codeInput = form.querySelector("input[name=code]");

  var REPEAT_AFTER_MS = 5000; // the same code held in view is sent again only after this
  var MAX_FRAME_WIDTH = 640; // smaller frames decode faster on old phones
  var busy = false;
  var lastCode = "";
  var lastAt = 0;
  var stream = null;

  function show(tone, message) {
    result.className = "scan-result " + tone;
    result.textContent = message;
  }

  function toneOf(answer) {
    if (answer.ok) {
      return "ok";
    }
    if (answer.already || answer.outcome === "waitlisted") {
      return "warn";
    }
    return "error";
  }

  // The page's CSRF token expires after a while (an hour by default) while the page stays
  // open at the desk: fetch the page again for a fresh one.
  function refreshToken() {
    return fetch(window.location.href, { credentials: "same-origin" })
      .then(function (response) {
        return response.text();
      })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.querySelector("#check-in input[name=csrf_token]");
        if (!fresh) {
          throw new Error("signed out");
        }
        form.querySelector("input[name=csrf_token]").value = fresh.value;
      });
  }

  function post(code, retried) {
    var body = new FormData(form);
    body.set("code", code);
    return fetch(form.action, {
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
          return post(code, true);
        });
      }
      throw new Error("not JSON: " + response.status);
    });
  }

  function send(code) {
    busy = true;
    return post(code, false)
      .then(function (answer) {
        show(toneOf(answer), answer.message);
        if (answer.ok && navigator.vibrate) {
          navigator.vibrate(150);
        }
      })
      .catch(function () {
        show("error", scanner.dataset.failed);
      })
      .then(function () {
        busy = false;
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var code = codeInput.value.trim();
    if (!code || busy) {
      return;
    }
    send(code).then(function () {
      codeInput.value = "";
      codeInput.focus();
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
        send(code);
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
