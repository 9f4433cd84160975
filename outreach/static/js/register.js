/*
 * The registration forms of the event page (registrations/_form.html):
 *   [data-error-summary]  a failed submit's summary: focus moves to it, and its links move
 *                         focus to the field they name
 *   form[data-page-url]   a form shown again with its errors: the page's history entry takes
 *                         the event page's address instead of the POST's, so going Back or
 *                         Forward to it loads the event page (no "Confirm Form Resubmission")
 *   form[data-register]   slots (radio buttons, data-left) that cannot hold the party are
 *                         disabled while the party does not fit, unless the resident chose
 *                         to wait; a chosen one that no longer fits is unchosen
 *   #session-N            a listing card's link to one session opens that session's folded
 *                         form, so the resident need not find and tap "Register" first
 *   form [autofocus]      the code field after "Send code": browsers skip autofocus when the
 *                         address has a fragment (#session-N), so focus is moved here
 */
(function () {
  "use strict";

  function each(root, selector, callback) {
    Array.prototype.forEach.call(root.querySelectorAll(selector), callback);
  }

  function openLinkedForm() {
    var id = window.location.hash.slice(1);
    var target = id && /^session-\d+$/.test(id) && document.getElementById(id);
    var form = target && target.querySelector("details.register");
    if (form) { form.open = true; }
  }
  openLinkedForm();
  window.addEventListener("hashchange", openLinkedForm);

  var failed = document.querySelector("form[data-page-url]");
  if (failed && window.history && window.history.replaceState) {
    window.history.replaceState(null, "", failed.getAttribute("data-page-url"));
  }

  var wanted = document.querySelector("form[data-register] [autofocus]");
  if (wanted) {
    var ready = function () {
      wanted.focus({ preventScroll: true });
      wanted.scrollIntoView({ block: "center" });
    };
    ready();
    // Again after the page has loaded: going to the #session-N fragment takes focus away.
    window.addEventListener("load", function () { window.setTimeout(ready, 0); });
  }

  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    // After the page has loaded: going to the form's #session-N fragment would take the
    // focus away again.
    var show = function () {
      summary.focus({ preventScroll: true });
      summary.scrollIntoView({ block: "start" });
    };
    show();
    window.addEventListener("load", function () { window.setTimeout(show, 0); });
    each(summary, "a[href^='#']", function (link) {
      link.addEventListener("click", function (event) {
        var target = document.getElementById(link.getAttribute("href").slice(1));
        if (!target) { return; }
        event.preventDefault();
        // A slot's radio buttons: their fieldset, legend first.
        var label = document.querySelector("label[for='" + target.id + "']") ||
          (target.type === "radio" && target.closest(".slot-choices")) || target;
        label.scrollIntoView({ block: "start" });
        target.focus({ preventScroll: true });
      });
    });
  }

  each(document, "form[data-register]", function (form) {
    var party = form.querySelector("input[name$='-party_size']");
    var slots = form.querySelectorAll("input[type='radio'][data-left]");
    if (!party || !slots.length) { return; }
    var wait = form.querySelector("input[name$='-waitlist']");

    function waiting() {
      if (!wait) { return false; }
      return wait.type === "hidden" ? wait.value === "y" : wait.checked;
    }

    function update(initial) {
      var size = parseInt(party.value, 10);
      if (!(size >= 1)) { size = 1; }
      var open = waiting();
      Array.prototype.forEach.call(slots, function (radio) {
        // A choice sent back with an error stays as it was: the message explains it.
        if (initial && radio.checked) { return; }
        var tooSmall = parseInt(radio.dataset.left, 10) < size;
        radio.disabled = tooSmall && !open;
        // A chosen slot now too small for the party is chosen no more.
        if (radio.disabled && radio.checked) { radio.checked = false; }
      });
    }

    party.addEventListener("input", function () { update(false); });
    if (wait && wait.type !== "hidden") {
      wait.addEventListener("change", function () { update(false); });
    }
    update(true);
  });
})();
