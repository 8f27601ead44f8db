// report.html in a real browser: headless Chromium (Debian's, driven by playwright-core) opens
// the page from disk, offline; the charts are there as SVG with a mark per cell, the console has
// no errors, and script payloads written into an experiment's description, parameters and gate
// names stay text. A screenshot is kept in test-artifacts/. Where no Chromium exists the test says
// so and skips; .ci/run installs Chromium and sets FAULTSWEEP_REQUIRE_TOOLS, so there it runs.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { faultsweep, root, tempDir } from './helpers.js';

const CHROMIUM = process.env.FAULTSWEEP_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = join(root, 'test-artifacts');

const PAYLOADS = ['<script>window.__pwned = 1</script>', '<img src=x onerror="window.__pwned = 2">', '"><svg onload="window.__pwned = 3">'];

/** segment-destroy with script payloads wherever a user writes text that reaches the page. */
function hostileExperiment(): string {
  const dir = tempDir('html');
  const file = join(dir, 'hostile.yaml');
  const text = readFileSync(join(root, 'experiments', 'segment-destroy.yaml'), 'utf8')
    .replace(/description: >\n(  .*\n)+/, `description: ${JSON.stringify(`Payloads: ${PAYLOADS.join(' ')}`)}\n`)
    .replace('  faults.0.action: [remove, exit]', `  faults.0.action: [remove, exit]\n  label: ${JSON.stringify(PAYLOADS.slice(0, 2))}\nzip: [[faults.0.action, label]]`)
    .replace('- name: no trial hangs', `- name: ${JSON.stringify(`no trial hangs ${PAYLOADS[2]}`)}`);
  assert.ok(text.includes('label:') && text.includes('Payloads') && text.includes('svg onload'), text);
  writeFileSync(file, text);
  return file;
}

test('report.html renders offline in Chromium: SVG charts with their marks, no console errors, no payload runs', async (t) => {
  if (!existsSync(CHROMIUM)) {
    if (process.env.FAULTSWEEP_REQUIRE_TOOLS) assert.fail(`no Chromium at ${CHROMIUM} and FAULTSWEEP_REQUIRE_TOOLS is set`);
    t.skip(`SKIPPED: no Chromium at ${CHROMIUM} (apt-get install chromium); report.html was not opened in a browser`);
    return;
  }
  const out = join(tempDir('html'), 'run');
  const run = await faultsweep(['run', hostileExperiment(), '--seeds', '6', '--out', out]);
  assert.ok(run.exitCode === 0 || run.exitCode === 1, String(run.stderr));
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  for (const p of PAYLOADS) assert.ok(!html.includes(p), `payload written unescaped: ${p}`);

  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    const dialogs: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('dialog', (d) => (dialogs.push(d.message()), d.dismiss()));
    page.on('request', (r) => requests.push(r.url()));
    const url = pathToFileURL(join(out, 'report.html')).href;
    await page.goto(url);

    // Every chart is an inline SVG; the ones that count cells have a mark per cell.
    const figures = await page.locator('figure[data-chart]').evaluateAll((fs) => fs.map((f) => [f.getAttribute('data-chart'), f.querySelectorAll(':scope > svg').length]));
    assert.ok(figures.length >= 5, JSON.stringify(figures));
    assert.ok(figures.every(([, svgs]) => svgs === 1), JSON.stringify(figures));
    const ids = figures.map(([id]) => id);
    for (const id of ['metric-messagesPerSec-by-faults.0.action', 'failure-rate', 'outcomes', 'fault-coverage']) assert.ok(ids.includes(id), `${id} in ${ids}`);
    const cells = summary.cells.length;
    assert.equal(cells, 2, 'cells');
    const marks = (chart: string, mark: string) => page.locator(`figure[data-chart="${chart}"] g.mark-${mark}.role-mark > path`).count();
    assert.equal(await marks('failure-rate', 'symbol'), cells, 'failure-rate points');
    assert.equal(await page.locator('figure[data-chart="failure-rate"] g.mark-rule.role-mark > line').count(), cells, 'failure-rate interval bars');
    const outcomeBars = summary.cells.reduce((n: number, c: { outcomes: Record<string, number> }) => n + Object.values(c.outcomes).filter((v) => v > 0).length, 0);
    assert.equal(await marks('outcomes', 'rect'), outcomeBars, 'outcome bars');
    const phases = summary.cells.reduce((n: number, c: { faults: Record<string, { phases: object }> }) => n + Object.values(c.faults).reduce((k, f) => k + Object.keys(f.phases).length, 0), 0);
    assert.ok(phases > 0, 'the fault fired');
    assert.equal(await marks('fault-coverage', 'rect'), phases, 'fault coverage bars');

    // The payloads are on the page as text, and none ran or made an element.
    const text = await page.locator('body').innerText();
    for (const p of PAYLOADS) assert.ok(text.includes(p), `payload not shown as text: ${p}`);
    assert.equal(await page.locator('script, img, iframe, object, embed').count(), 0);
    assert.equal(await page.locator('[onload], [onerror]').count(), 0);
    assert.equal(await page.evaluate('window.__pwned'), undefined);
    assert.deepEqual(dialogs, []);
    assert.deepEqual(errors, []);
    // Offline: the page asks for nothing but itself.
    assert.deepEqual(requests, [url]);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });
    t.diagnostic(`screenshot: ${join(ARTIFACTS, 'report.png')}`);
  } finally {
    await browser.close();
  }
});
