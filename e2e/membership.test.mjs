// End-to-end: membership changes (issue 15). A server's panel adds a new
// server and removes one; each click is a scenario event a link replays;
// the ring grows, and says who is a learner or outside the configuration.
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
  version: 1, name: 'membership e2e', seed: 8, nodes: 3, duration_ms: 600000,
  raft: { membership: 'joint', pre_vote: true },
  clients: { count: 2, think_ms: [20, 60], keys: 2, timeout_ms: 800 },
};

test('Add server and Remove change the configuration, and a link replays them', async () => {
  const { page, errors } = await open(browser, server.url);
  await page.evaluate((s) => { window.quorum.load(s); window.quorum.setSpeed(2); window.quorum.play(); }, scenario);
  await until(page, () => window.quorum.state().leader !== null && window.quorum.state().t_ms > 800);
  await page.evaluate(() => window.quorum.pause());
  const leader = await page.evaluate(() => window.quorum.state().leader);
  await page.click(`g.node[data-node="${leader}"]`);
  await page.click('#node-add');
  await until(page, () => document.querySelectorAll('g.node').length === 4);
  // The leader's panel is still open.
  await page.click('#node-remove');
  const events = await page.evaluate(() => window.quorum.scenario().events);
  assert.deepEqual(events.filter((e) => e.do === 'add_server').map((e) => e.node), [4]);
  assert.deepEqual(events.filter((e) => e.do === 'remove_server').map((e) => e.node), [leader]);
  // Run on: S4 catches up and joins, the old leader leaves.
  await page.evaluate(() => { window.quorum.setSpeed(2); window.quorum.play(); });
  await until(page, (t) => window.quorum.state().t_ms > t + 2500, events[0].at_ms);
  await page.evaluate(() => window.quorum.pause());
  const here = await page.evaluate(() => window.quorum.state());
  const now = here.nodes.find((n) => n.id === here.leader);
  assert.ok(now && now.id !== leader, 'a new leader');
  const voters = [1, 2, 3, 4].filter((i) => i !== leader);
  assert.deepEqual(now.config.voters, voters);
  assert.match(await page.getAttribute(`g.node[data-node="${leader}"]`, 'aria-label'), /not a member/);
  assert.match(await page.getAttribute(`g.node[data-node="${leader}"]`, 'class'), /outside/);
  // The log table labels the configuration entries.
  const labels = [];
  for (let i = 0; i < 40 && !(await page.isDisabled('button[aria-label="Earlier entries"]')); i++) {
    await page.click('button[aria-label="Earlier entries"]');
    labels.push(...await page.$$eval('.log-row .cell .c', (cs) => cs.map((c) => c.textContent)));
  }
  assert.ok(labels.some((t) => /^C\{[\d,|]+\}$/.test(t)), labels.join(' '));
  // A link replays the same membership.
  const link = await page.evaluate(() => window.quorum.link());
  const other = await open(browser, link);
  await until(other.page, (t) => window.quorum.state().t_ms === t, here.t_ms);
  assert.deepEqual(await other.page.evaluate(() => window.quorum.state().nodes), here.nodes);
  assert.deepEqual(other.errors, []);
  await other.page.close();
  assert.deepEqual(errors, []);
});
