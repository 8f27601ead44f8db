// Failures across nights, grouped by signature: when each was first and last seen, on how many of
// the nights its experiment ran, and what that makes it tonight. A night's build is its faultsweep
// code, the commit of its experiment files and its label; a signature that comes and goes while
// the build stays the same is flaky, not fixed.
import type { Night, NightCell } from './history.js';

export type Status = 'new' | 'recurring' | 'flaky' | 'absent' | 'fixed';

export interface Signature {
  signature: string;
  class: string;
  outcome: string;
  experiments: string[];
  firstSeen: number;
  lastSeen: number;
  /** Nights it was seen on, of the nights its experiments ran. */
  nightsSeen: number;
  nightsRun: number;
  /** Trials it ended on the latest night it was seen, of that night's trials of its cells. */
  latest: { count: number; trials: number; replay: string };
  status: Status;
  /** Nights in a row, ending tonight, without it. */
  absentFor: number;
}

/** Signatures absent this many nights in a row (ending tonight) are fixed. */
export const FIXED_AFTER = 3;

export function triage(nights: Night[], cells: NightCell[], tonight: number, fixedAfter = FIXED_AFTER): Signature[] {
  const order = nights.filter((n) => n.id <= tonight).map((n) => n.id);
  const build = new Map(nights.map((n) => [n.id, `${n.code} ${n.experimentsCommit ?? '-'} ${n.label ?? '-'}`]));
  const groups = new Map<string, { cls: string; outcome: string; experiments: Set<string>; seen: Map<number, { count: number; replay: string }> }>();
  for (const c of cells) {
    if (c.night > tonight) continue;
    for (const t of c.trials) {
      if (!t.signature) continue;
      const g = groups.get(t.signature) ?? { cls: t.class ?? '', outcome: t.outcome, experiments: new Set<string>(), seen: new Map() };
      g.experiments.add(c.experiment);
      const s = g.seen.get(c.night) ?? { count: 0, replay: t.replay };
      s.count++;
      g.seen.set(c.night, s);
      groups.set(t.signature, g);
    }
  }
  const out: Signature[] = [];
  for (const [signature, g] of groups) {
    // The nights any of its experiments ran: absence only counts where it could have appeared.
    const ran = order.filter((n) => cells.some((c) => c.night === n && g.experiments.has(c.experiment)));
    const seenOn = ran.filter((n) => g.seen.has(n));
    const first = seenOn[0], last = seenOn.at(-1)!;
    let absentFor = 0;
    for (let i = ran.length - 1; i >= 0 && !g.seen.has(ran[i]); i--) absentFor++;
    const since = ran.filter((n) => n >= first);
    const seenBuilds = new Set(seenOn.map((n) => build.get(n)));
    const flaky = since.some((n) => !g.seen.has(n) && seenBuilds.has(build.get(n)));
    const status: Status = first === tonight ? 'new' : absentFor >= fixedAfter ? 'fixed' : flaky ? 'flaky' : absentFor > 0 ? 'absent' : 'recurring';
    const trialsOn = cells.filter((c) => c.night === last && g.experiments.has(c.experiment) && c.trials.some((t) => t.signature === signature));
    out.push({
      signature,
      class: g.cls,
      outcome: g.outcome,
      experiments: [...g.experiments].sort(),
      firstSeen: first,
      lastSeen: last,
      nightsSeen: seenOn.length,
      nightsRun: ran.length,
      latest: { count: g.seen.get(last)!.count, trials: trialsOn.reduce((n, c) => n + c.trials.length, 0), replay: g.seen.get(last)!.replay },
      status,
      absentFor,
    });
  }
  const rank: Record<Status, number> = { new: 0, flaky: 1, recurring: 2, absent: 3, fixed: 4 };
  return out.sort((a, b) => rank[a.status] - rank[b.status] || b.latest.count - a.latest.count || a.signature.localeCompare(b.signature));
}
