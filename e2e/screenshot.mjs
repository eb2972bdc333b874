// Makes docs/screenshot.png (a 5-node cluster mid-run, paused) and
// docs/linked-views.png (the whole page: ring, log table, space-time
// diagram, event log and charts around a partition).
// Run: node e2e/screenshot.mjs (after a release build into dist/).
import { serve, launch, open, until, root } from './harness.mjs';
import { join } from 'node:path';

const server = await serve();
const browser = await launch();
try {
  const { page } = await open(browser, server.url, { width: 1280, height: 860 });
  await page.evaluate(() => window.quorum.load({
    version: 1, name: 'screenshot', seed: 21, nodes: 5, duration_ms: 600000,
    clients: { count: 2, think_ms: [300, 600], keys: 3, timeout_ms: 2000 },
  }));
  await page.evaluate(() => { window.quorum.setSpeed(1); window.quorum.play(); });
  await until(page, () => window.quorum.state().t_ms > 2500);
  await page.evaluate(() => window.quorum.act({ do: 'crash', node: 4 }));
  await page.evaluate(() => window.quorum.setSpeed(0.05));
  await until(page, () => window.quorum.stats().in_flight >= 4);
  await page.evaluate(() => window.quorum.pause());
  await page.click('g.node[data-node="2"]');
  await page.screenshot({ path: join(root, 'docs', 'screenshot.png') });

  // Linked views: a partition cuts the leader off at 4 s, heals at 7 s.
  await page.evaluate(() => window.quorum.load({
    version: 1, name: 'linked views', seed: 7, nodes: 5, duration_ms: 600000,
    clients: { count: 3, think_ms: [50, 150], keys: 2, timeout_ms: 1500 },
    events: [
      { at_ms: 4000, do: 'partition', groups: [[1, 2]] },
      { at_ms: 7000, do: 'heal' },
    ],
  }));
  await page.evaluate(() => { window.quorum.pause(); window.quorum.seek(8200); });
  await page.selectOption('#lamport-span', '600000');
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(root, 'docs', 'linked-views.png'), fullPage: true });
} finally {
  await browser.close();
  server.stop();
}
