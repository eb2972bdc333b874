// End-to-end: orientation and the event log by keyboard (issue 13). A
// first visit is welcomed once and offered the first lesson; the lesson
// chooser says what each lesson teaches and which were finished; a
// finished lesson offers the next; an embed has help with the legend; the
// event log's lines are reachable and usable from the keyboard.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, until } from './harness.mjs';

let server, browser;
before(async () => {
  server = await serve();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  server?.stop();
});

const ready = (p) => until(p, () => !!window.quorum && !document.getElementById('boot'));

test('a first visit is welcomed once, and "Start the first lesson" opens lesson 1', async () => {
  const p = await browser.newFirstVisit({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  p.on('pageerror', (e) => errors.push(String(e)));
  await p.goto(server.url);
  await ready(p);
  await p.waitForSelector('#welcome');
  // It floats over the page: the ring is where it always is.
  const ring = await p.evaluate(() => document.querySelector('.ring-box').getBoundingClientRect().top);
  await p.click('#welcome-start');
  await until(p, () => document.querySelector('#library').value === 'lesson-basic-election');
  await p.waitForSelector('#lesson');
  assert.equal(await p.$('#welcome'), null);
  // Not again on the next visit.
  await p.goto(server.url);
  await ready(p);
  await p.waitForTimeout(300);
  assert.equal(await p.$('#welcome'), null, 'remembered');
  assert.equal(await p.evaluate(() => localStorage.getItem('quorum-welcomed')), '1');
  assert.ok(ring > 0);
  // A link, a lesson or an embed is never welcomed.
  const q = await browser.newFirstVisit();
  await q.goto(server.url + '?embed=1&lesson=lesson-split-vote');
  await ready(q);
  await q.waitForTimeout(300);
  assert.equal(await q.$('#welcome'), null);
  await q.close();
  assert.deepEqual(errors, []);
  await p.close();
});

test('the lesson chooser: every lesson, what it teaches, and which were finished here', async () => {
  const p = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await p.goto(server.url);
  await ready(p);
  await p.evaluate(() => localStorage.setItem('quorum-done', 'lesson-basic-election,lesson-split-vote'));
  await p.reload();
  await ready(p);
  await p.click('#lessons');
  await p.waitForSelector('#chooser[role=dialog]');
  const items = await p.$$eval('#chooser li', (li) => li.map((l) => ({
    name: l.querySelector('button').textContent,
    teaches: l.querySelector('.teaches').textContent,
    done: l.classList.contains('done'),
  })));
  assert.equal(items.length, 12);
  assert.ok(items.every((i) => i.name.startsWith('Lesson ') && i.teaches.length > 20), JSON.stringify(items));
  assert.deepEqual(items.map((i) => i.done), [true, false, true, false, false, false, false, false, false, false, false, false]);
  // The dialog has focus; a lesson opens from it.
  await until(p, () => document.getElementById('chooser').contains(document.activeElement));
  await p.click('#chooser li:nth-child(4) button');
  await until(p, () => document.querySelector('#library').value === 'lesson-lagging-follower');
  assert.equal(await p.$('#chooser'), null);
  await p.waitForSelector('#lesson');
  await p.close();
});

test('a finished lesson offers the next one', async () => {
  const p = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await p.goto(server.url + '?lesson=lesson-basic-election');
  await ready(p);
  await p.waitForSelector('#lesson');
  assert.equal(await p.$('#lesson-end'), null);
  // The lesson's last stop is its last caption or question.
  const lastMs = await p.evaluate(async () => {
    const f = await (await fetch('scenarios/lesson-basic-election.json')).json();
    return Math.max(...f.captions.map((c) => c.at_ms), ...f.questions.map((q) => q.at_ms));
  });
  await p.evaluate((t) => window.quorum.seek(t + 1), lastMs);
  await p.waitForSelector('#lesson-end');
  assert.match(await p.textContent('#next-lesson'), /Next: Lesson 2: the leader crashes/);
  await p.click('#next-lesson');
  await until(p, () => document.querySelector('#library').value === 'lesson-leader-crash');
  await p.close();
});

test('an embed has a help button with the legend', async () => {
  const p = await browser.newPage({ viewport: { width: 560, height: 700 } });
  await p.goto(server.url + '?embed=1&lesson=lesson-basic-election');
  await ready(p);
  await p.click('#help');
  await p.waitForSelector('#help-overlay .legend');
  assert.match(await p.textContent('#help-overlay .legend'), /RequestVote/);
  await p.keyboard.press('Escape');
  await until(p, () => !document.getElementById('help-overlay'));
  await p.close();
});

test('the event log by keyboard: Tab to it, arrows through its lines, Enter goes there', async () => {
  const p = await browser.newPage({ viewport: { width: 1280, height: 1900 } });
  await p.goto(server.url);
  await ready(p);
  // Paused just after the first election: its lines are in the log.
  await p.evaluate(() => window.quorum.seek(800));
  await p.waitForSelector('#evlog .ev');
  await p.focus('#evlog');
  await p.keyboard.press('ArrowDown');
  const first = await p.evaluate(() => document.activeElement.matches('#evlog .ev') && document.activeElement.textContent);
  assert.ok(first, 'a line has focus');
  await p.keyboard.press('ArrowDown');
  await p.keyboard.press('ArrowDown');
  const third = await p.evaluate(() => document.activeElement.textContent);
  assert.notEqual(third, first, 'focus moved down');
  await p.keyboard.press('ArrowUp');
  const t = await p.evaluate(() => Number(document.activeElement.dataset.t));
  await p.keyboard.press('Enter');
  await until(p, (want) => Math.abs(window.quorum.state().t_ms - want) < 0.01, t);
  assert.equal(await p.evaluate(() => window.quorum.state().running), false);
  await p.close();
});

test('a lesson completed by keyboard alone, from Next to Next, in under a minute', async () => {
  const p = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  p.on('pageerror', (e) => errors.push(String(e)));
  await p.goto(server.url + '?lesson=lesson-basic-election');
  await ready(p);
  await p.waitForSelector('#lesson');
  // Tab from the top of the page to Next.
  for (let i = 0; i < 80 && (await p.evaluate(() => document.activeElement?.id)) !== 'lesson-next'; i++) {
    await p.keyboard.press('Tab');
  }
  assert.equal(await p.evaluate(() => document.activeElement?.id), 'lesson-next');
  const start = Date.now();
  let questions = 0;
  for (let i = 0; i < 40 && !(await p.$('#lesson-end')); i++) {
    if (await p.$('#question')) {
      // The question has focus; Enter picks the focused choice, Escape
      // closes the verdict and focus goes back to Next.
      await until(p, () => document.activeElement?.matches('#question .choice'));
      await p.keyboard.press('Enter');
      await p.waitForSelector('#verdict');
      await p.keyboard.press('Escape');
      await until(p, () => !document.getElementById('question') && document.activeElement?.id === 'lesson-next');
      questions++;
    } else {
      await p.keyboard.press('Enter');
      await until(p, () => !window.quorum.state().running || !!document.getElementById('question'), undefined, 10000);
    }
  }
  await p.waitForSelector('#lesson-end');
  const took = Date.now() - start;
  assert.ok(took < 60000, `${took} ms`);
  assert.equal(questions, 1);
  assert.equal(await p.evaluate(() => localStorage.getItem('quorum-done')), 'lesson-basic-election');
  assert.deepEqual(errors, []);
  await p.close();
});
