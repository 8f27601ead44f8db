// What the faults for real processes share: the signals they may send, whom to, and how a fault
// plans its signals and counts what was delivered before the command ended.
import { constants } from 'node:os';
import * as z from 'zod';
import type { FaultRun } from '../harness/registry.js';
import { Firings } from '../harness/sim/firings.js';
import type { Simulation } from '../harness/sim/simulation.js';
import type { Signal } from '../harness/exec/run.js';
import type { HostSystem } from '../models/host/system.js';

export const signalName = z.enum(Object.keys(constants.signals).filter((s) => s.startsWith('SIG')) as [NodeJS.Signals, ...NodeJS.Signals[]]);

export const target = z.enum(['process', 'group']).default('process').meta({ description: "the command's own process, or its whole process group" });

/** Arms a fault that sends signals: `plan` draws each run's, and the exec workload fires the
 *  fault's Firings as each one lands. Two faults of one kind share one count, since a delivered
 *  signal names only its kind; the first reports it. */
export function signalFault(sim: Simulation, host: HostSystem, kind: string, plan: (timeoutNs: number) => Omit<Signal, 'fault'>[]): FaultRun {
  const shared = host.firings.get(kind);
  const fired = shared ?? new Firings(sim, kind);
  host.firings.set(kind, fired);
  host.planners.push((timeoutNs) => plan(timeoutNs).map((s) => ({ ...s, fault: kind })));
  return { fired: () => (shared ? {} : fired.counts) };
}
