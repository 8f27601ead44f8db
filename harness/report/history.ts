// The nightly history: one SQLite file (better-sqlite3) a user can open with the sqlite3 shell.
// A night is written in pieces, one transaction per finished experiment, in WAL mode, so a
// nightly killed at any instant leaves whole experiments or none, and the next nightly carries
// on with the night it left unfinished. The schema is the README's ("The history database").
import { closeSync, existsSync, openSync, readSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { InputError } from '../errors.js';
import { canonicalJson } from '../canonical-json.js';
import type { Params } from '../experiment/load.js';
import type { Outcome } from '../sim/simulation.js';
import type { TrialRecord } from '../run/trial.js';

/** "fswp": tells a faultsweep history from any other SQLite file. */
const APPLICATION_ID = 0x66737770;
const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE nights (
  id INTEGER PRIMARY KEY,
  suite TEXT NOT NULL,               -- the suite's name: one series of nights
  label TEXT,                        -- what is under test (a kernel build, a profile revision)
  started TEXT NOT NULL,             -- ISO 8601 UTC
  finished TEXT,                     -- NULL while running, or if it was killed: the next nightly carries on
  faultsweep TEXT NOT NULL,          -- package version
  code TEXT NOT NULL,                -- sha256 of faultsweep's compiled modules
  experiments_commit TEXT,           -- git commit of the experiment files (+dirty), NULL outside git
  seeds TEXT NOT NULL,               -- 'fresh' (new seeds each night) or 'same'
  results TEXT NOT NULL              -- the folder holding the night's results folders
);
CREATE TABLE experiments (
  id INTEGER PRIMARY KEY,
  night INTEGER NOT NULL REFERENCES nights(id),
  name TEXT NOT NULL,                -- the suite entry's name
  file TEXT NOT NULL,
  sets TEXT NOT NULL,                -- JSON list of the --set overrides
  results TEXT NOT NULL,             -- its results folder
  finished TEXT NOT NULL,
  UNIQUE (night, name)
);
CREATE TABLE cells (
  id INTEGER PRIMARY KEY,
  experiment INTEGER NOT NULL REFERENCES experiments(id),
  cell TEXT NOT NULL,                -- the cell id in that night's plan.json
  key TEXT NOT NULL,                 -- entry name and parameters: the same cell across nights
  params TEXT NOT NULL,              -- JSON
  units TEXT NOT NULL,               -- JSON: metric -> unit
  headline TEXT NOT NULL,            -- JSON list: the metrics change detection watches
  UNIQUE (experiment, cell)
);
CREATE TABLE trials (
  id INTEGER PRIMARY KEY,
  cell INTEGER NOT NULL REFERENCES cells(id),
  seed INTEGER NOT NULL,
  outcome TEXT NOT NULL,             -- ok, error, hang, crash
  class TEXT,                        -- the failure's class and signature, NULL when ok
  signature TEXT,
  at_ns INTEGER,                     -- simulated time the failure was detected
  digest TEXT NOT NULL,
  replay TEXT NOT NULL,
  UNIQUE (cell, seed)
);
CREATE TABLE metrics (
  trial INTEGER NOT NULL REFERENCES trials(id),
  name TEXT NOT NULL,
  value REAL NOT NULL,
  PRIMARY KEY (trial, name)
) WITHOUT ROWID;
CREATE INDEX cells_key ON cells (key);
CREATE INDEX trials_signature ON trials (signature) WHERE signature IS NOT NULL;
CREATE VIEW failures AS
  SELECT n.id AS night, n.suite, e.name AS experiment, c.key, t.class, t.signature, t.outcome,
         count(*) AS count, max(t.replay) AS replay
  FROM trials t JOIN cells c ON t.cell = c.id JOIN experiments e ON c.experiment = e.id JOIN nights n ON e.night = n.id
  WHERE t.signature IS NOT NULL
  GROUP BY n.id, e.name, c.key, t.signature;
`;

export interface Night {
  id: number;
  suite: string;
  label: string | null;
  started: string;
  finished: string | null;
  faultsweep: string;
  code: string;
  experimentsCommit: string | null;
  seeds: 'fresh' | 'same';
  results: string;
}

export interface HistoryTrial {
  seed: number;
  outcome: Outcome;
  class: string | null;
  signature: string | null;
  replay: string;
  metrics: Record<string, number>;
}

/** One cell on one night. */
export interface NightCell {
  night: number;
  experiment: string;
  key: string;
  params: Params;
  units: Record<string, string>;
  headline: string[];
  trials: HistoryTrial[];
}

export interface ExperimentInput {
  name: string;
  file: string;
  sets: string[];
  results: string;
  cells: { id: string; params: Params; units: Record<string, string>; headline: string[] }[];
  records: TrialRecord[];
}

/** The same cell across nights: an experiment's name and its parameters. */
export const cellKey = (experiment: string, params: Params) => `${experiment} ${canonicalJson(params)}`;

const now = () => new Date().toISOString();

export class History {
  private constructor(
    readonly file: string,
    private readonly db: Database.Database,
    /** Whether this open made the file: a command that then fails before a night begins takes it back. */
    private readonly created: boolean,
  ) {}

  /** Opens a history, creating it if the file does not exist. Refuses any other file: faultsweep
   *  never writes into what it did not create. */
  static open(file: string, { create = true } = {}): History {
    const exists = existsSync(file);
    if (!exists && !create) throw new InputError(`${file}: no such history`);
    if (exists && !isSqlite(file)) throw new InputError(`${file}: not an SQLite database, so not a faultsweep history; name a new file or a history`);
    let db: Database.Database;
    try {
      db = new Database(file);
    } catch (e) {
      throw new InputError(`${file}: cannot open: ${(e as Error).message}`);
    }
    const id = db.pragma('application_id', { simple: true }) as number;
    const empty = (db.prepare("SELECT count(*) AS n FROM sqlite_schema").get() as { n: number }).n === 0;
    if (!empty && id !== APPLICATION_ID) {
      db.close();
      throw new InputError(`${file}: an SQLite database that is not a faultsweep history; name a new file or a history`);
    }
    const version = db.pragma('user_version', { simple: true }) as number;
    if (!empty && version > SCHEMA_VERSION) {
      db.close();
      throw new InputError(`${file}: a history of schema ${version}, newer than this faultsweep's ${SCHEMA_VERSION}`);
    }
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 10000');
    if (empty) {
      db.transaction(() => {
        db.exec(SCHEMA);
        db.pragma(`application_id = ${APPLICATION_ID}`);
        db.pragma(`user_version = ${SCHEMA_VERSION}`);
      })();
    }
    return new History(file, db, !exists);
  }

  close(): void {
    this.db.close();
  }

  /** Closes the history, and removes it if this open made it and no night was begun in it. */
  closeOrDiscard(): void {
    const empty = this.created && this.nights().length === 0;
    this.db.close();
    if (empty) for (const f of [this.file, `${this.file}-wal`, `${this.file}-shm`]) rmSync(f, { force: true });
  }

  nights(suite?: string): Night[] {
    const rows = this.db.prepare(`SELECT * FROM nights ${suite === undefined ? '' : 'WHERE suite = ?'} ORDER BY id`).all(...(suite === undefined ? [] : [suite])) as Record<string, unknown>[];
    return rows.map(nightOf);
  }

  suites(): string[] {
    return (this.db.prepare('SELECT DISTINCT suite FROM nights ORDER BY suite').all() as { suite: string }[]).map((r) => r.suite);
  }

  /** The suite's latest night if it never finished: a nightly killed before its end. */
  unfinished(suite: string): Night | undefined {
    const row = this.db.prepare('SELECT * FROM nights WHERE suite = ? ORDER BY id DESC LIMIT 1').get(suite) as Record<string, unknown> | undefined;
    return row && row.finished === null ? nightOf(row) : undefined;
  }

  beginNight(n: Omit<Night, 'id' | 'started' | 'finished'>): Night {
    const started = now();
    const r = this.db
      .prepare('INSERT INTO nights (suite, label, started, faultsweep, code, experiments_commit, seeds, results) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(n.suite, n.label, started, n.faultsweep, n.code, n.experimentsCommit, n.seeds, n.results);
    return { ...n, id: Number(r.lastInsertRowid), started, finished: null };
  }

  finishNight(id: number): void {
    this.db.prepare('UPDATE nights SET finished = ? WHERE id = ?').run(now(), id);
  }

  /** The names of the night's experiments already recorded. */
  recorded(night: number): Set<string> {
    return new Set((this.db.prepare('SELECT name FROM experiments WHERE night = ?').all(night) as { name: string }[]).map((r) => r.name));
  }

  /** The night's experiments with their files and overrides. */
  experiments(night: number): { name: string; file: string; sets: string[] }[] {
    return (this.db.prepare('SELECT name, file, sets FROM experiments WHERE night = ? ORDER BY name').all(night) as { name: string; file: string; sets: string }[]).map((e) => ({ ...e, sets: JSON.parse(e.sets) as string[] }));
  }

  /** One finished experiment, whole, in one transaction. */
  recordExperiment(night: number, e: ExperimentInput): void {
    const insertExperiment = this.db.prepare('INSERT INTO experiments (night, name, file, sets, results, finished) VALUES (?, ?, ?, ?, ?, ?)');
    const insertCell = this.db.prepare('INSERT INTO cells (experiment, cell, key, params, units, headline) VALUES (?, ?, ?, ?, ?, ?)');
    const insertTrial = this.db.prepare('INSERT INTO trials (cell, seed, outcome, class, signature, at_ns, digest, replay) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    const insertMetric = this.db.prepare('INSERT INTO metrics (trial, name, value) VALUES (?, ?, ?)');
    this.db.transaction(() => {
      const experiment = insertExperiment.run(night, e.name, e.file, JSON.stringify(e.sets), e.results, now()).lastInsertRowid;
      const cellRow = new Map<string, number | bigint>();
      for (const c of e.cells) cellRow.set(c.id, insertCell.run(experiment, c.id, cellKey(e.name, c.params), canonicalJson(c.params), canonicalJson(c.units), JSON.stringify(c.headline)).lastInsertRowid);
      for (const r of e.records) {
        const cell = cellRow.get(r.cell);
        if (cell === undefined) throw new Error(`${e.results}: a trial of cell ${r.cell}, which the plan does not have`);
        const trial = insertTrial.run(cell, r.seed, r.outcome, r.failure?.class ?? null, r.failure?.signature ?? null, r.failure?.atNs ?? null, r.digest, r.replay).lastInsertRowid;
        for (const [name, value] of Object.entries(r.metrics)) insertMetric.run(trial, name, value);
      }
    })();
  }

  /** Every cell of the suite's nights, in night order. */
  cells(suite: string): NightCell[] {
    const cells = this.db
      .prepare(
        `SELECT c.id, e.night, e.name, c.key, c.params, c.units, c.headline FROM cells c JOIN experiments e ON c.experiment = e.id JOIN nights n ON e.night = n.id
         WHERE n.suite = ? ORDER BY e.night, e.name, c.key`,
      )
      .all(suite) as { id: number; night: number; name: string; key: string; params: string; units: string; headline: string }[];
    const trials = this.db.prepare('SELECT id, seed, outcome, class, signature, replay FROM trials WHERE cell = ? ORDER BY seed');
    const metrics = this.db.prepare('SELECT m.trial, m.name, m.value FROM metrics m JOIN trials t ON m.trial = t.id WHERE t.cell = ?');
    return cells.map((c) => {
      const byTrial = new Map<number, Record<string, number>>();
      for (const m of metrics.all(c.id) as { trial: number; name: string; value: number }[]) {
        const ms = byTrial.get(m.trial) ?? {};
        ms[m.name] = m.value;
        byTrial.set(m.trial, ms);
      }
      return {
        night: c.night,
        experiment: c.name,
        key: c.key,
        params: JSON.parse(c.params) as Params,
        units: JSON.parse(c.units) as Record<string, string>,
        headline: JSON.parse(c.headline) as string[],
        trials: (trials.all(c.id) as (Omit<HistoryTrial, 'metrics'> & { id: number })[]).map(({ id, ...t }) => ({ ...t, metrics: byTrial.get(id) ?? {} })),
      };
    });
  }

  /** Counts per night, for `history` and the tests: experiments, cells, trials, failures. */
  counts(night: number): { experiments: number; cells: number; trials: number; failures: number } {
    return this.db
      .prepare(
        `SELECT (SELECT count(*) FROM experiments WHERE night = $n) AS experiments,
                (SELECT count(*) FROM cells c JOIN experiments e ON c.experiment = e.id WHERE e.night = $n) AS cells,
                (SELECT count(*) FROM trials t JOIN cells c ON t.cell = c.id JOIN experiments e ON c.experiment = e.id WHERE e.night = $n) AS trials,
                (SELECT count(*) FROM trials t JOIN cells c ON t.cell = c.id JOIN experiments e ON c.experiment = e.id WHERE e.night = $n AND t.outcome != 'ok') AS failures`,
      )
      .get({ n: night }) as { experiments: number; cells: number; trials: number; failures: number };
  }
}

function nightOf(r: Record<string, unknown>): Night {
  return {
    id: r.id as number,
    suite: r.suite as string,
    label: r.label as string | null,
    started: r.started as string,
    finished: r.finished as string | null,
    faultsweep: r.faultsweep as string,
    code: r.code as string,
    experimentsCommit: r.experiments_commit as string | null,
    seeds: r.seeds as 'fresh' | 'same',
    results: r.results as string,
  };
}

/** Whether a file begins as every SQLite database does (an empty file counts: SQLite takes it). */
function isSqlite(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new InputError(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    const head = Buffer.alloc(16);
    let n: number;
    try {
      n = readSync(fd, head, 0, 16, 0);
    } catch (e) {
      throw new InputError(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    return n === 0 || head.toString('latin1') === 'SQLite format 3\0';
  } finally {
    closeSync(fd);
  }
}
