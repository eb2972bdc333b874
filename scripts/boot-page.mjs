// Regenerate boot/src/page.html, the first-load module's markup, from the
// full page as it renders its first frame (issue 12's handover): the
// controls, the timeline and the ring with the side panel, running, with
// the servers, the seed and the clock left for the boot module to fill.
//
//   trunk build --release --offline && node scripts/boot-page.mjs
//
// e2e/first-load.test.mjs then checks that the two modules draw the same.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serve, launch, root } from '../e2e/harness.mjs';

const server = await serve();
const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  // A query makes the first-load module hand over at once: the full page
  // renders the live cluster (it ignores an unknown option).
  await page.goto(`${server.url}?boot-page`);
  await page.waitForFunction(() => window.quorum && document.querySelector('main.stage'));
  const html = await page.evaluate(() => {
    // Values are properties in the app; the boot module's markup carries
    // them as attributes.
    for (const i of document.querySelectorAll('.quorum input[type=range]')) i.setAttribute('value', i.value);
    const el = document.querySelector('.quorum').cloneNode(true);
    const keep = new Set(['HEADER', 'SECTION', 'DIV', 'MAIN']);
    // Up to the ring and the side panel: the linked views, notices and
    // overlays come after the first frame.
    let past = false;
    for (const c of [...el.children]) {
      if (past || !keep.has(c.tagName) || c.matches('.linked, .notice, .banner, .overlay, .lamport-wrap, .logs')) c.remove();
      if (c.tagName === 'MAIN') past = true;
    }
    el.id = 'boot';
    el.querySelector('g.nodes').textContent = '{nodes}';
    el.querySelector('g.clients').textContent = '';
    el.querySelector('#seed').textContent = 'seed {seed}';
    el.querySelector('#clock').textContent = '';
    el.querySelector('#clock').removeAttribute('data-quiet');
    el.querySelector('#flight-list')?.remove();
    const canvas = el.querySelector('canvas.ring-canvas');
    canvas.setAttribute('width', '1200');
    canvas.setAttribute('height', '1200');
    const scrub = el.querySelector('#scrubber');
    scrub.setAttribute('max', '0');
    scrub.setAttribute('value', '0');
    return el.outerHTML;
  });
  if (!html.includes('{nodes}') || !html.includes('{seed}') || html.includes('<script')) {
    throw new Error('the page did not render as expected');
  }
  writeFileSync(join(root, 'boot', 'src', 'page.html'), `${html}\n`);
  console.log(`boot/src/page.html: ${html.length} bytes`);
} finally {
  await browser.close();
  server.stop();
}
