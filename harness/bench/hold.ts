// The classic hold model: every event schedules one new event at an exponential delay, so the
// pending set stays at its initial size. It measures the event loop and the queue alone.
import { Simulation } from '../sim/simulation.js';
import { registerBench } from './index.js';

const EVENTS_PER_CALL = 200_000;
const MEAN_DELAY_NS = 1_000_000;

function hold(name: string, pending: number, target: number): void {
  registerBench(name, () => {
    const sim = new Simulation(1, { timeNs: Number.MAX_SAFE_INTEGER, events: Number.MAX_SAFE_INTEGER });
    const rng = sim.rng('hold');
    const op: number = sim.defineOp((arg) => sim.schedule(rng.exponentialNs(MEAN_DELAY_NS), op, arg));
    return {
      name,
      unit: 'events',
      opsPerCall: EVENTS_PER_CALL,
      target,
      setup: () => {
        for (let i = 0; i < pending; i++) sim.schedule(rng.exponentialNs(MEAN_DELAY_NS), op, i);
      },
      fn: () => {
        sim.dispatch(sim.events + EVENTS_PER_CALL);
      },
    };
  });
}

hold('hold-10k', 10_000, 5_000_000);
hold('hold-1m', 1_000_000, 2_000_000);
