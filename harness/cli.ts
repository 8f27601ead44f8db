// The faultsweep command line: parses, dispatches, and maps errors to exit codes
// (0 done, 1 a gate failed, 2 bad input or usage, 3 the harness itself failed).
import { rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import { Argument, Command, CommanderError, InvalidArgumentError } from 'commander';
import { GateFailure, InputError } from './errors.js';
import { loadExperiment, type LoadOptions, type Plan } from './experiment/load.js';
import { loadProfile, profileNames } from './experiment/profiles.js';
import { jsonSchema } from './experiment/schema.js';
import { commands, faults, loadPlugins, projectRoot, systems, workloads } from './registry.js';
import { runBenches, type BenchResult } from './bench/index.js';
import { evaluateGates } from './report/gates.js';
import { comparisonTable, fmt, renderTable, summaryTable } from './report/table.js';
import type { Summary } from './report/summary.js';
import { execute } from './run/runner.js';
import { createRun, PLAN, readJson } from './run/store.js';
import { runTrial } from './run/trial.js';
import { estimateSeconds } from './run/estimate.js';

const positiveInt = (what: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${what} must be a positive whole number`);
  return n;
};
const collect = (v: string, acc: string[]) => [...acc, v];

function shellQuote(s: string): string {
  return /^[\w./=:,+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function replayBase(plan: Pick<Plan, 'file' | 'sets' | 'where'>): string {
  const args = ['faultsweep', 'replay', relative(process.cwd(), plan.file) || plan.file];
  for (const s of plan.sets) args.push('--set', s);
  if (plan.where) args.push('--where', plan.where);
  return args.map(shellQuote).join(' ');
}

function utcStamp(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

const program = new Command('faultsweep')
  .description('Seeded fault-injection sweeps over models of LegoOS and SGI UV/XPMEM.')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride()
  .configureOutput({ outputError: (s, write) => write(s) });

program
  .command('run')
  .description('Run every (cell, seed) of an experiment and print its summary.')
  .argument('[experiment]', 'experiment YAML file')
  .option('--seeds <n>', 'seeds per cell (overrides the file)', positiveInt('--seeds'))
  .option('--jobs <n>', 'worker threads', positiveInt('--jobs'), availableParallelism())
  .option('--out <dir>', 'results folder (default results/<name>/<UTC time>/)')
  .option('--set <key=value>', 'override a key, e.g. workload.threads=4 (repeatable)', collect, [])
  .option('--where <expr>', 'only the cells where this mathjs condition holds')
  .option('--resume <dir>', 'finish an interrupted run in this folder')
  .option('--dry-run', 'print the cells and the trial count, run nothing')
  .option('--json', 'print summary.json instead of the table')
  .addHelpText(
    'after',
    `
Examples:
  $ faultsweep run experiments/quickstart.yaml
  $ faultsweep run experiments/quickstart.yaml --seeds 200 --jobs 2 --set workload.threads=2
  $ faultsweep run experiments/quickstart.yaml --dry-run
  $ faultsweep run --resume results/quickstart/2026-11-21T15-00-00Z`,
  )
  .action(async (file: string | undefined, o: { seeds?: number; jobs: number; out?: string; set: string[]; where?: string; resume?: string; dryRun?: boolean; json?: boolean }) => {
    let plan: Plan;
    let dir: string;
    if (o.resume) {
      if (file || o.set.length || o.where || o.seeds) throw new InputError('--resume DIR takes the experiment and its options from DIR/plan.json; give no others');
      dir = o.resume;
      plan = readJson<Plan>(join(dir, PLAN));
    } else {
      if (!file) throw new InputError('run: name an experiment file, or --resume DIR');
      plan = loadExperiment(file, { seeds: o.seeds, sets: o.set, where: o.where });
      dir = o.out ?? join(projectRoot, 'results', plan.experiment, utcStamp());
      if (o.dryRun) return dryRun(plan, o.jobs);
      createRun(dir, plan);
    }
    const total = plan.cells.length * plan.seeds.length;
    if (!o.json) console.log(`${plan.experiment}: ${plan.cells.length} cells x ${plan.seeds.length} seeds = ${total} trials on ${o.jobs} worker threads -> ${relative(process.cwd(), dir) || dir}`);
    let summary: Summary;
    try {
      ({ summary } = await execute(plan, dir, { jobs: o.jobs, progress: Boolean(process.stdout.isTTY) && !o.json, replayBase: replayBase(plan) }));
    } catch (e) {
      // Input only a trial can check (ranks that do not fit the machine): a run this command
      // started leaves nothing half-written behind; a resumed one keeps what it had.
      if (e instanceof InputError && !o.resume) rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    report(plan, summary, Boolean(o.json));
  });

function dryRun(plan: Plan, jobs: number): void {
  const axes = [...new Set(plan.cells.flatMap((c) => Object.keys(c.params)))];
  console.log(renderTable([['cell', ...axes, 'workload', 'faults'], ...plan.cells.map((c) => [c.id, ...axes.map((a) => String(c.params[a])), c.workload.kind, c.faults.map((f) => f.kind).join(',') || '-'])]));
  const trials = plan.cells.length * plan.seeds.length;
  const est = estimateSeconds(plan, jobs);
  console.log(`\n${plan.cells.length} cells x ${plan.seeds.length} seeds = ${trials} trials`);
  console.log(`estimated run time: ${est.text}`);
}

function report(plan: Plan, summary: Summary, json: boolean): void {
  const gates = evaluateGates(plan, summary);
  if (json) console.log(JSON.stringify({ ...summary, gates }, null, 1));
  else {
    console.log(summaryTable(plan, summary));
    const cmp = comparisonTable(summary);
    if (cmp) console.log(`\npaired on the same seeds:\n${cmp}`);
    const failures = summary.cells.flatMap((c) => c.failures.map((f) => ({ ...f, cell: c.id })));
    if (failures.length) {
      console.log('\nfailures by signature:');
      for (const f of failures.slice(0, 12)) console.log(`  ${f.cell}  ${f.outcome} x${f.count}  ${f.signature}\n      replay: ${f.replay}`);
      if (failures.length > 12) console.log(`  ... ${failures.length - 12} more in summary.json`);
    }
    if (gates.length) {
      console.log('\ngates:');
      for (const name of new Set(gates.map((g) => g.gate))) {
        const checks = gates.filter((g) => g.gate === name);
        const failed = checks.filter((g) => !g.pass);
        console.log(`  ${failed.length ? 'FAIL' : 'PASS'}  ${name}: ${checks.length - failed.length} of ${checks.length} cells pass`);
        for (const g of failed) console.log(`        cell ${g.cell}: ${fmt(g.value)} (${g.bound})`);
      }
    }
  }
  const failed = gates.filter((g) => !g.pass);
  if (failed.length) throw new GateFailure(`${failed.length} of ${gates.length} gate checks failed`);
}

program
  .command('replay')
  .description('Run one trial again and print its record and console log; with --digest, check it reproduces.')
  .argument('<experiment>', 'experiment YAML file')
  .requiredOption('--cell <id>', 'cell id from trials.jsonl')
  .requiredOption('--seed <n>', 'seed', (v) => Number(v))
  .option('--digest <hex>', 'the trace digest the trial must reproduce')
  .option('--set <key=value>', 'the same overrides as the original run', collect, [])
  .option('--where <expr>', 'the same filter as the original run')
  .addHelpText('after', '\nExample:\n  $ faultsweep replay experiments/quickstart.yaml --cell c1a2b3c4d --seed 17 --digest 9f86d081884c7d65')
  .action((file: string, o: { cell: string; seed: number; digest?: string; set: string[]; where?: string }) => {
    const opts: LoadOptions = { sets: o.set, where: o.where };
    const plan = loadExperiment(file, opts);
    const cell = plan.cells.find((c) => c.id === o.cell);
    if (!cell) throw new InputError(`${file}: no cell ${o.cell} (cells: ${plan.cells.map((c) => c.id).join(', ')})`);
    const r = runTrial({ cell, seed: o.seed, replayBase: replayBase(plan) });
    console.log(`cell ${r.cell} ${JSON.stringify(r.params)} seed ${r.seed}: ${r.outcome}${r.failure ? ` (${r.failure.class}: ${r.failure.signature} at ${fmt(r.failure.atNs / 1e9)} s)` : ''}`);
    console.log(`digest ${r.digest}`);
    console.log(renderTable([['metric', 'value'], ...Object.entries(r.metrics).map(([k, v]) => [k, fmt(v)])]));
    if (r.failure) console.log(`\nconsole:\n${r.failure.log}`);
    if (o.digest && o.digest !== r.digest) throw new Error(`determinism lost: replay digest ${r.digest} differs from the recorded ${o.digest}`);
  });

program
  .command('validate')
  .description('Check experiment files (and the profiles they name) without running anything.')
  .argument('<files...>', 'experiment YAML files')
  .addHelpText('after', '\nExample:\n  $ faultsweep validate experiments/*.yaml')
  .action((files: string[]) => {
    for (const f of files) {
      const plan = loadExperiment(f);
      console.log(`${f}: ok, ${plan.cells.length} cells x ${plan.seeds.length} seeds = ${plan.cells.length * plan.seeds.length} trials`);
    }
  });

program
  .command('list')
  .description('List the registered workloads, faults, systems or the hardware profiles.')
  .addArgument(new Argument('<what>').choices(['workloads', 'faults', 'systems', 'profiles']))
  .addHelpText('after', '\nExample:\n  $ faultsweep list workloads')
  .action((what: string) => {
    const rows: string[][] =
      what === 'profiles'
        ? profileNames().map((n) => {
            const p = loadProfile(n);
            return [n, p.system, p.description];
          })
        : what === 'systems'
          ? systems.all().map((s) => [s.kind, s.description])
          : (what === 'workloads' ? workloads : faults).all().map((p) => [p.kind, p.systems.join(','), p.description]);
    const header = what === 'profiles' ? ['profile', 'system', 'description'] : what === 'systems' ? ['system', 'description'] : [what.slice(0, -1), 'systems', 'description'];
    console.log(renderTable([header, ...rows]));
  });

program
  .command('schema')
  .description('Print the JSON Schema of experiment files (editors validate YAML against it).')
  .addHelpText('after', '\nExample:\n  $ faultsweep schema > schema/experiment.schema.json')
  .action(() => console.log(JSON.stringify(jsonSchema(), null, 1)));

program
  .command('bench')
  .description('Run the speed benchmarks (tinybench) and print ops/s per benchmark.')
  .argument('[names...]', 'only these benchmarks')
  .option('--json', 'print one JSON object keyed by benchmark name')
  .option('--time <ms>', 'measuring time per benchmark', positiveInt('--time'), 1000)
  .addHelpText('after', '\nExamples:\n  $ faultsweep bench\n  $ faultsweep bench hold-1m --json')
  .action(async (names: string[], o: { json?: boolean; time: number }) => {
    const results = await runBenches(names, o.time, (line) => !o.json && process.stderr.write(line + '\n'));
    if (o.json) console.log(JSON.stringify(results, null, 1));
    else
      console.log(
        renderTable([
          ['benchmark', 'ops/s', 'unit', 'ms/iteration: mean (fastest-slowest)', 'samples', 'target', 'note'],
          ...Object.entries(results).map(([n, r]) => [n, fmt(r.opsPerSec), r.unit, `${fmt(r.meanMs)} (${fmt(r.fastestMs)}-${fmt(r.slowestMs)})`, String(r.samples), targetText(r), r.note ?? '']),
        ]),
      );
  });

/** "2,000,000 met", "<= 1,500 ms, <= 512 MB (peak 340 MB) MISSED", or "-". */
function targetText(r: BenchResult): string {
  const parts = [
    ...(r.target !== undefined ? [fmt(r.target)] : []),
    ...(r.maxMs !== undefined ? [`<= ${fmt(r.maxMs)} ms`] : []),
    ...(r.maxBytes !== undefined ? [`<= ${fmt(r.maxBytes / 2 ** 20)} MB (peak ${fmt(r.peakBytes! / 2 ** 20)} MB)`] : []),
  ];
  return parts.length ? `${parts.join(', ')} ${r.pass ? 'met' : 'MISSED'}` : '-';
}

async function main(): Promise<number> {
  try {
    await loadPlugins();
    for (const c of commands.all()) c.add(program);
    await program.parseAsync(process.argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof InputError || e instanceof GateFailure) {
      console.error(e.message);
      return e.exitCode;
    }
    console.error(`faultsweep: internal error: ${(e as Error).message}`);
    if (process.env.FAULTSWEEP_DEBUG) console.error((e as Error).stack);
    return 3;
  }
}

process.exitCode = await main();
