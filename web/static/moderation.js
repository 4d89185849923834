// Keyboard shortcuts for the moderation queue, a progressive enhancement:
// every action is a plain form that works without this script.
//   j / k  move to the next / previous greeting
//   a      approve the current greeting
//   r      choose a reason to reject it; Enter in that list rejects
(function () {
  "use strict";
  var cards = Array.prototype.slice.call(document.querySelectorAll("[data-card]"));
  if (!cards.length) return;
  var help = document.getElementById("keys");
  if (help) help.hidden = false;

  var current = -1;
  function focusCard(i) {
    if (i < 0 || i >= cards.length) return;
    current = i;
    cards[i].focus();
    cards[i].scrollIntoView({ block: "nearest" });
  }
  function cardOf(el) {
    for (; el && el !== document; el = el.parentNode) {
      if (el.hasAttribute && el.hasAttribute("data-card")) return el;
    }
    return null;
  }

  // After a decision the page comes back at the next greeting (#g-…).
  if (location.hash.indexOf("#g-") === 0) {
    var target = document.getElementById(location.hash.slice(1));
    var i = cards.indexOf(target);
    if (i >= 0) focusCard(i);
  }
  document.addEventListener("focusin", function (e) {
    var c = cardOf(e.target);
    if (c) current = cards.indexOf(c);
  });

  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
    var t = e.target;
    var tag = t && t.tagName;
    if (tag === "SELECT" && e.key === "Enter" && t.getAttribute("data-key") === "r") {
      if (t.value) {
        e.preventDefault();
        t.form.requestSubmit ? t.form.requestSubmit() : t.form.submit();
      }
      return;
    }
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (t && t.isContentEditable)) return;
    var card = current >= 0 ? cards[current] : null;
    switch (e.key) {
      case "j":
        focusCard(current + 1);
        break;
      case "k":
        focusCard(current < 0 ? 0 : current - 1);
        break;
      case "a":
        if (!card) return;
        var approve = card.querySelector("[data-key=a]");
        if (approve) approve.click();
        break;
      case "r":
        if (!card) return;
        var reason = card.querySelector("[data-key=r]");
        if (reason) reason.focus();
        break;
      default:
        return;
    }
    e.preventDefault();
  });
})();
