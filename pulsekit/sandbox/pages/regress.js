/* Regression switches of the web-performance dojo: ?regress=lcp,cls,inp (also lcp-sized, all). */
(function () {
  var asked = (new URLSearchParams(location.search).get('regress') || '').split(',');
  var on = function (k) { return asked.indexOf(k) >= 0 || asked.indexOf('all') >= 0; };
  var me = document.currentScript;
  if (on('lcp') || on('lcp-sized')) {
    /* a slow hero image; without width/height it also pushes the page down when it arrives */
    var img = document.createElement('img');
    img.id = 'slow-hero';
    img.alt = 'Deals of the day';
    img.src = '/static/slow/hero.svg?delay_ms=4000';
    img.style.cssText = 'width:100%;display:block;border-radius:8px';
    if (on('lcp-sized')) { img.width = 1200; img.height = 600; img.style.height = 'auto'; }
    me.parentNode.insertBefore(img, me.nextSibling);
  }
  if (on('cls')) {
    /* a promo banner injected at the top of the page after it loaded */
    addEventListener('load', function () {
      setTimeout(function () {
        var b = document.createElement('div');
        b.id = 'promo';
        b.textContent = 'Free shipping this week only!';
        b.style.cssText = 'background:#ffb400;height:240px;padding:0 24px;font-size:20px';
        document.body.insertBefore(b, document.body.firstChild);
      }, 400);
    });
  }
  if (on('inp')) {
    /* heavy "hydration" after the first paint and a slow click handler: long main-thread tasks */
    var busy = function (ms) { var t = performance.now(); while (performance.now() - t < ms) {} };
    addEventListener('load', function () {
      requestAnimationFrame(function () { setTimeout(function () { busy(250); }, 0); });
    });
    document.addEventListener('click', function (e) {
      if (e.target.closest('button')) busy(700);
    }, true);
  }
})();
