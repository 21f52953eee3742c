// pulsekit vitals observer: injected before any page script; records raw performance entries in
// window.__pk. Python turns them into LCP/CLS/INP/FCP/TTFB/TBT with web-vitals' rules.
(() => {
  if (window.__pk) return;
  const pk = {
    lcp: [], shifts: [], events: [], longtasks: [], paints: [],
    firstHidden: document.visibilityState === 'hidden' ? 0 : null,
    inputAt: null, inputs: [], last: 0, observers: [],
  };
  window.__pk = pk;
  const touch = () => { pk.last = performance.now(); };
  const describe = (el) => {
    if (!el || !el.tagName) return null;
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    if (typeof el.className === 'string' && el.className.trim()) {
      s += '.' + el.className.trim().split(/\s+/).slice(0, 2).join('.');
    }
    return s;
  };
  const observe = (type, handle, extra) => {
    try {
      const po = new PerformanceObserver((list) => handle(list.getEntries()));
      po.observe(Object.assign({ type, buffered: true }, extra || {}));
      pk.observers.push([po, handle]);
    } catch (e) { /* entry type not supported by this browser */ }
  };
  observe('largest-contentful-paint', (es) => {
    for (const e of es) pk.lcp.push({ t: e.startTime, size: e.size, el: describe(e.element), url: e.url || '' });
    if (es.length) touch();
  });
  observe('layout-shift', (es) => {
    for (const e of es) pk.shifts.push({ t: e.startTime, value: e.value, input: e.hadRecentInput });
    if (es.length) touch();
  });
  const onEvents = (es) => {
    for (const e of es) {
      if (e.interactionId || e.entryType === 'first-input') {
        pk.events.push({ id: e.interactionId || 0, name: e.name, t: e.startTime, d: e.duration });
      }
    }
  };
  observe('event', onEvents, { durationThreshold: 16 });
  observe('first-input', onEvents);
  observe('longtask', (es) => {
    for (const e of es) pk.longtasks.push({ t: e.startTime, d: e.duration });
    if (es.length) touch();
  });
  observe('paint', (es) => { for (const e of es) pk.paints.push({ name: e.name, t: e.startTime }); });
  observe('resource', (es) => { if (es.length) touch(); });
  pk.flush = () => {
    for (const [po, handle] of pk.observers) { try { handle(po.takeRecords()); } catch (e) { /* ignore */ } }
  };
  // Trusted discrete inputs (what makes Chromium set hadRecentInput on a shift). Mobile emulation also
  // flags shifts of the first ~500 ms after navigation, with no input at all: Python tells them apart.
  for (const type of ['pointerdown', 'mousedown', 'touchstart', 'keydown']) {
    addEventListener(type, (e) => { if (e.isTrusted) pk.inputs.push(performance.now()); },
      { capture: true, passive: true });
  }
  // LCP is final on the first input (web-vitals stops listening on keydown/click) or when hidden.
  for (const type of ['keydown', 'click']) {
    addEventListener(type, () => { if (pk.inputAt === null) pk.inputAt = performance.now(); },
      { capture: true, once: true });
  }
  addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') {
      if (pk.firstHidden === null) pk.firstHidden = performance.now();
      pk.flush();
    }
  }, true);
  // Event Timing entries arrive after the next presentation; poll (forcing frames) until one for an
  // interaction that started at or after `since` is in, or `ms` passed (fast ones never produce one).
  pk.waitInteraction = (since, ms) => new Promise((resolve) => {
    const end = performance.now() + ms;
    const check = () => {
      pk.flush();
      if (pk.events.some((e) => e.id > 0 && e.t >= since - 1)) return resolve(true);
      if (performance.now() >= end) return resolve(false);
      requestAnimationFrame(() => setTimeout(check, 20));
    };
    check();
  });
  pk.snapshot = () => {
    pk.flush();
    const nav = performance.getEntriesByType('navigation')[0];
    return {
      lcp: pk.lcp, shifts: pk.shifts, events: pk.events, longtasks: pk.longtasks, paints: pk.paints,
      firstHidden: pk.firstHidden, inputAt: pk.inputAt, inputs: pk.inputs,
      interactionCount: typeof performance.interactionCount === 'number' ? performance.interactionCount : null,
      nav: nav ? {
        responseStart: nav.responseStart, activationStart: nav.activationStart || 0,
        type: nav.type, transferSize: nav.transferSize || 0,
      } : null,
    };
  };
})();
