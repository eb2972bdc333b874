// End-to-end: Raft as production systems run it (issue 14). The Raft
// settings become `set` events that links carry; "Make leader" hands
// leadership over; the leader's panel shows its lease and reads.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { serve, launch, open, until, shots } from './harness.mjs';

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

const scenario = {
  version: 1, name: 'production e2e', seed: 31, nodes: 3, duration_ms: 600000,
  clients: { count: 2, think_ms: [20, 60], keys: 2, timeout_ms: 800 },
};

test('the Raft settings are set events: the run changes, and a link replays them', async () => {
  const { page, errors } = await open(browser, server.url);
  await page.evaluate((s) => { window.quorum.load(s); window.quorum.setSpeed(2); window.quorum.play(); }, scenario);
  await until(page, () => window.quorum.state().leader !== null && window.quorum.state().t_ms > 800);
  await page.evaluate(() => window.quorum.pause());
  await page.click('#raft-settings summary');
  await page.check('#pre-vote');
  await page.selectOption('#read-mode', 'lease');
  const events = await page.evaluate(() => window.quorum.scenario().events);
  const sets = events.filter((e) => e.do === 'set');
  assert.equal(sets.length, 2, JSON.stringify(events));
  assert.equal(sets[0].pre_vote, true);
  assert.equal(sets[1].read, 'lease');
  assert.ok(sets.every((e) => e.at_ms > 700), 'recorded at the moment of the click');
  // The settings show what the servers now run with.
  assert.equal(await page.isChecked('#pre-vote'), true);
  assert.equal(await page.isChecked('#check-quorum'), false);
  assert.equal(await page.inputValue('#read-mode'), 'lease');
  // Gets now skip the log: the leader's panel shows its lease.
  await page.evaluate(() => { window.quorum.setSpeed(2); window.quorum.play(); });
  await until(page, (t) => window.quorum.state().t_ms > t + 600, sets[1].at_ms);
  await page.evaluate(() => window.quorum.pause());
  const leader = await page.evaluate(() => window.quorum.state().leader);
  await page.click(`g.node[data-node="${leader}"]`);
  const panel = await page.textContent('#node-panel');
  assert.match(panel, /lease/);
  assert.match(panel, /reads waiting/);
  // A link carries the switches: the other page runs with them too.
  const link = await page.evaluate(() => window.quorum.link());
  const here = await page.evaluate(() => window.quorum.state());
  const other = await open(browser, link);
  await until(other.page, (t) => window.quorum.state().t_ms === t, here.t_ms);
  assert.deepEqual(await other.page.evaluate(() => window.quorum.scenario().events.filter((e) => e.do === 'set')), sets);
  assert.deepEqual(await other.page.evaluate(() => window.quorum.state().nodes), here.nodes);
  await other.page.click('#raft-settings summary');
  assert.equal(await other.page.isChecked('#pre-vote'), true);
  assert.equal(await other.page.inputValue('#read-mode'), 'lease');
  assert.deepEqual(other.errors, []);
  await other.page.close();
  assert.deepEqual(errors, []);
});

test('Make leader hands leadership over to the server whose panel it is', async () => {
  const { page, errors } = await open(browser, server.url);
  await page.evaluate((s) => { window.quorum.load(s); window.quorum.setSpeed(2); window.quorum.play(); }, scenario);
  await until(page, () => window.quorum.state().leader !== null && window.quorum.state().t_ms > 800);
  await page.evaluate(() => window.quorum.pause());
  const leader = await page.evaluate(() => window.quorum.state().leader);
  const target = leader % 3 + 1;
  await page.click(`g.node[data-node="${leader}"]`);
  assert.equal(await page.$('#node-transfer'), null, 'the leader has no Make leader button');
  await page.click(`g.node[data-node="${target}"]`);
  await page.click('#node-transfer');
  const events = await page.evaluate(() => window.quorum.scenario().events);
  assert.deepEqual(events.filter((e) => e.do === 'transfer_leader').map((e) => e.to), [target]);
  await page.evaluate(() => { window.quorum.setSpeed(1); window.quorum.play(); });
  await until(page, (t) => window.quorum.state().leader === t, target);
  await page.screenshot({ path: `${shots}/transfer.png` });
  assert.deepEqual(errors, []);
});
