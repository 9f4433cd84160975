/* Shows a calendar of this site on another website: the script inserts, just after itself,
 * a frame of the page named by data-calendar (an address on this script's own site).
 *
 *   <script src="https://…/static/js/embed.js" data-calendar="https://…/embed/communities/…"
 *           data-title="…" data-width="100%" data-height="480" async></script>
 *
 * data-width and data-height: pixels ("480") or a percentage ("100%"); data-title names the
 * frame for screen readers.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.dataset.calendar) {
    return;
  }
  var address = new URL(script.dataset.calendar, script.src);
  if (address.origin !== new URL(script.src).origin) {
    return; // only this site's calendars
  }
  var size = /^\d{1,4}%?$/;
  var frame = document.createElement("iframe");
  frame.src = address.href;
  frame.title = script.dataset.title || document.title;
  frame.width = size.test(script.dataset.width || "") ? script.dataset.width : "100%";
  frame.height = size.test(script.dataset.height || "") ? script.dataset.height : "480";
  frame.loading = "lazy";
  script.parentNode.insertBefore(frame, script.nextSibling);
})();
