// End-to-end: log compaction and InstallSnapshot (issue 15). The log
// table shows where each server's snapshot ends, the state API reports it,
// and the snapshots setting is a `set` event like the other Raft settings.
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
  version: 1, name: 'snapshots e2e', seed: 4, nodes: 3, duration_ms: 600000,
  raft: { snapshot_every: 20, snapshot_chunk_entries: 2 },
  clients: { count: 3, think_ms: [0, 20], keys: 3, timeout_ms: 800 },
  events: [{ do: 'crash', at_ms: 300, node: 3 }, { do: 'restart', at_ms: 2500, node: 3 }],
};

test('the log table marks each snapshot, and the setting records a set event', async () => {
  const { page, errors } = await open(browser, server.url);
  await page.evaluate((s) => { window.quorum.load(s); window.quorum.setSpeed(4); window.quorum.play(); }, scenario);
  await until(page, () => window.quorum.state().t_ms > 3500);
  await page.evaluate(() => window.quorum.pause());
  // Every server compacted, S3 by taking the leader's snapshot.
  const nodes = await page.evaluate(() => window.quorum.state().nodes);
  for (const n of nodes) assert.ok(n.snapshot_index >= 20, JSON.stringify(n).slice(0, 300));
  // The table shows the boundary: scroll to the start, where every row is
  // in its snapshot.
  await page.click('button[aria-label="Earlier entries"]');
  const cells = await page.$$eval('.log-row[data-node="1"] .cell.snapshot', (cs) => cs.map((c) => c.textContent));
  assert.ok(cells.length > 0, 'snapshot cells');
  assert.ok(cells.some((t) => /snapshot≤\d+/.test(t)), cells.join('|'));
  assert.match(await page.textContent('.legend'), /InstallSnapshot chunk/);
  // The setting is a set event at this moment, and shows the new value.
  await page.click('#raft-settings summary');
  assert.equal(await page.inputValue('#snapshot-every'), '20');
  await page.selectOption('#snapshot-every', '50');
  const sets = await page.evaluate(() => window.quorum.scenario().events.filter((e) => e.do === 'set'));
  assert.equal(sets.length, 1);
  assert.equal(sets[0].snapshot_every, 50);
  assert.equal(await page.inputValue('#snapshot-every'), '50');
  assert.deepEqual(errors, []);
});
