// Frame-rate benchmark (not a test): a 9-server cluster under 40
// closed-loop clients at 1x, animated in headless Chromium (software
// raster, no GPU) with every view on screen: the ring, the safety panel,
// the log table, the space-time diagram, the event log and the charts
// (viewport 1280x1900; the script checks each is inside it).
//
// Prints and writes to out/frame-bench.json:
//   - the first frame: navigation start to the first animation frame after
//     the ring's first server (a `g.node`) is in the DOM, measured in the
//     page (performance.now() counts from navigation start);
//   - frames over SECONDS_TO_MEASURE (10) s of requestAnimationFrame
//     intervals: mean fps (frames / seconds), median, p99 and worst
//     interval, and how many intervals exceed 50 ms;
//   - the messages in flight while measuring, and the load average (the
//     machine may be shared: a busy machine slows the raster too).
// With TRACE=1, it then records a Chromium trace of 3 s more and prints
// how busy each thread was (ms of tasks per second): the page's main
// thread, the compositor thread and the software compositor (Viz), whose
// work grows with the pixels that change in a frame. This host's speed
// drifts within minutes, so compare builds by alternating runs
// (QUORUM_DIST=another dist/).
// It asserts nothing. Run: node e2e/frame-bench.mjs (after a release build).
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { serve, launch, open, until, root } from './harness.mjs';

const seconds = Number(process.env.SECONDS_TO_MEASURE || 10);
const viewport = { width: 1280, height: Number(process.env.VIEWPORT_HEIGHT || 1900) };
const scenario = {
  version: 1, name: 'frame bench', seed: 3, nodes: 9, duration_ms: 3600000,
  timing: { election_timeout_ms: [300, 600], heartbeat_ms: 50, latency_ms: [40, 90] },
  clients: { count: 40, think_ms: [0, 20], keys: 5, timeout_ms: 2000 },
};
// Every view the page has (all show outside embed mode; none can be hidden).
const VIEWS = {
  ring: '.ring-wrap', safety: '#invariants', 'log table': 'section.logs',
  'space-time diagram': '#lamport', 'event log': '#event-log', charts: '#charts',
};

// Before the app loads: note when the first server appears, then the next
// animation frame (the frame that shows it).
const watchFirstFrame = () => {
  const mo = new MutationObserver(() => {
    if (!document.querySelector('g.node')) return;
    mo.disconnect();
    window.__nodeInDom = performance.now();
    requestAnimationFrame(() => { window.__firstFrame = performance.now(); });
  });
  mo.observe(document, { childList: true, subtree: true });
};

const server = await serve();
const browser = await launch();
try {
  const page = await browser.newPage({ viewport });
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.addInitScript(watchFirstFrame);
  await page.goto(server.url);
  await until(page, () => window.__firstFrame !== undefined && window.quorum);
  const first = await page.evaluate(() => ({
    node_in_dom_ms: window.__nodeInDom,
    first_frame_ms: window.__firstFrame,
    fcp_ms: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null,
  }));

  const r = await page.evaluate((s) => window.quorum.load(s), scenario);
  if (!r.ok) throw new Error(JSON.stringify(r));
  await page.evaluate(() => { window.quorum.setSpeed(1); window.quorum.play(); });
  // Past the first election, into the steady load (40-80 server messages
  // in flight, besides the clients').
  await until(page, () => { const s = window.quorum.stats(); return s.leader != null && s.t_ms >= 3000; }, undefined, 30000);
  const views = await page.evaluate(([sel, vh]) => Object.fromEntries(Object.entries(sel).map(([k, s]) => {
    const el = document.querySelector(s);
    const b = el && el.getBoundingClientRect();
    return [k, !!b && b.height > 0 && b.top >= 0 && b.bottom <= vh];
  })), [VIEWS, viewport.height]);
  const off = Object.entries(views).filter(([, ok]) => !ok).map(([k]) => k);
  const load = loadavg()[0];
  const res = await page.evaluate((secs) => new Promise((resolve) => {
    const ts = [];
    const inflight = [];
    const t0 = performance.now();
    function tick(t) {
      ts.push(t);
      if (ts.length % 30 === 0) inflight.push(window.quorum.stats().in_flight);
      if (t - t0 < secs * 1000) requestAnimationFrame(tick); else resolve({ ts, inflight });
    }
    requestAnimationFrame(tick);
  }), seconds);
  const span = (res.ts[res.ts.length - 1] - res.ts[0]) / 1000;
  const d = res.ts.slice(1).map((t, i) => t - res.ts[i]).sort((a, b) => a - b);
  const at = (q) => d[Math.min(d.length - 1, Math.floor(d.length * q))];
  const inf = res.inflight.sort((a, b) => a - b);
  const out = {
    viewport, views, load_average: +load.toFixed(2),
    first_frame_ms: +first.first_frame_ms.toFixed(1),
    node_in_dom_ms: +first.node_in_dom_ms.toFixed(1),
    fcp_ms: first.fcp_ms == null ? null : +first.fcp_ms.toFixed(1),
    seconds: +span.toFixed(2),
    frames: d.length,
    mean_fps: +(d.length / span).toFixed(1),
    median_ms: +at(0.5).toFixed(2),
    p99_ms: +at(0.99).toFixed(2),
    worst_ms: +d[d.length - 1].toFixed(2),
    over_50ms: d.filter((x) => x > 50).length,
    in_flight: { min: inf[0], median: inf[Math.floor(inf.length / 2)], max: inf[inf.length - 1] },
    errors,
  };
  console.log(`views on screen (${viewport.width}x${viewport.height}): ${off.length ? `NOT ${off.join(', ')}` : Object.keys(views).join(', ')}`);
  console.log(`first frame: ${out.first_frame_ms} ms after navigation start (server in the DOM at ${out.node_in_dom_ms} ms, first contentful paint ${out.fcp_ms} ms)`);
  console.log(`frames: ${d.length} in ${out.seconds} s: mean ${out.mean_fps} fps`);
  console.log(`frame interval: median ${out.median_ms} ms, p99 ${out.p99_ms} ms, worst ${out.worst_ms} ms, ${out.over_50ms} over 50 ms`);
  console.log(`server messages in flight: min ${inf[0]}, median ${out.in_flight.median}, max ${out.in_flight.max}; load average ${out.load_average}`);
  if (errors.length) console.log('console errors:', errors);
  if (process.env.TRACE) {
    await browser.startTracing(page, { categories: ['devtools.timeline', 'viz', 'toplevel'] });
    await page.waitForTimeout(3000);
    const events = JSON.parse((await browser.stopTracing()).toString()).traceEvents;
    const names = {};
    for (const e of events) if (e.name === 'thread_name') names[e.tid] = e.args.name;
    const busy = {};
    let [t0, t1, animationFrames] = [Infinity, 0, 0];
    for (const e of events) {
      if (e.ph !== 'X') continue;
      const thread = names[e.tid];
      if (e.name === 'ThreadControllerImpl::RunTask' && ['CrRendererMain', 'Compositor', 'VizCompositorThread'].includes(thread)) {
        busy[thread] = (busy[thread] ?? 0) + e.dur;
        [t0, t1] = [Math.min(t0, e.ts), Math.max(t1, e.ts + e.dur)];
      }
      if (thread === 'CrRendererMain' && e.name === 'FireAnimationFrame') animationFrames++;
    }
    const secs = (t1 - t0) / 1e6;
    out.trace = { seconds: +secs.toFixed(2), fps: +(animationFrames / secs).toFixed(1),
      busy_ms_per_s: Object.fromEntries(Object.entries(busy).map(([k, v]) => [k, Math.round(v / 1000 / secs)])) };
    console.log(`traced ${out.trace.seconds} s: ${out.trace.fps} animation frames/s; busy ms per second: ` +
      Object.entries(out.trace.busy_ms_per_s).map(([k, v]) => `${k} ${v}`).join(', '));
  }
  mkdirSync(join(root, 'out'), { recursive: true });
  writeFileSync(join(root, 'out', 'frame-bench.json'), JSON.stringify(out, null, 2) + '\n');
} finally {
  await browser.close();
  server.stop();
}
