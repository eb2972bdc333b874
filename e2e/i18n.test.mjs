// End-to-end: the page in Chinese (issue 13). In every state a student or
// an embedding page meets, no English is left but the protocol's names
// (what the translator could not translate, and any English word still in
// the document's text or accessible names); the language follows ?lang=,
// the browser's locale, the picker (remembered), and goes back to English
// without a reload.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { serve, launch, until, shots } from './harness.mjs';

let server, browser;
before(async () => {
  server = await serve();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  server?.stop();
});

const desk = { width: 1280, height: 1900 };
const phone = { width: 390, height: 844 };

async function page(url, { viewport = desk, locale } = {}) {
  const ctx = await browser.newContext({ viewport, locale });
  const p = await ctx.newPage();
  const errors = [];
  p.on('pageerror', (e) => errors.push(String(e)));
  await p.goto(server.url + url);
  await until(p, () => !!window.quorum && !document.getElementById('boot'));
  return { p, errors, ctx };
}

/** English words in the document: text and accessible names, outside
 * translate="no", code and form fields; protocol names and the reader's
 * data aside. Also what the translator reported missing. */
const englishLeft = () => {
  const KEEP = new Set(['Quorum', 'Raft', 'RequestVote', 'AppendEntries', 'VoteGranted', 'VoteDenied', 'Heartbeat',
    'AppendOk', 'AppendRejected', 'PreVote', 'PreVoteGranted', 'PreVoteDenied', 'TimeoutNow', 'InstallSnapshot', 'SnapshotReceived', 'CheckQuorum', 'ReadIndex', 'Request', 'Reply', 'NotLeader', 'put', 'get', 'cas', 'ok', 'matchIndex',
    'nextIndex', 'commitIndex', 'lastApplied', 'currentTerm', 'votedFor', 'log', 'Fig', 'CAP', 'SVG', 'PNG',
    'JSON', 'JSONL', 'Lines', 'English']);
  const words = (s) => s.replace(/quorum run/g, '').split(/\s+/)
    .filter((t) => !/[="_'{]|^--/.test(t))
    .flatMap((t) => t.split(/[^A-Za-z0-9]+/))
    .map((w) => w.replace(/^[0-9]+|[0-9]+$/g, ''))
    .filter((w) => /^[A-Za-z]{2,}$/.test(w) && !KEEP.has(w));
  const skip = (e) => e && e.closest('[translate=no],script,style,textarea,code,noscript');
  const found = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (skip(n.parentElement)) continue;
    if (words(n.data).length) found.add(n.data.trim());
  }
  for (const e of document.body.querySelectorAll('[aria-label],[title],[placeholder],[alt],optgroup[label]')) {
    if (skip(e)) continue;
    for (const a of ['aria-label', 'title', 'placeholder', 'alt', 'label']) {
      const v = e.getAttribute(a);
      if (v && words(v).length) found.add(`${a}=${v}`);
    }
  }
  if (words(document.title).length) found.add(`title: ${document.title}`);
  return { found: [...found], missing: window.quorumI18n ? window.quorumI18n.missing() : ['no translator'] };
};

async function assertChinese(p, name) {
  // The translator runs after each change, before the next frame.
  await p.waitForTimeout(150);
  const { found, missing } = await p.evaluate(englishLeft);
  assert.equal(await p.evaluate(() => document.documentElement.lang), 'zh-CN', `${name}: <html lang>`);
  assert.deepEqual(missing, [], `${name}: the catalogue has no translation for these`);
  assert.deepEqual(found, [], `${name}: English left in the page`);
}

async function toQuestion(p) {
  await p.waitForSelector('#lesson');
  await p.evaluate(() => window.quorum.setSpeed(10));
  for (let i = 0; i < 30 && !(await p.$('#question')); i++) {
    await p.click('#lesson-next');
    await until(p, () => !window.quorum.state().running);
  }
  await p.waitForSelector('#question');
}

const states = [
  ['the live cluster', '', null],
  ['a server selected, paused, with client operations and the linked views', '', async (p) => {
    await p.evaluate(() => {
      window.quorum.setSpeed(10);
      window.quorum.act({ do: 'request', op: { type: 'put', key: 'x', value: '1' } });
    });
    await p.waitForTimeout(900);
    await p.evaluate(() => window.quorum.pause());
    await p.click('g.node[data-node="2"]');
    await p.waitForSelector('#node-panel');
  }],
  ['help open', '', async (p) => { await p.click('#help'); await p.waitForSelector('#help-overlay'); }],
  ['the recorded scenario', '', async (p) => { await p.click('#more').catch(() => {}); await p.evaluate(() => window.quorum.pause()); await p.click('#show-scenario'); await p.waitForSelector('textarea'); }],
  ['the partition tool', '', async (p) => { await p.click('#partition'); await p.click('g.node[data-node="1"]'); }],
  ['a planted bug that breaks a property', '?lesson=bug-no_up_to_date_check', async (p) => {
    // Leader Completeness breaks at 4.14 s; the run pauses there.
    await p.evaluate(() => { window.quorum.setSpeed(20); window.quorum.play(); });
    await until(p, () => document.querySelector('li.broken') !== null, undefined, 30000);
  }],
  ['the lesson chooser', '', async (p) => { await p.click('#more').catch(() => {}); await p.click('#lessons'); await p.waitForSelector('#chooser li'); }],
  ['a finished lesson', '?lesson=lesson-basic-election', async (p) => { await p.waitForSelector('#lesson'); await p.evaluate(() => window.quorum.seek(60000)); await p.waitForSelector('#lesson-end'); }],
  ['a lesson with a question', '?lesson=lesson-basic-election', toQuestion],
  ['a lesson question answered', '?lesson=lesson-leader-crash', async (p) => { await toQuestion(p); await p.click('#question .choice'); await p.waitForSelector('#verdict'); }],
  ['an embedded lesson', '?embed=1&lesson=lesson-split-vote', toQuestion],
];

for (const [name, url, prep] of states) {
  test(`no English left in Chinese: ${name}`, async () => {
    const sep = url ? '&' : '?';
    const { p, errors, ctx } = await page(`${url}${sep}lang=zh-CN`);
    if (prep) await prep(p);
    await assertChinese(p, name);
    assert.deepEqual(errors, []);
    await ctx.close();
  });
}

test('no English left in Chinese: a 390x844 phone, with More open', async () => {
  const { p, errors, ctx } = await page('?lang=zh-CN', { viewport: phone });
  await p.click('#more');
  await assertChinese(p, 'a phone');
  await p.screenshot({ path: join(shots, 'phone-zh.png') });
  assert.deepEqual(errors, []);
  await ctx.close();
});

test('a zh-CN browser gets Chinese by itself, from the first frame of the live cluster on', async () => {
  const { p, errors, ctx } = await page('', { locale: 'zh-CN' });
  assert.equal(await p.evaluate(() => navigator.language), 'zh-CN');
  await assertChinese(p, 'a zh-CN browser');
  await p.screenshot({ path: join(shots, 'zh-CN.png') });
  assert.deepEqual(errors, []);
  await ctx.close();
});

test('the picker switches to Chinese and back without a reload, and is remembered', async () => {
  const { p, errors, ctx } = await page('', { locale: 'en-US' });
  assert.equal(await p.evaluate(() => document.documentElement.lang), 'en');
  assert.equal((await p.textContent('#step')).trim(), 'Step ›');
  // An English page never fetched the translator.
  const fetched = () => performance.getEntriesByType('resource').map((r) => r.name).filter((n) => /quorum-i18n|zh\.json/.test(n)).length;
  assert.equal(await p.evaluate(fetched), 0);
  await p.selectOption('#lang', 'zh-CN');
  await until(p, () => document.documentElement.lang === 'zh-CN');
  await until(p, () => document.querySelector('#step').textContent.includes('单步'));
  const t = await p.evaluate(() => window.quorum.state().t_ms);
  assert.ok(t > 0, 'the run went on: nothing was reloaded');
  await assertChinese(p, 'after the picker');
  // Back to English: every word as it was.
  await p.selectOption('#lang', 'en');
  await until(p, () => document.documentElement.lang === 'en');
  assert.equal((await p.textContent('#step')).trim(), 'Step ›');
  assert.equal(await p.getAttribute('#help', 'aria-label'), 'Help and keyboard shortcuts');
  // Chinese again, then a new visit opens in Chinese.
  await p.selectOption('#lang', 'zh-CN');
  await until(p, () => document.documentElement.lang === 'zh-CN');
  await p.reload();
  await until(p, () => !!window.quorum && !document.getElementById('boot'));
  assert.equal(await p.evaluate(() => document.documentElement.lang), 'zh-CN');
  assert.equal(await p.inputValue('#lang'), 'zh-CN');
  await assertChinese(p, 'a remembered choice');
  assert.deepEqual(errors, []);
  await ctx.close();
});

test('a missing catalogue leaves the page usable, in English, and says so', async () => {
  const ctx = await browser.newContext({ viewport: desk });
  const p = await ctx.newPage();
  const errors = [];
  p.on('pageerror', (e) => errors.push(String(e)));
  await p.route('**/i18n/zh.json', (r) => r.fulfill({ status: 404, body: 'gone' }));
  await p.goto(server.url + '?lang=zh-CN');
  await until(p, () => !!window.quorum && window.quorum.state().nodes.length > 0);
  assert.equal(await p.evaluate(() => document.documentElement.lang), 'en');
  const alert = await p.textContent('.notice[role=alert]');
  assert.match(alert, /未能加载页面的中文翻译/);
  assert.match(alert, /HTTP 404/);
  assert.equal((await p.textContent('#step')).trim(), 'Step ›');
  assert.deepEqual(errors, []);
  await ctx.close();
});
