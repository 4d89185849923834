// Tells the page that embeds the widget how tall the card is, so that the
// loader (widget.js) sizes the frame: only to the embedding origin named by
// the server, never to "*".
(function () {
  var origin = document.body.getAttribute('data-origin');
  if (!origin || window.parent === window) return;
  var last = 0;
  function send() {
    var h = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (h === last) return;
    last = h;
    window.parent.postMessage({ type: 'solidarity:height', height: h, title: document.title }, origin);
  }
  window.addEventListener('load', send);
  window.addEventListener('resize', send);
  if (window.ResizeObserver) new ResizeObserver(send).observe(document.documentElement);
  send();
})();
