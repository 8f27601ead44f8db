// One night of a suite: every experiment run into the night's folder, each recorded in the history
// in one transaction as soon as it has finished. A nightly killed at any instant leaves the night
// unfinished in the history with whole experiments only; the next nightly of the suite carries on
// with that night (same folder, same seeds), resuming the experiment it was in.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { execaSync } from 'execa';
import { InputError } from '../errors.js';
import type { Plan } from '../experiment/load.js';
import { workloads } from '../registry.js';
import { writeReports } from '../report/files.js';
import { evaluateGates } from '../report/gates.js';
import type { ExperimentInput, History, Night } from '../report/history.js';
import { summarizeRun, unitOf, type Summary } from '../report/summary.js';
import { canonicalJson } from '../canonical-json.js';
import { shardName } from './shard.js';
import { codeVersion, versionText } from '../version.js';
import { execute, trialPool } from './runner.js';
import { claimFolder, PLAN, readJson, readTrials, RunFolder, shownPath, stampedFolder, SUMMARY } from './store.js';
import { nightSeeds, type Suite, type SuiteEntry } from './suite.js';
import { replayBase, type TrialRecord } from './trial.js';

export interface NightlyOptions {
  label?: string;
  /** The night's folder (new or empty); default a time-stamped one under `base`. */
  out?: string;
  base: string;
  stamp: string;
  jobs: number;
  progress: boolean;
  /** A line of news for the terminal: an experiment starting, resumed, recorded. */
  say: (line: string) => void;
  /** The command that carries on with the night, for the message of an interrupted nightly. */
  resume: string;
}

/** Runs (or finishes) the suite's current night and returns it, finished, with its history open. */
export async function runNight(suite: Suite, history: History, o: NightlyOptions): Promise<Night> {
  let night = history.unfinished(suite.name);
  if (night) {
    if (o.label !== undefined && o.label !== night.label) throw new InputError(`${history.file}: night ${night.id} of ${suite.name} (label ${night.label ?? 'none'}) never finished; finish it first, with --label ${night.label ?? "''"} or none`);
    if (o.out !== undefined && resolve(o.out) !== night.results) throw new InputError(`${history.file}: night ${night.id} of ${suite.name} never finished; it carries on in ${shownPath(night.results)}, not --out ${o.out}`);
    const now = codeVersion();
    if (now.code !== night.code) o.say(`night ${night.id} was begun by ${versionText({ faultsweep: night.faultsweep, code: night.code })}; this is ${versionText(now)}, so what it adds comes from other code`);
    o.say(`carrying on with night ${night.id} of ${suite.name} in ${shownPath(night.results)}`);
  } else {
    const { dir } = o.out !== undefined ? claimFolder(o.out) : stampedFolder(o.base, o.stamp);
    const v = codeVersion();
    night = history.beginNight({ suite: suite.name, label: o.label ?? null, faultsweep: v.faultsweep, code: v.code, experimentsCommit: experimentsCommit(suite), seeds: suite.seeds, results: dir });
  }
  const id = night.id, results = night.results;
  const ordinal = history.nights(suite.name).findIndex((n) => n.id === id) + 1;
  const done = history.recorded(id);
  // One pool of worker threads for the night: each thread loads the models once, not once per experiment.
  const pool = trialPool(o.jobs);
  // Between experiments as well as inside one (the runner's own handler comes after this one):
  // the finished experiments are in the history, the trials of the one in flight on disk.
  const onInterrupt = (signal: NodeJS.Signals) => {
    process.stderr.write(`\n${signal}: night ${id} stopped; carry on with: ${o.resume}\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onInterrupt).once('SIGTERM', onInterrupt);
  try {
    for (const entry of suite.entries) if (!done.has(entry.name)) await runEntry(entry, join(results, entry.name), () => nightSeeds(suite.seeds, entry.count, ordinal));
  } finally {
    process.removeListener('SIGINT', onInterrupt).removeListener('SIGTERM', onInterrupt);
    await pool.destroy();
  }

  /** One experiment of the night into its folder (resumed if a killed nightly began it), then into the history. */
  async function runEntry(entry: SuiteEntry, dir: string, seeds: () => number[]): Promise<void> {
    let folder: RunFolder;
    let plan: Plan;
    if (existsSync(join(dir, PLAN))) {
      ({ folder, plan } = await RunFolder.open(dir));
      o.say(`${entry.name}: resuming ${shownPath(dir)}`);
    } else {
      plan = { ...entry.plan, seeds: seeds() };
      folder = await RunFolder.create(plan, { out: dir, base: results, stamp: '' });
      o.say(`${entry.name}: ${plan.cells.length} cell${plan.cells.length === 1 ? '' : 's'} x ${plan.seeds.length} seeds (${plan.seeds[0]}-${plan.seeds.at(-1)}) -> ${shownPath(dir)}`);
    }
    try {
      const { summary, records } = await execute(plan, dir, { jobs: o.jobs, progress: o.progress, replayBase: replayBase(plan), resumeCommand: o.resume, pool }, () => plan.seeds);
      await writeReports(dir, plan, summary, records, evaluateGates(plan, summary));
      history.recordExperiment(id, experimentRecord(entry.name, dir, plan, summary, records));
      o.say(`${entry.name}: ${records.length} trials, ${records.filter((r) => r.outcome !== 'ok').length} failed; recorded`);
    } finally {
      await folder.unlock();
    }
  }
  history.finishNight(id);
  return history.nights(suite.name).find((n) => n.id === id)!;
}

/** What the history keeps of one finished experiment. */
function experimentRecord(name: string, dir: string, plan: Plan, summary: Summary, records: TrialRecord[]): ExperimentInput {
  return {
    name,
    file: plan.file,
    sets: plan.sets,
    results: dir,
    cells: plan.cells.map((c) => ({
      id: c.id,
      params: c.params,
      units: Object.fromEntries(Object.keys(summary.cells.find((s) => s.id === c.id)?.metrics ?? {}).map((m) => [m, unitOf(c, m)])),
      headline: workloads.get(c.workload.kind)?.headline ?? [],
    })),
    records,
  };
}

/** The git commit of the suite and its experiment files, "+dirty" when they differ from it;
 *  undefined outside a git work tree (or without git). */
function experimentsCommit(suite: Suite): string | null {
  const files = [suite.file, ...suite.entries.map((e) => e.plan.file)].map((f) => resolve(f));
  const cwd = dirname(resolve(suite.file));
  try {
    const commit = execaSync('git', ['log', '-1', '--format=%h', '--', ...files], { cwd }).stdout.trim();
    if (!commit) return null;
    const dirty = execaSync('git', ['status', '--porcelain', '--', ...files], { cwd }).stdout.trim();
    return dirty ? `${commit}+dirty` : commit;
  } catch {
    return null;
  }
}

/** Records finished results folders as one finished night: a history begun from runs made before
 *  it, or runs made elsewhere. Each folder is one experiment, named after it. */
export async function importFolders(history: History, dirs: string[], o: { suite?: string; label?: string }): Promise<Night> {
  const runs = dirs.map((dir) => {
    const plan = readJson<Plan>(join(dir, PLAN));
    if (plan.shard) throw new InputError(`${dir}: shard ${shardName(plan.shard)} of a run, whose cells are partial; merge the shards and import the merged folder`);
    if (!existsSync(join(dir, SUMMARY))) throw new InputError(`${dir}: an unfinished run (no ${SUMMARY}); finish it with faultsweep run --resume ${shownPath(dir)}`);
    return { dir: resolve(dir), plan, records: readTrials(dir).records };
  });
  const names = runs.map((r) => r.plan.experiment);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new InputError(`--import: two folders of experiment ${twice}; a night holds each experiment once`);
  const suite = o.suite ?? names[0];
  if (history.unfinished(suite)) throw new InputError(`${history.file}: a night of ${suite} never finished; finish it with faultsweep nightly before importing into that suite`);
  const versions = new Set(runs.map((r) => canonicalJson(r.plan.version ?? codeVersion())));
  if (versions.size > 1) throw new InputError('--import: the folders were made by different faultsweep code; import them as separate nights');
  const v = runs[0].plan.version ?? codeVersion();
  const night = history.beginNight({ suite, label: o.label ?? null, faultsweep: v.faultsweep, code: v.code, experimentsCommit: null, seeds: 'fresh', results: runs.length === 1 ? runs[0].dir : commonDir(runs.map((r) => r.dir)) });
  for (const { dir, plan, records } of runs) history.recordExperiment(night.id, experimentRecord(plan.experiment, dir, plan, summarizeRun(plan, records), records));
  history.finishNight(night.id);
  return history.nights(suite).find((n) => n.id === night.id)!;
}

function commonDir(dirs: string[]): string {
  let common = dirs[0];
  while (!dirs.every((d) => d === common || d.startsWith(`${common}/`))) common = dirname(common);
  return common;
}
