// A fault's firings, by phase: counted for the coverage report (a gate over a fault that never
// fired fails), written to the console as the real machine's log would show them, and marked on
// a replay's trace.
import type { Simulation } from './simulation.js';

export class Firings {
  readonly counts: Record<string, number> = {};
  /** What fired, in order, for faults that can be replayed as an explicit schedule. */
  readonly ids: unknown[] = [];

  constructor(
    private readonly sim: Simulation,
    private readonly kind: string,
  ) {}

  /** The fault fired in `phase`; `message` goes to the console (after "[fault] ") unless log is
   *  false; `id` names the firing in the fault's explicit schedule. */
  fire(phase: string, message: string, { log = true, id }: { log?: boolean; id?: unknown } = {}): void {
    this.counts[phase] = (this.counts[phase] ?? 0) + 1;
    if (id !== undefined) this.ids.push(id);
    if (log) this.sim.console.log(`[fault] ${message}`);
    this.mark(phase, message);
  }

  /** Marks a firing counted elsewhere (by the model it perturbs) on the trace. */
  mark(phase: string, message: string): void {
    this.sim.tracer?.instant(undefined, `${this.kind}: ${message}`, 'fault', this.sim.now, { phase });
  }
}
