/*
 * The services keep a poster's schedule within the page by an estimate of its lines. Should an
 * estimate fall short (unusually long names), shrink the schedule's type a little rather than
 * let the page cut it off; printing lays out the same sheet.
 */
(function () {
  "use strict";

  var box = document.querySelector(".schedule");
  var table = box && box.querySelector("table");
  if (!table) {
    return;
  }
  var size = parseFloat(getComputedStyle(table).fontSize);
  while (box.scrollHeight > box.clientHeight + 1 && size > 12) {
    size -= 0.5;
    table.style.fontSize = size + "px";
  }
})();
