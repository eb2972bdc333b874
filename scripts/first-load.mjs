// The first load as a phone sees it (issue 12): dist/ served gzipped as
// static hosts serve it, from a sub-path.
//
//   trunk build --release --offline && node scripts/first-load.mjs [--lighthouse] [--a11y]
//
// 1. In headless Chromium (Playwright), the bytes on the wire (gzip,
//    Resource Timing) of every response finished before the boot module
//    marks its first frame (`quorum:ring`), the time to it and to the full
//    page's takeover (`quorum:app-drawn`), and what loads later (the full
//    page, the worker, a scenario).
// 2. The same load with the CPU slowed 4x (CDP): the long tasks until the
//    full page is in, and their blocking time (each task's time over 50 ms).
// 3. With --lighthouse: Lighthouse's mobile preset (simulated slow 4G, 4x
//    CPU), performance category: the score, LCP, FCP, TBT. Lighthouse
//    12.2.3 is installed on first use into out/lighthouse/ (npm registry).
// Writes out/first-load.json. A measurement, not a test.
import { createServer } from 'node:http';
import { readFileSync, existsSync, statSync, mkdirSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join, extname, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const SUB = '/course/quorum/';
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css',
  '.wasm': 'application/wasm', '.json': 'application/json', '.svg': 'image/svg+xml',
};

function serve() {
  const cache = new Map();
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (!path.startsWith(SUB)) { res.writeHead(404).end(); return; }
    let file = join(dist, path.slice(SUB.length));
    if (!file.startsWith(dist)) { res.writeHead(403).end(); return; }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) { res.writeHead(404).end(); return; }
    if (!cache.has(file)) cache.set(file, gzipSync(readFileSync(file), { level: 9 }));
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-encoding': 'gzip',
      'cache-control': 'no-cache',
    });
    res.end(cache.get(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const server = await serve();
const url = `http://127.0.0.1:${server.address().port}${SUB}`;
const out = { url_path: SUB };
try {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  // The page marks the moment its first module has drawn the ring
  // (`quorum:ring`, boot/) and the moment the full page has taken over
  // (`quorum:app-drawn`); Resource Timing gives each file's bytes on the
  // wire and when it finished.
  const load = async (cpu) => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    if (cpu > 1) await cdp.send('Emulation.setCPUThrottlingRate', { rate: cpu });
    await page.addInitScript(() => {
      window.__long = [];
      new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__long.push([Math.round(e.startTime), Math.round(e.duration)]); })
        .observe({ type: 'longtask', buffered: true });
    });
    await page.goto(url);
    await page.waitForFunction(() => performance.getEntriesByName('quorum:app-drawn').length > 0, null, { timeout: 60000 });
    await page.waitForTimeout(cpu > 1 ? 3000 : 500);
    const r = await page.evaluate(() => {
      const at = (n) => performance.getEntriesByName(n)[0]?.startTime;
      const nav = performance.getEntriesByType('navigation')[0];
      const files = [{ file: '', bytes: nav.transferSize, end: nav.responseEnd },
        ...performance.getEntriesByType('resource').map((e) => ({ file: e.name, bytes: e.transferSize, end: e.responseEnd }))];
      return { marks: performance.getEntriesByType('mark').map((m) => [m.name, Math.round(m.startTime)]), ring: at('quorum:ring'), app: at('quorum:app-drawn'), files, long: window.__long };
    });
    await page.close();
    return r;
  };
  const r = await load(1);
  const name = (f) => f.replace(url, '') || '(index.html)';
  const before = r.files.filter((f) => f.end <= r.ring);
  out.first_load_bytes = before.reduce((a, f) => a + f.bytes, 0);
  out.first_load = before.map((f) => ({ file: name(f.file), bytes: f.bytes }));
  out.later = r.files.filter((f) => f.end > r.ring).map((f) => ({ file: name(f.file), bytes: f.bytes }));
  out.ring_drawn_ms = Math.round(r.ring);
  out.app_drawn_ms = Math.round(r.app);
  console.log(`first load, before the ring is drawn: ${out.first_load_bytes} bytes on the wire (gzip), ring at ${out.ring_drawn_ms} ms, full page at ${out.app_drawn_ms} ms (this machine, no throttling)`);
  for (const f of out.first_load) console.log(`  ${String(f.bytes).padStart(8)}  ${f.file}`);
  console.log('loaded after the ring is drawn:');
  for (const f of out.later) console.log(`  ${String(f.bytes).padStart(8)}  ${f.file}`);
  // Long tasks with the CPU slowed 4x (as Lighthouse's mobile preset
  // assumes): the main thread's blocking time until the full page is in.
  const slow = await load(4);
  out.cpu4 = { ring_ms: Math.round(slow.ring), app_ms: Math.round(slow.app), marks: slow.marks, long_tasks: slow.long,
    blocking_ms: slow.long.reduce((a, [, d]) => a + Math.max(0, d - 50), 0) };
  console.log(`4x CPU: ring at ${out.cpu4.ring_ms} ms, full page at ${out.cpu4.app_ms} ms; long tasks [start, ms] ${JSON.stringify(slow.long)}; blocking ${out.cpu4.blocking_ms} ms`);
  await browser.close();

  if (process.argv.includes('--lighthouse')) {
    const lhDir = join(root, 'out', 'lighthouse');
    const lhBin = join(lhDir, 'node_modules', '.bin', 'lighthouse');
    if (!existsSync(lhBin)) {
      mkdirSync(lhDir, { recursive: true });
      execFileSync('npm', ['i', '--prefix', lhDir, '-E', '--no-audit', '--no-fund', 'lighthouse@12.2.3'], { stdio: 'inherit' });
    }
    const runs = [];
    for (let i = 0; i < 3; i++) {
      // Asynchronously: this process serves the pages Lighthouse loads.
      const { stdout: json } = await promisify(execFile)(lhBin, [url, '--only-categories=performance', '--output=json', '--quiet',
        '--chrome-flags=--headless --no-sandbox --disable-gpu'], {
        env: { ...process.env, CHROME_PATH: '/usr/bin/chromium' }, maxBuffer: 64 << 20,
      });
      const r = JSON.parse(json);
      const a = r.audits;
      runs.push({
        score: Math.round(r.categories.performance.score * 100),
        lcp_ms: Math.round(a['largest-contentful-paint'].numericValue),
        fcp_ms: Math.round(a['first-contentful-paint'].numericValue),
        tbt_ms: Math.round(a['total-blocking-time'].numericValue),
        tti_ms: Math.round(a.interactive?.numericValue ?? 0),
        bytes: a['total-byte-weight'].numericValue,
        lcp_element: JSON.stringify(a['largest-contentful-paint-element']?.details?.items?.[0]?.items?.[0]?.node?.selector ?? null),
      });
      console.log(`lighthouse mobile run ${i + 1}: performance ${runs.at(-1).score}, LCP ${runs.at(-1).lcp_ms} ms, FCP ${runs.at(-1).fcp_ms} ms, TBT ${runs.at(-1).tbt_ms} ms, ${runs.at(-1).bytes} bytes; LCP element ${runs.at(-1).lcp_element}`);
    }
    out.lighthouse = runs;
  }
  if (process.argv.includes('--a11y')) {
    // Lighthouse's accessibility category, mobile and desktop presets
    // (after `--lighthouse` installed it): the score and what failed.
    const lhBin = join(root, 'out', 'lighthouse', 'node_modules', '.bin', 'lighthouse');
    out.a11y = {};
    for (const preset of ['mobile', 'desktop']) {
      const args = [url, '--only-categories=accessibility', '--output=json', '--quiet',
        '--chrome-flags=--headless --no-sandbox --disable-gpu', ...(preset === 'desktop' ? ['--preset=desktop'] : [])];
      const { stdout: json } = await promisify(execFile)(lhBin, args, {
        env: { ...process.env, CHROME_PATH: '/usr/bin/chromium' }, maxBuffer: 64 << 20,
      });
      const r = JSON.parse(json);
      const failed = Object.values(r.audits).filter((x) => x.score === 0).map((x) => x.id);
      out.a11y[preset] = { score: Math.round(r.categories.accessibility.score * 100), failed };
      console.log(`lighthouse ${preset} accessibility ${out.a11y[preset].score}${failed.length ? `; failed: ${failed.join(', ')}` : ''}`);
    }
  }
} finally {
  server.close();
}
mkdirSync(join(root, 'out'), { recursive: true });
writeFileSync(join(root, 'out', 'first-load.json'), JSON.stringify(out, null, 2));
