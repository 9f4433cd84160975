/*
 * The services keep a poster's schedule within the page by an estimate of its lines. Should an
 * estimate fall short (unusually long names), shrink the schedule's type a little rather than
 * let the page cut it off; printing lays out the same sheet.
 */
(function () {
  "use strict";

  var box = document.querySelector(".schedule");
  var table = box && box.querySelector("table");
  if (table) {
    var size = parseFloat(getComputedStyle(table).fontSize);
    while (box.scrollHeight > box.clientHeight + 1 && size > 12) {
      size -= 0.5;
      table.style.fontSize = size + "px";
    }
  }

  // On a screen narrower than the sheet and its margins (a phone), show the whole sheet
  // scaled down to the width instead of cut off at the side; printing ignores the scale
  // (poster.css) and lays the sheet out at full size.
  var sheet = document.querySelector(".sheet");
  function fitScreen() {
    if (!sheet) { return; }
    sheet.style.zoom = "";
    var page = sheet.offsetWidth * 210 / 186; // the sheet is A4 less its 12 mm margins
    var room = document.documentElement.clientWidth;
    if (room < page) { sheet.style.zoom = String(room / page); }
  }
  fitScreen();
  window.addEventListener("resize", fitScreen);
})();
