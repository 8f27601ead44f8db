// The results folder. trials.jsonl gets one line per finished trial, written at once, so a killed
// run loses only the trials in flight; plan.json and summary.json are written whole by rename.
// A folder is locked for a run's lifetime, and faultsweep removes only what it created.
import { closeSync, existsSync, fdatasyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import lockfile from 'proper-lockfile';
import { InputError } from '../errors.js';
import type { Plan } from '../experiment/load.js';
import type { TrialRecord } from './trial.js';
import { codeVersion } from '../version.js';

export const TRIALS = 'trials.jsonl';
export const PLAN = 'plan.json';
export const SUMMARY = 'summary.json';
const LOCK = 'run.lock';
const OWNER = 'owner';

/** A path as a user would type it here: relative below the current folder, else absolute. */
export function shownPath(p: string): string {
  const r = relative(process.cwd(), p);
  return r === '' ? '.' : r.startsWith('..') || isAbsolute(r) ? resolve(p) : r;
}

export function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

export function readJson<T>(file: string): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new InputError(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function cannot(dir: string, e: unknown): InputError {
  const code = (e as NodeJS.ErrnoException).code;
  const why = code === 'ENOTDIR' || code === 'EEXIST' ? 'a file is in the way' : code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'not writable' : code === 'ENAMETOOLONG' ? 'the name is too long' : code === 'ENOENT' ? 'the folder above it cannot hold folders' : (code ?? (e as Error).message);
  return new InputError(`${dir}: cannot create the results folder: ${why}`);
}

/** Makes `dir` and its missing parents one level at a time (a recursive mkdirSync never returns
 *  on some paths under /proc); returns the folders it made, outermost first. */
function makeDirs(dir: string): string[] {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d); d = dirname(d)) missing.unshift(d);
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (e) {
      throw cannot(dir, e);
    }
  }
  return missing;
}

/** An --out folder faultsweep may write: new (made here, with any parents it needed) or empty. */
export function claimFolder(out: string): { dir: string; made: string[] } {
  const dir = resolve(out);
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new InputError(`--out ${out}: a file is in the way`);
    const entries = readdirSync(dir);
    if (entries.length) {
      const hint = entries.includes(PLAN) ? `it holds a run: finish it with --resume ${out}` : 'faultsweep writes only into a new or empty folder';
      throw new InputError(`--out ${out}: the folder is not empty (${entries.length} entries); ${hint}`);
    }
  }
  return { dir, made: makeDirs(dir) };
}

/** A fresh folder under `base` named after the time, with -2, -3 ... when another run took that
 *  name first; returns it and the folders made for it, outermost first. */
export function stampedFolder(base: string, stamp: string): { dir: string; made: string[] } {
  const made = makeDirs(base);
  for (let n = 1; ; n++) {
    const dir = join(base, n === 1 ? stamp : `${stamp}-${n}`);
    try {
      mkdirSync(dir);
      made.push(dir);
      return { dir, made };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw cannot(dir, e);
    }
  }
}

/** A run's results folder, locked while the run lasts. */
export class RunFolder {
  private release: (() => Promise<void>) | undefined;
  private constructor(
    readonly dir: string,
    /** The folders this run made (outermost first) and the files it wrote, for discard(). */
    private readonly madeDirs: string[],
  ) {}

  /** A new run's folder: `out` if given (it must be new or empty), else a fresh folder under
   *  `base` named after the time, with -2, -3 ... when another run took that name first. */
  static async create(plan: Plan, opts: { out?: string; base: string; stamp: string }): Promise<RunFolder> {
    let dir: string;
    let made: string[];
    if (opts.out !== undefined) ({ dir, made } = claimFolder(opts.out));
    else ({ dir, made } = stampedFolder(opts.base, opts.stamp));
    const folder = new RunFolder(dir, made);
    await folder.lock();
    try {
      writeAtomic(join(dir, PLAN), JSON.stringify({ ...plan, version: plan.version ?? codeVersion() }, null, 1) + '\n');
    } catch (e) {
      await folder.discard();
      throw cannot(dir, e);
    }
    return folder;
  }

  /** An existing run's folder, to finish it. */
  static async open(dir: string): Promise<{ folder: RunFolder; plan: Plan }> {
    if (!existsSync(join(dir, PLAN))) throw new InputError(`${dir}: no ${PLAN} there, so not a results folder`);
    const folder = new RunFolder(resolve(dir), []);
    await folder.lock();
    return { folder, plan: readJson<Plan>(join(dir, PLAN)) };
  }

  private async lock(): Promise<void> {
    const lockDir = join(this.dir, LOCK);
    const options: lockfile.LockOptions = {
      lockfilePath: lockDir,
      realpath: false,
      // Refreshed every 2.5 s; a lock not refreshed for 10 s is a dead run's (another host's,
      // or one frozen), and a few retries wait that long before giving up.
      stale: 10_000,
      update: 2_500,
      retries: { retries: 6, minTimeout: 1000, maxTimeout: 2500 },
      onCompromised: (e) => {
        process.stderr.write(`faultsweep: lost the lock on ${this.dir} (${e.message}); stopping so two runs never write one folder\n`);
        process.exit(3);
      },
    };
    try {
      this.release = await lockfile.lock(this.dir, { ...options, retries: 0 }).catch(async (e) => {
        if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw e;
        // A run killed on this host (SIGKILL, OOM) is known dead at once by its pid.
        if (deadOwner(lockDir)) rmSync(lockDir, { recursive: true, force: true });
        else process.stderr.write(`${this.dir}: another faultsweep run holds the lock; waiting up to 10 s in case it is dead\n`);
        return lockfile.lock(this.dir, options);
      });
      // Beside the lock, not in it: the library removes its lock folder with rmdir.
      writeFileSync(`${lockDir}.${OWNER}`, `${hostname()} ${process.pid}\n`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ELOCKED') throw new InputError(`${this.dir}: another faultsweep run is writing this folder; wait for it to finish`);
      throw cannot(this.dir, e);
    }
  }

  async unlock(): Promise<void> {
    const release = this.release;
    this.release = undefined;
    if (!release) return;
    rmSync(join(this.dir, `${LOCK}.${OWNER}`), { force: true });
    await release();
  }

  /** Undoes create(): removes the files a run writes and the folders it made, nothing else. */
  async discard(): Promise<void> {
    await this.unlock();
    for (const f of [PLAN, TRIALS, SUMMARY]) rmSync(join(this.dir, f), { force: true });
    for (const d of [...this.madeDirs].reverse()) {
      try {
        rmdirSync(d);
      } catch {
        return; // not empty: something else lives there now
      }
    }
  }
}

/** Whether the lock's owner was a process on this host that no longer runs. */
function deadOwner(lockDir: string): boolean {
  let owner: string[];
  try {
    owner = readFileSync(`${lockDir}.${OWNER}`, 'utf8').trim().split(' ');
  } catch {
    return false; // not written yet: let staleness decide
  }
  const [host, pid] = [owner[0], Number(owner[1])];
  if (host !== hostname() || !Number.isInteger(pid)) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Reads a run's finished trials. A torn last line (the run was killed mid-write) is cut off. A
 *  (cell, seed) recorded twice counts once: the first record stands. */
export function readTrials(dir: string, { repair = false } = {}): { records: TrialRecord[]; duplicates: number } {
  const file = join(dir, TRIALS);
  if (!existsSync(file)) return { records: [], duplicates: 0 };
  const text = readFileSync(file, 'utf8');
  const records: TrialRecord[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  let good = 0;
  let lineNo = 0;
  for (let start = 0; start < text.length; ) {
    const end = text.indexOf('\n', start);
    lineNo++;
    if (end < 0) break;
    let r: TrialRecord;
    try {
      r = JSON.parse(text.slice(start, end)) as TrialRecord;
    } catch {
      throw new InputError(`${file}:${lineNo}:1: not a trial record`);
    }
    const key = `${r.cell}/${r.seed}`;
    if (seen.has(key)) duplicates++;
    else {
      seen.add(key);
      records.push(r);
    }
    good = start = end + 1;
  }
  if (repair && good < text.length) {
    const fd = openSync(file, 'r+');
    ftruncateSync(fd, Buffer.byteLength(text.slice(0, good)));
    closeSync(fd);
  }
  return { records, duplicates };
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
