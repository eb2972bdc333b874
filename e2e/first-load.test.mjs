// End-to-end: the first load (issue 12). A small module (boot/) draws the
// live cluster and its play control; the full page loads after the first
// frame and takes the run over at the same seed and virtual time. Nothing
// on screen may move or change when it does.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch } from './harness.mjs';

let server, browser;
before(async () => {
  server = await serve();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  server?.stop();
});

/** A page whose full module waits until `release()` is called. */
async function held(viewport) {
  const page = await browser.newPage({ viewport });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  let release;
  const gate = new Promise((r) => { release = r; });
  await page.route('**/quorum-app.js', async (route) => { await gate; await route.continue(); });
  // Every layout shift not caused by input (as CLS counts them), from the
  // start: none may happen at the takeover.
  await page.addInitScript(() => {
    window.__shifts = [];
    new PerformanceObserver((l) => { for (const e of l.getEntries()) if (!e.hadRecentInput) window.__shifts.push(e.value); })
      .observe({ type: 'layout-shift', buffered: true });
  });
  return { page, errors, release };
}

// What both modules draw above the linked views, comparable: the markup of
// the controls, the timeline and the ring with the safety panel; input
// values are properties (the boot module also writes them as attributes), and
// the flight list is the app's own (shown while paused).
const drawn = () => {
  const root = document.querySelector('.quorum');
  const parts = ['header.controls', '.scrubber', 'main.stage'].map((sel) => {
    const el = root.querySelector(sel).cloneNode(true);
    el.querySelector('#flight-list')?.remove();
    for (const i of el.querySelectorAll('input')) i.removeAttribute('value');
    // Attribute order is the order they were set in: not compared.
    for (const e of [el, ...el.querySelectorAll('*')]) {
      const attrs = [...e.attributes].map((a) => [a.name, a.value]).sort(([a], [b]) => (a < b ? -1 : 1));
      for (const [n] of attrs) e.removeAttribute(n);
      for (const [n, v] of attrs) e.setAttribute(n, v);
    }
    return el.outerHTML;
  });
  const inputs = [...root.querySelectorAll('header input, .scrubber input')].map((i) => `${i.getAttribute('aria-label')}=${i.value}`);
  const ring = root.querySelector('.ring-box').getBoundingClientRect();
  return { parts, inputs, ring: [ring.x, ring.y, ring.width, ring.height], clock: root.querySelector('#clock').textContent };
};

for (const viewport of [{ width: 1280, height: 900 }, { width: 390, height: 844 }]) {
  test(`the first load hands the run over to the full page with nothing moved (${viewport.width} px)`, async () => {
    const { page, errors, release } = await held(viewport);
    await page.goto(server.url);
    // The boot module runs the cluster on its own: time passes, the ring is drawn.
    await page.waitForSelector('#boot g.node[data-node="5"]');
    await page.waitForFunction(() => document.querySelector('#boot #clock').textContent !== 't = 0.000 s');
    assert.equal(await page.evaluate(() => !!window.quorum), false, 'the full page is held back');
    // Pause in the boot module: the app must take over paused, at this moment.
    await page.click('#boot #play');
    assert.equal(await page.textContent('#boot #play'), 'Play');
    const boot = await page.evaluate(drawn);
    const seed = await page.textContent('#boot #seed');
    release();
    await page.waitForFunction(() => window.quorum && !document.getElementById('boot'));
    const app = await page.evaluate(drawn);
    for (let i = 0; i < boot.parts.length; i++) {
      const [a, b] = [boot.parts[i], app.parts[i]];
      let k = 0;
      while (k < a.length && a[k] === b[k]) k++;
      assert.ok(a === b, `the full page's markup differs from the first load's (boot/src/page.html) at\n  boot: ${a.slice(k - 80, k + 160)}\n  app:   ${b.slice(k - 80, k + 160)}`);
    }
    assert.deepEqual(app.inputs, boot.inputs);
    assert.deepEqual(app.ring, boot.ring);
    assert.equal(app.clock, boot.clock);
    assert.equal(await page.textContent('#seed'), seed);
    const st = await page.evaluate(() => window.quorum.state());
    assert.equal(st.running, false);
    assert.equal(`t = ${(st.t_ms / 1000).toFixed(3)} s`, boot.clock);
    assert.equal(await page.evaluate(() => document.querySelectorAll('.quorum').length), 1);
    const shifts = await page.evaluate(() => window.__shifts);
    assert.deepEqual(shifts.filter((v) => v > 0), [], 'no layout shift');
    // The app runs the same cluster on: play, and a leader comes.
    await page.evaluate(() => { window.quorum.setSpeed(1); window.quorum.play(); });
    await page.waitForFunction(() => window.quorum.state().nodes.some((n) => n.role === 'leader'), null, { timeout: 15000 });
    assert.deepEqual(errors, []);
    await page.close();
  });
}

test('a link skips the first-load module; a full page that cannot load says so', async () => {
  const page = await browser.newPage();
  await page.goto(`${server.url}?quiet=0`);
  await page.waitForFunction(() => window.quorum);
  assert.equal(await page.evaluate(() => !!window.quorumBoot), false, 'no boot with a query');
  // The language and the theme are not a link: the live cluster starts.
  await page.goto(`${server.url}?lang=en&theme=dark`);
  await page.waitForFunction(() => window.quorum);
  assert.equal(await page.evaluate(() => !!window.quorumBoot), true, 'the boot module with lang= and theme=');
  await page.close();

  const broken = await browser.newPage();
  await broken.route('**/quorum-app_bg.wasm', (route) => route.fulfill({ status: 404, body: 'gone' }));
  await broken.goto(server.url);
  await broken.waitForSelector('#boot g.node');
  const alert = await broken.waitForSelector('.notice[role="alert"]', { timeout: 15000 });
  assert.match(await alert.textContent(), /could not load completely/);
  // The boot module's cluster still runs.
  const t0 = await broken.textContent('#boot #clock');
  await broken.waitForFunction((t) => document.querySelector('#boot #clock').textContent !== t, t0);
  await broken.close();
});

test('until a module draws, a skeleton says the cluster is loading; without WebAssembly or when a module fails, the page says so', async () => {
  // A lesson skips the boot module: the skeleton shows until the full page draws.
  const { page, release } = await held({ width: 1280, height: 900 });
  await page.goto(`${server.url}?lesson=lesson-basic-election`);
  assert.equal(await page.textContent('#skeleton-text'), 'Loading the cluster…');
  release();
  await page.waitForFunction(() => window.quorum && !document.getElementById('skeleton'));
  await page.close();
  // In Chinese, by lang=.
  const zh = await browser.newPage();
  await zh.route('**/quorum-app.js', () => {});
  await zh.goto(`${server.url}?lang=zh-CN`);
  assert.equal(await zh.textContent('#skeleton-text'), '正在加载集群…');
  await zh.close();
  // No WebAssembly: said in the page, not only in the console.
  const old = await browser.newPage();
  await old.addInitScript(() => { delete window.WebAssembly; });
  await old.goto(server.url);
  const msg = await old.waitForSelector('#skeleton.failed[role="alert"]');
  assert.match(await msg.textContent(), /needs WebAssembly/);
  await old.close();
  // A module that does not load, on a link (no boot module drew anything).
  const broken = await browser.newPage();
  await broken.route('**/quorum-app_bg.wasm', (route) => route.fulfill({ status: 404, body: 'gone' }));
  await broken.goto(`${server.url}?lesson=lesson-basic-election`);
  const said = await broken.waitForSelector('#skeleton.failed', { timeout: 15000 });
  assert.match(await said.textContent(), /could not load/);
  assert.match(await broken.textContent('.notice[role="alert"]'), /could not load completely/);
  await broken.close();
});
