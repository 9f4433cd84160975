/*
 * Read aloud (朗读): the read_aloud macro (templates/macros.html) puts a hidden button
 *   <button data-read-aloud="element-id" data-stop-label="Stop reading" hidden>Read aloud</button>
 * on a page. Where the browser has speech synthesis this script shows it; pressing it reads
 * the element's visible text with the browser's own voices, one utterance per block, each in
 * the language its text is marked with (the page's unless a part carries its own lang), and
 * pressing it again stops. Controls, forms, folded boxes and QR codes are not read; a
 * confirmation code is read character by character.
 */
(function () {
  "use strict";

  var synth = window.speechSynthesis;
  var Utterance = window.SpeechSynthesisUtterance;
  var buttons = document.querySelectorAll("button[data-read-aloud]");
  if (!buttons.length || !synth || typeof Utterance !== "function") {
    return;
  }

  var SKIP = "button, form, details, select, input, textarea, nav, svg, script, style, template, " +
    ".button, .crumbs, .subscribe, .qr, .poster-link, [hidden], [aria-hidden='true']";
  var SPELL = ".code-text";
  var INLINE = /^inline/;

  function languageOf(element) {
    var marked = element.closest("[lang]");
    return (marked && marked.getAttribute("lang")) || document.documentElement.lang || "zh-CN";
  }

  // The element's text as [{lang, text}] parts: a new part at each block and each change of
  // language, so the voice pauses between lines and switches language where the page does.
  function parts(root) {
    var found = [];
    var broken = true;

    function add(text, lang) {
      text = text.replace(/\s+/g, " ").trim();
      if (!text) {
        return;
      }
      var last = found[found.length - 1];
      if (!broken && last && last.lang === lang) {
        last.text += " " + text;
      } else {
        found.push({ lang: lang, text: text });
      }
      broken = false;
    }

    function walk(node) {
      if (node.nodeType === Node.TEXT_NODE) {
        add(node.nodeValue, languageOf(node.parentElement));
        return;
      }
      if (node.nodeType !== Node.ELEMENT_NODE || node.matches(SKIP)) {
        return;
      }
      var style = window.getComputedStyle(node);
      if (style.display === "none" || style.visibility === "hidden") {
        return;
      }
      var block = !INLINE.test(style.display);
      if (block) {
        broken = true;
      }
      if (node.matches(SPELL)) {
        add(node.textContent.replace(/\s+/g, "").split("").join(" "), languageOf(node));
      } else {
        Array.prototype.forEach.call(node.childNodes, walk);
      }
      if (block) {
        broken = true;
      }
    }

    walk(root);
    return found;
  }

  var reading = 0; // which reading is under way; an earlier one's end must not reset the label

  function reset(button) {
    button.textContent = button.dataset.label;
    delete button.dataset.reading;
  }

  Array.prototype.forEach.call(buttons, function (button) {
    var target = document.getElementById(button.dataset.readAloud);
    if (!target) {
      return;
    }
    button.dataset.label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      var stop = "reading" in button.dataset;
      reading += 1;
      synth.cancel();
      Array.prototype.forEach.call(buttons, reset);
      if (stop) {
        return;
      }
      var queue = parts(target);
      if (!queue.length) {
        return;
      }
      button.textContent = button.dataset.stopLabel;
      button.dataset.reading = "";
      var current = reading;
      queue.forEach(function (part, index) {
        var utterance = new Utterance(part.text);
        utterance.lang = part.lang;
        utterance.rate = 0.9; // a little slower than usual, for older listeners
        if (index === queue.length - 1) {
          utterance.onend = utterance.onerror = function () {
            if (current === reading) {
              reset(button);
            }
          };
        }
        synth.speak(utterance);
      });
    });
  });
})();
