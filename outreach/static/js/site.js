/*
 * Small behaviours that pages ask for with data attributes, so that no page needs an inline
 * script or style (the Content-Security-Policy allows neither):
 *   data-accent="#rrggbb"   the element's accent colour (a category's), as the --accent property
 *   data-confirm="question" on a form: ask before sending it
 *   data-copy="input-id"    on a hidden button: show it, and copy that input's text when pressed
 *   data-print              on a button: print the page
 *   data-autosubmit         on a select: send its form when the choice changes
 */
(function () {
  "use strict";

  var COLOUR = /^#[0-9a-fA-F]{3,8}$/;

  function each(selector, callback) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), callback);
  }

  each("[data-accent]", function (element) {
    if (COLOUR.test(element.dataset.accent)) {
      element.style.setProperty("--accent", element.dataset.accent);
    }
  });

  each("form[data-confirm]", function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    });
  });

  each("button[data-copy]", function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var input = document.getElementById(button.dataset.copy);
      var done = function () { button.textContent = button.dataset.copied; };
      input.select();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, function () {});
      } else if (document.execCommand("copy")) {
        done();
      }
    });
  });

  each("button[data-print]", function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  each("select[data-autosubmit]", function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();
