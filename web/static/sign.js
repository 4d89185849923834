// Tells a supporter, as they fill in the sign form, what prison staff will
// read: that a name in a script the letters cannot print is printed as "a
// supporter from <country>", and what signing means for someone from a
// country whose signers are at risk. A progressive enhancement: without
// it, the server shows the same notices when the form is sent.
// When the server sends the form back with an error summary, focus moves
// to the summary, so that a keyboard or screen reader user starts from the
// list of problems. Without scripts, the summary is still the first thing
// in the form's section, where the page's #sign link lands.
(function () {
  "use strict";
  var summary = document.querySelector(".sign .error-summary");
  if (!summary) return;
  summary.setAttribute("tabindex", "-1");
  // The browser clears focus when it scrolls to the page's #sign, after
  // the page loads; so focus goes to the summary after that.
  function focus() {
    if (!document.activeElement || document.activeElement === document.body) summary.focus();
  }
  focus();
  window.addEventListener("load", function () { setTimeout(focus, 0); });
})();
(function () {
  "use strict";
  var form = document.querySelector("[data-confirmed]");
  form = form && form.form;
  if (!form) return;
  var name = form.elements.namedItem("name");
  var country = form.elements.namedItem("country");
  var confirmed = form.querySelector("[data-confirmed]");
  var unprintable = form.querySelector("[data-notice=unprintable]");
  var risk = form.querySelector("[data-notice=risk]");
  if (!name || !country || !unprintable || !risk) return;
  var atRisk = (risk.getAttribute("data-risk") || "").split(" ");
  var yourCountry = risk.getAttribute("data-your-country") || "";

  // The scripts the letters' fonts print (see pdf.Printable); other
  // letters, such as Arabic or Chinese, cannot be printed.
  var letter = /\p{L}/u;
  var printableLetter = /[\p{Script=Latin}\p{Script=Cyrillic}\p{Script=Greek}\p{Script=Armenian}\p{Script=Georgian}\p{Script=Hebrew}]/u;
  function printable(s) {
    for (var ch of s) {
      if (letter.test(ch) && !printableLetter.test(ch)) return false;
    }
    return true;
  }

  // The supporter chose how their name is printed themselves: the form
  // does not change it for them again. A form the server sent back has
  // been decided on already.
  var explicit = confirmed.value !== "";
  var radios = form.querySelectorAll("input[name=display]");
  Array.prototype.forEach.call(radios, function (r) {
    r.addEventListener("change", function () { explicit = true; });
  });
  function chooseCountryForm() {
    if (explicit) return;
    Array.prototype.forEach.call(radios, function (r) { r.checked = r.value === "country"; });
  }
  function seen(what) {
    var v = confirmed.value ? confirmed.value.split(" ") : [];
    if (v.indexOf(what) < 0) v.push(what);
    confirmed.value = v.join(" ");
  }
  function fill(notice) {
    var opt = country.options[country.selectedIndex];
    var c = country.value && opt ? opt.text : yourCountry;
    Array.prototype.forEach.call(notice.querySelectorAll("[data-country]"), function (el) {
      el.textContent = c;
    });
  }
  function update(changed) {
    var badName = name.value.trim() !== "" && !printable(name.value);
    var riskCountry = country.value !== "" && atRisk.indexOf(country.value) >= 0;
    unprintable.hidden = !badName;
    risk.hidden = !riskCountry;
    if (badName) {
      fill(unprintable);
      seen("unprintable");
      if (changed === name) chooseCountryForm();
    }
    if (riskCountry) {
      fill(risk);
      seen("risk");
      if (changed === country) chooseCountryForm();
    }
  }
  name.addEventListener("input", function () { update(name); });
  country.addEventListener("change", function () { update(country); });
  update(null);
})();
