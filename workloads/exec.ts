// A real command on this machine, run as a trial: the seed reaches it as an environment variable,
// the faults for real processes (pause, kill, env) add signals at offsets drawn from the seed and
// variables, and its outcome comes from what it printed, the signal it died of and its exit
// status, read with the failure catalog as `faultsweep classify` reads a console. Its output and
// the signals it got go to the trial's console at the offsets they happened, in simulated time
// that is the run's wall time.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import * as z from 'zod';
import { failure, failureClasses, workloads } from '../harness/registry.js';
import type { Body, Simulation } from '../harness/sim/simulation.js';
import { duration } from '../harness/experiment/units.js';
import { InputError } from '../harness/errors.js';
import { classify } from '../harness/classify.js';
import { runCommand, type ExecReport } from '../harness/exec/run.js';
import { execLine } from '../failures/process.js';
import type { HostSystem } from '../models/host/system.js';

const regex = z.string().refine((s) => {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
}, 'not a valid regular expression');

const config = z.strictObject({
  command: z.array(z.string().min(1)).min(1).meta({ description: 'the program and its arguments, run without a shell; "${axis}" takes a sweep value' }),
  shell: z.boolean().default(false).meta({ description: "run the command's items, joined, as one /bin/sh command line" }),
  cwd: z.string().optional().meta({ description: "the folder it runs in, relative to the experiment file (default: the experiment file's folder)" }),
  env: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).default({}).meta({ description: 'variables added to its environment' }),
  timeout: duration({ zero: false }).prefault('60 s').meta({ description: 'after this the whole process group is killed and the trial is a hang' }),
  repeats: z.int().positive().max(1000).default(1).meta({ description: 'runs per trial, one after the other; the trial stops at the first that fails' }),
  seedVariable: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a variable name').default('FAULTSWEEP_SEED').meta({ description: "the variable that carries the trial's seed" }),
  throughput: z
    .union([
      z.strictObject({ regex: regex.meta({ description: 'the last match in the output; its first group (or the whole match) is the number' }) }),
      z.strictObject({ json: z.string().meta({ description: 'a field (a.b.c) of the last output line that is a JSON object' }) }),
    ])
    .optional()
    .meta({ description: 'where the output states the throughput, per second' }),
});

type Config = z.output<typeof config>;

/** Whether a bare command name is a program on PATH (a path is checked when it runs, in its cwd). */
function onPath(name: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function throughputOf(c: Config, lines: string[]): number | undefined {
  if (!c.throughput) return undefined;
  if ('regex' in c.throughput) {
    const matches = [...lines.join('\n').matchAll(new RegExp(c.throughput.regex, 'g'))];
    const m = matches.at(-1);
    const v = m ? Number(m[1] ?? m[0]) : NaN;
    return Number.isFinite(v) ? v : undefined;
  }
  for (const line of [...lines].reverse()) {
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    for (const k of c.throughput.json.split('.')) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  }
  return undefined;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

workloads.register({
  kind: 'exec',
  description: 'a real command on this machine, seeded through its environment, timed, its outcome read with the failure catalog',
  systems: ['host'],
  config,
  units: { wall: 's', wallMin: 's', wallMax: 's', cpu: 's', rss: 'MiB', throughput: '/s', runs: 'runs' },
  headline: ['wall', 'cpu', 'rss', 'throughput'],
  real: true,
  folders: ['cwd'],
  check: (c: Config) => (!c.shell && !c.command[0].includes('/') && !onPath(c.command[0]) ? { path: ['command', 0], message: `no program '${c.command[0]}' on PATH` } : undefined),
  cost: (c: Config) => c.repeats,
  start(sim: Simulation, host: HostSystem, c: Config) {
    const runs: ExecReport[] = [];
    const throughputs: number[] = [];
    const plans: unknown[] = [];
    sim.spawn('exec', (function* (): Body {
      // Read here, not at start: the faults are armed after the workload starts.
      const env = { ...c.env, ...host.env, [c.seedVariable]: String(sim.seed) };
      for (let i = 0; i < c.repeats; i++) {
        const startNs = sim.now;
        const timeoutNs = Math.min(c.timeout, sim.limits.timeNs - startNs);
        const signals = host.planners.flatMap((plan) => plan(timeoutNs)).sort((a, b) => a.atNs - b.atNs);
        plans.push({ command: c.command, shell: c.shell, env, timeoutNs, signals });
        const r = runCommand({ command: c.command, shell: c.shell, cwd: c.cwd!, env, timeoutNs, signals, maxLines: 400 });
        if (r.spawnError) throw new InputError(`workload.command: cannot run ${c.command[0]} in ${c.cwd}: ${r.spawnError}`);
        runs.push(r);
        if (c.repeats > 1) sim.console.log(`faultsweep: run ${i + 1} of ${c.repeats}`);
        if (r.dropped) sim.console.log(`faultsweep: ${r.dropped} earlier lines of output not kept`);
        // Its output and the signals it got, at their offsets.
        const timeline = [...r.lines.map((l) => ({ atNs: l.atNs, show: () => sim.console.log(l.text) })), ...r.sent.map((s) => ({ atNs: s.atNs, show: () => host.firings.get(s.fault)!.fire(s.phase, `${s.fault}: ${s.signal} to the command's ${s.target}`) }))].sort((a, b) => a.atNs - b.atNs);
        for (const e of timeline) {
          const wait = startNs + Math.min(e.atNs, r.wallNs) - sim.now;
          if (wait > 0) yield wait;
          e.show();
        }
        if (startNs + r.wallNs > sim.now) yield startNs + r.wallNs - sim.now;
        if (r.timedOut) sim.console.log(execLine.timeout(`${timeoutNs / 1e9} s`));
        else if (r.signal) sim.console.log(execLine.signal(r.signal));
        else if (r.exitCode !== 0) sim.console.log(execLine.exit(r.exitCode ?? -1));
        const tp = throughputOf(c, r.lines.map((l) => l.text));
        if (tp !== undefined) throughputs.push(tp);
        // The catalog's verdict: the report that outranks the others.
        const worst = classify(sim.console.text())
          .map((e) => ({ e, c: failureClasses.get(e.class)! }))
          .sort((a, b) => b.c.priority - a.c.priority)[0];
        if (worst) return sim.fail(failure(worst.c, worst.e.signature));
      }
      sim.finish();
    })());
    return {
      metrics() {
        if (!runs.length) return { runs: 0 };
        const walls = runs.map((r) => r.wallNs / 1e9);
        return {
          runs: runs.length,
          wall: mean(walls),
          wallMin: Math.min(...walls),
          wallMax: Math.max(...walls),
          cpu: mean(runs.map((r) => r.cpuNs / 1e9)),
          rss: Math.max(...runs.map((r) => r.rssBytes)) / 2 ** 20,
          ...(throughputs.length ? { throughput: mean(throughputs) } : {}),
        };
      },
      plan: () => plans,
    };
  },
});
