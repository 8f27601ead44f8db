// The plug-in registries. Models, workloads and faults register themselves when their module is
// imported; the experiment schema, `faultsweep list` and the JSON Schema are built from here, so a
// new plug-in is one new file and nothing in harness/ changes.
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import type { ZodType } from 'zod';
import type { Simulation } from './sim/simulation.js';

export type Metrics = Record<string, number>;

export interface SystemPlugin<Profile = any, Kernel = any, System = any> {
  kind: string;
  description: string;
  /** Validates the profile's values (after overrides); transforms quantities to base units. */
  profile: ZodType<Profile>;
  /** The kernel build: its fix switches and build options. */
  kernel: ZodType<Kernel>;
  build(sim: Simulation, profile: Profile, kernel: Kernel): System;
}

export interface WorkloadRun {
  /** Final metrics of the trial, whatever its outcome. */
  metrics(): Metrics;
  /** Of a real workload: what the trial asked of it (a command, its environment, signals at
   *  offsets), which its digest covers. */
  plan?(): unknown;
}

export interface WorkloadPlugin<Config = any, System = any> {
  kind: string;
  description: string;
  systems: string[];
  config: ZodType<Config>;
  /** Units of the metrics it reports, and the ones a summary table shows first. */
  units: Record<string, string>;
  headline: string[];
  /** Checks that need the hardware profile too (ranks that must fit the machine): where and why. */
  check?(config: Config, profile: any): { path: (string | number)[]; message: string } | undefined;
  /** Config keys that name input files: read relative to the experiment file, checked at load. */
  files?: string[];
  /** Config keys that name folders: the same, and the experiment file's own folder when absent. */
  folders?: string[];
  /** A trial's work in any unit proportional to its run time (the events it will process, say),
   *  from its config alone: shards are balanced by it. Without it every trial counts the same. */
  cost?(config: Config): number;
  /** It runs something real (a command on this machine): its outcome is not a function of the
   *  seed, so a trial's digest covers what it asked for (WorkloadRun.plan) instead, and a replay
   *  checks that it asks for the same. */
  real?: boolean;
  start(sim: Simulation, system: System, config: Config): WorkloadRun;
}

export interface FaultRun {
  /** How often the fault fired, by phase, so a report shows it exercised the system. */
  fired(): Record<string, number>;
  /** What fired, as the ids its plug-in's explicit() takes: faults that fire by chance record
   *  them so that shrink can replay a subset exactly. */
  schedule?(): unknown[];
}

export interface FaultPlugin<Config = any, System = any> {
  kind: string;
  description: string;
  systems: string[];
  config: ZodType<Config>;
  /** Checks that depend on the system kind it is armed on: where and why. */
  check?(config: Config, system: string): { path: string[]; message: string } | undefined;
  arm(sim: Simulation, system: System, config: Config): FaultRun;
  /** The config keys that make the fault fire exactly at these ids (from FaultRun.schedule) and
   *  nowhere else, for `faultsweep shrink`. */
  explicit?(ids: unknown[]): Record<string, unknown>;
}

class Registry<T extends { kind: string }> {
  private byKind = new Map<string, T>();
  constructor(readonly what: string) {}
  register(p: T): void {
    if (this.byKind.has(p.kind)) throw new Error(`${this.what} '${p.kind}' registered twice`);
    this.byKind.set(p.kind, p);
  }
  get(kind: string): T | undefined {
    return this.byKind.get(kind);
  }
  all(): T[] {
    return [...this.byKind.values()].sort((a, b) => a.kind.localeCompare(b.kind));
  }
  kinds(): string[] {
    return this.all().map((p) => p.kind);
  }
}

/** A failure class of the catalog: what the models report when it happens (a trial's class,
 *  outcome and signature) and how it shows in a console, a model's or a real machine's. Models
 *  fail through their class's entry, and `faultsweep classify` reads real logs with the same
 *  entries, so the two cannot drift apart. */
export interface FailureClass {
  /** The class name, as trial records carry it. */
  kind: string;
  outcome: 'error' | 'hang' | 'crash';
  description: string;
  /** Lines that show the class; the first line of an episode one matches is its head. */
  patterns: RegExp[];
  /** The signature, from an episode's lines: the one the model's trials record. */
  signature(lines: string[]): string;
  /** A system's own classes (10) outrank the generic kernel reports (0) their consoles also hold. */
  priority: number;
  /** What fails this way: a model, any kernel, a real program. */
  madeBy: string;
}

/** The failure a model reports through its catalog entry. */
export function failure(c: FailureClass, signature: string): { outcome: FailureClass['outcome']; class: string; signature: string } {
  return { outcome: c.outcome, class: c.kind, signature };
}

/** A plug-in's own subcommand (e.g. the LegoOS model's cachesim), added to the CLI. */
export interface CommandPlugin {
  kind: string;
  add(program: Command): void;
}

export const systems = new Registry<SystemPlugin>('system');
export const commands = new Registry<CommandPlugin>('command');
export const workloads = new Registry<WorkloadPlugin>('workload');
export const faults = new Registry<FaultPlugin>('fault');
export const failureClasses = new Registry<FailureClass>('failure class');

export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const compiledRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

const loaded = new Map<string, Promise<void>>();

async function importAll(dir: string): Promise<void> {
  const files = await readdir(join(compiledRoot, dir), { recursive: true }).catch(() => [] as string[]);
  for (const f of files.filter((f) => f.endsWith('.js')).sort()) await import(pathToFileURL(join(compiledRoot, dir, f)).href);
}

function once(dirs: string[]): Promise<void> {
  const key = dirs.join();
  if (!loaded.has(key)) loaded.set(key, (async () => { for (const d of dirs) await importAll(d); })());
  return loaded.get(key)!;
}

/** Imports every module under models/, workloads/, faults/ and failures/, each registering itself. */
export const loadPlugins = () => once(['failures', 'models', 'workloads', 'faults']);

/** Imports the subcommands under commands/ (cheap: they load what they run when they run). */
export const loadCommands = () => once(['commands']);
