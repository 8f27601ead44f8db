// YAML experiment -> validated plan: the sweep expanded into cells, each cell's profile, kernel,
// workload and faults checked by the plug-in that owns them, and the seeds to run. Nothing here
// runs a trial; every bad input becomes a located one-line InputError.
import { createHash } from 'node:crypto';
import { closest } from 'fastest-levenshtein';
import { parse as parseYamlScalar } from 'yaml';
import type * as z from 'zod';
import { InputError } from '../errors.js';
import { faults, systems, workloads } from '../registry.js';
import type { Limits } from '../sim/simulation.js';
import { holds, math, setPath } from './expr.js';
import { loadProfile, profileError, profileNames } from './profiles.js';
import { cellSchema, experimentSchema, limitsSchema, type Compare, type ExperimentInput, type Gate } from './schema.js';
import { unknownKeyHint, YamlSource, type Path } from './source.js';

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
}

export interface LoadOptions {
  sets?: string[];
  where?: string;
  seeds?: number;
}

const DEFAULT_LIMITS = { time: '300 s', events: 200_000_000 };
const CELL_ROOTS = ['hardware', 'kernel', 'workload', 'faults', 'limits'];

export function loadExperiment(file: string, opts: LoadOptions = {}): Plan {
  const src = YamlSource.read(file);
  const raw = structuredClone(src.value) as Record<string, unknown>;
  for (const s of opts.sets ?? []) applySet(raw, s);
  const parsed = experimentSchema.safeParse(raw, { error: unknownKeyHint });
  if (!parsed.success) throw src.issue(parsed.error, [], raw);
  const exp = parsed.data;
  const seeds = opts.seeds !== undefined ? range(opts.seeds) : typeof exp.seeds === 'number' ? range(exp.seeds) : exp.seeds;
  const cells = expand(src, exp, opts.where).map((params) => resolveCell(src, raw, params));
  if (exp.compare) {
    const { axis, baseline } = exp.compare;
    const values = exp.sweep?.[axis];
    if (values === undefined) throw src.error(['compare', 'axis'], `'${axis}' is not a sweep axis${hint(axis, Object.keys(exp.sweep ?? {}))}`);
    if (!cells.some((c) => c.params[axis] === baseline)) throw src.error(['compare', 'baseline'], `no cell has ${axis} = ${JSON.stringify(baseline)}`);
  }
  return {
    experiment: exp.name,
    description: exp.description ?? '',
    file,
    sets: opts.sets ?? [],
    where: opts.where,
    cells,
    seeds,
    gates: exp.gates ?? [],
    compare: exp.compare,
  };
}

function range(n: number): number[] {
  if (!Number.isInteger(n) || n <= 0) throw new InputError(`--seeds: expected a positive whole number, got ${n}`);
  return Array.from({ length: n }, (_, i) => i + 1);
}

function applySet(raw: Record<string, unknown>, assignment: string): void {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new InputError(`--set ${assignment}: expected KEY=VALUE, e.g. --set workload.threads=4`);
  setPath(raw, assignment.slice(0, eq).split('.'), parseYamlScalar(assignment.slice(eq + 1)));
}

/** The sweep's axes crossed (zip groups advance together), minus exclude and where. */
function expand(src: YamlSource, exp: ExperimentInput, cliWhere: string | undefined): Params[] {
  const axes = Object.entries(exp.sweep ?? {}).map(([name, spec]) => ({ name, values: axisValues(src, name, spec) }));
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
    units.push({ names: group, rows: Array.from({ length: n }, (_, i) => members.map((m) => m.values[i])) });
  });
  for (const a of axes) if (!zipped.has(a.name)) units.push({ names: [a.name], rows: a.values.map((v) => [v]) });

  let combos: Params[] = [{}];
  for (const u of units) combos = combos.flatMap((c) => u.rows.map((row) => ({ ...c, ...Object.fromEntries(u.names.map((n, i) => [n, row[i]])) })));

  (exp.exclude ?? []).forEach((rule, i) => {
    for (const k of Object.keys(rule)) if (!byName.has(k)) throw src.error(['exclude', i], `'${k}' is not a sweep axis${hint(k, [...byName.keys()])}`, k);
    combos = combos.filter((c) => !Object.entries(rule).every(([k, v]) => c[k] === v));
  });
  const filters: [string, () => InputError][] = [];
  if (exp.where) filters.push([exp.where, () => src.error(['where'], 'bad expression')]);
  if (cliWhere) filters.push([cliWhere, () => new InputError(`--where: bad expression`)]);
  for (const [expr, err] of filters) combos = combos.filter((c) => condition(expr, c, err));
  if (combos.length === 0) throw src.error(exp.where ? ['where'] : ['sweep'], 'the sweep leaves no cells to run');
  return combos;
}

function axisValues(src: YamlSource, name: string, spec: unknown[] | string): unknown[] {
  const root = name.split('.')[0];
  if (name.includes('.') && !CELL_ROOTS.includes(root)) {
    throw src.error(['sweep'], `a dotted axis sets a key under ${CELL_ROOTS.join(', ')}; '${root}' is none of them`, name);
  }
  let values: unknown[];
  if (typeof spec === 'string') {
    try {
      const r = math.evaluate(spec) as unknown;
      values = flatten(r);
    } catch (e) {
      throw src.error(['sweep', name], `bad expression ${JSON.stringify(spec)}: ${(e as Error).message}`);
    }
    if (values.some((v) => typeof v !== 'number' || !Number.isFinite(v))) throw src.error(['sweep', name], `expression ${JSON.stringify(spec)} must give finite numbers`);
  } else values = spec;
  if (values.length === 0) throw src.error(['sweep', name], 'a sweep axis needs at least one value');
  return values;
}

function flatten(r: unknown): unknown[] {
  const v = r && typeof r === 'object' && 'toArray' in r ? (r as { toArray(): unknown }).toArray() : r;
  return Array.isArray(v) ? v.flat(Infinity) : [v];
}

function condition(expr: string, params: Params, bad: () => InputError): boolean {
  try {
    return holds(expr, params);
  } catch (e) {
    const err = bad();
    err.message += ` ${JSON.stringify(expr)}: ${(e as Error).message}`;
    throw err;
  }
}

/** One cell from the raw (unparsed, --set applied) experiment: substituted, set, then validated. */
function resolveCell(src: YamlSource, raw: Record<string, unknown>, params: Params): Cell {
  const empty: Record<string, unknown> = { kernel: {}, faults: [], limits: {} };
  const cell: Record<string, unknown> = {};
  for (const k of CELL_ROOTS) cell[k] = substitute(src, raw[k] ?? empty[k], params, [k]);
  for (const [axis, v] of Object.entries(params)) if (axis.includes('.')) setPath(cell, axis.split('.'), v);
  const where = (path: Path, message: string) => {
    const axis = Object.keys(params).find((a) => a.includes('.') && isPrefix(a.split('.'), path));
    return axis ? src.error(['sweep', axis], `${path.join('.')}: ${message} (value ${JSON.stringify(params[axis])})`) : src.error(path, message);
  };
  const check = <T>(schema: z.ZodType<T>, value: unknown, prefix: Path): T => {
    const r = schema.safeParse(value, { error: unknownKeyHint });
    if (r.success) return r.data;
    const iss = r.error.issues[0];
    const path = [...prefix, ...(iss.path as Path)];
    if (iss.code === 'unrecognized_keys' || (iss.code === 'invalid_union' && 'discriminator' in iss)) throw src.issue(r.error, prefix, value);
    throw where(path, iss.message);
  };

  const hw = cell.hardware as { profile: string } & Record<string, unknown>;
  const names = profileNames();
  if (!names.includes(hw.profile)) throw src.error(['hardware', 'profile'], `no profile '${hw.profile}' in hardware-profiles/ (known: ${names.join(', ')})${hint(hw.profile, names)}`);
  const profile = loadProfile(hw.profile);
  const system = systems.get(profile.system);
  if (!system) throw profileError(profile, [], `unknown system '${profile.system}' (known: ${systems.kinds().join(', ')})`);
  const { profile: _name, ...overrides } = hw;
  const merged = deepMerge(profile.values, overrides);
  const pr = system.profile.safeParse(merged, { error: unknownKeyHint });
  if (!pr.success) {
    const path = pr.error.issues[0].path as Path;
    if (src.has(['hardware', ...path]) || Object.keys(params).some((a) => isPrefix(a.split('.'), ['hardware', ...path]))) check(system.profile, merged, ['hardware']);
    throw profileError(profile, path, pr.error.issues[0].message);
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
  return {
    id: cellId(params),
    params,
    system: system.kind,
    profile: pr.data,
    kernel,
    workload: plug.workload as Cell['workload'],
    faults: plug.faults as Cell['faults'],
    limits: { timeNs: limits.time!, events: limits.events! },
  };
}

export function cellId(params: Params): string {
  const canon = JSON.stringify(Object.keys(params).sort().map((k) => [k, params[k]]));
  return 'c' + createHash('sha256').update(canon).digest('hex').slice(0, 8);
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

function isPrefix(prefix: Path, path: Path): boolean {
  return prefix.length <= path.length && prefix.every((k, i) => String(path[i]) === String(k));
}

function hint(name: string, known: string[]): string {
  return known.length ? `; did you mean '${closest(name, known)}'?` : '';
}
