// Shared set-up for the end-to-end tests and the frame benchmark: serve
// dist/ from a sub-path on 127.0.0.1, drive Debian's Chromium.
import { spawn } from 'node:child_process';
import { mkdtempSync, cpSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { chromium } from 'playwright-core';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const shots = join(root, 'out', 'screenshots');

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Serve a copy of dist/ (or $QUORUM_DIST, to compare two builds) at
 * http://127.0.0.1:PORT/course/quorum/ (a sub-path). */
export async function serve() {
  const site = mkdtempSync(join(tmpdir(), 'quorum-site-'));
  const sub = join(site, 'course', 'quorum');
  mkdirSync(sub, { recursive: true });
  cpSync(process.env.QUORUM_DIST || join(root, 'dist'), sub, { recursive: true });
  const port = await freePort();
  const proc = spawn('python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', site], {
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}/course/quorum/`;
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(url);
      if (r.ok) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, stop: () => proc.kill() };
}

// Playwright gives each launch a fresh, empty profile of its own. Its
// pages have seen the welcome (a first visit shows it over the page);
// `browser.newFirstVisit()` opens a page that has not.
const WELCOMED = "try { localStorage.setItem('quorum-welcomed', '1') } catch (e) {}";
export async function launch() {
  const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const newContext = b.newContext.bind(b);
  b.newContext = async (opts) => {
    const c = await newContext(opts);
    await c.addInitScript(WELCOMED);
    return c;
  };
  b.newPage = async (opts) => {
    const c = await b.newContext(opts);
    const p = await c.newPage();
    p.on('close', () => c.close().catch(() => {}));
    return p;
  };
  b.newFirstVisit = async (opts) => {
    const c = await newContext(opts);
    const p = await c.newPage();
    p.on('close', () => c.close().catch(() => {}));
    return p;
  };
  return b;
}

/** Open the app; collect console errors and page errors. */
export async function open(browser, url, viewport = { width: 1280, height: 900 }) {
  const page = await browser.newPage({ viewport });
  const errors = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  await page.waitForFunction(() => window.quorum && window.quorum.state().nodes.length > 0);
  return { page, errors };
}

export async function until(page, fn, arg, timeout = 15000) {
  const h = await page.waitForFunction(fn, arg, { timeout, polling: 50 });
  return h.jsonValue();
}
