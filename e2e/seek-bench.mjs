// Time-travel benchmark (not a test): seek latency and memory in headless
// Chromium, driving the release build in dist/ through window.quorum.
//
//   1. Seek: a 5-node cluster under client load, run to the end of 10 minutes
//      of virtual time with one quorum.seek(600000) (timed), then 200 seeks to
//      pseudo-random times (fixed-seed PRNG), each timed in the page with
//      performance.now() (100 µs resolution in a page that is not
//      cross-origin isolated); plus 30 seeks followed by two
//      requestAnimationFrames, to include the redraw, and as a baseline two
//      frames with no seek (at 60 fps they alone take 17-33 ms).
//   2. Memory: the same cluster, a 1-hour run in a fresh page, seeked to its
//      end; then the JS heap (CDP Runtime.getHeapUsage after a GC, and
//      performance.memory) and the wasm linear memory (its buffer's
//      byteLength, a high-water mark: wasm memory never shrinks).
//
// Prints a short report and writes it to out/seek-bench.json. It asserts
// nothing; it exits non-zero only if window.quorum.seek is missing.
// Run: node e2e/seek-bench.mjs (after a release build).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serve, launch, open, root } from './harness.mjs';

const SEEKS = Number(process.env.SEEKS || 200);
const FRAME_SEEKS = Number(process.env.FRAME_SEEKS || 30);
const MB = 1024 * 1024;

// The same load as core/examples/seek_bench.rs (the native figures in the
// README): 5 nodes, 4 closed-loop clients, fixed seed.
const scenario = (duration_ms) => ({
  version: 1, name: 'seek bench', seed: 5, nodes: 5, duration_ms,
  clients: { count: 4, think_ms: [50, 150], keys: 3, timeout_ms: 1000 },
});

// Capture the wasm exports when Trunk announces the app (the event carries
// them); a fallback below asks wasm-bindgen's init, which returns them once
// the module is initialised.
const captureWasm = () => {
  addEventListener('TrunkApplicationStarted', (e) => { window.__quorumWasm = e.detail && e.detail.wasm; });
};

async function wasmBytes(page) {
  return page.evaluate(async () => {
    let w = window.__quorumWasm;
    if (!(w && w.memory) && window.wasmBindings && typeof window.wasmBindings.default === 'function') {
      w = await window.wasmBindings.default();
    }
    return w && w.memory ? w.memory.buffer.byteLength : null;
  });
}

async function memory(page, cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  const heap = await cdp.send('Runtime.getHeapUsage');
  const { metrics } = await cdp.send('Performance.getMetrics');
  const metric = (n) => (metrics.find((m) => m.name === n) || {}).value ?? null;
  const perf = await page.evaluate(() => (performance.memory
    ? { used: performance.memory.usedJSHeapSize, total: performance.memory.totalJSHeapSize }
    : null));
  const wasm = await wasmBytes(page);
  const mb = (x) => (x == null ? null : +(x / MB).toFixed(1));
  return {
    js_heap_used_mb: mb(heap.usedSize),
    js_heap_total_mb: mb(heap.totalSize),
    js_heap_used_metrics_mb: mb(metric('JSHeapUsedSize')),
    performance_memory_used_mb: perf ? mb(perf.used) : null,
    wasm_memory_mb: mb(wasm),
    total_mb: wasm == null ? null : mb(heap.usedSize + wasm),
  };
}

async function openApp(browser, url) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await ctx.addInitScript(captureWasm);
  const { page, errors } = await open(ctx, url);
  const hasSeek = await page.evaluate(() => typeof (window.quorum && window.quorum.seek) === 'function');
  if (!hasSeek) {
    console.error('window.quorum.seek is missing');
    process.exitCode = 1;
    throw new Error('window.quorum.seek is missing');
  }
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Performance.enable');
  return { ctx, page, errors, cdp };
}

async function loadAndRunToEnd(page, s) {
  const r = await page.evaluate((sc) => {
    const r = window.quorum.load(sc);
    window.quorum.pause();
    return r;
  }, s);
  if (!r || !r.ok) throw new Error(`load: ${JSON.stringify(r)}`);
  return page.evaluate((end) => {
    const t0 = performance.now();
    const r = window.quorum.seek(end);
    const ms = performance.now() - t0;
    const st = window.quorum.stats();
    return { ms, ok: r && r.ok, t_ms: st.t_ms, events: st.events, messages_sent: st.messages_sent };
  }, s.duration_ms);
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
const summary = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const r = (x) => +x.toFixed(3);
  return { n: s.length, median: r(pct(s, 0.5)), p95: r(pct(s, 0.95)), max: r(s[s.length - 1]), min: r(s[0]) };
};

const wall0 = Date.now();
const server = await serve();
const browser = await launch();
const report = { when: new Date().toISOString(), chromium: browser.version() };
try {
  // 1. Seek latency over a 10-minute run.
  {
    const { ctx, page, errors, cdp } = await openApp(browser, server.url);
    const s = scenario(600000);
    report.seek_scenario = s;
    const end = await loadAndRunToEnd(page, s);
    report.simulate_10min = {
      ms: +end.ms.toFixed(1), reached_t_ms: end.t_ms, events: end.events, messages_sent: end.messages_sent,
    };
    const res = await page.evaluate(async ({ n, nFrames, dur }) => {
      // xorshift32, fixed seed: the same 200 times every run.
      let x = 0x9e3779b9 >>> 0;
      const rand = () => {
        x ^= x << 13; x >>>= 0;
        x ^= x >>> 17;
        x ^= x << 5; x >>>= 0;
        return x / 4294967296;
      };
      const frame = () => new Promise((r) => requestAnimationFrame(r));
      const yieldTask = () => new Promise((r) => setTimeout(r, 0));
      const q = window.quorum;
      const seeks = [];
      const bad = [];
      for (let i = 0; i < n; i++) {
        const t = Math.round(rand() * dur * 1000) / 1000;
        const t0 = performance.now();
        const r = q.seek(t);
        seeks.push(performance.now() - t0);
        if (!r || !r.ok) bad.push({ t, r });
        // Let the app's re-render run outside the timed region.
        await yieldTask();
      }
      await frame(); await frame();
      // Baseline: two frames with no seek (the frame clock alone).
      const framesOnly = [];
      for (let i = 0; i < nFrames; i++) {
        await frame();
        const t0 = performance.now();
        await frame();
        await frame();
        framesOnly.push(performance.now() - t0);
      }
      const withFrame = [];
      for (let i = 0; i < nFrames; i++) {
        const t = Math.round(rand() * dur * 1000) / 1000;
        await frame();
        const t0 = performance.now();
        q.seek(t);
        await frame();
        await frame();
        withFrame.push(performance.now() - t0);
      }
      return { seeks, withFrame, framesOnly, bad };
    }, { n: SEEKS, nFrames: FRAME_SEEKS, dur: s.duration_ms });
    report.seek = summary(res.seeks);
    report.seek_plus_two_frames = summary(res.withFrame);
    report.two_frames_no_seek = summary(res.framesOnly);
    if (res.bad.length) report.seek_errors = res.bad.slice(0, 5);
    report.memory_after_10min_seeks = await memory(page, cdp);
    if (errors.length) report.console_errors_10min = errors;
    await ctx.close();
  }

  // 2. Memory of a 1-hour run, in a fresh page (wasm memory never shrinks).
  {
    const { ctx, page, errors, cdp } = await openApp(browser, server.url);
    report.memory_at_start = await memory(page, cdp);
    const s = scenario(3600000);
    report.memory_scenario = s;
    const end = await loadAndRunToEnd(page, s);
    report.simulate_1h = {
      ms: +end.ms.toFixed(1), reached_t_ms: end.t_ms, events: end.events, messages_sent: end.messages_sent,
    };
    // Let the app redraw the end state before measuring.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    report.memory_1h = await memory(page, cdp);
    if (errors.length) report.console_errors_1h = errors;
    await ctx.close();
  }
} finally {
  await browser.close();
  server.stop();
}
report.wall_s = +((Date.now() - wall0) / 1000).toFixed(1);

const f = (x) => (x == null ? 'n/a' : x.toFixed(2));
const m = report.memory_1h;
const lines = [
  `seek bench (headless Chromium ${report.chromium}), 5 nodes, 4 clients, seed 5`,
  `simulate 10 min (one seek(600000)): ${report.simulate_10min.ms.toFixed(0)} ms, ${report.simulate_10min.events} events`,
  `seek to a random time (${report.seek.n} seeks): median ${f(report.seek.median)} ms, p95 ${f(report.seek.p95)} ms, max ${f(report.seek.max)} ms`,
  `seek + 2 rAF (${report.seek_plus_two_frames.n} samples): median ${f(report.seek_plus_two_frames.median)} ms, p95 ${f(report.seek_plus_two_frames.p95)} ms, max ${f(report.seek_plus_two_frames.max)} ms`,
  `2 rAF, no seek (baseline, ${report.two_frames_no_seek.n} samples): median ${f(report.two_frames_no_seek.median)} ms, p95 ${f(report.two_frames_no_seek.p95)} ms, max ${f(report.two_frames_no_seek.max)} ms`,
  `simulate 1 h (one seek(3600000)): ${report.simulate_1h.ms.toFixed(0)} ms, ${report.simulate_1h.events} events`,
  `memory, 1-h run at its end: JS heap ${m.js_heap_used_mb} MB used (performance.memory ${m.performance_memory_used_mb ?? 'n/a'} MB), wasm memory ${m.wasm_memory_mb} MB, total ${m.total_mb} MB`,
  `  (fresh page before loading: JS heap ${report.memory_at_start.js_heap_used_mb} MB, wasm ${report.memory_at_start.wasm_memory_mb} MB)`,
  `wall time ${report.wall_s} s`,
];
for (const k of ['seek_errors', 'console_errors_10min', 'console_errors_1h']) {
  if (report[k]) lines.push(`${k}: ${JSON.stringify(report[k])}`);
}
console.log(lines.join('\n'));
mkdirSync(join(root, 'out'), { recursive: true });
writeFileSync(join(root, 'out', 'seek-bench.json'), JSON.stringify(report, null, 2) + '\n');
console.log(`wrote ${join('out', 'seek-bench.json')}`);
