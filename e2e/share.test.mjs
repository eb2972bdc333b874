// End-to-end: share links, hostile links, one run on two platforms,
// lessons, the embed example driven by postMessage, import and export.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { deflateRawSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, launch, open, until, shots, root } from './harness.mjs';

let server, browser;
before(async () => {
  mkdirSync(shots, { recursive: true });
  server = await serve();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  server?.stop();
});

const cli = join(root, 'target', 'release', 'quorum');
const pack = (obj) => '#q1.' + deflateRawSync(Buffer.from(JSON.stringify(obj))).toString('base64url');
const scenario = {
  version: 1, name: 'share e2e', seed: 23, nodes: 5, duration_ms: 600000,
  clients: { count: 2, think_ms: [20, 80], keys: 2, timeout_ms: 800 },
};
const comparable = (s) => ({ t_ms: s.t_ms, nodes: s.nodes, in_flight: s.in_flight });

test('a link replays the run to the same moment, in a new page', async () => {
  const { page, errors } = await open(browser, server.url);
  await page.evaluate((s) => { window.quorum.load(s); window.quorum.setSpeed(2); window.quorum.play(); }, scenario);
  await until(page, () => window.quorum.state().t_ms > 700);
  await page.evaluate(() => window.quorum.act({ do: 'crash', node: 2 }));
  await until(page, () => window.quorum.state().t_ms > 1300);
  await page.evaluate(() => window.quorum.pause());
  const here = await page.evaluate(() => window.quorum.state());
  // The button and the API give the same link.
  await page.click('#copy-link');
  const shown = await page.inputValue('#share-link');
  const api = await page.evaluate(() => window.quorum.link());
  assert.ok(shown.includes('#q1.') && api.includes('#q1.'));
  assert.ok(shown.length < 600, `link of ${shown.length} characters`);
  for (const link of [shown, api]) {
    const other = await open(browser, link);
    await until(other.page, (t) => window.quorum.state().t_ms === t, here.t_ms);
    const there = await other.page.evaluate(() => window.quorum.state());
    assert.equal(there.running, false, 'a link opens paused at its moment');
    assert.deepEqual(comparable(there), comparable(here));
    assert.deepEqual(await other.page.evaluate(() => window.quorum.scenario()),
      await page.evaluate(() => window.quorum.scenario()));
    assert.equal(await other.page.$('#older-notice'), null, 'this build\'s link: no behaviour notice');
    assert.deepEqual(other.errors, []);
    await other.page.close();
  }
  assert.deepEqual(errors, []);
});

test('hostile links: a clear message and a working default cluster, never HTML', async () => {
  const cases = [
    ['#q2.abc', /newer version of Quorum/],
    ['#q1.%%%%', /damaged/],
    ['#q1.AAAA', /damaged/],
    ['#nonsense', /damaged/],
    [pack({ s: { version: 1, nodes: 5000 }, t: 0 }), /asks for 5000 nodes/],
    [pack({ s: { version: 1, nodes: 3 }, t: 99e9 }), /outside the run/],
    ['#q1.' + deflateRawSync(Buffer.alloc(8 << 20, 48)).toString('base64url'), /too large/],
  ];
  for (const [frag, want] of cases) {
    const { page, errors } = await open(browser, server.url + frag);
    await page.waitForSelector('#notice');
    assert.match(await page.textContent('#notice'), want, frag.slice(0, 40));
    const s = await page.evaluate(() => window.quorum.state());
    assert.equal(s.nodes.length, 5, 'the default cluster runs');
    await page.evaluate(() => { window.quorum.setSpeed(2); window.quorum.play(); });
    await until(page, () => window.quorum.state().t_ms > 300);
    assert.deepEqual(errors, []);
    await page.close();
  }
  // A valid but enormous run, linked at its last moment: the page replays
  // for a few seconds, stops short and says so, and stays usable.
  const heavy = pack({ s: { version: 1, nodes: 101, duration_ms: 86400000,
    clients: { count: 1000, think_ms: [0, 1], keys: 50 } }, t: 86400000 });
  {
    const { page, errors } = await open(browser, server.url + heavy);
    await page.waitForSelector('#notice', { timeout: 30000 });
    assert.match(await page.textContent('#notice'), /too heavy to replay to 86400\.000 s/);
    // (Only numbers cross back: this run's full state is huge.)
    const [n, t] = await page.evaluate(() => { const s = window.quorum.stats(); return [window.quorum.scenario().nodes, s.t_ms]; });
    assert.equal(n, 101);
    assert.ok(t > 0 && t < 86400000, String(t));
    assert.deepEqual(errors, []);
    await page.close();
  }
  // Markup in a link's text stays text.
  const evil = pack({ s: { version: 1, nodes: 3, name: '<img src=x onerror="window.pwned=1">',
    captions: [{ at_ms: 0, text: '<img src=x onerror="window.pwned=1"><b>bold</b>' }] }, t: 0 });
  const { page, errors } = await open(browser, server.url + evil);
  await page.waitForSelector('#caption');
  assert.equal(await page.textContent('#caption'), '<img src=x onerror="window.pwned=1"><b>bold</b>');
  assert.equal(await page.$('#caption img, #caption b'), null);
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  assert.deepEqual(errors, []);
});

test('a link from an older simulator behaviour opens with a notice, in the page\'s language', async () => {
  // As builds before behaviour 2 wrote links: no `b` in the payload.
  const old = pack({ lib: 'paper-fig7', t: 500 });
  const { page, errors } = await open(browser, server.url + old);
  await page.waitForSelector('#older-notice');
  assert.equal(await page.getAttribute('#older-notice', 'role'), 'status');
  assert.match(await page.textContent('#older-notice'),
    /This link was made with simulator behaviour 1; this page runs behaviour \d+\. The run may differ from the one that was shared\./);
  assert.equal((await page.evaluate(() => window.quorum.state())).t_ms, 500, 'it opens, at its moment');
  await page.click('#older-notice button');
  await page.waitForSelector('#older-notice', { state: 'detached' });
  assert.deepEqual(errors, []);
  await page.close();
  const zh = await open(browser, server.url + '?lang=zh' + old);
  await zh.page.waitForSelector('#older-notice');
  assert.equal(await zh.page.getAttribute('#older-notice', 'lang'), 'zh-CN');
  assert.match(await zh.page.textContent('#older-notice'), /此链接由模拟器行为版本 1 生成/);
  assert.equal(await zh.page.getAttribute('#older-notice button', 'aria-label'), '关闭');
  await zh.page.close();
  // A newer behaviour: refused by name, the default cluster runs.
  const future = await open(browser, server.url + pack({ b: 999, lib: 'paper-fig7', t: 500 }));
  await future.page.waitForSelector('#notice');
  assert.match(await future.page.textContent('#notice'), /made with simulator behaviour 999/);
  assert.equal(await future.page.$('#older-notice'), null);
  await future.page.close();
});

test('one link, one run: the browser and `quorum run --link` agree on the node states', async () => {
  const { page, errors } = await open(browser, server.url);
  await page.evaluate((s) => { window.quorum.load(s); window.quorum.setSpeed(2); window.quorum.play(); }, scenario);
  await until(page, () => window.quorum.state().t_ms > 400);
  await page.evaluate(() => window.quorum.act({ do: 'partition', groups: [[1, 2]] }));
  await until(page, () => window.quorum.state().t_ms > 900);
  await page.evaluate(() => window.quorum.pause());
  const link = await page.evaluate(() => window.quorum.link());
  const T = 2345.678;
  const fresh = await open(browser, link);
  await fresh.page.evaluate((t) => window.quorum.seek(t), T);
  const browserState = await fresh.page.evaluate(() => window.quorum.state());
  const out = execFileSync(cli, ['run', '--link', link, '--until', String(T), '--state'], { encoding: 'utf8' });
  const native = JSON.parse(out);
  assert.equal(native.t_ms, T);
  assert.equal(browserState.t_ms, T);
  assert.deepEqual(browserState.nodes, native.nodes);
  assert.deepEqual(errors, []);
  assert.deepEqual(fresh.errors, []);
});

test('lessons: captions appear, Next stops at the next one, a question asks and explains, Back returns', async () => {
  const { page, errors } = await open(browser, server.url + '?lesson=lesson-split-vote');
  await page.waitForSelector('#lesson');
  const file = await page.evaluate(() => window.quorum.scenario());
  assert.ok(file.captions.length >= 3 && file.questions.length >= 1);
  const stops = [...new Set([...file.captions, ...file.questions].map((c) => Math.round(c.at_ms * 1000)))].sort((a, b) => a - b);
  assert.equal(await page.evaluate(() => window.quorum.state().running), false, 'a lesson waits for Next');
  await page.evaluate(() => window.quorum.setSpeed(10));
  const seen = [];
  for (let i = 0; i < stops.length; i++) {
    const before = await page.evaluate(() => window.quorum.state().t_ms);
    const next = stops.find((t) => t > Math.round(before * 1000));
    if (next === undefined) break;
    await page.click('#lesson-next');
    await until(page, () => !window.quorum.state().running);
    const t = await page.evaluate(() => window.quorum.state().t_ms);
    assert.equal(Math.round(t * 1000), next, 'Next pauses exactly at the next stop');
    const q = file.questions.find((x) => Math.round(x.at_ms * 1000) === next);
    if (q) {
      await page.waitForSelector('#question');
      assert.equal(await page.textContent('#question h2'), q.question);
      const wrong = (q.answer + 1) % q.choices.length;
      await page.click(`#question .choice[data-choice="${wrong}"]`);
      assert.match(await page.textContent('#verdict'), /Not quite/);
      await page.click('#question-continue');
      assert.equal(await page.$('#question'), null);
    }
    const cap = file.captions.filter((c) => Math.round(c.at_ms * 1000) <= next).pop();
    if (cap) assert.equal(await page.textContent('#caption'), cap.text);
    seen.push(t);
  }
  assert.ok(seen.length >= 2, `stopped at ${seen}`);
  const at = await page.evaluate(() => window.quorum.state().t_ms);
  await page.click('#lesson-back');
  const back = await page.evaluate(() => window.quorum.state().t_ms);
  assert.ok(back < at, `${back} < ${at}`);
  assert.ok(stops.includes(Math.round(back * 1000)), 'Back lands on a stop');
  await page.screenshot({ path: join(shots, 'lesson.png') });
  assert.deepEqual(errors, []);
});

test('the embed example: two lessons driven by postMessage; every command is answered, bad ones with the reason', async () => {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const warnings = [];
  const errors = [];
  page.on('console', (m) => {
    if (m.type() === 'warning') warnings.push(m.text());
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(server.url + 'embed-example.html');
  await until(page, () => window.received.filter((m) => m.type === 'quorum:ready').length === 2);
  const frame = (id) => page.frameLocator(`#${id}`);
  const fa = page.frames().find((f) => f.url().includes('lesson-basic-election'));
  const fb = page.frames().find((f) => f.url().includes('lesson-split-vote'));
  await fa.waitForFunction(() => window.quorum?.scenario().name.length > 0);
  await fb.waitForFunction(() => window.quorum?.scenario().name.length > 0);
  // Next caption on lesson a, from the parent page.
  const t0 = await fa.evaluate(() => window.quorum.state().t_ms);
  await page.click('button[data-frame="a"][data-msg="quorum:next"]');
  await fa.waitForFunction((t) => window.quorum.state().t_ms > t && !window.quorum.state().running, t0);
  // The lesson says where it stopped.
  await until(page, () => window.received.some((m) => m.type === 'quorum:caption' && m.from === 'a'));
  const cap = await page.evaluate(() => window.received.find((m) => m.type === 'quorum:caption' && m.from === 'a'));
  assert.equal(cap.t_ms, await fa.evaluate(() => window.quorum.state().t_ms));
  assert.equal(cap.index, Number(await fa.evaluate(() => document.querySelector('#caption').dataset.index)));
  // Each frame is as tall as its content (quorum:resize), nothing scrolls inside.
  for (const id of ['a', 'b']) {
    await until(page, (i) => window.received.some((m) => m.type === 'quorum:resize' && m.from === i), id);
    const f = id === 'a' ? fa : fb;
    const inner = await f.evaluate(() => document.documentElement.scrollHeight);
    const outer = await page.evaluate((i) => document.getElementById(i).clientHeight, id);
    assert.ok(inner <= outer + 1, `frame ${id}: content ${inner} px in a ${outer} px frame`);
  }
  // Ask for the state: the reply is the same JSON as quorum.state().
  await page.click('button[data-frame="a"][data-msg="quorum:getState"]');
  await until(page, () => window.received.some((m) => m.type === 'quorum:state' && m.from === 'a'));
  const reply = await page.evaluate(() => window.received.find((m) => m.type === 'quorum:state'));
  const direct = await fa.evaluate(() => window.quorum.state());
  assert.deepEqual({ ...reply, type: undefined, from: undefined }, { ...direct, type: undefined, from: undefined });
  // Seek and play lesson b: it reports its leader and commits.
  await page.click('button[data-frame="b"][data-seek="1000"]');
  await fb.waitForFunction(() => window.quorum.state().t_ms === 1000);
  await page.click('button[data-frame="b"][data-msg="quorum:play"]');
  await until(page, () => window.received.some((m) => m.type === 'quorum:leader' && m.from === 'b'));
  const leader = await page.evaluate(() => window.received.find((m) => m.type === 'quorum:leader' && m.from === 'b'));
  assert.ok(leader.term >= 1 && leader.node >= 1);
  await page.click('button[data-frame="b"][data-load="1"]');
  await fb.waitForFunction(() => window.quorum.scenario().name === 'three');
  // Malformed and unknown messages: a warning, nothing else.
  await page.evaluate(() => {
    const w = document.getElementById('b').contentWindow;
    w.postMessage({ type: 'quorum:seek', t_ms: -5 }, '*');
    w.postMessage({ type: 'quorum:bogus' }, '*');
    w.postMessage({ type: 'quorum:load', scenario: { version: 1, nodes: 5000 } }, '*');
    w.postMessage('quorum:play', '*');
    w.postMessage(null, '*');
  });
  await until(page, () => true);
  await page.waitForTimeout(300);
  assert.ok(warnings.some((w) => /quorum:seek needs t_ms/.test(w)), warnings.join('\n'));
  assert.ok(warnings.some((w) => /unknown message "quorum:bogus"/.test(w)), warnings.join('\n'));
  assert.ok(warnings.some((w) => /quorum:load refused/.test(w)), warnings.join('\n'));
  assert.equal(await fb.evaluate(() => window.quorum.scenario().name), 'three');
  // Every command is answered, with the reason when refused, and carries
  // the request id back.
  const replies = await page.evaluate(() => window.received.filter((m) => m.type === 'quorum:reply' && m.from === 'b'));
  const seekNo = replies.find((r) => r.command === 'quorum:seek' && !r.ok);
  assert.match(seekNo?.error ?? '', /needs t_ms/);
  assert.ok(replies.some((r) => r.command === 'quorum:bogus' && !r.ok && /unknown message/.test(r.error)));
  assert.ok(replies.some((r) => r.command === 'quorum:load' && !r.ok && /refused/.test(r.error)));
  assert.ok(replies.some((r) => r.command === 'quorum:load' && r.ok), 'the good load was answered ok');
  await page.evaluate(() => {
    const w = document.getElementById('b').contentWindow;
    w.postMessage({ type: 'quorum:speed', speed: 0.5, skip_quiet: false, request_id: 'sp-1' }, '*');
    w.postMessage({ type: 'quorum:speed', speed: 'fast', request_id: 'sp-2' }, '*');
    w.postMessage({ type: 'quorum:getState', request_id: 42 }, '*');
  });
  await until(page, () => ['sp-1', 'sp-2'].every((id) => window.received.some((m) => m.request_id === id))
    && window.received.some((m) => m.type === 'quorum:state' && m.request_id === 42));
  const byId = async (id) => page.evaluate((i) => window.received.find((m) => m.request_id === i), id);
  assert.deepEqual(await byId('sp-1'), { from: 'b', type: 'quorum:reply', command: 'quorum:speed', ok: true, request_id: 'sp-1' });
  assert.match((await byId('sp-2')).error, /speed must be a positive number/);
  assert.equal((await byId(42)).speed, 0.5, 'the state reply shows the new speed');
  assert.equal((await byId(42)).skip_quiet, false);
  assert.equal(await fb.evaluate(() => document.getElementById('skip-quiet')), null, 'embed bar: no checkbox');
  assert.equal(await fb.evaluate(() => window.quorum.state().speed), 0.5);
  await page.screenshot({ path: join(shots, 'embed-example.png'), fullPage: true });
  assert.deepEqual(errors, []);
  void frame;
});

test('embed mode fits a 320 px wide frame', async () => {
  const { page, errors } = await open(browser, server.url + '?embed=1&lesson=lesson-basic-election&panels=ring', { width: 320, height: 560 });
  await page.waitForSelector('#lesson');
  assert.equal(await page.$('#library'), null, 'minimal chrome');
  assert.equal(await page.$('#lamport'), null, 'only the panels asked for');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(overflow <= 320, `scrollWidth ${overflow}`);
  await page.screenshot({ path: join(shots, 'embed-320.png') });
  assert.deepEqual(errors, []);
});

test('export the scenario, the trace (as the CLI writes it) and the ring; import by picker and by drop', async () => {
  const { page, errors } = await open(browser, server.url);
  await page.evaluate((s) => { window.quorum.load(s); window.quorum.setSpeed(2); window.quorum.play(); }, scenario);
  await until(page, () => window.quorum.state().t_ms > 600);
  await page.evaluate(() => window.quorum.act({ do: 'crash', node: 1 }));
  await until(page, () => window.quorum.state().t_ms > 900);
  await page.evaluate(() => window.quorum.pause());
  const t = await page.evaluate(() => window.quorum.state().t_ms);
  const dir = mkdtempSync(join(tmpdir(), 'quorum-dl-'));
  await page.click('#export summary');
  const grab = async (sel) => {
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click(sel)]);
    const p = join(dir, dl.suggestedFilename());
    await dl.saveAs(p);
    return [dl.suggestedFilename(), readFileSync(p, 'utf8'), p];
  };
  const [sname, stext, spath] = await grab('#export-scenario');
  assert.match(sname, /^share-e2e-seed23\.json$/);
  assert.deepEqual(JSON.parse(stext), await page.evaluate(() => window.quorum.scenario()));
  const [tname, ttext] = await grab('#export-trace');
  assert.match(tname, /\.jsonl$/);
  const native = execFileSync(cli, ['run', spath, '--until', String(t), '--trace', '-'], { encoding: 'utf8' });
  assert.equal(ttext, native, 'the trace is byte for byte the CLI\'s');
  const [, svg] = await grab('#export-svg');
  assert.ok(svg.startsWith('<svg') && svg.includes('S5') && svg.trim().endsWith('</svg>'));
  // Import by the file picker.
  const other = { ...scenario, name: 'imported', seed: 77, nodes: 3 };
  const good = join(dir, 'good.json');
  writeFileSync(good, JSON.stringify(other));
  await page.setInputFiles('#import', good);
  await until(page, () => window.quorum.scenario().name === 'imported');
  assert.equal((await page.evaluate(() => window.quorum.state())).nodes.length, 3);
  // A broken file: a clear error, the run stays.
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{"version":1,"nodes":3,"timing":{"heartbeat_ms":-1}}');
  await page.setInputFiles('#import', bad);
  await page.waitForSelector('#notice');
  assert.match(await page.textContent('#notice'), /could not import bad\.json: timing\.heartbeat_ms/);
  assert.equal(await page.evaluate(() => window.quorum.scenario().name), 'imported');
  // Drag and drop.
  await page.evaluate((text) => {
    const dt = new DataTransfer();
    dt.items.add(new File([text], 'dropped.json', { type: 'application/json' }));
    document.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, JSON.stringify({ ...other, name: 'dropped' }));
  await until(page, () => window.quorum.scenario().name === 'dropped');
  assert.deepEqual(errors, []);
});
