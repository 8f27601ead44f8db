// Sweeps as Slurm job arrays: one array task per shard (`run --shard I/N`) and a merge job that
// waits for the whole array (afterany). faultsweep writes the job scripts and reads what Slurm
// and the shard folders say; Slurm schedules. Everything a task needs is in the campaign folder
// and its script, on the shared file system: nothing depends on the submitting shell.
//
// DIR/campaign.json   what was asked, and every submission's job ids
// DIR/array.sbatch    the array, one task per shard; a task resubmitted resumes its shard
// DIR/merge.sbatch    faultsweep merge DIR/shards/* --out DIR/merged
// DIR/shards/I/       shard I's results folder       DIR/logs/  the jobs' output
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { canonicalJson } from '../canonical-json.js';
import { GateFailure, InputError } from '../errors.js';
import type { Plan } from '../experiment/load.js';
import { projectRoot } from '../registry.js';
import { shellQuote } from '../shell-quote.js';
import { mergeShards } from './merge.js';
import { partition } from './shard.js';
import { readJson, readTrials, RunFolder, shownPath, TrialLog, writeAtomic } from './store.js';
import type { TrialRecord } from './trial.js';

export interface SlurmOptions {
  partition?: string;
  time?: string;
  account?: string;
  cpusPerTask: number;
}

export interface Submission {
  at: string;
  array: string;
  tasks: number[];
  merge: string;
}

export interface Campaign {
  experiment: string;
  /** The folder the experiment's paths are relative to. */
  cwd: string;
  /** `run`'s arguments that choose the trials: the experiment file and its overrides. */
  load: string[];
  shards: number;
  /** Per shard, its trials and its estimated cost. */
  trials: number[];
  costs: number[];
  slurm: SlurmOptions;
  submissions: Submission[];
}

const CAMPAIGN = 'campaign.json';
export const ARRAY_SCRIPT = 'array.sbatch';
export const MERGE_SCRIPT = 'merge.sbatch';
export const shardDir = (dir: string, i: number) => join(dir, 'shards', String(i));
export const mergedDir = (dir: string) => join(dir, 'merged');
const taskLog = (dir: string, i: number, array: string) => join(dir, 'logs', `shard-${i}-${array}.out`);
const mergeLog = (dir: string, job: string) => join(dir, 'logs', `merge-${job}.out`);

export function readCampaign(dir: string): Campaign {
  if (!existsSync(join(dir, CAMPAIGN))) throw new InputError(`${dir}: no ${CAMPAIGN} there, so not a folder faultsweep slurm made`);
  return readJson<Campaign>(join(dir, CAMPAIGN));
}

const saveCampaign = (dir: string, c: Campaign) => writeAtomic(join(dir, CAMPAIGN), JSON.stringify(c, null, 1) + '\n');

function header(c: Campaign, name: string, lines: string[]): string {
  const o = c.slurm;
  return [
    '#!/bin/bash',
    `#SBATCH --job-name=${name}`,
    ...lines,
    ...(o.partition ? [`#SBATCH --partition=${o.partition}`] : []),
    ...(o.time ? [`#SBATCH --time=${o.time}`] : []),
    ...(o.account ? [`#SBATCH --account=${o.account}`] : []),
    'set -eu',
    `cd ${shellQuote(c.cwd)}`,
  ].join('\n');
}

const faultsweep = () => [process.execPath, join(projectRoot, 'bin', 'faultsweep.js')].map(shellQuote).join(' ');

export function arrayScript(dir: string, c: Campaign): string {
  const jobs = String(c.slurm.cpusPerTask);
  return `${header(c, `faultsweep-${c.experiment}`, [
    `#SBATCH --array=0-${c.shards - 1}`,
    `#SBATCH --cpus-per-task=${jobs}`,
    `#SBATCH --output=${join(dir, 'logs', 'shard-%a-%A.out')}`,
  ])}
# Shard I of ${c.shards} of ${c.experiment}; a task run again finishes what its shard has left.
shard=${shellQuote(join(dir, 'shards'))}/$SLURM_ARRAY_TASK_ID
if [ -e "$shard/plan.json" ]; then
  exec ${faultsweep()} run --resume "$shard" --jobs ${jobs}
fi
exec ${faultsweep()} run ${c.load.map(shellQuote).join(' ')} --shard "$SLURM_ARRAY_TASK_ID/${c.shards}" --out "$shard" --jobs ${jobs}
`;
}

export function mergeScript(dir: string, c: Campaign): string {
  const shards = Array.from({ length: c.shards }, (_, i) => shellQuote(shardDir(dir, i)));
  return `${header(c, `faultsweep-${c.experiment}-merge`, ['#SBATCH --cpus-per-task=1', `#SBATCH --output=${join(dir, 'logs', 'merge-%j.out')}`])}
# Runs after every task of the array has ended, however it ended; a gap is named, not merged.
exec ${faultsweep()} merge ${shards.join(' ')} --out ${shellQuote(mergedDir(dir))}
`;
}

/** A campaign of `plan`'s trials in `shards` shards, not yet submitted. */
export function newCampaign(plan: Plan, shards: number, load: string[], o: SlurmOptions): Campaign {
  const parts = partition(plan, shards);
  const slurm = { partition: o.partition, time: o.time, account: o.account, cpusPerTask: o.cpusPerTask };
  return { experiment: plan.experiment, cwd: process.cwd(), load, shards, trials: parts.trials, costs: parts.cost, slurm, submissions: [] };
}

/** Refuses a folder the job scripts cannot name: #SBATCH lines take no quotes. */
export function checkSbatchPath(dir: string): void {
  if (/\s/.test(dir)) throw new InputError(`--out ${dir}: #SBATCH lines cannot hold a path with white space; choose another folder`);
}

/** Writes the campaign and its two scripts into `dir` (new or empty, made by the caller). */
export function writeCampaign(dir: string, c: Campaign): void {
  mkdirSync(join(dir, 'logs'));
  mkdirSync(join(dir, 'shards'));
  writeAtomic(join(dir, ARRAY_SCRIPT), arrayScript(dir, c));
  writeAtomic(join(dir, MERGE_SCRIPT), mergeScript(dir, c));
  saveCampaign(dir, c);
}

async function slurm(command: string, args: string[]): Promise<string> {
  try {
    return (await execa(command, args)).stdout;
  } catch (e) {
    const err = e as { code?: string; stderr?: string; shortMessage?: string };
    if (err.code === 'ENOENT') throw new InputError(`${command}: not found; run faultsweep slurm where Slurm's commands are (a login node), or submit the scripts yourself with sbatch`);
    throw new InputError(`${command} ${args.join(' ')}: ${(err.stderr || err.shortMessage || '').trim().split('\n')[0]}`);
  }
}

/** Submits the array (all its tasks, or the ones given) and, unless told not to, a merge job
 *  after it. */
export async function submit(dir: string, c: Campaign, tasks: number[], withMerge = true): Promise<Submission> {
  const jobId = async (args: string[]) => (await slurm('sbatch', ['--parsable', ...args])).split(';')[0].trim();
  // No tasks: every shard is done and only the merge is left to run again.
  const array = tasks.length === 0 ? '' : await jobId([...(tasks.length === c.shards ? [] : [`--array=${tasks.join(',')}`]), join(dir, ARRAY_SCRIPT)]);
  const merge = withMerge ? await jobId([...(array ? [`--dependency=afterany:${array}`] : []), join(dir, MERGE_SCRIPT)]) : '';
  const s = { at: new Date().toISOString(), array, tasks, merge };
  c.submissions.push(s);
  saveCampaign(dir, c);
  return s;
}

/** Slurm's state of each job and array task ("123_4"): squeue for the live ones, then sacct, or
 *  scontrol where accounting is off (it remembers finished jobs for MinJobAge, 300 s by default). */
async function jobStates(ids: string[]): Promise<{ live: Set<string>; state: Map<string, string> }> {
  const state = new Map<string, string>();
  const live = new Set<string>();
  const list = ids.join(',');
  const queued = await execa('squeue', ['-h', '-r', '-j', list, '-o', '%i|%T'], { reject: false });
  for (const line of queued.stdout.split('\n').filter(Boolean)) {
    const [id, st] = line.split('|');
    state.set(id, st);
    live.add(id);
  }
  const acct = await execa('sacct', ['-n', '-P', '-X', '-j', list, '-o', 'JobID,State'], { reject: false });
  if (acct.exitCode === 0) {
    for (const line of acct.stdout.split('\n').filter(Boolean)) {
      const [id, st] = line.split('|');
      if (!live.has(id)) state.set(id, st.split(' ')[0]);
    }
  } else {
    for (const id of ids) {
      const shown = await execa('scontrol', ['show', 'job', '-o', id], { reject: false });
      for (const line of shown.stdout.split('\n').filter(Boolean)) {
        const kv = Object.fromEntries(line.split(' ').map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]));
        const key = kv.ArrayJobId && /^\d+$/.test(kv.ArrayTaskId ?? '') ? `${kv.ArrayJobId}_${kv.ArrayTaskId}` : kv.JobId;
        if (key && !live.has(key)) state.set(key, kv.JobState);
      }
    }
  }
  return { live, state };
}

export interface TaskProgress {
  index: number;
  trials: number;
  of: number;
  /** Slurm's word for it (PENDING, RUNNING, COMPLETED, FAILED, TIMEOUT, ...), UNKNOWN once forgotten. */
  state: string;
  live: boolean;
  log: string | undefined;
}

export interface Progress {
  tasks: TaskProgress[];
  merge: { job: string; state: string; live: boolean; log: string } | undefined;
  merged: boolean;
}

const recorded = (file: string) => (existsSync(file) ? readFileSync(file, 'latin1').split('\n').length - 1 : 0);

export async function progress(dir: string, c: Campaign): Promise<Progress> {
  const last = c.submissions.at(-1);
  const latest = (i: number) => c.submissions.findLast((s) => s.tasks.includes(i));
  const ids = [...new Set(c.submissions.flatMap((s) => [s.array, s.merge]))].filter(Boolean);
  const { live, state } = ids.length ? await jobStates(ids) : { live: new Set<string>(), state: new Map<string, string>() };
  const tasks = c.trials.map((of, index): TaskProgress => {
    const s = latest(index);
    const key = s && `${s.array}_${index}`;
    const trials = Math.min(of, recorded(join(shardDir(dir, index), 'trials.jsonl')));
    return { index, trials, of, state: key ? (state.get(key) ?? (trials === of ? 'COMPLETED' : 'UNKNOWN')) : 'NOT SUBMITTED', live: Boolean(key && live.has(key)), log: s && taskLog(dir, index, s.array) };
  });
  const merge = last?.merge ? { job: last.merge, state: state.get(last.merge) ?? 'UNKNOWN', live: live.has(last.merge), log: mergeLog(dir, last.merge) } : undefined;
  return { tasks, merge, merged: existsSync(join(mergedDir(dir), 'summary.json')) };
}

/** The shards to run again: unfinished, and no task of theirs still queued or running. */
export const failedTasks = (p: Progress) => p.tasks.filter((t) => t.trials < t.of && !t.live);

export function progressLine(p: Progress): string {
  const counts = new Map<string, number>();
  for (const t of p.tasks) counts.set(t.state.toLowerCase(), (counts.get(t.state.toLowerCase()) ?? 0) + 1);
  const trials = p.tasks.reduce((n, t) => n + t.trials, 0);
  const of = p.tasks.reduce((n, t) => n + t.of, 0);
  const merge = p.merged ? '; merge done' : p.merge ? `; merge ${p.merge.state.toLowerCase()}` : '';
  return `tasks: ${[...counts].map(([s, n]) => `${n} ${s}`).join(', ')}; ${trials} of ${of} trials${merge}`;
}

/** Asks Slurm every `pollSeconds` until no task and no merge job of the campaign is queued or
 *  running. */
export async function follow(dir: string, c: Campaign, pollSeconds: number, show: (p: Progress) => void): Promise<Progress> {
  for (;;) {
    const p = await progress(dir, c);
    show(p);
    if (!p.merge?.live && !p.tasks.some((t) => t.live)) return p;
    await sleep(pollSeconds * 1000);
  }
}

/** What is wrong with a campaign that ended unmerged, in lines: each failed task with its log. */
export function failureText(c: Campaign, p: Progress): string[] {
  const failed = failedTasks(p);
  return [
    `${c.experiment}: not merged; ${failed.length} array task${failed.length === 1 ? '' : 's'} ended before ${failed.length === 1 ? 'its' : 'their'} shard was done:`,
    ...failed.map((t) => `  shard ${t.index}: ${t.state}, ${t.trials} of ${t.of} trials; log: ${t.log ? shownPath(t.log) : 'none'}`),
    ...(p.merge ? [`  merge job ${p.merge.job}: ${p.merge.state}; log: ${shownPath(p.merge.log)}`] : []),
  ];
}

export interface RoundOptions extends SlurmOptions {
  shards: number;
  poll: number;
  /** The experiment file and overrides, for the scripts' header of what they run. */
  load: string[];
  show(p: Progress): void;
}

/**
 * One round of `qualify --slurm`: its (cell, seed) trials as a job array under DIR/rounds/R, whose
 * shard folders are made here from the round's plan (so every task resumes one). This process
 * merges them, as `merge` would, into the qualify's trials.jsonl. A round found half done (a
 * qualify resumed) submits only the shards it lacks. Returns every record of the qualify folder.
 */
export async function slurmRound(plan: Plan, dir: string, round: number, want: Map<string, number[]>, o: RoundOptions): Promise<TrialRecord[]> {
  const rdir = join(dir, 'rounds', String(round));
  const { qualify: _qualify, ...run } = plan;
  const roundPlan: Plan = { ...run, experiment: `${plan.experiment}-round-${round}`, only: Object.fromEntries(want) };
  let c: Campaign;
  if (!existsSync(join(rdir, CAMPAIGN))) {
    const pairs = [...want.values()].reduce((n, s) => n + s.length, 0);
    const count = Math.max(1, Math.min(o.shards, pairs));
    c = newCampaign(roundPlan, count, o.load, o);
    mkdirSync(rdir, { recursive: true });
    writeCampaign(rdir, c);
    for (let i = 0; i < count; i++) await (await RunFolder.create({ ...roundPlan, shard: { index: i, count } }, { out: shardDir(rdir, i), base: rdir, stamp: '' })).unlock();
  } else c = readCampaign(rdir);
  let p = await progress(rdir, c);
  try {
    if (!p.tasks.some((t) => t.live) && failedTasks(p).length) await submit(rdir, c, failedTasks(p).map((t) => t.index), false);
  } catch (e) {
    // The rounds before this one are results: keep the folder, whatever Slurm said.
    if (!(e instanceof InputError)) throw e;
    throw new GateFailure(`${e.message}\nround ${round} was not submitted; the qualify is kept: once Slurm takes jobs again, finish it with: faultsweep qualify --resume ${shownPath(dir)}`);
  }
  p = await follow(rdir, c, o.poll, o.show);
  if (failedTasks(p).length) throw new GateFailure([...failureText(c, p), `finish the qualify with: faultsweep qualify --resume ${shownPath(dir)}`].join('\n'));
  const shards = c.trials.map((_, i) => ({ dir: shardDir(rdir, i), plan: readJson<Plan>(join(shardDir(rdir, i), 'plan.json')), records: readTrials(shardDir(rdir, i)).records }));
  // A round folder from other code or another experiment has other trials: merge refuses it.
  if (canonicalJson(shards[0].plan.only) !== canonicalJson(roundPlan.only)) throw new InputError(`${shownPath(rdir)}: round ${round} ran other trials than this qualify asks for now (was the experiment or faultsweep changed?); qualify again into a new folder`);
  const have = readTrials(dir).records;
  const seen = new Set(have.map((r) => `${r.cell}/${r.seed}`));
  const fresh = mergeShards(shards).records.filter((r) => !seen.has(`${r.cell}/${r.seed}`));
  const log = new TrialLog(dir);
  try {
    for (const r of fresh) log.append(r);
  } finally {
    log.close();
  }
  return [...have, ...fresh];
}
