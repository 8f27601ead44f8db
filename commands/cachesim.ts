// `faultsweep cachesim`: the pcache model alone over a trace file, with DineroIV's counts.
import { performance } from 'node:perf_hooks';
import { InvalidArgumentError, Option } from 'commander';
import { parseQuantity } from '../harness/experiment/units.js';
import { commands } from '../harness/registry.js';
import { fmt, renderTable } from '../harness/report/table.js';
import { Rng } from '../harness/sim/rng.js';
import { readTrace, TRACE_FORMATS, type TraceFormat } from '../formats/trace.js';
import { CacheSim } from '../models/lego/cachesim.js';

const sizeArg = (v: string) => {
  const n = parseQuantity(v, 'size');
  if (typeof n === 'string') throw new InvalidArgumentError(n);
  return n;
};
const intArg = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number');
  return n;
};

commands.register({
  kind: 'cachesim',
  add(program) {
    program
      .command('cachesim')
      .description('Run the pcache model alone over a trace file and count hits, misses (3C) and write-backs.')
      .requiredOption('--trace <file>', 'the trace file')
      .addOption(new Option('--format <format>', 'trace format').choices(TRACE_FORMATS).makeOptionMandatory())
      .option('--size <size>', 'cache size', sizeArg, 128 * 2 ** 20)
      .option('--ways <n>', 'associativity', intArg, 64)
      .option('--line <size>', 'line size', sizeArg, 4096)
      .option('--victim <n>', 'victim cache entries (0: none)', intArg, 0)
      .addOption(new Option('--policy <policy>', 'eviction policy').choices(['fifo', 'lru', 'random']).default('fifo'))
      .option('--json', 'print the counts as JSON')
      .addHelpText('after', '\nExamples:\n  $ faultsweep cachesim --trace test/fixtures/traces/small.din --format din --size 64KiB --ways 4 --line 64B\n  $ faultsweep cachesim --trace app.lackey --format lackey --victim 8 --policy lru --json')
      .action((o: { trace: string; format: TraceFormat; size: number; ways: number; line: number; victim: number; policy: 'fifo' | 'lru' | 'random'; json?: boolean }) => {
        const rng = new Rng(1, 'cachesim');
        const sim = new CacheSim({ size: o.size, ways: o.ways, line: o.line, victim: o.victim, policy: o.policy, random: () => rng.random() });
        const t0 = performance.now();
        readTrace(o.trace, o.format, sim.access);
        const seconds = (performance.now() - t0) / 1000;
        const r = { ...sim.result, seconds, accessesPerSec: Math.round(sim.result.accesses / seconds) };
        if (o.json) return console.log(JSON.stringify(r, null, 1));
        const pct = (n: number) => (r.accesses ? `${((100 * n) / r.accesses).toFixed(2)}%` : '-');
        console.log(`${o.trace}: ${r.lines} lines of ${o.line} B in ${r.sets} sets x ${o.ways} ways, ${o.policy}${o.victim ? `, victim cache of ${o.victim}` : ''}`);
        console.log(
          renderTable([
            ['count', 'value', 'of accesses'],
            ['accesses', String(r.accesses), ''],
            ['  reads / writes / fetches', `${r.reads} / ${r.writes} / ${r.fetches}`, ''],
            ['hits', String(r.hits), pct(r.hits)],
            ['victim hits', String(r.victimHits), pct(r.victimHits)],
            ['misses', String(r.misses), pct(r.misses)],
            ['  compulsory', String(r.compulsory), pct(r.compulsory)],
            ['  capacity', String(r.capacity), pct(r.capacity)],
            ['  conflict', String(r.conflict), pct(r.conflict)],
            ['write-backs', String(r.writeBacks), pct(r.writeBacks)],
            ['accesses/s', fmt(r.accessesPerSec), ''],
          ]),
        );
      });
  },
});
