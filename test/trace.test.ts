// replay --trace: a failing trial in the Chrome trace-event format. The file passes a structural
// check of that format (every event's phase and fields, timestamps in order, every span begun
// (B) ended (E) on its track, innermost first), it marks the fault that fired and the failure, tracing does not change
// the trial (its digest still matches), --trace-window bounds it, and a trace viewer (speedscope,
// in Debian's Chromium) opens it and shows the simulated processes as threads.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { faultsweep, root, tempDir } from './helpers.js';

const CHROMIUM = process.env.FAULTSWEEP_CHROMIUM ?? '/usr/bin/chromium';
// The fixture's per-send lost CQE: the memory node's reply CQE is dropped, the worker polls its
// send CQ for 20 s and gives up (a nightly test finds this trial too).
const REPLAY = ['replay', 'test/fixtures/nightly/remote.yaml', '--set', 'kernel.fit.polling=per-send', '--cell', 'c01f959e6', '--seed', '17', '--digest', '1b72302a59be22d4'];

interface TraceEvent {
  name: string;
  ph: string;
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  s?: string;
  cat?: string;
  args?: Record<string, unknown>;
}

/** The trace-event format's rules this file relies on, checked event by event. */
function checkStructure(trace: { traceEvents: TraceEvent[]; displayTimeUnit?: string }): TraceEvent[] {
  assert.ok(Array.isArray(trace.traceEvents) && trace.traceEvents.length > 0);
  assert.equal(trace.displayTimeUnit, 'ns');
  const timed: TraceEvent[] = [];
  const named = new Set<number>();
  for (const e of trace.traceEvents) {
    assert.equal(typeof e.name, 'string', JSON.stringify(e));
    assert.ok(Number.isInteger(e.pid) && Number.isInteger(e.tid), JSON.stringify(e));
    if (e.ph === 'M') {
      assert.ok(['process_name', 'thread_name', 'thread_sort_index'].includes(e.name), JSON.stringify(e));
      if (e.name === 'thread_name') named.add(e.tid);
      continue;
    }
    assert.ok(['B', 'E', 'i'].includes(e.ph), `phase ${e.ph}: ${JSON.stringify(e)}`);
    assert.ok(typeof e.ts === 'number' && Number.isFinite(e.ts) && e.ts >= 0, JSON.stringify(e));
    if (e.ph === 'i') assert.ok(['t', 'p', 'g'].includes(e.s!), JSON.stringify(e));
    timed.push(e);
  }
  for (let i = 1; i < timed.length; i++) assert.ok(timed[i - 1].ts <= timed[i].ts, `timestamps out of order at event ${i}`);
  // An E ends the latest B of its track that is still open, with the same name: spans nest, and
  // none is left open.
  const stacks = new Map<number, TraceEvent[]>();
  const spans: TraceEvent[] = [];
  for (const e of timed) {
    assert.ok(named.has(e.tid), `track ${e.tid} has no name`);
    const stack = stacks.get(e.tid) ?? [];
    stacks.set(e.tid, stack);
    if (e.ph === 'B') stack.push(e);
    else if (e.ph === 'E') {
      const b = stack.pop();
      assert.ok(b && b.name === e.name, `an E of track ${e.tid} at ${e.ts} us does not end the span open there: ${JSON.stringify(e)} after ${JSON.stringify(b)}`);
      assert.ok(e.ts > b.ts);
      spans.push({ ...b, ph: 'X', dur: e.ts - b.ts });
    } else spans.push(e);
  }
  for (const [tid, stack] of stacks) assert.equal(stack.length, 0, `track ${tid}: ${stack.length} spans never ended`);
  return spans.sort((a, b) => a.ts - b.ts);
}

test('replay --trace writes a failing trial as trace events: well formed, the fault and the failure marked, the digest unchanged, bounded by --trace-window', async () => {
  const dir = tempDir('trace');
  const file = join(dir, 'lost-cqe.json');
  const r = await faultsweep([...REPLAY, '--trace', file]);
  assert.equal(r.exitCode, 0, String(r.stderr)); // --digest: tracing changed nothing
  const trace = JSON.parse(readFileSync(file, 'utf8'));
  const events = checkStructure(trace);
  const threads = trace.traceEvents.filter((e: TraceEvent) => e.name === 'thread_name').map((e: TraceEvent) => e.args!.name);
  for (const t of ['thpool-worker0', 'thpool-worker1', 'remote-access/0', 'remote-access/3', 'faults and failure']) assert.ok(threads.includes(t), `${t} in ${threads}`);
  const fault = events.filter((e) => e.cat === 'fault');
  assert.equal(fault.length, 1);
  assert.match(fault[0].name, /^dropped-cqe: dropped the CQE of memory send \d+ \(reply\)/);
  const [failure] = events.filter((e) => e.cat === 'failure');
  assert.equal(failure.name, 'Fail to to get the CQE from send_cq after 20 seconds!');
  assert.ok(failure.ts - fault[0].ts >= 20e6, 'the failure comes 20 s after the CQE was lost');
  assert.ok(events.some((e) => e.cat === 'rpc' && e.name.startsWith('rpc op=')), 'RPC spans');
  // The worker polled for the lost CQE until its 20 s timeout: the wait that became the failure.
  const lost = events.filter((e) => e.cat === 'wait' && e.args?.timedOut);
  assert.equal(lost.length, 1);
  assert.match(lost[0].name, /^signal CQE of memory WQE \d+ on connection \d+$/);
  assert.ok(Math.abs(lost[0].dur! - 20e6) < 1e-6);
  assert.equal(trace.otherData.digest, '1b72302a59be22d4');

  // A window keeps only the stretch before the failure; the trial is the same.
  const windowed = join(dir, 'window.json');
  const w = await faultsweep([...REPLAY, '--trace', windowed, '--trace-window', '2 s']);
  assert.equal(w.exitCode, 0, String(w.stderr));
  assert.match(String(w.stdout), /events before the window or beyond the cap left out/);
  const small = JSON.parse(readFileSync(windowed, 'utf8'));
  const inWindow = checkStructure(small);
  const end = small.otherData.endNs / 1000;
  assert.ok(inWindow.every((e) => e.ts + (e.dur ?? 0) >= end - 2e6 - 1e-6), 'everything ends inside the window');
  assert.ok(inWindow.length < events.length && small.otherData.droppedEvents > 0);
  assert.ok(inWindow.some((e) => e.cat === 'failure'));

  // The file is never overwritten, and a window without a trace is refused.
  const again = await faultsweep([...REPLAY, '--trace', file]);
  assert.equal(again.exitCode, 2);
  assert.match(String(again.stderr), /lost-cqe\.json: the file exists/);
  const lone = await faultsweep([...REPLAY, '--trace-window', '1 ms']);
  assert.equal(lone.exitCode, 2);
});

test('a trace viewer opens the trace: speedscope in Chromium shows the simulated processes', async (t) => {
  if (!existsSync(CHROMIUM)) {
    if (process.env.FAULTSWEEP_REQUIRE_TOOLS) assert.fail(`no Chromium at ${CHROMIUM} and FAULTSWEEP_REQUIRE_TOOLS is set`);
    t.skip(`SKIPPED: no Chromium at ${CHROMIUM} (apt-get install chromium); the trace was not opened in a viewer`);
    return;
  }
  const dir = tempDir('trace-viewer');
  const file = join(dir, 'trace.json');
  const r = await faultsweep([...REPLAY, '--trace', file, '--trace-window', '2 s']);
  assert.equal(r.exitCode, 0, String(r.stderr));
  // speedscope fetches the profile: serve it and the viewer from one local server.
  const viewer = join(root, 'node_modules', 'speedscope', 'dist', 'release');
  const server = createServer((req, res) => {
    const path = req.url === '/trace.json' ? file : join(viewer, (req.url ?? '/').split('?')[0].replace(/^\/$/, '/index.html'));
    if (!path.startsWith(viewer) && path !== file) return res.writeHead(404).end();
    try {
      res.writeHead(200).end(readFileSync(path));
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${port}/index.html#profileURL=http://127.0.0.1:${port}/trace.json&title=lost-cqe`);
    // The profile selector names the shown thread and how many there are: "thpool-worker0 (2/36)".
    await page.waitForFunction('/\\(\\d+\\/\\d+\\)/.test(document.body.innerText)', undefined, { timeout: 20_000 });
    const text = await page.locator('body').innerText();
    assert.match(text, /lost-cqe/);
    assert.doesNotMatch(text, /Something went wrong|Unrecognized format/i);
    assert.deepEqual(errors, []);
    mkdirSync(join(root, 'test-artifacts'), { recursive: true });
    writeFileSync(join(root, 'test-artifacts', 'trace-speedscope.png'), await page.screenshot());
  } finally {
    await browser.close();
    server.close();
  }
});
