// Frame-rate benchmark (not a test): a 9-node cluster under a client load
// that keeps 100+ messages in flight, animated in headless Chromium.
// Measures requestAnimationFrame intervals over 10 s; prints the median and
// worst frame and the messages in flight. Run: node e2e/frame-bench.mjs
import { serve, launch, open, until } from './harness.mjs';

const seconds = Number(process.env.SECONDS_TO_MEASURE || 10);
const scenario = {
  version: 1, name: 'frame bench', seed: 3, nodes: 9, duration_ms: 3600000,
  timing: { election_timeout_ms: [300, 600], heartbeat_ms: 50, latency_ms: [40, 90] },
  clients: { count: 40, think_ms: [0, 20], keys: 5, timeout_ms: 2000 },
};

const server = await serve();
const browser = await launch();
try {
  const { page, errors } = await open(browser, server.url, { width: 1280, height: 900 });
  const r = await page.evaluate((s) => window.quorum.load(s), scenario);
  if (!r.ok) throw new Error(JSON.stringify(r));
  await page.evaluate(() => { window.quorum.setSpeed(1); window.quorum.play(); });
  await until(page, () => window.quorum.stats().in_flight >= 100, undefined, 20000);
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
  const d = res.ts.slice(1).map((t, i) => t - res.ts[i]).sort((a, b) => a - b);
  const median = d[Math.floor(d.length / 2)];
  const worst = d[d.length - 1];
  const p99 = d[Math.floor(d.length * 0.99)];
  const inf = res.inflight.sort((a, b) => a - b);
  console.log(`frames: ${d.length} in ${seconds} s (${(d.length / seconds).toFixed(1)} fps)`);
  console.log(`frame interval: median ${median.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, worst ${worst.toFixed(2)} ms`);
  console.log(`messages in flight: min ${inf[0]}, median ${inf[Math.floor(inf.length / 2)]}, max ${inf[inf.length - 1]}`);
  if (errors.length) console.log('console errors:', errors);
} finally {
  await browser.close();
  server.stop();
}
