// YAML experiment -> validated plan: the sweep expanded into cells, each cell's profile, kernel,
// workload and faults checked by the plug-in that owns them, and the seeds to run. Nothing here
// runs a trial; every bad input becomes a located one-line InputError.
import type { ShardSpec } from '../run/shard.js';
import type { CodeVersion } from '../version.js';
import { createHash } from 'node:crypto';
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { closest } from 'fastest-levenshtein';
import * as z from 'zod';
import { canonicalJson } from '../canonical-json.js';
import { InputError } from '../errors.js';
import { faults, systems, workloads } from '../registry.js';
import type { Limits } from '../sim/simulation.js';
import { condition, evaluate, FORBIDDEN_KEYS, setPath } from './expr.js';
import { loadProfile, profileError, profileNames, type Profile } from './profiles.js';
import { compileGate, GATE_CLASSES } from '../report/gates.js';
import { cellSchema, experimentSchema, limitsSchema, type Compare, type ExperimentInput, type Gate } from './schema.js';
import { combined, nested, parseFlagValue, tellingIssues, unknownKeyHint, YamlSource, type Path } from './source.js';

export type Params = Record<string, unknown>;

export interface Cell {
  id: string;
  params: Params;
  system: string;
  profile: unknown;
  kernel: unknown;
  workload: { kind: string } & Record<string, unknown>;
  faults: ({ kind: string } & Record<string, unknown>)[];
  limits: Limits;
}

export interface Plan {
  experiment: string;
  description: string;
  file: string;
  sets: string[];
  where: string | undefined;
  cells: Cell[];
  seeds: number[];
  gates: Gate[];
  compare: Compare | undefined;
  /** Set by `faultsweep qualify`: the seeds per cell it may go up to. */
  qualify?: { maxSeeds: number; slurm?: { shards: number; partition?: string; time?: string; account?: string; cpusPerTask: number; poll: number } };
  /** Set by `faultsweep run --shard I/N`: the part of the trials this folder holds. */
  shard?: ShardSpec;
  /** Set for a round of `qualify --slurm`: the seeds of each cell the round runs, instead of
   *  every cell's `seeds`. */
  only?: Record<string, number[]>;
  /** The code that made a results folder (written with its plan.json). */
  version?: CodeVersion;
}

export interface LoadOptions {
  sets?: string[];
  where?: string;
  seeds?: number;
  /** How many cells and trials an experiment may expand to (--max-cells, --max-trials). */
  maxCells?: number;
  maxTrials?: number;
  /** Called now and then while cells are resolved, for a progress line on long expansions. */
  progress?: (done: number, total: number) => void;
}

export const DEFAULT_MAX = { cells: 10_000, trials: 1_000_000 };
const DEFAULT_LIMITS = { time: '300 s', events: 200_000_000 };
const CELL_ROOTS = ['hardware', 'kernel', 'workload', 'faults', 'limits'];
const COMMON_METRICS = ['simSeconds', 'events'];

export function loadExperiment(file: string, opts: LoadOptions = {}): Plan {
  const src = YamlSource.read(file);
  const raw = structuredClone(src.value) as Record<string, unknown>;
  for (const s of opts.sets ?? []) applySet(src, raw, s);
  const parsed = experimentSchema.safeParse(raw, { error: unknownKeyHint });
  if (!parsed.success) throw src.issue(parsed.error, [], raw);
  const exp = parsed.data;
  for (const set of opts.sets ?? []) checkSetNotSwept(exp, set);
  const max = { cells: opts.maxCells ?? DEFAULT_MAX.cells, trials: opts.maxTrials ?? DEFAULT_MAX.trials };
  const combos = expand(src, exp, opts.where, max.cells);
  const seeds = seedList(src, exp, opts.seeds, combos.length, max.trials);
  const profiles: ProfileCache = { files: new Map(), parsed: new Map() };
  const cells = combos.map((params, i) => {
    if (i % 100 === 99) opts.progress?.(i + 1, combos.length);
    return resolveCell(src, raw, params, profiles);
  });
  let compare = exp.compare;
  if (compare) {
    const { axis, baseline } = compare;
    const values = exp.sweep?.[axis];
    if (values === undefined) throw src.error(['compare', 'axis'], `'${axis}' is not a sweep axis${hint(axis, Object.keys(exp.sweep ?? {}))}`);
    (compare.metrics ?? []).forEach((m, i) => checkMetric(src, ['compare', 'metrics', i], m, cells));
    // A --where that keeps one side only (one polling mode, to compare runs later) leaves nothing
    // to pair in this run; the file's own sweep must keep its baseline.
    if (!cells.some((c) => c.params[axis] === baseline)) {
      if (!opts.where) throw src.error(['compare', 'baseline'], `no cell has ${axis} = ${JSON.stringify(baseline)}`);
      compare = undefined;
    }
  }
  // A plain axis zipped with another labels its rows (the name of a script); alone and unused it
  // would run the same configuration once per value.
  const zipped = new Set((exp.zip ?? []).flat());
  for (const axis of Object.keys(exp.sweep ?? {})) if (!axis.includes('.') && !zipped.has(axis)) checkPlainAxisUsed(src, exp, axis);
  const gates = (exp.gates ?? []).map((g): Gate => (typeof g === 'string' ? { check: g, stat: 'mean' } : g));
  checkGates(src, exp, gates, cells, compare);
  return {
    experiment: exp.name,
    description: exp.description ?? '',
    file,
    sets: opts.sets ?? [],
    where: opts.where,
    cells,
    seeds,
    gates,
    compare,
  };
}

/** A --set of a key that a sweep axis sets would be overwritten in every cell without a word. */
function checkSetNotSwept(exp: ExperimentInput, set: string): void {
  const key = set.slice(0, set.indexOf('='));
  const axis = Object.keys(exp.sweep ?? {}).find((a) => a.includes('.') && (a === key || a.startsWith(`${key}.`) || key.startsWith(`${a}.`)));
  if (axis) throw new InputError(`--set ${set}: the sweep axis ${axis} sets ${axis} in every cell, so this would change nothing; change the axis: --set 'sweep.${axis}=[...]'`);
}

/** The seeds to run, counted against the trial limit before any list of them is made. */
function seedList(src: YamlSource, exp: ExperimentInput, flag: number | undefined, cells: number, maxTrials: number): number[] {
  const count = flag ?? (typeof exp.seeds === 'number' ? exp.seeds : exp.seeds.length);
  if (cells * count > maxTrials) {
    const msg = `${cells} cells x ${count} seeds = ${cells * count} trials; the limit is ${maxTrials} (raise it with --max-trials)`;
    throw flag !== undefined ? new InputError(`--seeds: ${msg}`) : src.error(['seeds'], msg);
  }
  if (flag !== undefined || typeof exp.seeds === 'number') return Array.from({ length: count }, (_, i) => i + 1);
  // A seed listed twice would be one trial counted as two.
  const first = new Map<number, number>();
  exp.seeds.forEach((s, i) => {
    if (first.has(s)) throw src.error(['seeds', i], `seed ${s} is already listed (item ${first.get(s)}); a seed repeated is the same trial counted twice`);
    first.set(s, i);
  });
  return exp.seeds;
}

function applySet(src: YamlSource, raw: Record<string, unknown>, assignment: string): void {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new InputError(`--set ${assignment}: expected KEY=VALUE, e.g. --set workload.threads=4`);
  const path = assignment.slice(0, eq).split('.');
  if (path.some((k) => k === '')) throw new InputError(`--set ${assignment}: an empty key in ${JSON.stringify(assignment.slice(0, eq))}`);
  const bad = path.find((k) => FORBIDDEN_KEYS.has(k));
  if (bad !== undefined) throw new InputError(`--set ${assignment}: '${bad}' may not be used as a key`);
  let value: unknown;
  try {
    value = parseFlagValue(assignment.slice(eq + 1));
  } catch (e) {
    throw new InputError(`--set ${assignment}: not a YAML value: ${(e as Error).message}`);
  }
  setPath(raw, path, value);
  src.overridden(path, assignment);
}

/** The sweep's axes crossed (zip groups advance together), minus exclude and where. The
 *  crossing is walked, never held whole: only the cells that survive are kept. */
function expand(src: YamlSource, exp: ExperimentInput, cliWhere: string | undefined, maxCells: number): Params[] {
  // A zipped axis may repeat a value (rows are cells), as long as no two rows are the same.
  const inZip = new Set((exp.zip ?? []).flat());
  const axes = Object.entries(exp.sweep ?? {}).map(([name, spec]) => ({ name, values: axisValues(src, name, spec, maxCells, !inZip.has(name)) }));
  const byName = new Map(axes.map((a) => [a.name, a]));
  const zipped = new Set<string>();
  const units: { names: string[]; rows: unknown[][] }[] = [];
  (exp.zip ?? []).forEach((group, gi) => {
    const members = group.map((name, ni) => {
      const a = byName.get(name);
      if (!a) throw src.error(['zip', gi, ni], `'${name}' is not a sweep axis${hint(name, [...byName.keys()])}`);
      if (zipped.has(name)) throw src.error(['zip', gi, ni], `'${name}' is in two zip groups`);
      zipped.add(name);
      return a;
    });
    const n = members[0].values.length;
    const odd = members.find((m) => m.values.length !== n);
    if (odd) throw src.error(['zip', gi], `zipped axes need equal lengths: ${members.map((m) => `${m.name} has ${m.values.length}`).join(', ')}`);
    const rows = Array.from({ length: n }, (_, i) => members.map((m) => m.values[i]));
    const twice = repeated(rows);
    if (twice) throw src.error(['zip', gi], `rows ${twice[0]} and ${twice[1]} of ${group.join(', ')} are the same (${rows[twice[1]].map((v) => JSON.stringify(v)).join(', ')}); two cells would be one configuration`);
    units.push({ names: group, rows });
  });
  for (const a of axes) if (!zipped.has(a.name)) units.push({ names: [a.name], rows: a.values.map((v) => [v]) });

  const crossed = units.reduce((n, u) => n * u.rows.length, 1);
  if (crossed > maxCells * 10) throw src.error(['sweep'], `the axes cross to ${crossed} combinations; at most ${maxCells * 10} may be filtered down to the limit of ${maxCells} cells (raise it with --max-cells)`);

  const rules = (exp.exclude ?? []).map((rule, i) => {
    for (const [k, v] of Object.entries(rule)) {
      const a = byName.get(k);
      if (!a) throw src.error(['exclude', i], `'${k}' is not a sweep axis${hint(k, [...byName.keys()])}`, k);
      if (!a.values.some((x) => same(x, v))) throw src.error(['exclude', i, k], `${JSON.stringify(v)} is not a value of ${k} (values: ${a.values.map((x) => JSON.stringify(x)).join(', ')}), so this rule excludes nothing`);
    }
    return Object.entries(rule);
  });
  const names = axes.map((a) => a.name);
  const filters = [
    ...(exp.where ? [{ test: conditionAt(exp.where, names, (m) => src.error(['where'], m)), error: (m: string) => src.error(['where'], m) }] : []),
    ...(cliWhere ? [{ test: conditionAt(cliWhere, names, (m) => new InputError(`--where ${cliWhere}: ${m}`)), error: (m: string) => new InputError(`--where ${cliWhere}: ${m}`) }] : []),
  ];

  const kept: Params[] = [];
  const at = new Array<number>(units.length).fill(0);
  for (let n = 0; n < crossed; n++) {
    const c: Params = {};
    units.forEach((u, i) => u.names.forEach((name, j) => (c[name] = u.rows[at[i]][j])));
    for (let i = units.length - 1; i >= 0 && ++at[i] === units[i].rows.length; i--) at[i] = 0;
    if (rules.some((rule) => rule.every(([k, v]) => same(c[k], v)))) continue;
    if (!filters.every((f) => evaluateAt(() => f.test(c), f.error))) continue;
    if (kept.length === maxCells) throw src.error(['sweep'], `the sweep gives more than ${maxCells} cells (raise the limit with --max-cells)`);
    kept.push(c);
  }
  if (kept.length === 0) throw src.error(exp.where ? ['where'] : ['sweep'], 'the sweep leaves no cells to run');
  return kept;
}

/** A plain axis (no dot) only fills ${name}; one that nothing fills would run identical cells. */
function checkPlainAxisUsed(src: YamlSource, exp: ExperimentInput, name: string): void {
  const text = JSON.stringify(CELL_ROOTS.map((k) => (exp as Record<string, unknown>)[k]));
  if (!text.includes(`\${${name}}`)) {
    throw src.error(['sweep'], `a plain axis fills \${${name}}, and nothing in hardware, kernel, workload, faults or limits uses \${${name}}; a dotted axis (workload.${name}) sets a key itself`, name);
  }
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A condition checked against the axes now, so a bad one fails before any trial runs. */
function conditionAt(expr: string, axes: string[], error: (m: string) => InputError): (p: Params) => boolean {
  try {
    return condition(expr, axes);
  } catch (e) {
    throw error(`${(e as Error).message}${axes.length ? `; the axes are ${axes.join(', ')}` : '; the sweep has no axes'}`);
  }
}

function evaluateAt<T>(f: () => T, error: (m: string) => InputError): T {
  try {
    return f();
  } catch (e) {
    throw error((e as Error).message);
  }
}

function axisValues(src: YamlSource, name: string, spec: unknown[] | string, maxCells: number, unique: boolean): unknown[] {
  const root = name.split('.')[0];
  const bad = name.split('.').find((k) => FORBIDDEN_KEYS.has(k) || k === '');
  if (bad !== undefined) throw src.error(['sweep'], bad ? `'${bad}' may not be used as a key` : 'an empty key in an axis name', name);
  if (name.includes('.') && !CELL_ROOTS.includes(root)) {
    throw src.error(['sweep'], `a dotted axis sets a key under ${CELL_ROOTS.join(', ')}; '${root}' is none of them`, name);
  }
  let values: unknown[];
  if (typeof spec === 'string') {
    try {
      values = flatten(evaluate(spec));
    } catch (e) {
      throw src.error(['sweep', name], `bad expression ${JSON.stringify(spec)}: ${(e as Error).message}`);
    }
    if (values.some((v) => typeof v !== 'number' || !Number.isFinite(v))) throw src.error(['sweep', name], `expression ${JSON.stringify(spec)} must give finite numbers`);
  } else values = spec;
  if (values.length === 0) throw src.error(['sweep', name], 'a sweep axis needs at least one value');
  if (values.length > maxCells) throw src.error(['sweep', name], `${values.length} values; a sweep may have at most ${maxCells} cells (raise the limit with --max-cells)`);
  const twice = unique ? repeated(values) : undefined;
  if (twice) {
    const [j, i] = twice;
    throw src.error(typeof spec === 'string' ? ['sweep', name] : ['sweep', name, i], `the value ${JSON.stringify(values[i])} appears twice (items ${j} and ${i}); two cells would be one configuration`);
  }
  return values;
}

/** The first item equal to an earlier one, as [earlier index, index]. */
function repeated(items: unknown[]): [number, number] | undefined {
  const seen = new Map<string, number>();
  for (const [i, v] of items.entries()) {
    const j = seen.get(JSON.stringify(v));
    if (j !== undefined) return [j, i];
    seen.set(JSON.stringify(v), i);
  }
  return undefined;
}

function flatten(r: unknown): unknown[] {
  const v = r && typeof r === 'object' && 'toArray' in r ? (r as { toArray(): unknown }).toArray() : r;
  return Array.isArray(v) ? v.flat(Infinity) : [v];
}

/** One cell from the raw (unparsed, --set applied) experiment: substituted, set, then validated. */
/** Profiles read and parsed during one load. */
interface ProfileCache {
  files: Map<string, Profile>;
  parsed: Map<string, ReturnType<z.ZodType['safeParse']>>;
}

function resolveCell(src: YamlSource, raw: Record<string, unknown>, params: Params, profiles: ProfileCache): Cell {
  const empty: Record<string, unknown> = { kernel: {}, faults: [], limits: {} };
  const cell: Record<string, unknown> = {};
  for (const k of CELL_ROOTS) cell[k] = substitute(src, raw[k] ?? empty[k], params, [k]);
  for (const [axis, v] of Object.entries(params)) if (axis.includes('.')) setPath(cell, axis.split('.'), v);
  // The sweep axis that set the path, a key above it, or (where it made an unknown key) one below.
  const axisOf = (path: Path) => Object.keys(params).find((a) => a.includes('.') && nested(a.split('.'), path));
  const where = (path: Path, message: string) => {
    const axis = axisOf(path);
    return axis ? src.error(['sweep', axis], `${path.join('.')}: ${message} (value ${JSON.stringify(params[axis])})`) : src.error(path, message);
  };
  const check = <T>(schema: z.ZodType<T>, value: unknown, prefix: Path): T => {
    const r = schema.safeParse(value, { error: unknownKeyHint });
    if (r.success) return r.data;
    throw combined(
      tellingIssues(r.error).map((iss) => {
        const path = [...prefix, ...(iss.path as Path)];
        // An unknown key names its axis when a sweep made it, its own line (or --set) otherwise.
        const unknown = iss.code === 'unrecognized_keys' ? [...path, iss.keys[0]] : undefined;
        if (unknown && axisOf(unknown)) return where(unknown, iss.message);
        if (unknown || (iss.code === 'invalid_union' && 'discriminator' in iss)) return src.issue(new z.ZodError([iss]), prefix, value);
        return where(path, iss.message);
      }),
    );
  };

  const hw = cell.hardware as { profile: string } & Record<string, unknown>;
  const names = profileNames();
  if (!names.includes(hw.profile)) throw src.error(['hardware', 'profile'], `no profile '${hw.profile}' in hardware-profiles/ (known: ${names.join(', ')})${hint(hw.profile, names)}`);
  const profile = profiles.files.get(hw.profile) ?? loadProfile(hw.profile);
  profiles.files.set(hw.profile, profile);
  const system = systems.get(profile.system);
  if (!system) throw profileError(profile, [], `unknown system '${profile.system}' (known: ${systems.kinds().join(', ')})`);
  const { profile: _name, ...overrides } = hw;
  const merged = deepMerge(profile.values, overrides);
  // Cells that differ only in the workload share one parsed profile.
  const key = `${hw.profile}|${canonicalJson(overrides)}`;
  const pr = profiles.parsed.get(key) ?? system.profile.safeParse(merged, { error: unknownKeyHint });
  profiles.parsed.set(key, pr);
  if (!pr.success) {
    const first = pr.error.issues[0];
    const path = first.path as Path;
    // The experiment is to blame where it set the value (or the unknown key): in the file, by --set or by an axis.
    const at = ['hardware', ...path, ...(first.code === 'unrecognized_keys' ? [first.keys[0]] : [])];
    if (src.has(at) || src.touchedBySet(at) || axisOf(at)) check(system.profile, merged, ['hardware']);
    throw profileError(profile, path, first.message);
  }
  const kernel = check(system.kernel, cell.kernel, ['kernel']);
  const plug = check(cellSchema(), { workload: cell.workload, faults: cell.faults }, []);
  const wl = workloads.get(plug.workload.kind as string)!;
  if (!wl.systems.includes(system.kind)) throw src.error(['workload', 'kind'], `workload '${wl.kind}' runs on ${wl.systems.join(', ')}, but profile '${hw.profile}' is a ${system.kind} system`);
  const misfit = wl.check?.(plug.workload, pr.data);
  if (misfit) throw where(['workload', ...misfit.path], misfit.message);
  for (const [i, f] of (plug.faults as Cell['faults']).entries()) {
    const fp = faults.get(f.kind)!;
    if (!fp.systems.includes(system.kind)) throw where(['faults', i, 'kind'], `fault '${fp.kind}' applies to ${fp.systems.join(', ')}, but profile '${hw.profile}' is a ${system.kind} system`);
    const bad = fp.check?.(f, system.kind);
    if (bad) throw where(['faults', i, ...bad.path], bad.message);
  }
  const limits = check(limitsSchema, { ...DEFAULT_LIMITS, ...(cell.limits as object) }, ['limits']);
  const resolved = {
    params,
    system: system.kind,
    profile: pr.data,
    kernel,
    workload: plug.workload as Cell['workload'],
    faults: plug.faults as Cell['faults'],
    limits: { timeNs: limits.time!, events: limits.events! },
  };
  // The id is taken before input files are resolved, so it names the same cell in every clone.
  const id = cellId(resolved);
  for (const key of wl.files ?? []) resolved.workload[key] = inputFile(src, where, key, resolved.workload[key] as string, 'file');
  for (const key of wl.folders ?? []) resolved.workload[key] = inputFile(src, where, key, (resolved.workload[key] as string | undefined) ?? '.', 'folder');
  return { id, ...resolved };
}

/** A hash of the whole resolved configuration: a cell whose size, profile or faults changed is
 *  another cell, for estimates, resume and merges alike. */
export function cellId(config: unknown): string {
  return 'c' + createHash('sha256').update(canonicalJson(config)).digest('hex').slice(0, 8);
}

/** An input file or folder named in a workload, checked before any trial: relative to the experiment file
 *  when the file names it, to the current folder when --set does (as any command-line path). */
function inputFile(src: YamlSource, where: (path: Path, message: string) => InputError, key: string, name: string, kind: 'file' | 'folder'): string {
  const file = src.isOverridden(['workload', key]) ? resolve(name) : resolve(dirname(src.file), name);
  try {
    const st = statSync(file);
    if (kind === 'file' ? !st.isFile() : !st.isDirectory()) throw where(['workload', key], `${name} is not a ${kind === 'file' ? 'regular file' : 'folder'}`);
    accessSync(file, kind === 'file' ? fsConstants.R_OK : fsConstants.X_OK);
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw where(['workload', key], `${code === 'ENOENT' ? `no such ${kind}` : `cannot read (${code})`}: ${file}`);
  }
  return file;
}

/** The metrics a cell's trials report: its workload's, the common ones, and its faults' firings. */
function knownMetric(cell: Cell, metric: string): boolean {
  const units = workloads.get(cell.workload.kind)!.units;
  return Object.hasOwn(units, metric) || COMMON_METRICS.includes(metric) || cell.faults.some((f) => metric.startsWith(`fault.${f.kind}.`));
}

/** The metrics the cells' trials report: their workloads' and the common ones. */
export function metricNames(cells: Cell[]): string[] {
  return [...new Set(cells.flatMap((c) => [...Object.keys(workloads.get(c.workload.kind)!.units), ...COMMON_METRICS]))];
}

function checkMetric(src: YamlSource, path: Path, metric: string, cells: Cell[]): void {
  if (!cells.some((c) => knownMetric(c, metric))) throw src.error(path, `no cell reports a metric '${metric}'${hint(metric, metricNames(cells))}`);
}

/** A gate that would examine nothing, or names what no cell has, is refused now, not passed later. */
function checkGates(src: YamlSource, exp: ExperimentInput, gates: Gate[], cells: Cell[], compare: Compare | undefined): void {
  const axes = Object.keys(exp.sweep ?? {});
  gates.forEach((g, i) => {
    let matched = cells;
    if (g.where !== undefined) {
      const error = (m: string) => src.error(['gates', i, 'where'], m);
      const test = conditionAt(g.where, axes, error);
      matched = cells.filter((c) => evaluateAt(() => test(c.params), error));
      if (matched.length === 0) throw error(`matches none of the ${cells.length} cells, so the gate would check nothing`);
    }
    if (g.metric !== undefined) checkMetric(src, ['gates', i, 'metric'], g.metric, matched);
    if (g.check === undefined) return;
    const at: Path = typeof exp.gates![i] === 'string' ? ['gates', i] : ['gates', i, 'check'];
    const metrics = metricNames(matched);
    const gate = evaluateAt(() => compileGate(g, metrics), (m) => src.error(at, `${m}${/unknown symbol/.test(m) ? `; a gate reads ${GATE_CLASSES.join(', ')}, trials, fault["kind"], baseline.X and the metrics ${metrics.join(', ')}` : ''}`));
    for (const m of gate.reads.metrics) checkMetric(src, at, m, matched);
    for (const k of gate.reads.faults) if (!matched.some((c) => c.faults.some((f) => f.kind === k))) throw src.error(at, `no cell injects a fault '${k}'${hint(k, [...new Set(matched.flatMap((c) => c.faults.map((f) => f.kind)))])}`);
    if (gate.reads.baseline.size && !compare) throw src.error(at, 'baseline.X reads the compare baseline cell; this experiment has no compare: section (or --where left no baseline)');
  });
}

/** Replaces ${axis} in strings; a string that is only "${axis}" takes the axis value as it is. */
function substitute(src: YamlSource, v: unknown, params: Params, path: Path): unknown {
  if (typeof v === 'string') {
    const lookup = (name: string) => {
      if (!(name in params)) throw src.error(path, `\${${name}} names no sweep axis${hint(name, Object.keys(params))}`);
      return params[name];
    };
    const whole = /^\$\{([^}]+)\}$/.exec(v);
    if (whole) return lookup(whole[1]);
    return v.replace(/\$\{([^}]+)\}/g, (_, name: string) => String(lookup(name)));
  }
  if (Array.isArray(v)) return v.map((x, i) => substitute(src, x, params, [...path, i]));
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(src, x, params, [...path, k])]));
  return v;
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b) ? deepMerge(b as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

function hint(name: string, known: string[]): string {
  return known.length ? `; did you mean '${closest(name, known)}'?` : '';
}
