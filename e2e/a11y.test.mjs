// End-to-end: accessibility (issue 13). axe-core (WCAG 2 A/AA and best
// practices) on every state a student or an embedding page meets, in
// light and dark, on a desktop and on a 390x844 phone; the keyboard.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { serve, launch, until, root, shots } from './harness.mjs';

const AXE = join(root, 'node_modules', 'axe-core', 'axe.min.js');
let server, browser;
before(async () => {
  server = await serve();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  server?.stop();
});

const desk = { width: 1280, height: 900 };
const phone = { width: 390, height: 844 };

async function page(url, viewport = desk, colorScheme = 'light') {
  const p = await browser.newPage({ viewport, colorScheme });
  const errors = [];
  p.on('pageerror', (e) => errors.push(String(e)));
  await p.goto(server.url + url);
  await until(p, () => !!window.quorum && !document.getElementById('boot'));
  return { p, errors };
}

/** axe-core's violations on the page as it is: rule, count, first nodes. */
async function violations(p) {
  await p.addScriptTag({ path: AXE });
  return p.evaluate(async () => {
    const r = await window.axe.run(document);
    return r.violations.map((v) => `${v.id} x${v.nodes.length}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  });
}

/** Play a lesson with Next until its first question is open. */
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
  ['the initial page', '', desk, 'light', null],
  ['a server selected', '', desk, 'light', async (p) => { await p.click('g.node[data-node="2"]'); await p.waitForSelector('#node-panel'); }],
  ['help open', '', desk, 'light', async (p) => { await p.click('#help'); await p.waitForSelector('#help-overlay'); }],
  ['a lesson with a question', '?lesson=lesson-basic-election', desk, 'light', toQuestion],
  ['an embedded lesson', '?embed=1&lesson=lesson-basic-election', { width: 560, height: 700 }, 'light', toQuestion],
  ['dark mode', '', desk, 'dark', async (p) => { await p.click('g.node[data-node="1"]'); await p.waitForSelector('#node-panel'); }],
  ['dark mode, paused with the linked views', '', { width: 1280, height: 1900 }, 'dark', async (p) => { await p.evaluate(() => { window.quorum.pause(); window.quorum.act({ do: 'request', op: { type: 'put', key: 'x', value: '1' } }); window.quorum.setSpeed(10); window.quorum.play(); }); await p.waitForTimeout(800); await p.evaluate(() => window.quorum.pause()); }],
  ['the lesson chooser', '', desk, 'light', async (p) => { await p.click('#lessons'); await p.waitForSelector('#chooser li'); }],
  ['a phone', '', phone, 'light', null],
  ['a phone in a lesson', '?lesson=lesson-split-vote', phone, 'light', toQuestion],
];

for (const [name, url, viewport, scheme, prep] of states) {
  test(`axe-core finds nothing on ${name}`, async () => {
    const { p, errors } = await page(url, viewport, scheme);
    if (prep) await prep(p);
    const dark = await p.evaluate(() => getComputedStyle(document.documentElement).colorScheme);
    assert.equal(dark, scheme, 'the page follows the system colour scheme');
    const v = await violations(p);
    assert.deepEqual(v, [], v.join('\n'));
    assert.deepEqual(errors, []);
    await p.close();
  });
}

/** Visible controls smaller than 24x24 px, and the document's width. */
const phoneFacts = () => {
  const small = [...document.querySelectorAll('button, input, select, summary, [role=button], a[href], .ev')]
    .filter((e) => {
      const b = e.getBoundingClientRect();
      return b.width > 0 && b.height > 0 && (b.width < 24 || b.height < 24);
    })
    .map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className} ${Math.round(e.getBoundingClientRect().width)}x${Math.round(e.getBoundingClientRect().height)}`);
  const r = document.querySelector('.ring-box').getBoundingClientRect();
  const cap = document.querySelector('#caption')?.getBoundingClientRect();
  return {
    width: document.documentElement.scrollWidth,
    small,
    ring: [r.left, r.top, r.width, r.bottom],
    caption: cap ? [cap.top, cap.bottom] : null,
  };
};

for (const [name, url] of [['the live cluster', ''], ['a lesson', '?lesson=lesson-split-vote'], ['an embedded lesson', '?embed=1&lesson=lesson-basic-election']]) {
  test(`a 390x844 phone, ${name}: no sideways scroll, 24 px targets, the ring (and the caption) on one screen`, async () => {
    const { p, errors } = await page(url, phone);
    await p.waitForTimeout(300);
    const f = await p.evaluate(phoneFacts);
    assert.ok(f.width <= 390, `document ${f.width} px wide`);
    assert.deepEqual(f.small, [], 'tap targets under 24 px');
    const [left, top, width, bottom] = f.ring;
    assert.ok(width >= 300, `ring ${width} px`);
    assert.ok(left >= 0 && left + width <= 390 && top >= 0 && bottom <= 844, `ring at ${f.ring}`);
    if (url.includes('lesson')) assert.ok(f.caption && f.caption[0] >= 0 && f.caption[1] <= 844, `caption at ${f.caption}`);
    if (!url.includes('embed')) {
      // The rest of the controls are behind "More", and fit too.
      assert.equal(await p.isVisible('#copy-link'), false);
      await p.click('#more');
      assert.equal(await p.getAttribute('#more', 'aria-expanded'), 'true');
      assert.equal(await p.isVisible('#copy-link'), true);
      const g = await p.evaluate(phoneFacts);
      assert.ok(g.width <= 390, `with More open: ${g.width} px`);
      assert.deepEqual(g.small, []);
      await p.click('#more');
      // A server's panel opens as a sheet on screen, over the ring.
      await p.click('g.node[data-node="1"]');
      const sheet = await p.evaluate(() => {
        const b = document.querySelector('#node-panel').getBoundingClientRect();
        return [b.top, b.bottom];
      });
      assert.ok(sheet[0] < 844 && Math.abs(sheet[1] - 844) < 2, `panel at ${sheet}`);
    }
    await p.screenshot({ path: join(shots, `phone-${name.replace(/ /g, '-')}.png`) });
    assert.deepEqual(errors, []);
    await p.close();
  });
}

test('keyboard: Space presses the focused button, dialogs take focus, keep it and give it back', async () => {
  const { p, errors } = await page('?lesson=lesson-basic-election');
  await p.waitForSelector('#lesson');
  // Help: focus moves in, Tab stays in, Escape gives focus back.
  await p.focus('#help');
  await p.keyboard.press('Enter');
  await p.waitForSelector('#help-overlay');
  await until(p, () => document.getElementById('help-overlay').contains(document.activeElement));
  for (let i = 0; i < 3; i++) {
    await p.keyboard.press('Tab');
    assert.ok(await p.evaluate(() => document.getElementById('help-overlay').contains(document.activeElement)), 'Tab stays in the dialog');
  }
  await p.keyboard.press('Escape');
  await until(p, () => !document.getElementById('help-overlay') && document.activeElement?.id === 'help');
  // A question takes focus at once: its first choice, no Tab through the page.
  for (let i = 0; i < 30 && !(await p.$('#question')); i++) {
    await p.click('#lesson-next');
    await until(p, () => !window.quorum.state().running);
  }
  await until(p, () => document.activeElement?.matches('#question .choice'));
  // Next does not skip it.
  await p.evaluate(() => window.quorum.pause());
  const before = await p.evaluate(() => window.quorum.state().t_ms);
  await p.click('#lesson-next', { force: true }).catch(() => {});
  assert.equal(await p.evaluate(() => window.quorum.state().t_ms), before);
  assert.ok(await p.$('#question'));
  // It does not cover the ring, and can be folded to look at it.
  const overlap = await p.evaluate(() => {
    const a = document.querySelector('#question').getBoundingClientRect();
    const b = document.querySelector('.ring-box').getBoundingClientRect();
    return !(a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top);
  });
  assert.equal(overlap, false, 'the question is beside the ring');
  await p.click('#question-peek');
  await p.waitForSelector('#question-bar');
  await p.click('#question-unpeek');
  await p.waitForSelector('#question');
  await p.keyboard.press('Enter');
  await p.waitForSelector('#verdict');
  await p.keyboard.press('Escape');
  await until(p, () => !document.getElementById('question'));
  // Space on a focused Step steps once; it does not start playing.
  await p.focus('#step');
  const t0 = await p.evaluate(() => window.quorum.state().t_ms);
  await p.keyboard.press(' ');
  const s1 = await p.evaluate(() => window.quorum.state());
  assert.equal(s1.running, false, 'Space on Step did not toggle play');
  assert.ok(s1.t_ms > t0, 'it stepped');
  // Space on Next goes to the next caption (and stops there).
  await p.evaluate(() => window.quorum.setSpeed(10));
  await p.focus('#lesson-next');
  const idx = await p.getAttribute('#caption', 'data-index');
  await p.keyboard.press(' ');
  await until(p, (i) => !window.quorum.state().running && document.querySelector('#caption').dataset.index !== i, idx);
  assert.deepEqual(errors, []);
  await p.close();
});

test('dark mode: the theme button switches, is remembered, and theme= sets an embed', async () => {
  const { p, errors } = await page('');
  const bg = () => getComputedStyle(document.documentElement).backgroundColor;
  const light = await p.evaluate(bg);
  assert.equal(await p.getAttribute('#theme', 'aria-pressed'), 'false');
  await p.click('#theme');
  assert.equal(await p.getAttribute('#theme', 'aria-pressed'), 'true');
  assert.equal(await p.evaluate(() => document.documentElement.dataset.theme), 'dark');
  assert.notEqual(await p.evaluate(bg), light);
  // The ring's canvas is painted dark too.
  const px = await p.evaluate(() => {
    const c = document.querySelector('canvas.ring-canvas');
    const d = c.getContext('2d').getImageData(2, 2, 1, 1).data;
    return d[0] + d[1] + d[2];
  });
  assert.ok(px < 200, `canvas corner ${px}`);
  await p.reload();
  await until(p, () => !!window.quorum);
  assert.equal(await p.evaluate(() => document.documentElement.dataset.theme), 'dark', 'remembered');
  assert.equal(await p.getAttribute('#theme', 'aria-pressed'), 'true');
  await p.click('#theme');
  await p.close();
  const { p: e } = await page('?embed=1&theme=dark&lesson=lesson-basic-election', { width: 560, height: 700 });
  assert.equal(await e.evaluate(() => getComputedStyle(document.documentElement).colorScheme), 'dark');
  await e.close();
  assert.deepEqual(errors, []);
});

test('reduced motion: nothing plays by itself; print shows the ring, the logs and the caption, not the controls', async () => {
  const p = await browser.newPage({ viewport: desk, reducedMotion: 'reduce' });
  await p.goto(server.url);
  await until(p, () => !!window.quorum && !document.getElementById('boot'));
  // The first-load module waited for Play too: no time passed.
  const s = await p.evaluate(() => window.quorum.state());
  assert.equal(s.running, false);
  assert.equal(s.t_ms, 0);
  assert.equal(await p.textContent('#play'), 'Play');
  await p.close();
  const e = await browser.newPage({ viewport: { width: 560, height: 700 }, reducedMotion: 'reduce' });
  await e.goto(`${server.url}?embed=1&autoplay=1&lesson=lesson-split-vote`);
  await until(e, () => !!window.quorum?.scenario().captions?.length);
  await e.waitForTimeout(300);
  assert.equal(await e.evaluate(() => window.quorum.state().running), false, 'no autoplay');
  await e.emulateMedia({ media: 'print' });
  const shown = await e.evaluate(() => ['.embed-bar', '.ring-box', '#caption', '#lesson-next'].map((q) => {
    const el = document.querySelector(q);
    return el ? getComputedStyle(el).display !== 'none' : null;
  }));
  assert.deepEqual(shown, [false, true, true, false]);
  await e.close();
});

test('axe-core finds nothing on a first visit, with the welcome', async () => {
  const p = await browser.newFirstVisit({ viewport: desk });
  const errors = [];
  p.on('pageerror', (e) => errors.push(String(e)));
  await p.goto(server.url);
  await until(p, () => !!window.quorum && !document.getElementById('boot'));
  await p.waitForSelector('#welcome');
  const v = await violations(p);
  assert.deepEqual(v, [], v.join('\n'));
  assert.deepEqual(errors, []);
  await p.close();
});
