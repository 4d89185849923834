/* solidarity widget loader: <script src="https://HOST/widget.js" data-campaign="SLUG" async></script>
   places an iframe of the campaign after this script element and nothing else. */
(function (d) {
  var s = d.currentScript, a = s && s.dataset;
  if (!a || !a.campaign) return;
  var base = new URL(s.src).origin, f = d.createElement('iframe'), q = new URLSearchParams({ origin: location.origin });
  ['lang', 'theme', 'accent'].forEach(function (k) { if (a[k]) q.set(k, a[k]); });
  if (a.compact != null && a.compact !== 'false') q.set('compact', '1');
  f.src = base + '/embed/' + encodeURIComponent(a.campaign) + '?' + q;
  f.title = a.title || 'Campaign';
  f.height = q.has('compact') ? 260 : 720;
  f.style.cssText = 'display:block;width:100%;max-width:40rem;border:0';
  s.parentNode.insertBefore(f, s.nextSibling);
  addEventListener('message', function (e) {
    var m = e.data;
    if (e.source !== f.contentWindow || e.origin !== base || !m || m.type !== 'solidarity:height') return;
    var h = Math.ceil(+m.height);
    if (h > 0 && h < 10000) f.height = h;
    if (typeof m.title == 'string' && !a.title) f.title = m.title.slice(0, 200);
    // The frame answers the supporter (thanks, or the form's errors) and
    // may have shrunk from under them: show its top if it is out of sight.
    // Never on first load. A sticky header can set scroll-margin-top on it.
    if (m.reveal === true) {
      var r = f.getBoundingClientRect();
      if (r.top < 0 || r.bottom > innerHeight) f.scrollIntoView({ block: 'start' });
    }
  });
})(document);
