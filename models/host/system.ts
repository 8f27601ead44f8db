// This machine, running real commands: nothing here is modeled. The exec workload runs its
// command on it; the faults for real processes add to what each run gets (signals at offsets
// drawn from the trial's seed, environment variables), and count what was delivered.
import * as z from 'zod';
import { systems } from '../../harness/registry.js';
import type { Signal } from '../../harness/exec/run.js';
import type { Firings } from '../../harness/sim/firings.js';

export interface HostSystem {
  /** Variables the faults set for the command (hooks of the program under test). */
  env: Record<string, string>;
  /** The faults' signal plans, each called once per run of the command, in order, with the
   *  run's timeout: so the plans are drawn in one order from the seed, whatever ran before. */
  planners: ((timeoutNs: number) => Signal[])[];
  /** Each signal-sending fault's firings, by kind: the workload fires them as signals land. */
  firings: Map<string, Firings>;
}

systems.register({
  kind: 'host',
  description: 'this machine, running real commands (the exec workload): nothing modeled',
  profile: z.strictObject({}),
  kernel: z.strictObject({ build: z.string().default('this machine') }),
  build: (): HostSystem => ({ env: {}, planners: [], firings: new Map() }),
});
