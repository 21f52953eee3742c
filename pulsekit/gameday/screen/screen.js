// The GameDay screen: polls /state twice a second and redraws; charts are plain SVG.
"use strict";
const TOKEN = document.querySelector('meta[name="pulsekit-token"]').content;
const COLORS = ["#56b4e9", "#e69f00", "#009e73", "#f0e442", "#cc79a7", "#0072b2", "#d55e00"];
const BANDS = ["#56b4e9", "#009e73", "#cc79a7", "#f0e442"]; // windows; steps are vermillion
const NS = "http://www.w3.org/2000/svg";
const $ = (id) => document.getElementById(id);
let last = null;
let failures = 0;

function el(tag, attrs, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}
function html(tag, attrs, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}
const fmt = (v, d = 0) => (v === null || v === undefined ? "–" : Number(v).toFixed(d));
const pct = (v) => (v === null || v === undefined ? "–" : (100 * v).toFixed(2) + "%");

function stepFacts(s) {
  const applied = {}, reverted = {}, faults = {};
  let haltT = null;
  for (const e of s.events) {
    if (e.type === "step.applied") applied[e.data.step] = e;
    if (e.type === "step.reverted") reverted[e.data.step] = e;
    if (e.type === "fault.applied") faults[e.data.target + "/" + e.data.kind] = e;
    if (e.type === "halt.requested" || e.type === "guard.tripped") haltT = e.t;
  }
  return { applied, reverted, faults, haltT };
}

function stepState(step, facts, s, now) {
  const a = facts.applied[step.name], r = facts.reverted[step.name];
  if (r) return ["done", `done: applied T+${fmt(a.t, 1)} s (lag ${fmt(a.data.lag_s, 2)} s), reverted T+${fmt(r.t, 1)} s (${r.data.reverted_by})`];
  if (a) {
    const instant = step.duration_s === null && (step.action === "restart" || step.action === "thaw");
    if (instant || s.status !== "running") return ["done", `done: applied T+${fmt(a.t, 1)} s (lag ${fmt(a.data.lag_s, 2)} s)`];
    const params = Object.entries(step.params || {}).map(([k, v]) => `${k}=${v}`).join(" ");
    let ttl = "";
    const f = facts.faults[step.target + "/" + step.action];
    if (f && f.data.expires_at && now !== null) ttl = `, TTL ${fmt(f.data.expires_at - (Date.now() / 1000), 0)} s`;
    const end = step.duration_s !== null ? `, ends in ${fmt(step.at_s + step.duration_s - now, 0)} s` : ", until rollback";
    return ["running", `RUNNING since T+${fmt(a.t, 1)} s: ${step.action} ${step.target} ${params}${end}${ttl}`];
  }
  if (s.status !== "running" || facts.haltT !== null) return ["skipped", "not run"];
  const wait = now === null ? "" : ` in ${fmt(Math.max(0, step.at_s - now), 0)} s`;
  return ["next", `next${wait}`];
}

function drawSteps(s, now) {
  const facts = stepFacts(s);
  const list = $("steps");
  list.replaceChildren();
  let nextShown = false;
  for (const step of s.plan.steps) {
    let [state, text] = stepState(step, facts, s, now);
    if (state === "next" && nextShown) text = `at T+${step.at_s} s`;
    if (state === "next") nextShown = true;
    const li = html("li", { "data-step": step.name, "data-state": state });
    li.append(html("strong", {}, `${step.name}`), document.createTextNode(` (T+${step.at_s} s) — ${text}`));
    list.append(li);
  }
  if (!s.plan.steps.length) list.append(html("li", {}, "no steps (load only)"));
  // timeline: windows as bands, steps as marks, a "now" line
  const svg = $("timeline");
  svg.replaceChildren();
  const dur = s.plan.duration_s || 1;
  const x = (t) => (1000 * Math.max(0, Math.min(t, dur))) / dur;
  s.plan.windows.forEach((w, i) => {
    svg.append(el("rect", { x: x(w.start_s), y: 4, width: x(w.end_s) - x(w.start_s), height: 22, fill: BANDS[i % BANDS.length], opacity: 0.35 }));
    svg.append(el("text", { x: x(w.start_s) + 4, y: 20, fill: "#fff", "font-size": 14 }, w.name));
  });
  for (const step of s.plan.steps) {
    const end = step.duration_s !== null ? step.at_s + step.duration_s : dur;
    svg.append(el("rect", { x: x(step.at_s), y: 32, width: Math.max(3, x(end) - x(step.at_s)), height: 22, fill: "#d55e00", opacity: facts.applied[step.name] ? 0.9 : 0.35 }));
  }
  if (now !== null) svg.append(el("rect", { x: x(now) - 2, y: 0, width: 4, height: 60, fill: "#fff" }));
}

function windowState(checks) {
  if (!checks || !checks.length) return "pending";
  if (checks.some((c) => c.passed === false)) return "broken";
  if (checks.every((c) => c.passed === true)) return "holding";
  return "pending";
}

function drawHypothesis(s, now) {
  const box = $("hypothesis");
  box.replaceChildren();
  for (const w of s.plan.windows) {
    const checks = s.verdicts[w.name] || [];
    const div = html("div", { class: "window", "data-window": w.name });
    const over = s.status !== "running" || (now !== null && now >= w.end_s);
    let state = windowState(checks);
    const word = { pending: "not started", holding: over ? "✓ held" : "✓ holding so far", broken: over ? "✗ broken" : "✗ broken so far" }[state];
    div.append(html("strong", {}, `${w.name} [${w.start_s} s, ${w.end_s} s): ${word}`));
    if (!w.lines.length) div.append(html("span", { class: "check muted" }, "no threshold declared"));
    w.lines.forEach((line, i) => {
      const c = checks[i];
      const st = !c || c.passed === null ? "pending" : c.passed ? "holding" : "broken";
      const mark = st === "pending" ? "…" : st === "holding" ? "✓" : "✗";
      const seen = c && c.observed !== null ? ` (observed ${Number(c.observed).toPrecision(4)})` : "";
      div.append(html("span", { class: "check", "data-state": st }, `${mark} ${line}${seen}`));
    });
    box.append(div);
  }
}

function drawStops(s) {
  const list = $("stops");
  list.replaceChildren();
  const known = Object.fromEntries(s.stops.map((x) => [x.text, x]));
  for (const text of s.plan.stops) {
    const st = known[text] || {};
    const c = st.closeness;
    const li = html("li", { "data-stop": text });
    li.append(html("div", {}, `${text} — now ${st.observed === undefined || st.observed === null ? "no data" : Number(st.observed).toPrecision(3)}` + (c === null || c === undefined ? "" : ` (${(100 * c).toFixed(0)}% of the way to tripping)`)));
    const meter = html("div", { class: "meter" });
    const bar = html("div", { class: c >= 1 ? "over" : c >= 0.7 ? "near" : "" });
    bar.style.width = `${Math.min(100, 100 * (c || 0))}%`;
    meter.append(bar);
    li.append(meter);
    list.append(li);
  }
  if (!s.plan.stops.length) list.append(html("li", { class: "muted" }, "none declared"));
}

function chart(svg, lines, s, opts) {
  // lines: [{t: [...], v: [...], color, label}]
  svg.replaceChildren();
  const W = 600, H = 220, L = 56, B = 24, T = 8, R = 8;
  const dur = Math.max(s.plan.duration_s || 1, ...lines.flatMap((l) => l.t));
  let max = 0;
  for (const l of lines) for (const v of l.v) if (v !== null && v > max) max = v;
  if (opts.minMax) max = Math.max(max, opts.minMax);
  max = max > 0 ? max * 1.1 : 1;
  const x = (t) => L + ((W - L - R) * t) / dur;
  const y = (v) => H - B - ((H - B - T) * v) / max;
  for (const step of s.plan.steps) {
    const end = step.duration_s !== null ? step.at_s + step.duration_s : dur;
    svg.append(el("rect", { x: x(step.at_s), y: T, width: Math.max(2, x(end) - x(step.at_s)), height: H - B - T, fill: "#d55e00", opacity: 0.15 }));
  }
  svg.append(el("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: "#555" }));
  svg.append(el("text", { x: 2, y: T + 12 }, opts.fmt(max)));
  svg.append(el("text", { x: 2, y: H - B }, "0"));
  svg.append(el("text", { x: W - R - 40, y: H - 4 }, `${fmt(dur)} s`));
  let points = 0;
  for (const l of lines) {
    let d = "";
    l.t.forEach((t, i) => {
      const v = l.v[i];
      if (v === null) return;
      d += `${d ? "L" : "M"}${x(t).toFixed(1)},${y(v).toFixed(1)}`;
      points += 1;
    });
    if (d) svg.append(el("path", { d, fill: "none", stroke: l.color, "stroke-width": 3 }));
  }
  svg.dataset.points = String(points);
  svg.dataset.lastT = String(Math.max(-1, ...lines.flatMap((l) => l.t)));
}

function drawCharts(s) {
  const g = s.series;
  const one = (key) => [{ t: g.t, v: g[key], color: COLORS[0] }];
  chart($("chart-rps"), one("rps"), s, { fmt: (v) => fmt(v) });
  chart($("chart-p95"), one("p95"), s, { fmt: (v) => fmt(v) });
  chart($("chart-err"), one("err"), s, { fmt: pct, minMax: 0.01 });
  const names = Object.keys(s.services).sort();
  for (const key of ["rps", "p95", "err"]) {
    const lines = names.map((n, i) => ({ t: s.services[n].t, v: s.services[n][key], color: COLORS[i % COLORS.length] }));
    chart($("svc-" + key), lines, s, { fmt: key === "err" ? pct : (v) => fmt(v), minMax: key === "err" ? 0.01 : 0 });
  }
  const legend = $("legend");
  legend.replaceChildren();
  names.forEach((n, i) => {
    const svc = s.services[n];
    const k = svc.t.length - 1;
    const span = html("span", {}, `■ ${n}: ${fmt(svc.rps[k])} rps, p95 ${fmt(svc.p95[k])} ms, errors ${pct(svc.err[k])}`);
    span.style.color = COLORS[i % COLORS.length];
    legend.append(span);
  });
  if (!names.length) legend.append(html("span", { class: "muted" }, "no scraped services yet"));
  chart($("chart-burn"), [{ t: s.burn.t, v: s.burn.rate, color: COLORS[1] }], s, { fmt: (v) => fmt(v, 1) + "×", minMax: 1 });
  if (s.plan.slo) $("slo-name").textContent = `(${s.plan.slo.service}: ${100 * s.plan.slo.objective}% under ${s.plan.slo.latency_ms} ms; burn over the fast alert's long window)`;
}

function drawAlerts(s) {
  const list = $("alerts");
  list.replaceChildren();
  for (const a of s.alerts) {
    const after = a.delay_s === null || a.delay_s === undefined ? "" : `, ${fmt(a.delay_s, 1)} s after the first step`;
    list.append(html("li", { "data-rule": a.rule }, `⚠ ${a.severity} ${a.rule} fired at T+${fmt(a.start_t, 1)} s${after}`));
  }
  if (!s.alerts.length) list.append(html("li", { class: "muted" }, !s.plan.slo ? "no SLO in the spec" : s.status === "running" ? "none yet" : "none fired"));
  const events = $("events");
  events.replaceChildren();
  for (const e of s.events.slice(-12).reverse()) {
    events.append(html("li", { "data-type": e.type }, `${e.t === null ? "" : "T+" + fmt(e.t, 1) + " s "}${e.description}`));
  }
}

function draw(s) {
  const now = s.mode === "replay" ? null : s.now_t;
  $("title").textContent = s.plan.title;
  document.title = `GameDay: ${s.plan.title}`;
  $("question").textContent = s.plan.description || "";
  $("clock").textContent = s.mode === "replay" ? "replay" : now === null ? "starting…" : `T+${fmt(Math.min(now, s.plan.duration_s))} s / ${s.plan.duration_s} s`;
  const status = s.status === "running" && !s.started ? "starting" : s.status;
  $("status").textContent = status + (s.reason ? `: ${s.reason}` : "");
  $("status").dataset.status = status;
  $("halt").disabled = !s.halt_allowed;
  drawSteps(s, now);
  drawHypothesis(s, now);
  drawStops(s);
  drawCharts(s);
  drawAlerts(s);
}

async function poll() {
  try {
    const resp = await fetch("/state", { cache: "no-store" });
    last = await resp.json();
    failures = 0;
    $("banner").hidden = true;
    draw(last);
  } catch (err) {
    failures += 1;
    if (failures >= 2 && last) {
      $("banner").hidden = false;
      $("banner").textContent = "The run has ended and its screen is closed; this is its last state. Replay: pulsekit gameday screen RUN_DIR";
      $("halt").disabled = true;
    }
  }
  if (!(last && last.mode === "replay")) setTimeout(poll, 500);
}

$("halt").addEventListener("click", async () => {
  if (!confirm("HALT the GameDay? Every fault is rolled back and the load stops.")) return;
  const resp = await fetch("/halt", { method: "POST", headers: { "X-Pulsekit-Token": TOKEN } });
  const body = await resp.json();
  $("banner").hidden = false;
  $("banner").textContent = resp.ok ? `HALT sent: ${body.reason}` : `HALT refused: ${body.error}`;
});

poll();
