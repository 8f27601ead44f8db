// The faultsweep command line: parses, dispatches, and maps errors to exit codes
// (0 done, 1 a gate failed, 2 bad input or usage, 3 the harness itself failed).
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { Argument, Command, CommanderError, InvalidArgumentError } from 'commander';
import { DeterminismLost, GateFailure, InputError, Reported } from './errors.js';
import { DEFAULT_MAX, loadExperiment, type LoadOptions, type Plan } from './experiment/load.js';
import { loadProfile, profileNames } from './experiment/profiles.js';
import { jsonSchema } from './experiment/schema.js';
import { commands, failureClasses, faults, loadCommands, loadPlugins, systems, workloads } from './registry.js';
import type { BenchResult } from './bench/index.js';
import { evaluateGates, gateVerdict, type GateResult } from './report/gates.js';
import type { Qualification } from './run/qualify.js';
import { compareRuns, comparedParams, regressions, type Side } from './report/compare-runs.js';
import { verdictMarkdown, verdictText } from './report/verdicts.js';
import { canonicalJson } from './canonical-json.js';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseQuantity } from './experiment/units.js';
import type { Progress, SlurmOptions } from './run/slurm.js';
import { parseFlagValue, readBounded } from './experiment/source.js';
import { comparisonTable, count, entryCellLabel, fmt, renderTable, summaryTable } from './report/table.js';
import { summarizeRun, unitOf, type Summary } from './report/summary.js';
import { JUNIT, reportFiles, REPORTS, writeReports } from './report/files.js';
import { claimFolder, PLAN, readJson, readTrials, RunFolder, shownPath, SUMMARY, TRIALS, writeAtomic } from './run/store.js';
import { replayBase, runTrial, type TrialRecord } from './run/trial.js';
import { estimateSeconds } from './run/estimate.js';
import type { History } from './report/history.js';
import { DEFAULT_CHANGE } from './report/changes.js';
import { codeVersion, packageVersion, versionText } from './version.js';
import { parseShard, planSeeds, shardName, trialCount, type ShardSpec } from './run/shard.js';

const positiveInt = (what: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${what} must be a positive whole number`);
  return n;
};
const collect = (v: string, acc: string[]) => [...acc, v];
const fraction = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!(n >= 0 && n < 1)) throw new InvalidArgumentError(`${flag} must be a fraction in [0, 1), e.g. 0.05`);
  return n;
};
const plural = (n: number, word: string) => `${count(n)} ${word}${n === 1 ? '' : 's'}`;


function utcStamp(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

/** The limits and progress every command that loads an experiment shares. */
function loadOptions(o: { set?: string[]; where?: string; seeds?: number; maxCells?: number; maxTrials?: number }): LoadOptions {
  let shown = false;
  const t0 = Date.now();
  return {
    sets: o.set ?? [],
    where: o.where,
    seeds: o.seeds,
    maxCells: o.maxCells,
    maxTrials: o.maxTrials,
    progress: (done, total) => {
      if (!process.stderr.isTTY || Date.now() - t0 < 1000) return;
      process.stderr.write(`\rresolving cells: ${done} of ${total}`);
      shown = true;
      if (done === total && shown) process.stderr.write('\n');
    },
  };
}

const limitOptions = (c: Command) =>
  c
    .option('--max-cells <n>', `refuse sweeps of more cells than this (default ${DEFAULT_MAX.cells})`, positiveInt('--max-cells'))
    .option('--max-trials <n>', `refuse runs of more trials than this (default ${DEFAULT_MAX.trials})`, positiveInt('--max-trials'));

/** What run and qualify share: how to run, where to write, which cells, and the limits. */
const sweepOptions = (c: Command) =>
  limitOptions(
    c
      .option('--jobs <n>', 'worker threads', positiveInt('--jobs'), availableParallelism())
      .option('--out <dir>', 'results folder, new or empty (default results/<name>/<UTC time>/ under the current folder)')
      .option('--set <key=value>', 'override a key, e.g. workload.threads=4 (repeatable)', collect, [])
      .option('--where <expr>', 'only the cells where this mathjs condition holds'),
  );

/** How array tasks are asked of Slurm: what `slurm` and `qualify --slurm` share. */
const slurmOptions = (c: Command) =>
  c
    .option('--partition <name>', "Slurm partition (sbatch --partition); default: the cluster's")
    .option('--time <limit>', 'time limit of each task (sbatch --time), e.g. 2:00:00; a task stopped by it leaves a shard to resume')
    .option('--account <name>', 'account to charge (sbatch --account)')
    .option('--cpus-per-task <n>', "CPUs of each task, the worker threads of its shard's run (--jobs)", positiveInt('--cpus-per-task'), 1)
    .option('--poll <seconds>', 'how often to ask squeue and sacct while waiting', (v) => {
      const n = Number(v);
      if (!(n >= 0.1 && n <= 3600)) throw new InvalidArgumentError('--poll must be a number of seconds from 0.1 to 3600');
      return n;
    }, 5);

interface RunOptions {
  seeds?: number;
  jobs: number;
  out?: string;
  set: string[];
  where?: string;
  resume?: string;
  dryRun?: boolean;
  json?: boolean;
  maxCells?: number;
  maxTrials?: number;
  shard?: ShardSpec;
}

function dryRun(plan: Plan, o: { jobs: number; json?: boolean }, resumeDir?: string): void {
  const done = resumeDir ? new Set(readTrials(resumeDir).records.map((r) => `${r.cell}/${r.seed}`)) : new Set<string>();
  const seedsOf = planSeeds(plan);
  const remaining = trialCount(plan.cells, (c) => seedsOf(c).filter((s) => !done.has(`${c.id}/${s}`)));
  const trials = trialCount(plan.cells, seedsOf);
  const est = estimateSeconds(plan, o.jobs);
  const seconds = est.seconds === undefined ? undefined : (est.seconds * remaining) / trials;
  if (o.json) {
    console.log(JSON.stringify({ experiment: plan.experiment, cells: plan.cells.map((c) => ({ id: c.id, params: c.params })), seeds: plan.seeds.length, trials, remaining, estimatedSeconds: seconds ?? null }, null, 1));
    return;
  }
  const axes = [...new Set(plan.cells.flatMap((c) => Object.keys(c.params)))];
  console.log(renderTable([['cell', ...axes, 'workload', 'faults'], ...plan.cells.map((c) => [c.id, ...axes.map((a) => String(c.params[a])), c.workload.kind, c.faults.map((f) => f.kind).join(',') || '-'])]));
  const shard = plan.shard ? `; shard ${shardName(plan.shard)} runs ${trials} of them` : '';
  console.log(`\n${plan.cells.length} cells x ${plan.seeds.length} seeds = ${plan.cells.length * plan.seeds.length} trials${shard}${resumeDir ? `, ${remaining} still to run in ${resumeDir}` : ''}`);
  console.log(`estimated run time: ${est.text}`);
}

/** Writes the report files, prints the summary, and fails the command if a gate failed. */
async function report(plan: Plan, summary: Summary, records: TrialRecord[], json: boolean, dir: string): Promise<void> {
  const gates = evaluateGates(plan, summary);
  await writeReports(dir, plan, summary, records, gates);
  if (json) console.log(JSON.stringify({ results: dir, ...summary, gates }, null, 1));
  else {
    console.log(summaryTable(plan, summary));
    const cmp = comparisonTable(summary);
    if (cmp) console.log(`\npaired on the same seeds:\n${cmp}`);
    printFailures(summary);
    printGates(gates);
  }
  const failed = gates.filter((g) => !g.pass);
  if (failed.length) throw new GateFailure(`${failed.length} of ${gates.length} gate checks failed`);
}

function printFailures(summary: Summary): void {
  const failures = summary.cells.flatMap((c) => c.failures.map((f) => ({ ...f, cell: c.id })));
  if (!failures.length) return;
  console.log('\nfailures by signature:');
  for (const f of failures.slice(0, 12)) console.log(`  ${f.cell}  ${f.outcome} x${f.count}  ${f.signature}\n      replay: ${f.replay}`);
  if (failures.length > 12) console.log(`  ... ${failures.length - 12} more in summary.json`);
}

function printGates(gates: GateResult[]): void {
  if (!gates.length) return;
  console.log('\ngates:');
  for (const name of new Set(gates.map((g) => g.gate))) {
    const checks = gates.filter((g) => g.gate === name);
    const failed = checks.filter((g) => !g.pass);
    console.log(`  ${failed.length ? 'FAIL' : 'PASS'}  ${name}: ${checks.length - failed.length} of ${checks.length} cells pass`);
    for (const g of failed) console.log(`        cell ${g.cell}: ${gateVerdict(g)}`);
  }
}

function resumeOnly(file: string | undefined, o: RunOptions): void {
  if (file || o.set.length || o.where || o.seeds || o.out || o.shard) throw new InputError('--resume DIR takes the experiment and its options from DIR/plan.json; give no experiment, --set, --where, --seeds, --shard or --out');
}

/** The folder --resume names, if it holds what this command makes: a run or a qualify. */
async function resumeFolder(dir: string, file: string | undefined, o: RunOptions, command: 'run' | 'qualify'): Promise<{ folder: RunFolder; plan: Plan }> {
  resumeOnly(file, o);
  const opened = await RunFolder.open(dir);
  const kind = opened.plan.qualify ? 'qualify' : 'run';
  if (kind !== command) {
    await opened.folder.unlock();
    throw new InputError(`${dir}: a ${kind}, not a ${command}; finish it with faultsweep ${kind} --resume ${dir}`);
  }
  const [was, now] = [opened.plan.version, codeVersion()];
  if (was && was.code !== now.code) process.stderr.write(`${dir}: started by ${versionText(was)}; this is ${versionText(now)}, so the trials it adds come from other code\n`);
  return opened;
}

/** A command's trials in its locked folder. Input only a trial can check (a malformed line deep
 *  in a trace file): a folder this command made takes back what it wrote; a resumed one keeps
 *  what it had. */
async function inFolder<T>(folder: RunFolder, resumed: boolean, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof InputError && !resumed) await folder.discard();
    throw e;
  } finally {
    await folder.unlock();
  }
}

/** Qualify's verdicts: per cell the seeds it needed and why it stopped; reports and junit.xml
 *  written; exit 1 unless every cell passed. */
async function qualifyReport(plan: Plan, q: Qualification, json: boolean, dir: string): Promise<void> {
  const decisions = new Map(q.decisions.map((d) => [d.cell, d]));
  await writeReports(dir, plan, q.summary, q.records, q.gates, decisions);
  const count = (v: string) => q.decisions.filter((d) => d.verdict === v).length;
  const trials = q.records.length;
  if (json) console.log(JSON.stringify({ results: dir, experiment: plan.experiment, decisions: q.decisions, rounds: q.rounds, trials, gates: q.gates, cells: q.summary.cells }, null, 1));
  else {
    const axes = [...new Set(plan.cells.flatMap((c) => Object.keys(c.params)))];
    const label = { pass: 'PASS', fail: 'FAIL', undecided: 'UNDECIDED' };
    console.log(renderTable([['cell', ...axes, 'seeds', 'verdict', 'why it stopped'], ...q.decisions.map((d) => [d.cell, ...axes.map((a) => String(plan.cells.find((c) => c.id === d.cell)!.params[a])), fmt(d.seeds), label[d.verdict], d.why])]));
    console.log(`\n${plural(plan.cells.length, 'cell')}: ${count('pass')} pass, ${count('fail')} fail, ${count('undecided')} undecided; ${plural(trials, 'trial')} in ${plural(q.rounds, 'round')} (${fmt(plan.qualify!.maxSeeds)} seeds per cell at most)`);
    for (const g of q.gates.filter((g) => !g.pass && g.replay)) console.log(`  ${g.gate}, cell ${g.cell}: replay: ${g.replay}`);
    console.log(`junit: ${shownPath(join(dir, JUNIT))}`);
  }
  if (count('pass') < q.decisions.length) throw new GateFailure(`qualify: not every cell passed (${count('fail')} fail, ${count('undecided')} undecided)`);
}

/** A finished folder's reports, written again, and its summary printed, as `run` ends. */
async function reportFolder(dir: string, json: boolean): Promise<void> {
  // Locked like a run: the reports are never written while a run is still adding trials.
  const { folder, plan } = await RunFolder.open(dir);
  try {
    if (plan.shard) throw new InputError(`${dir}: shard ${shardName(plan.shard)} of a run, whose cells are partial; merge the shards (faultsweep merge) and report the merged folder`);
    const { records } = readTrials(dir);
    if (!json) console.log(`${plan.experiment}: ${records.length} trials in ${shownPath(dir)}; wrote ${reportFiles(plan).join(', ')}`);
    if (plan.qualify) {
      const { qualify } = await import('./run/qualify.js');
      await qualifyReport(plan, await qualify(plan, dir, { jobs: 1, maxSeeds: plan.qualify.maxSeeds, progress: false, replayBase: replayBase(plan), run: false }), json, folder.dir);
    } else await report(plan, summarizeRun(plan, records), records, json, folder.dir);
  } finally {
    await folder.unlock();
  }
}

/** How a campaign's progress is shown on stderr: a bar on a terminal, else a line per change. */
async function campaignDisplay(total: number, json: boolean): Promise<{ show: (p: Progress) => void; stop: () => void }> {
  const { progressLine } = await import('./run/slurm.js');
  const { default: cliProgress } = await import('cli-progress');
  const bar = process.stderr.isTTY && !json ? new cliProgress.SingleBar({ format: ' {bar} {value}/{total} trials | {line}', stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic) : undefined;
  bar?.start(total, 0, { line: '' });
  let shown = '';
  return {
    show: (p) => {
      const line = progressLine(p);
      if (bar) bar.update(p.tasks.reduce((n, t) => n + t.trials, 0), { line });
      else if (!json && line !== shown) process.stderr.write(`${line}\n`);
      shown = line;
    },
    stop: () => bar?.stop(),
  };
}

/** Follows a campaign's jobs until its merge job has ended, then prints the merged summary as
 *  `run` does, or names the tasks that failed with their logs. */
async function followCampaign(dir: string, json: boolean, pollSeconds: number): Promise<void> {
  const { follow, readCampaign, failedTasks, failureText, mergedDir } = await import('./run/slurm.js');
  const c = readCampaign(dir);
  const display = await campaignDisplay(c.trials.reduce((a, b) => a + b, 0), json);
  const p = await follow(dir, c, pollSeconds, display.show).finally(display.stop);
  if (p.merged) return reportFolder(mergedDir(dir), json);
  if (json) console.log(JSON.stringify({ campaign: dir, merged: false, failed: failedTasks(p).map((t) => ({ shard: t.index, state: t.state, trials: t.trials, of: t.of, log: t.log })), merge: p.merge }, null, 1));
  else process.stderr.write([...failureText(c, p), `resubmit what failed with: faultsweep slurm --only-failed ${shownPath(dir)} --wait`].join('\n') + '\n');
  throw new Reported(1);
}

/** A night's digest on stdout (text, Markdown or JSON); with `dir`, also its files and trend page
 *  there. Exit 1 with --fail-on-regression when it names a regression. */
async function printDigest(history: History, suite: string, night: number, o: { minEffect: number; failOnRegression?: boolean; markdown?: boolean; json?: boolean }, dir?: string): Promise<void> {
  const { digestJson, digestMarkdown, digestText, nightReport, regressions } = await import('./report/digest.js');
  const r = nightReport(history, suite, night, { ...DEFAULT_CHANGE, minEffect: o.minEffect });
  const text = digestText(r);
  const json = JSON.stringify(digestJson(r), null, 1);
  if (dir) {
    const { trendHtml } = await import('./report/html.js');
    writeAtomic(join(dir, 'digest.txt'), text + '\n');
    writeAtomic(join(dir, 'digest.md'), digestMarkdown(r) + '\n');
    writeAtomic(join(dir, 'digest.json'), json + '\n');
    writeAtomic(join(dir, 'trend.html'), await trendHtml(r, text));
  }
  console.log(o.json ? json : o.markdown ? digestMarkdown(r) : text);
  if (dir && !o.json) console.log(`wrote digest.txt, digest.md, digest.json, trend.html to ${shownPath(dir)}`);
  const found = regressions(r);
  if (o.failOnRegression && found.length) throw new Reported(1);
}

/** A trial named by its replay command (one quoted word, or the words themselves) or by its
 *  record (a JSON line of trials.jsonl). */
function parseReplay(words: string[]): { file: string; sets: string[]; where?: string; cell: string; seed: number } {
  let argv = words;
  if (words.length === 1) {
    const text = words[0].trim();
    let command = text;
    if (text.startsWith('{')) {
      try {
        command = String((JSON.parse(text) as { replay?: unknown }).replay ?? '');
      } catch {
        throw new InputError('shrink: the record is not JSON (give a line of trials.jsonl, or the replay command)');
      }
    }
    argv = (command.match(/'[^']*'|"[^"]*"|\S+/g) ?? []).map((t) => (/^['"]/.test(t) ? t.slice(1, -1) : t));
  }
  if (argv[0] === 'faultsweep') argv = argv.slice(1);
  if (argv[0] === 'replay') argv = argv.slice(1);
  const out: { file?: string; sets: string[]; where?: string; cell?: string; seed?: number } = { sets: [] };
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (!flag.startsWith('--')) {
      if (out.file !== undefined) throw new InputError(`shrink: '${flag}': a replay command names one experiment file`);
      out.file = flag;
      continue;
    }
    if (value === undefined) throw new InputError(`shrink: ${flag} needs a value`);
    i++;
    if (flag === '--set') out.sets.push(value);
    else if (flag === '--where') out.where = value;
    else if (flag === '--cell') out.cell = value;
    else if (flag === '--seed') {
      if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new InputError('shrink: --seed must be a whole number, 0 or more');
      out.seed = Number(value);
    } else if (flag !== '--digest') throw new InputError(`shrink: ${flag} is not an option of a replay command (--set, --where, --cell, --seed, --digest)`);
  }
  if (out.file === undefined || out.cell === undefined || out.seed === undefined) throw new InputError('shrink: give a replay command (faultsweep replay EXP --cell ID --seed N ...) or a trial record');
  return { file: out.file, sets: out.sets, where: out.where, cell: out.cell, seed: out.seed };
}

/** The two sides of a comparison: two folders, or one folder split by --a and --b filters. */
function compareSides(a: string, b: string | undefined, fa: string[], fb: string[]): [Side, Side] {
  const read = (dir: string) => ({ plan: readJson<Plan>(join(dir, PLAN)), records: readTrials(dir).records });
  if (b !== undefined) {
    if (fa.length || fb.length) throw new InputError('compare: give two folders, or one folder with --a and --b filters, not both');
    const [x, y] = [read(a), read(b)];
    return [
      { label: shownPath(a), cells: x.plan.cells, records: x.records },
      { label: shownPath(b), cells: y.plan.cells, records: y.records },
    ];
  }
  if (!fa.length || !fb.length) throw new InputError('compare: give a second folder, or --a and --b filters over the first');
  const { plan, records } = read(a);
  const side = (filters: string[], flag: string): Side => {
    const wanted = filters.map((f) => {
      const eq = f.indexOf('=');
      const key = f.slice(0, eq);
      if (eq <= 0 || !plan.cells.some((c) => key in c.params)) throw new InputError(`${flag} ${f}: expected AXIS=VALUE over the axes of ${a} (${[...new Set(plan.cells.flatMap((c) => Object.keys(c.params)))].join(', ')})`);
      return [key, canonicalJson(parseFlagValue(f.slice(eq + 1)))] as const;
    });
    const cells = plan.cells.filter((c) => wanted.every(([k, v]) => canonicalJson(c.params[k]) === v));
    if (!cells.length) throw new InputError(`${flag} ${filters.join(' ')}: no cell of ${a} matches`);
    return { label: filters.join(' '), cells, records: records.filter((r) => cells.some((c) => c.id === r.cell)) };
  };
  return [side(fa, '--a'), side(fb, '--b')];
}

/** "2,000,000 met", "<= 1,500 ms, <= 512 MB (peak 340 MB) MISSED", or "-". */
function targetText(r: BenchResult): string {
  const parts = [
    ...(r.target !== undefined ? [fmt(r.target)] : []),
    ...(r.maxMs !== undefined ? [`<= ${fmt(r.maxMs)} ms`] : []),
    ...(r.maxBytes !== undefined ? [`<= ${fmt(r.maxBytes / 2 ** 20)} MB (peak ${fmt(r.peakBytes! / 2 ** 20)} MB)`] : []),
  ];
  return parts.length ? `${parts.join(', ')} ${r.pass ? 'met' : 'MISSED'}` : '-';
}

/** The command line, built afresh for each call of main() (commander keeps parsed state). */
function buildProgram(): Command {
  const program = new Command('faultsweep')
    .description('Seeded fault-injection sweeps over models of LegoOS and SGI UV/XPMEM.')
    .version(packageVersion())
    .exitOverride()
    .configureOutput({ outputError: (s, write) => write(s) });

  sweepOptions(
    program
      .command('run')
      .description('Run every (cell, seed) of an experiment and print its summary.')
      .argument('[experiment]', 'experiment YAML file')
      .option('--seeds <n>', 'seeds per cell (overrides the file)', positiveInt('--seeds'))
      .option('--resume <dir>', 'finish an interrupted run in this folder')
      .option('--shard <i/n>', 'run only shard I of N (0 <= I < N): a fixed part of the trials, balanced by estimated cost; join the shards with merge', parseShard)
      .option('--dry-run', 'print the cells, the trial count and an estimate of the time; run nothing')
      .option('--json', 'print summary.json (with the results folder and the gates) instead of the table'),
  )
    .addHelpText(
      'after',
      `
  Examples:
    $ faultsweep run experiments/quickstart.yaml
    $ faultsweep run experiments/quickstart.yaml --seeds 200 --jobs 2 --set workload.accesses=2000
    $ faultsweep run experiments/quickstart.yaml --dry-run
    $ faultsweep run experiments/release-1024.yaml --shard 0/4 --out shards/0
    $ faultsweep run --resume results/nowait-vs-persend/2026-11-21T15-00-00Z`,
    )
    .action(async (file: string | undefined, o: RunOptions) => {
      let plan: Plan;
      let folder: RunFolder;
      if (o.resume) {
        if (o.dryRun) {
          resumeOnly(file, o);
          return dryRun(readJson<Plan>(join(o.resume, PLAN)), o, o.resume);
        }
        ({ folder, plan } = await resumeFolder(o.resume, file, o, 'run'));
      } else {
        if (!file) throw new InputError('run: name an experiment file, or --resume DIR');
        plan = loadExperiment(file, loadOptions(o));
        if (o.shard) {
          plan = { ...plan, shard: o.shard };
          planSeeds(plan); // refuses more shards than trials before anything is written
        }
        if (o.dryRun) return dryRun(plan, o);
        folder = await RunFolder.create(plan, { out: o.out, base: resolve('results', plan.experiment), stamp: utcStamp() });
      }
      const dir = folder.dir;
      const seedsOf = planSeeds(plan);
      const total = trialCount(plan.cells, seedsOf);
      const part = plan.shard ? `shard ${shardName(plan.shard)}, ${total} of ${trialCount(plan.cells, planSeeds({ ...plan, shard: undefined }))} trials` : `${plan.cells.length} cells x ${plan.seeds.length} seeds = ${total} trials`;
      // No more threads than trials: each thread loads every model before its first trial.
      const jobs = Math.min(o.jobs, Math.max(1, total));
      if (!o.json) console.log(`${plan.experiment}: ${part} on ${jobs} worker thread${jobs === 1 ? '' : 's'} -> ${shownPath(dir)}`);
      // The pool (piscina) and the progress bar load only for a run.
      const { summary, records } = await inFolder(folder, Boolean(o.resume), async () =>
        (await import('./run/runner.js')).execute(plan, dir, { jobs, progress: Boolean(process.stderr.isTTY) && !o.json, replayBase: replayBase(plan) }, seedsOf),
      );
      // A shard's cells are partial: gates and reports wait for the merge.
      if (plan.shard) {
        const failures = records.filter((r) => r.outcome !== 'ok').length;
        if (o.json) console.log(JSON.stringify({ results: dir, shard: plan.shard, trials: records.length, failures }, null, 1));
        else console.log(`shard ${shardName(plan.shard)}: ${plural(records.length, 'trial')}, ${plural(failures, 'failure')}; join the shards with: faultsweep merge SHARD-FOLDERS... --out DIR`);
      } else await report(plan, summary, records, Boolean(o.json), dir);
    });

  slurmOptions(sweepOptions(
    program
      .command('qualify')
      .description('Decide whether a build may ship: run seeds in rounds until every gate of every cell is decided, write junit.xml.')
      .argument('[experiment]', 'experiment YAML file')
      .option('--max-seeds <n>', 'seeds per cell at most; a gate still open there is undecided, which is not a pass', positiveInt('--max-seeds'), 10_000)
      .option('--seeds <n>', "the experiment's seeds per cell (overrides the file): the sample count and zero-tolerance gates are judged on", positiveInt('--seeds'))
      .option('--resume <dir>', 'finish an interrupted qualify in this folder')
      .option('--slurm', "run each round's trials as a Slurm job array (see faultsweep slurm) instead of on this machine; this process decides between rounds")
      .option('--shards <n>', 'with --slurm: array tasks per round at most', positiveInt('--shards'), 16)
      .option('--json', 'print the decisions, gates and cell summaries as JSON'),
  ))
    .addHelpText(
      'after',
      `
  A gate "X.count == 0" (or outcome: X, max: 0) fails at its first X and passes when the
  experiment's seeds ran clean; "X.high < b" passes once the 95% Wilson upper bound is below b and
  fails once the lower bound is not; other gates are judged at the experiment's seeds.
  Exit codes: 0 every cell passes, 1 a cell fails or is undecided, 2 bad input.

  Examples:
    $ faultsweep qualify experiments/release-1024.yaml --out results/release
    $ faultsweep qualify experiments/release-1024.yaml --set kernel.xpmemMaxaddrClamp=false
    $ faultsweep qualify experiments/xpmem-clamp-qualify.yaml --max-seeds 5000
    $ faultsweep qualify experiments/release-1024.yaml --slurm --shards 32 --cpus-per-task 4 --time 1:00:00 --out /scratch/release
    $ faultsweep qualify --resume results/release`,
    )
    .action(async (file: string | undefined, o: RunOptions & SlurmOptions & { maxSeeds: number; slurm?: boolean; shards: number; poll: number }) => {
      const t0 = Date.now();
      let ran = 0;
      let plan: Plan;
      let folder: RunFolder;
      if (o.resume) {
        ({ folder, plan } = await resumeFolder(o.resume, file, o, 'qualify'));
      } else {
        if (!file) throw new InputError('qualify: name an experiment file, or --resume DIR');
        plan = loadExperiment(file, loadOptions(o));
        const maxTrials = o.maxTrials ?? DEFAULT_MAX.trials;
        if (plan.cells.length * o.maxSeeds > maxTrials) throw new InputError(`--max-seeds ${o.maxSeeds}: ${plan.cells.length} cells x ${o.maxSeeds} seeds could reach ${plan.cells.length * o.maxSeeds} trials; the limit is ${maxTrials} (raise it with --max-trials)`);
        if (!o.slurm && (o.partition || o.time || o.account)) throw new InputError('--partition, --time and --account are for --slurm');
        const slurm = o.slurm ? { shards: o.shards, partition: o.partition, time: o.time, account: o.account, cpusPerTask: o.cpusPerTask, poll: o.poll } : undefined;
        if (slurm) (await import('./run/slurm.js')).checkSbatchPath(resolve(o.out ?? 'results'));
        plan = { ...plan, qualify: { maxSeeds: o.maxSeeds, slurm } };
        folder = await RunFolder.create(plan, { out: o.out, base: resolve('results', plan.experiment), stamp: utcStamp() });
      }
      const dir = folder.dir;
      const slurm = plan.qualify!.slurm;
      const where = slurm ? `as Slurm job arrays of up to ${plural(slurm.shards, 'task')}` : `on ${o.jobs} worker threads`;
      if (!o.json) console.log(`${plan.experiment}: ${plural(plan.cells.length, 'cell')}, ${plan.seeds.length} seeds each and up to ${fmt(plan.qualify!.maxSeeds)} where a gate needs them, ${where} -> ${shownPath(dir)}`);
      const runRound = slurm
        ? async (round: number, want: Map<string, number[]>) => {
            const display = await campaignDisplay([...want.values()].reduce((n, x) => n + x.length, 0), Boolean(o.json));
            const load = [plan.file, ...plan.sets.flatMap((x) => ['--set', x]), ...(plan.where ? ['--where', plan.where] : [])];
            return (await import('./run/slurm.js')).slurmRound(plan, dir, round, want, { ...slurm, load, show: display.show }).finally(display.stop);
          }
        : undefined;
      const q = await inFolder(folder, Boolean(o.resume), async () =>
        (await import('./run/qualify.js')).qualify(plan, dir, {
          jobs: o.jobs,
          maxSeeds: plan.qualify!.maxSeeds,
          progress: Boolean(process.stderr.isTTY) && !o.json,
          replayBase: replayBase(plan),
          resumeCommand: `faultsweep qualify --resume ${shownPath(dir)}`,
          runRound,
          onRound: (round, open, trials) => {
            if (o.json) return;
            // On a terminal, the round's ETA at the pace of the rounds before it (the progress bar
            // has the trial-by-trial one); in a log, only what does not change from run to run.
            const seconds = (Date.now() - t0) / 1000;
            const eta = process.stderr.isTTY && ran > 0 ? `, about ${Math.ceil((trials * seconds) / ran)} s` : '';
            process.stderr.write(`round ${round}: ${open} of ${plural(plan.cells.length, 'cell')} undecided, ${plural(trials, 'trial')}${eta}\n`);
            ran += trials;
          },
        }),
      );
      await qualifyReport(plan, q, Boolean(o.json), dir);
    });

  program
    .command('report')
    .description(`Write a results folder's reports again (${REPORTS.join(', ')}, and ${JUNIT} with gates) and print its summary.`)
    .argument('<dir>', 'a results folder')
    .option('--json', 'print summary.json (with the gates) instead of the table')
    .addHelpText('after', '\nExample:\n  $ faultsweep report results/nowait-vs-persend/2026-12-02T12-00-00Z')
    .action((dir: string, o: { json?: boolean }) => reportFolder(dir, Boolean(o.json)));

  program
    .command('merge')
    .description('Join the shard folders of one run (run --shard I/N) into the results folder the unsplit run would have made, and print its summary.')
    .argument('<shards...>', 'the shard folders, one per shard')
    .option('--out <dir>', 'results folder, new or empty (default results/<name>/<UTC time>/ under the current folder)')
    .option('--json', 'print summary.json (with the results folder and the gates) instead of the table')
    .addHelpText(
      'after',
      `
  Exit codes: 0 merged and every gate passes, 1 a gate failed, 2 the shards do not make one run
  (another experiment, overrides or code; a shard given twice; trials missing, which it names).

  Examples:
    $ faultsweep merge shards/0 shards/1 shards/2 shards/3 --out results/release
    $ faultsweep merge slurm-run/shards/* --out merged --json`,
    )
    .action(async (dirs: string[], o: { out?: string; json?: boolean }) => {
      const { mergeShards } = await import('./run/merge.js');
      // Locked while read: a shard still running is waited for, never merged half-written.
      const seen = new Map<string, string>();
      for (const d of dirs) {
        if (seen.has(resolve(d))) throw new InputError(`merge: ${d} is given twice (as ${seen.get(resolve(d))} and ${d}); its trials would overlap`);
        seen.set(resolve(d), d);
      }
      const opened: RunFolder[] = [];
      try {
        const shards = [];
        for (const d of dirs) {
          const { folder, plan } = await RunFolder.open(d);
          opened.push(folder);
          shards.push({ dir: folder.dir, plan, records: readTrials(folder.dir).records });
        }
        const { plan, records } = mergeShards(shards);
        const folder = await RunFolder.create(plan, { out: o.out, base: resolve('results', plan.experiment), stamp: utcStamp() });
        opened.push(folder);
        writeAtomic(join(folder.dir, TRIALS), records.map((r) => JSON.stringify(r) + '\n').join(''));
        const summary = summarizeRun(plan, records);
        writeAtomic(join(folder.dir, SUMMARY), JSON.stringify(summary, null, 1) + '\n');
        if (!o.json) console.log(`${plan.experiment}: ${plural(dirs.length, 'shard')}, ${plan.cells.length} cells x ${plan.seeds.length} seeds = ${plural(records.length, 'trial')} -> ${shownPath(folder.dir)}`);
        await report(plan, summary, records, Boolean(o.json), folder.dir);
      } finally {
        for (const f of opened) await f.unlock();
      }
    });

  slurmOptions(limitOptions(
    program
      .command('slurm')
      .description('Run an experiment as a Slurm job array, one task per shard, and merge the shards in a job after it: write the scripts and show them; --submit submits them, --wait follows them to the summary.')
      .argument('[experiment]', 'experiment YAML file')
      .option('--shards <n>', 'array tasks, each running one shard (run --shard I/N)', positiveInt('--shards'))
      .option('--seeds <n>', 'seeds per cell (overrides the file)', positiveInt('--seeds'))
      .option('--set <key=value>', 'override a key, e.g. workload.ranks=512 (repeatable)', collect, [])
      .option('--where <expr>', 'only the cells where this mathjs condition holds')
      .option('--out <dir>', 'campaign folder, new or empty, on a file system the nodes share (default results/<name>/slurm-<UTC time>/)')
      .option('--submit', 'submit the array and the merge job with sbatch')
      .option('--wait', 'follow the jobs (squeue, sacct) until the merge has finished, then print the summary as run does')
      .option('--status <dir>', "show a campaign's tasks: state, trials done, log file (with --wait, follow them)")
      .option('--only-failed <dir>', 'resubmit the tasks of a campaign that failed or timed out before their shard was done, and a merge after them')
      .option('--json', 'with --wait: print summary.json (or the failed tasks) as JSON'),
  ))
    .addHelpText(
      'after',
      `
  Exit codes: 0 merged and every gate passes, 1 a gate failed or a task failed, 2 bad input or a
  Slurm command refused.

  Examples:
    $ faultsweep slurm experiments/release-1024.yaml --shards 8 --cpus-per-task 4 --time 1:00:00 --out /scratch/release
    $ faultsweep slurm experiments/release-1024.yaml --shards 8 --partition batch --submit --wait
    $ faultsweep slurm --status /scratch/release
    $ faultsweep slurm --only-failed /scratch/release --wait`,
    )
    .action(async (file: string | undefined, o: RunOptions & SlurmOptions & { shards?: number; submit?: boolean; wait?: boolean; status?: string; onlyFailed?: string; poll: number }) => {
      const slurm = await import('./run/slurm.js');
      const existing = o.status ?? o.onlyFailed;
      if (existing !== undefined) {
        if (file || o.shards || o.out || o.set.length || o.where || o.seeds) throw new InputError(`--${o.status ? 'status' : 'only-failed'} DIR takes the experiment and its options from DIR/campaign.json; give no experiment, --shards, --set, --where, --seeds or --out`);
        const c = slurm.readCampaign(existing);
        const p = await slurm.progress(existing, c);
        if (o.onlyFailed) {
          if (p.merged) throw new InputError(`${existing}: already merged into ${shownPath(slurm.mergedDir(existing))}; nothing to resubmit`);
          const failed = slurm.failedTasks(p).map((t) => t.index);
          const running = p.tasks.filter((t) => t.live).length;
          if (!failed.length && (running || p.merge?.live)) throw new InputError(`${existing}: no task failed; ${running} still queued or running. Follow them with: faultsweep slurm --status ${existing} --wait`);
          const s = await slurm.submit(existing, c, failed);
          // With --json, stdout is for the JSON that --wait prints.
          (o.json ? console.error : console.log)(`${c.experiment}: resubmitted ${failed.length ? `shard${failed.length === 1 ? '' : 's'} ${failed.join(', ')} as array job ${s.array}` : 'no shard'} and merge job ${s.merge} after ${failed.length ? 'it' : 'nothing'}`);
        } else if (!o.wait) {
          console.log(renderTable([['shard', 'trials', 'state', 'log'], ...p.tasks.map((t) => [String(t.index), `${t.trials} of ${t.of}`, t.state, t.log ? shownPath(t.log) : '-'])]));
          console.log(slurm.progressLine(p));
        }
        if (o.wait) await followCampaign(existing, Boolean(o.json), o.poll);
        return;
      }
      if (!file) throw new InputError('slurm: name an experiment file (with --shards N), or --status DIR, or --only-failed DIR');
      if (!o.shards) throw new InputError('slurm: --shards N is needed: the number of array tasks to split the trials over');
      if (o.wait && !o.submit) throw new InputError('--wait follows submitted jobs: give --submit too (or --status DIR --wait for a campaign already submitted)');
      const plan = loadExperiment(file, loadOptions(o));
      const load = [file, ...o.set.flatMap((s) => ['--set', s]), ...(o.where ? ['--where', o.where] : []), ...(o.seeds ? ['--seeds', String(o.seeds)] : []), ...(o.maxCells ? ['--max-cells', String(o.maxCells)] : []), ...(o.maxTrials ? ['--max-trials', String(o.maxTrials)] : [])];
      const c = slurm.newCampaign(plan, o.shards, load, o);
      const out = o.out ?? join('results', plan.experiment, `slurm-${utcStamp()}`);
      slurm.checkSbatchPath(resolve(out));
      const { dir } = claimFolder(out);
      slurm.writeCampaign(dir, c);
      const mean = c.costs.reduce((a, b) => a + b, 0) / o.shards;
      if (!o.json) {
        console.log(`${plan.experiment}: ${plan.cells.length} cells x ${plan.seeds.length} seeds = ${plural(plan.cells.length * plan.seeds.length, 'trial')} in ${plural(o.shards, 'shard')} -> ${shownPath(dir)}`);
        console.log(renderTable([['shard', 'trials', 'estimated cost (x mean)'], ...c.trials.map((n, i) => [String(i), count(n), fmt(c.costs[i] / mean)])]));
        for (const f of [slurm.ARRAY_SCRIPT, slurm.MERGE_SCRIPT]) console.log(`\n# ${shownPath(join(dir, f))}\n${readFileSync(join(dir, f), 'utf8').trimEnd()}`);
      }
      if (!o.submit) {
        if (!o.json) console.log(`\nsubmit with: faultsweep slurm --only-failed ${shownPath(dir)}   (or: sbatch ${shownPath(join(dir, slurm.ARRAY_SCRIPT))}, then the merge job with --dependency=afterany:ID)`);
        return;
      }
      const s = await slurm.submit(dir, c, c.trials.map((_, i) => i));
      if (!o.json) console.log(`\nsubmitted array job ${s.array} (${plural(o.shards, 'task')}) and merge job ${s.merge} after it; follow with: faultsweep slurm --status ${shownPath(dir)} --wait`);
      if (o.wait) await followCampaign(dir, Boolean(o.json), o.poll);
    });

  program
    .command('nightly')
    .description("Run a suite's experiments as tonight's night, store it in a history (SQLite), compare it with the nights before, and print the morning digest.")
    .argument('<suite>', 'suite YAML file: a list of experiment files with overrides and seed counts')
    .requiredOption('--history <file>', 'the history database (made if new); a night killed part way is carried on by the next nightly')
    .option('--label <build>', 'what is under test tonight: a kernel build, a profile revision')
    .option('--out <dir>', "the night's folder, new or empty (default results/nightly/<suite>/<UTC time>/)")
    .option('--jobs <n>', 'worker threads', positiveInt('--jobs'), availableParallelism())
    .option('--min-effect <fraction>', 'smallest change of a metric worth reporting', fraction('--min-effect'), DEFAULT_CHANGE.minEffect)
    .option('--fail-on-regression', 'exit 1 when the digest names a regression')
    .option('--markdown', 'print the digest as Markdown')
    .option('--json', 'print the digest as JSON')
    .addHelpText(
      'after',
      `
  Writes digest.txt, digest.md, digest.json and trend.html into the night's folder, beside one
  results folder per experiment. From cron, every night at 02:00:
    0 2 * * * cd /srv/faultsweep && npx faultsweep nightly experiments/nightly.yaml --history nightly.sqlite --label "$(cat BUILD)" > nightly.log 2>&1

  Examples:
    $ faultsweep nightly experiments/nightly.yaml --history nightly.sqlite
    $ faultsweep nightly experiments/nightly.yaml --history nightly.sqlite --label lego-6e0cf6c --fail-on-regression`,
    )
    .action(async (file: string, o: { history: string; label?: string; out?: string; jobs: number; minEffect: number; failOnRegression?: boolean; markdown?: boolean; json?: boolean }) => {
      const { loadSuite } = await import('./run/suite.js');
      const { History } = await import('./report/history.js');
      const { runNight } = await import('./run/nightly.js');
      const suite = loadSuite(file);
      const history = History.open(o.history);
      try {
        const night = await runNight(suite, history, {
          label: o.label,
          out: o.out,
          base: resolve('results', 'nightly', suite.name),
          stamp: utcStamp(),
          jobs: o.jobs,
          progress: Boolean(process.stderr.isTTY) && !o.json,
          say: (line) => process.stderr.write(`${line}\n`),
          resume: `faultsweep nightly ${shownPath(file)} --history ${shownPath(o.history)}`,
        });
        await printDigest(history, suite.name, night.id, o, night.results);
      } finally {
        history.closeOrDiscard();
      }
    });

  program
    .command('history')
    .description('Show what a nightly history holds: its nights, the cells of a suite, failure signatures across nights, or a past night\'s digest; import results folders into it.')
    .argument('<file>', 'a history database (faultsweep nightly --history)')
    .option('--suite <name>', 'only this suite (default: every suite, or the only one)')
    .option('--cells', "list the suite's cells with their nights and latest headline values")
    .option('--signatures', 'list failure signatures across nights: first and last seen, status, replay')
    .option('--digest [night]', "print a night's digest (default: the latest night)")
    .option('--import <dirs...>', 'record these finished results folders as one night (suite: --suite, or the first folder\'s experiment)')
    .option('--label <build>', 'with --import: the night\'s label')
    .option('--min-effect <fraction>', 'with --digest: smallest change of a metric worth reporting', fraction('--min-effect'), DEFAULT_CHANGE.minEffect)
    .option('--markdown', 'with --digest: as Markdown')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      `
  The database is plain SQLite: sqlite3 nightly.sqlite 'SELECT * FROM failures' works too
  (tables nights, experiments, cells, trials, metrics; view failures; see the README).

  Examples:
    $ faultsweep history nightly.sqlite
    $ faultsweep history nightly.sqlite --signatures
    $ faultsweep history nightly.sqlite --digest 3 --markdown
    $ faultsweep history nightly.sqlite --import results/remote-access/2026-12-01T02-00-00Z --suite nightly --label lego-6e0cf6c`,
    )
    .action(async (file: string, o: { suite?: string; cells?: boolean; signatures?: boolean; digest?: string | true; import?: string[]; label?: string; minEffect: number; markdown?: boolean; json?: boolean }) => {
      const { History } = await import('./report/history.js');
      const views = [o.cells, o.signatures, o.digest !== undefined, o.import !== undefined].filter(Boolean).length;
      if (views > 1) throw new InputError('history: give one of --cells, --signatures, --digest, --import');
      if (o.label !== undefined && !o.import) throw new InputError('history: --label goes with --import');
      if (o.import) {
        const { importFolders } = await import('./run/nightly.js');
        const history = History.open(file);
        try {
          const night = await importFolders(history, o.import, { suite: o.suite, label: o.label });
          const c = history.counts(night.id);
          if (o.json) console.log(JSON.stringify({ night, ...c }, null, 1));
          else console.log(`${shownPath(file)}: night ${night.id} of ${night.suite}: ${plural(c.experiments, 'experiment')}, ${plural(c.cells, 'cell')}, ${plural(c.trials, 'trial')}, ${count(c.failures)} failed`);
        } finally {
          history.closeOrDiscard();
        }
        return;
      }
      const history = History.open(file, { create: false });
      try {
        const suites = history.suites();
        if (o.suite !== undefined && !suites.includes(o.suite)) throw new InputError(`${file}: no suite ${o.suite} (suites: ${suites.join(', ') || 'none yet'})`);
        const oneSuite = () => {
          if (o.suite !== undefined) return o.suite;
          if (suites.length === 1) return suites[0];
          throw new InputError(`${file}: ${suites.length ? `${suites.length} suites (${suites.join(', ')}); name one with --suite` : 'no nights yet'}`);
        };
        if (o.digest !== undefined) {
          const suite = oneSuite();
          const nights = history.nights(suite).filter((n) => n.finished !== null);
          const id = o.digest === true ? nights.at(-1)?.id : Number(o.digest);
          if (id === undefined || !nights.some((n) => n.id === id)) throw new InputError(`${file}: no finished night ${o.digest === true ? '' : o.digest} of ${suite} (nights: ${nights.map((n) => n.id).join(', ') || 'none'})`);
          return await printDigest(history, suite, id, { ...o, failOnRegression: false });
        }
        if (o.signatures) {
          const { triage } = await import('./report/triage.js');
          const suite = oneSuite();
          const nights = history.nights(suite);
          const sigs = triage(nights, history.cells(suite), nights.at(-1)!.id);
          if (o.json) console.log(JSON.stringify(sigs, null, 1));
          else if (!sigs.length) console.log(`${suite}: no trial of any night failed`);
          else console.log(renderTable([['status', 'outcome', 'first', 'last', 'seen/run', 'experiments', 'signature'], ...sigs.map((s) => [s.status, s.outcome, String(s.firstSeen), String(s.lastSeen), `${s.nightsSeen}/${s.nightsRun}`, s.experiments.join(','), s.signature.length > 70 ? `${s.signature.slice(0, 67)}...` : s.signature])]));
          return;
        }
        if (o.cells) {
          const suite = oneSuite();
          const cells = history.cells(suite);
          const keys = [...new Set(cells.map((c) => c.key))];
          const rows = keys.map((key) => {
            const of = cells.filter((c) => c.key === key), last = of.at(-1)!;
            const ok = last.trials.filter((t) => t.outcome === 'ok');
            const headline = last.headline.map((m) => `${m} ${fmt(ok.reduce((a, t) => a + (t.metrics[m] ?? 0), 0) / Math.max(1, ok.length))}`).join(', ');
            return { key, experiment: last.experiment, params: last.params, nights: of.map((c) => c.night), latest: { night: last.night, trials: last.trials.length, failed: last.trials.length - ok.length, headline } };
          });
          if (o.json) console.log(JSON.stringify(rows, null, 1));
          else console.log(renderTable([['cell', 'nights', 'latest night', 'trials', 'failed', 'headline means'], ...rows.map((r) => [entryCellLabel(r.experiment, r.params), String(r.nights.length), String(r.latest.night), String(r.latest.trials), String(r.latest.failed), r.latest.headline])]));
          return;
        }
        const nights = history.nights(o.suite);
        const rows = nights.map((n) => ({ ...n, ...history.counts(n.id) }));
        if (o.json) console.log(JSON.stringify(rows, null, 1));
        else if (!rows.length) console.log(`${shownPath(file)}: no nights yet`);
        else console.log(renderTable([['night', 'suite', 'label', 'started (UTC)', 'finished', 'faultsweep', 'experiments commit', 'experiments', 'trials', 'failed'], ...rows.map((r) => [String(r.id), r.suite, r.label ?? '-', r.started.slice(0, 16).replace('T', ' '), r.finished ? 'yes' : 'NO: the next nightly carries on', `${r.faultsweep} (code ${r.code})`, r.experimentsCommit ?? '-', String(r.experiments), count(r.trials), count(r.failures)])]));
      } finally {
        history.close();
      }
    });

  program
    .command('compare')
    .description('Set two result folders, or two filters over one, side by side: ratios, tests, failure rates.')
    .argument('<a>', 'the baseline results folder')
    .argument('[b]', 'the candidate results folder (or give --a and --b filters over A)')
    .option('--a <key=value>', 'with one folder: the baseline cells (repeatable)', collect, [])
    .option('--b <key=value>', 'with one folder: the candidate cells (repeatable)', collect, [])
    .option('--metric <name>', 'compare this metric (repeatable; default: the headline metrics)', collect, [])
    .option('--json', 'print the comparison as JSON')
    .option('--markdown', 'print a Markdown table (for a CI job summary)')
    .option('--out <dir>', 'also write compare.txt, compare.md, compare.json and compare.html into this new or empty folder')
    .option('--fail-on-regression [fraction]', 'exit 1 when B is worse than A at 95% by more than this fraction (default 0.05), or fails significantly more often')
    .addHelpText(
      'after',
      `
Examples:
  $ faultsweep compare results/nowait-vs-persend/per-send results/nowait-vs-persend/nowait
  $ faultsweep compare results/nowait-vs-persend/2026-12-02T12-00-00Z --a kernel.fit.polling=per-send --b kernel.fit.polling=nowait
  $ faultsweep compare old new --json --fail-on-regression 0.1
  $ faultsweep compare per-send nowait --out per-send-vs-nowait`,
    )
    .action(async (a: string, b: string | undefined, o: { a: string[]; b: string[]; metric: string[]; json?: boolean; markdown?: boolean; out?: string; failOnRegression?: boolean | string }) => {
      const [sa, sb] = compareSides(a, b, o.a, o.b);
      const kinds = sa.cells.map((c) => c.workload.kind);
      const metrics = o.metric.length ? o.metric : [...new Set(kinds.flatMap((k) => workloads.get(k)?.headline ?? []))];
      const verdicts = compareRuns(sa, sb, metrics, (m) => unitOf(sa.cells[0], m));
      if (verdicts.length === 0) throw new InputError(`compare: no cell of ${sa.label} has the parameters of a cell of ${sb.label} (apart from ${comparedParams(sa.cells, sb.cells).join(', ') || 'none'})`);
      const json = JSON.stringify({ a: sa.label, b: sb.label, compared: comparedParams(sa.cells, sb.cells), cells: verdicts }, null, 1);
      const text = verdictText(sa.label, sb.label, verdicts);
      if (o.json) console.log(json);
      else if (o.markdown) console.log(verdictMarkdown(sa.label, sb.label, verdicts));
      else console.log(text);
      if (o.out) {
        const { dir } = claimFolder(o.out);
        const { compareHtml } = await import('./report/html.js');
        writeAtomic(join(dir, 'compare.txt'), text + '\n');
        writeAtomic(join(dir, 'compare.md'), verdictMarkdown(sa.label, sb.label, verdicts) + '\n');
        writeAtomic(join(dir, 'compare.json'), json + '\n');
        writeAtomic(join(dir, 'compare.html'), await compareHtml(sa.label, sb.label, verdicts, text));
        if (!o.json && !o.markdown) console.log(`wrote compare.txt, compare.md, compare.json, compare.html to ${shownPath(dir)}`);
      }
      if (o.failOnRegression !== undefined) {
        const threshold = o.failOnRegression === true ? 0.05 : Number(o.failOnRegression);
        if (!(threshold >= 0 && threshold < 1)) throw new InputError(`--fail-on-regression ${o.failOnRegression}: a fraction in [0, 1), e.g. 0.05`);
        const found = regressions(verdicts, threshold);
        if (found.length) throw new GateFailure(`${found.length} regressions of ${sb.label} against ${sa.label}:\n  ${found.join('\n  ')}`);
      }
    });

  program
    .command('replay')
    .description('Run one trial again and print its record and console log; with --digest, check it reproduces.')
    .argument('<experiment>', 'experiment YAML file')
    .requiredOption('--cell <id>', 'cell id from trials.jsonl')
    .requiredOption('--seed <n>', 'seed', (v) => {
      if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new InvalidArgumentError('--seed must be a whole number, 0 or more');
      return Number(v);
    })
    .option('--digest <hex>', 'the trace digest the trial must reproduce', (v) => {
      if (!/^[0-9a-fA-F]{16}$/.test(v)) throw new InvalidArgumentError('--digest must be 16 hexadecimal digits, as trials.jsonl records it');
      return v.toLowerCase();
    })
    .option('--set <key=value>', 'the same overrides as the original run', collect, [])
    .option('--where <expr>', 'the same filter as the original run')
    .option('--trace <file.json>', 'write the trial as a Chrome trace-event file for Perfetto (ui.perfetto.dev) or chrome://tracing: a track per simulated process, waits, lock holds, RPCs, faults and the failure')
    .option('--trace-window <duration>', 'with --trace: only the last stretch of the trial, which ends at its failure (e.g. "50 ms"); a trace keeps 500,000 events at most', (v) => {
      const ns = parseQuantity(v, 'duration', { zero: false });
      if (typeof ns === 'string') throw new InvalidArgumentError(ns);
      return ns;
    })
    .addHelpText('after', '\nExamples:\n  $ faultsweep replay experiments/quickstart.yaml --cell c1a2b3c4d --seed 17 --digest 9f86d081884c7d65\n  $ faultsweep replay experiments/rq-lock-deadlock.yaml --cell c0e1f2a3b --seed 3 --trace deadlock.json --trace-window "20 ms"')
    .action(async (file: string, o: { cell: string; seed: number; digest?: string; set: string[]; where?: string; trace?: string; traceWindow?: number }) => {
      if (o.traceWindow !== undefined && !o.trace) throw new InputError('--trace-window goes with --trace FILE');
      const plan = loadExperiment(file, loadOptions(o));
      const cell = plan.cells.find((c) => c.id === o.cell);
      if (!cell) throw new InputError(`${file}: no cell ${o.cell} (cells: ${plan.cells.map((c) => c.id).join(', ')})`);
      // Refused before the trial runs: the file is new, or one this command wrote.
      if (o.trace && existsSync(o.trace)) throw new InputError(`--trace ${o.trace}: the file exists; faultsweep writes a new file`);
      const { TraceRecorder } = await import('./sim/trace.js');
      const tracer = o.trace ? new TraceRecorder(o.traceWindow) : undefined;
      const r = runTrial({ cell, seed: o.seed, replayBase: replayBase(plan) }, { tracer });
      if (tracer && o.trace) {
        const end = Math.round(r.metrics.simSeconds * 1e9);
        try {
          writeFileSync(o.trace, JSON.stringify(tracer.json(end, { experiment: plan.experiment, cell: r.cell, params: r.params, seed: r.seed, outcome: r.outcome, signature: r.failure?.signature ?? null, digest: r.digest })), { flag: 'wx' });
        } catch (e) {
          throw new InputError(`--trace ${o.trace}: cannot write: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        }
      }
      console.log(`cell ${r.cell} ${JSON.stringify(r.params)} seed ${r.seed}: ${r.outcome}${r.failure ? ` (${r.failure.class}: ${r.failure.signature} at ${fmt(r.failure.atNs / 1e9)} s)` : ''}`);
      console.log(`digest ${r.digest}${workloads.get(cell.workload.kind)!.real ? ": what the trial asked for (the command, its environment, its signals at their offsets); a real program's outcome is its own, and may differ from the recorded one" : ''}`);
      console.log(renderTable([['metric', 'value'], ...Object.entries(r.metrics).map(([k, v]) => [k, fmt(v)])]));
      if (r.failure) console.log(`\nconsole:\n${r.failure.log}`);
      if (tracer) console.log(`\ntrace: ${o.trace}${tracer.dropped ? ` (${count(tracer.dropped)} events before the window or beyond the cap left out)` : ''}; open it in ui.perfetto.dev or chrome://tracing`);
      if (o.digest && o.digest !== r.digest) throw new DeterminismLost(`determinism lost: replay digest ${r.digest} differs from the recorded ${o.digest}`);
    });

  program
    .command('shrink')
    .description('Shrink a failing trial\'s fault schedule (delta debugging) to a smallest one that still fails with the same signature; print it as YAML faults with its replay command.')
    .argument('<replay...>', 'the trial: its replay command (as recorded, quoted or not) or its record, a line of trials.jsonl')
    .option('--json', 'print the result as JSON')
    // The replay command's own options (--set, --cell, --seed) are part of the argument.
    .allowUnknownOption()
    .addHelpText(
      'after',
      `
  Faults that fire by chance (dropped-cqe) record what fired, so a subset replays exactly; the
  others are kept as the experiment configures them.

  Examples:
    $ faultsweep shrink faultsweep replay experiments/nowait-vs-persend.yaml --cell c0d1e2f3a --seed 5 --digest 0123456789abcdef
    $ faultsweep shrink "$(grep '"outcome":"error"' results/run/trials.jsonl | head -1)"`,
    )
    .action(async (words: string[], o: { json?: boolean }) => {
      const { shrink, scheduleYaml } = await import('./run/shrink.js');
      const input = parseReplay(words);
      const r = shrink(input, (line) => !o.json && process.stderr.write(`${line}\n`));
      if (o.json) console.log(JSON.stringify({ from: r.from, to: r.to, tests: r.tests, kept: r.kept, faults: r.faults, sets: r.sets, signature: r.record.failure?.signature ?? null, outcome: r.record.outcome, replay: r.replay }, null, 1));
      else {
        const what = `${r.original.outcome} ${r.original.failure!.signature}`;
        if (r.from === 0 && r.kept.length) console.log(`${what}: no fault of this trial can be replayed as an explicit schedule (kept as configured: ${r.kept.join(', ')}), so there is nothing to shrink`);
        else if (r.from === 0) console.log(`${what}: no fault fired in this trial, so its failure comes from the modeled system alone; the smallest schedule is none`);
        else console.log(`${what}: ${plural(r.from, 'fault event')} -> ${r.to}, in ${plural(r.tests, 'replay')}${r.kept.length ? `; kept as configured: ${r.kept.join(', ')}` : ''}`);
        console.log(scheduleYaml(r));
        console.log(`replay: ${r.replay}`);
      }
    });

  program
    .command('classify')
    .description('Find the failure episodes in console logs (dmesg, serial captures, notes that mix prose and log lines) and name each with the failure catalog the models use.')
    .argument('<files...>', "console logs; '-' reads standard input")
    .option('--json', 'print the episodes as JSON')
    .addHelpText(
      'after',
      `
  An episode is one CPU's or one task's report with its dumps and stack: reports of several CPUs
  are several episodes, a dump that belongs to a report is not another. Exit 0 whether or not
  anything was found; --json for scripts.

  Examples:
    $ faultsweep classify serial-console.log
    $ dmesg | faultsweep classify - --json`,
    )
    .action(async (files: string[], o: { json?: boolean }) => {
      const { classify } = await import('./classify.js');
      const found = files.map((f) => ({ file: f, episodes: classify(readBounded(f, 256 * 2 ** 20, { tooLarge: 'split it', notFile: "pipe a device's output into faultsweep classify -" }).toString('utf8')) }));
      if (o.json) return console.log(JSON.stringify(found.flatMap((f) => f.episodes.map((e) => ({ file: f.file, ...e }))), null, 1));
      for (const { file, episodes } of found) {
        console.log(`${file}: ${plural(episodes.length, 'failure episode')}`);
        for (const e of episodes) {
          const who = [e.time ? `[${e.time}]` : '', e.cpu !== null ? `CPU${e.cpu}` : '', e.pid !== null ? `PID${e.pid}` : ''].filter(Boolean).join(' ');
          console.log(`  lines ${e.from}-${e.to}  ${e.class} (${e.outcome})${who ? `  ${who}` : ''}\n    ${e.signature}`);
          for (const p of e.proof.slice(0, 3)) console.log(`    ${p.line}: ${p.text.length > 110 ? `${p.text.slice(0, 107)}...` : p.text}`);
        }
      }
    });

  limitOptions(
    program
      .command('validate')
      .description('Check experiment files and nightly suites (and the profiles they name) without running anything.')
      .argument('<files...>', 'experiment or suite YAML files'),
  )
    .addHelpText('after', '\nExample:\n  $ faultsweep validate experiments/*.yaml')
    .action(async (files: string[], o: { maxCells?: number; maxTrials?: number }) => {
      const { isSuite, loadSuite } = await import('./run/suite.js');
      let bad = 0;
      for (const f of files) {
        try {
          if (isSuite(f)) {
            const { name, entries } = loadSuite(f);
            const cells = entries.reduce((n, e) => n + e.plan.cells.length, 0);
            console.log(`${f}: ok, suite ${name} of ${plural(entries.length, 'experiment')}: ${plural(cells, 'cell')}, ${plural(entries.reduce((n, e) => n + e.plan.cells.length * e.count, 0), 'trial')} a night`);
            continue;
          }
          const plan = loadExperiment(f, loadOptions(o));
          console.log(`${f}: ok, ${plan.cells.length} cells x ${plan.seeds.length} seeds = ${plan.cells.length * plan.seeds.length} trials`);
        } catch (e) {
          if (!(e instanceof InputError)) throw e;
          console.error(e.message);
          bad++;
        }
      }
      if (bad) throw new Reported(2);
    });

  program
    .command('list')
    .description('List the registered workloads, faults, systems, failure classes or the hardware profiles.')
    .addArgument(new Argument('<what>').choices(['workloads', 'faults', 'systems', 'failures', 'profiles']))
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
            : what === 'failures'
              ? failureClasses.all().map((c) => [c.kind, c.outcome, c.madeBy, c.description])
              : (what === 'workloads' ? workloads : faults).all().map((p) => [p.kind, p.systems.join(','), p.description]);
      const header = what === 'profiles' ? ['profile', 'system', 'description'] : what === 'systems' ? ['system', 'description'] : what === 'failures' ? ['class', 'outcome', 'made by', 'description'] : [what.slice(0, -1), 'systems', 'description'];
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
    .option('--check', 'exit 1 when a benchmark misses its target (for CI)')
    .addHelpText('after', '\nExamples:\n  $ faultsweep bench\n  $ faultsweep bench hold-1m --json\n  $ faultsweep bench startup-version hold-10k --check')
    .action(async (names: string[], o: { json?: boolean; time: number; check?: boolean }) => {
      const { missed, runBenches } = await import('./bench/index.js');
      const results = await runBenches(names, o.time, (line) => !o.json && process.stderr.write(line + '\n'));
      if (o.json) console.log(JSON.stringify(results, null, 1));
      else
        console.log(
          renderTable([
            ['benchmark', 'ops/s', 'unit', 'ms/iteration: mean (fastest-slowest)', 'samples', 'target', 'note'],
            ...Object.entries(results).map(([n, r]) => [n, fmt(r.opsPerSec), r.unit, `${fmt(r.meanMs)} (${fmt(r.fastestMs)}-${fmt(r.slowestMs)})`, String(r.samples), targetText(r), r.note ?? '']),
          ]),
        );
      const misses = missed(results);
      if (o.check && misses.length) throw new GateFailure(`${misses.length} of ${Object.keys(results).length} benchmarks missed their targets: ${misses.join(', ')}`);
    });

  for (const c of commands.all()) c.add(program);
  // Plug-ins load only for a command that runs (--version and --help do without them).
  program.hook('preAction', () => loadPlugins());
  return program;
}

/** Runs one command line (without node and the script) and returns its exit code. */
export async function main(argv: string[]): Promise<number> {
  // A failure outside any command's own path (a worker thread that cannot start) is still ours.
  process.once('uncaughtException', internalError).once('unhandledRejection', internalError);
  try {
    await loadCommands();
    await buildProgram().parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof Reported) return e.exitCode;
    if (e instanceof InputError || e instanceof GateFailure || e instanceof DeterminismLost) {
      console.error(e.message);
      return e.exitCode;
    }
    console.error(`faultsweep: internal error: ${(e as Error).message}`);
    if (process.env.FAULTSWEEP_DEBUG) console.error((e as Error).stack);
    return 3;
  } finally {
    process.removeListener('uncaughtException', internalError).removeListener('unhandledRejection', internalError);
  }
}

function internalError(e: unknown): void {
  console.error(`faultsweep: internal error: ${(e as Error)?.message ?? String(e)}`);
  process.exit(3);
}

