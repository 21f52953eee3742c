"""A reference page whose vitals are known by design (LCP time, CLS score, click cost): tests and benchmarks."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReferencePage:
    """Geometry and timings of the page; :meth:`html` renders it, :meth:`expected_cls` predicts CLS.

    A ``content`` block of ``content_px`` height paints first; at ``shift_at_ms`` a banner of
    ``banner_px`` is inserted above it (one layout shift); at ``lcp_at_ms`` a large text block appears
    below, placed absolutely so that the banner never moves it whatever the order on a slow machine
    (the LCP element); clicking ``#buy`` busy-waits ``click_ms`` (INP and TBT). With
    ``later_px`` > 0, a ``#later`` button as costly as ``#buy`` sits that far below the content, so
    reaching it needs a scroll. The page has a mobile viewport tag (width=device-width).
    """

    lcp_at_ms: int = 1200
    shift_at_ms: int = 300
    content_px: int = 300
    banner_px: int = 100
    click_ms: int = 150
    later_px: int = 0

    def expected_cls(self, width: int = 1350, height: int = 940) -> float:
        """Layout-shift score of the banner: impact fraction x distance fraction (viewport W x H)."""
        impact = min(self.content_px + self.banner_px, height) / height
        distance = self.banner_px / max(width, height)
        return impact * distance

    def html(self) -> str:
        """The page as HTML text (timers are relative to navigation start, not to script start)."""
        return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>pulsekit reference page</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ margin: 0; font-family: sans-serif; }}
#banner {{ height: 0; overflow: hidden; background: #fc0; }}
#content {{ height: {self.content_px}px; background: #eee; overflow: hidden; }}
#hero {{ font-size: 40px; margin: 0; position: absolute; top: {self.content_px + self.banner_px + 40}px; }}
</style></head>
<body>
<div id="banner"></div>
<div id="content"><h1>Reference page</h1><button id="buy">Buy</button></div>
{self._later()}
<script>
function at(ms, fn) {{ setTimeout(fn, Math.max(0, ms - performance.now())); }}
function painted() {{
  return performance.getEntriesByType('paint').some(function (e) {{
    return e.name === 'first-contentful-paint';
  }});
}}
function afterPaint(fn) {{
  // a shift before the first paint is not a layout shift: wait for it on a slow machine
  if (painted()) fn(); else requestAnimationFrame(function () {{ setTimeout(function () {{ afterPaint(fn); }}, 0); }});
}}
at({self.shift_at_ms}, function () {{ afterPaint(function () {{
  var b = document.getElementById('banner');
  b.style.height = '{self.banner_px}px';
  b.textContent = 'Late banner';
}}); }});
at({self.lcp_at_ms}, function () {{
  var p = document.createElement('p');
  p.id = 'hero';
  p.textContent = 'The largest contentful paint of this page appears at a known time. '.repeat(3);
  document.body.appendChild(p);
}});
document.querySelectorAll('#buy, #later').forEach(function (button) {{
  button.addEventListener('click', function () {{
    var t = performance.now();
    while (performance.now() - t < {self.click_ms}) {{}}
  }});
}});
</script>
</body></html>
"""

    def _later(self) -> str:
        if self.later_px <= 0:
            return ""
        return f'<div style="height: {self.later_px}px"></div><button id="later">Later</button>'
