// A dropped CQE: the NIC never delivers the completion of a send WQE. Per the verbs
// specification completions are never silently dropped, so this is the hardware or driver fault
// of August 2018; what it does (an error after the 20 s poll timeout, a worker spinning until the
// watchdog sees it, or nothing) depends on how the sender polls at that moment.
import * as z from 'zod';
import { faults } from '../harness/registry.js';
import { Firings } from '../harness/sim/firings.js';
import type { Simulation } from '../harness/sim/simulation.js';
import { duration } from '../harness/experiment/units.js';
import { NODE_NAMES, type Completion } from '../models/lego/fit.js';
import type { LegoSystem } from '../models/lego/system.js';

const config = z.strictObject({
  probability: z.number().min(0).max(1).default(0).meta({ description: 'chance that any one completion is lost' }),
  node: z.enum(['processor', 'memory', 'storage']).optional().meta({ description: 'only completions of sends from this node' }),
  connection: z.int().nonnegative().optional().meta({ description: 'only completions on this connection (QP) number' }),
  from: duration().optional().meta({ description: 'only from this simulated time on' }),
  until: duration().optional().meta({ description: 'only before this simulated time' }),
  completions: z.array(z.int().nonnegative()).optional().meta({ description: "drop exactly these completions: indices of the matching node's sends, from 0" }),
});

type Config = z.output<typeof config>;

faults.register({
  kind: 'dropped-cqe',
  description: 'the NIC loses the completion (CQE) of a send, by probability, node, connection, time window or index',
  systems: ['lego'],
  config,
  arm(sim: Simulation, sys: LegoSystem, c: Config) {
    const rng = sim.rng('fault/dropped-cqe');
    const explicit = new Set(c.completions ?? []);
    const fired = new Firings(sim, 'dropped-cqe');
    sys.fit.dropCqe = (done: Completion) => {
      if (c.node !== undefined && NODE_NAMES[done.node] !== c.node) return false;
      if (c.connection !== undefined && done.connection !== c.connection) return false;
      if ((c.from !== undefined && sim.now < c.from) || (c.until !== undefined && sim.now >= c.until)) return false;
      const drop = explicit.has(done.index) || (c.probability > 0 && rng.random() < c.probability);
      if (drop) fired.fire(`${NODE_NAMES[done.node]}.${done.kind}`, `dropped the CQE of ${NODE_NAMES[done.node]} send ${done.index} (${done.kind}) on connection ${done.connection}`, { id: done.index });
      return drop;
    };
    return { fired: () => fired.counts, schedule: () => fired.ids };
  },
  // The sends whose CQEs were dropped, by index, and no chance of losing any other.
  explicit: (ids) => ({ probability: 0, completions: ids }),
});
