// Tells the page that embeds the widget how tall the card is, so that the
// loader (widget.js) sizes the frame: only to the embedding origin named by
// the server, never to "*".
(function () {
  var origin = document.body.getAttribute('data-origin');
  if (!origin || window.parent === window) return;
  var last = 0;
  // A page that answers the supporter's sending (data-reveal) asks, in its
  // first report only, to be scrolled into view.
  var reveal = document.body.hasAttribute('data-reveal');
  function send() {
    var h = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (h === last) return;
    last = h;
    var m = { type: 'solidarity:height', height: h, title: document.title };
    if (reveal) { m.reveal = true; reveal = false; }
    window.parent.postMessage(m, origin);
  }
  window.addEventListener('load', send);
  window.addEventListener('resize', send);
  if (window.ResizeObserver) new ResizeObserver(send).observe(document.documentElement);
  send();
})();
