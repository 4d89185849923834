// Does the proof of work the sign form asks for while many signatures
// arrive at once (web/abuse.go; loaded only with a form that asks for it):
// finds a number n such that SHA-256(salt + n) begins with the asked
// number of zero bits, with the browser's own crypto.subtle, and puts it
// in the form. The form is sent by itself when the work was all it lacked;
// otherwise sending waits for the work. Without crypto.subtle (plain HTTP
// but for localhost) or JavaScript, the form keeps saying how long to wait
// before sending it again, and the server accepts it then.
(function () {
  "use strict";
  var box = document.querySelector("[data-pow]");
  var subtle = window.crypto && window.crypto.subtle;
  if (!box || !subtle || !window.TextEncoder) return;
  var form = box.closest("form");
  var out = form && form.elements.namedItem("pow_n");
  var status = box.querySelector("[role=status]");
  if (!out || !status) return;
  var salt = box.getAttribute("data-pow");
  var bits = +box.getAttribute("data-difficulty");
  var enc = new TextEncoder();
  var done = false;
  var sending = box.hasAttribute("data-auto");
  status.textContent = box.getAttribute("data-working");
  function zeros(sum) {
    var b = new Uint8Array(sum);
    var n = 0;
    for (var i = 0; i < b.length; i++) {
      if (b[i] !== 0) return n + Math.clz32(b[i]) - 24;
      n += 8;
    }
    return n;
  }
  // Hashes a batch at a time, and takes the first number that meets.
  function search(start) {
    var batch = [];
    for (var i = 0; i < 2000; i++) batch.push(subtle.digest("SHA-256", enc.encode(salt + (start + i))));
    return Promise.all(batch).then(function (sums) {
      for (var i = 0; i < sums.length; i++) {
        if (zeros(sums[i]) >= bits) return start + i;
      }
      return search(start + sums.length);
    });
  }
  search(0).then(function (n) {
    out.value = String(n);
    done = true;
    status.textContent = box.getAttribute("data-done");
    if (!sending) return;
    if (form.requestSubmit) form.requestSubmit();
    else form.submit();
  });
  form.addEventListener("submit", function (e) {
    if (done) return;
    e.preventDefault();
    sending = true;
  });
})();
