// The results folder. trials.jsonl gets one line per finished trial, written at once, so a killed
// run loses only the trials in flight; plan.json and summary.json are written whole by rename.
import { closeSync, existsSync, fdatasyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import type { Plan } from '../experiment/load.js';
import type { TrialRecord } from './trial.js';

export const TRIALS = 'trials.jsonl';
export const PLAN = 'plan.json';
export const SUMMARY = 'summary.json';

export function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

export function readJson<T>(file: string): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new InputError(`${file}: cannot read: ${(e as Error).message}`);
  }
}

/** Creates the results folder of a new run; refuses to mix into an existing run's folder. */
export function createRun(dir: string, plan: Plan): void {
  if (existsSync(join(dir, PLAN))) throw new InputError(`${dir}: already holds a run; use --resume ${dir} to finish it, or another --out`);
  mkdirSync(dir, { recursive: true });
  writeAtomic(join(dir, PLAN), JSON.stringify(plan, null, 1) + '\n');
}

/** Reads a run's finished trials. A torn last line (the run was killed mid-write) is cut off. */
export function readTrials(dir: string, { repair = false } = {}): TrialRecord[] {
  const file = join(dir, TRIALS);
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  const records: TrialRecord[] = [];
  let good = 0;
  let lineNo = 0;
  for (let start = 0; start < text.length; ) {
    const end = text.indexOf('\n', start);
    lineNo++;
    if (end < 0) break;
    try {
      records.push(JSON.parse(text.slice(start, end)) as TrialRecord);
    } catch {
      throw new InputError(`${file}:${lineNo}:1: not a trial record`);
    }
    good = start = end + 1;
  }
  if (repair && good < text.length) {
    const fd = openSync(file, 'r+');
    ftruncateSync(fd, Buffer.byteLength(text.slice(0, good)));
    closeSync(fd);
  }
  return records;
}

export class TrialLog {
  private fd: number;
  constructor(dir: string) {
    this.fd = openSync(join(dir, TRIALS), 'a');
  }
  append(r: TrialRecord): void {
    writeSync(this.fd, JSON.stringify(r) + '\n');
  }
  close(): void {
    fdatasyncSync(this.fd);
    closeSync(this.fd);
  }
}
