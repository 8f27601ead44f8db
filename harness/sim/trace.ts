// A trial as a timeline, for Perfetto and chrome://tracing (the Chrome trace-event format): a track
// per simulated process (a CPU's thread, a worker, a rank), spans for what it waited on, the locks
// it held, the time it spent and the RPCs it made, and instants for every fault that fired and
// for the failure. Only a replay records one; the tracer observes and never changes the trial.

export interface Tracer {
  /** A span whose end is known when it begins (a delay, a finished RPC). */
  span(track: string, name: string, cat: string, startNs: number, endNs: number, args?: Record<string, unknown>): void;
  /** An instant; on the faults-and-failure track when no track is named. */
  instant(track: string | undefined, name: string, cat: string, atNs: number, args?: Record<string, unknown>): void;
  /** Opens a span (a wait, a lock hold) and returns its token for end(). */
  begin(track: string, name: string, cat: string, atNs: number): number;
  end(token: number, atNs: number, args?: Record<string, unknown>): void;
}

interface Event {
  name: string;
  cat: string;
  ph: 'X' | 'i';
  ts: number;
  dur: number;
  tid: number;
  args?: Record<string, unknown>;
}

const EVENTS_TRACK = 'faults and failure';

export class TraceRecorder implements Tracer {
  private tracks = new Map<string, number>([[EVENTS_TRACK, 0]]);
  private events: Event[] = [];
  private open = new Map<number, Event>();
  private nextToken = 0;
  private latest = 0;
  /** Events held before the next prune: grows with what a prune keeps, so pruning stays cheap. */
  private pruneAt = 100_000;
  /** Events left out: ended before the window, or beyond the cap. */
  dropped = 0;

  /** windowNs: keep only what ends in the last windowNs of the trial (around its failure, which
   *  ends it); maxEvents: keep at most this many, the latest. */
  constructor(
    private readonly windowNs = Infinity,
    private readonly maxEvents = 500_000,
  ) {}

  span(track: string, name: string, cat: string, startNs: number, endNs: number, args?: Record<string, unknown>): void {
    this.push({ name, cat, ph: 'X', ts: startNs, dur: endNs - startNs, tid: this.tid(track), ...(args ? { args } : {}) }, endNs);
  }

  instant(track: string | undefined, name: string, cat: string, atNs: number, args?: Record<string, unknown>): void {
    this.push({ name, cat, ph: 'i', ts: atNs, dur: 0, tid: this.tid(track ?? EVENTS_TRACK), ...(args ? { args } : {}) }, atNs);
  }

  begin(track: string, name: string, cat: string, atNs: number): number {
    const token = this.nextToken++;
    this.open.set(token, { name, cat, ph: 'X', ts: atNs, dur: 0, tid: this.tid(track) });
    return token;
  }

  end(token: number, atNs: number, args?: Record<string, unknown>): void {
    const e = this.open.get(token);
    if (!e) return;
    this.open.delete(token);
    e.dur = atNs - e.ts;
    if (args) e.args = args;
    this.push(e, atNs);
  }

  /** The trace-event JSON of the trial, ended at endNs: spans still open then (a lock never
   *  released, a wait never satisfied: a hang) are closed there and marked unfinished. Spans are
   *  written as B/E pairs with the end's own timestamp, so a viewer never sees a span end after
   *  the next one begins through rounding (ts + dur in floating point); at one instant, ends come
   *  before beginnings, the inner span's end first and the outer span's beginning first. A span
   *  of no duration shows nothing and is left out. */
  json(endNs: number, about: Record<string, unknown>): object {
    for (const token of [...this.open.keys()]) this.end(token, endNs, { unfinished: true });
    this.prune(endNs);
    type Out = { at: number; order: number; tie: number; seq: number; event: Record<string, unknown> };
    const out: Out[] = [];
    const us = (ns: number) => ns / 1000;
    for (const [seq, e] of this.events.entries()) {
      const base = { name: e.name, cat: e.cat, pid: 1, tid: e.tid };
      if (e.ph === 'i') out.push({ at: e.ts, order: 1, tie: 0, seq, event: { ...base, ph: 'i', s: 't', ts: us(e.ts), ...(e.args ? { args: e.args } : {}) } });
      else if (e.dur > 0) {
        const end = e.ts + e.dur;
        out.push({ at: e.ts, order: 2, tie: -end, seq, event: { ...base, ph: 'B', ts: us(e.ts), ...(e.args ? { args: e.args } : {}) } });
        out.push({ at: end, order: 0, tie: -e.ts, seq: -seq, event: { ...base, ph: 'E', ts: us(end) } });
      }
    }
    out.sort((a, b) => a.at - b.at || a.order - b.order || a.tie - b.tie || a.seq - b.seq);
    const meta = [
      { name: 'process_name', ph: 'M', pid: 1, tid: 0, args: { name: 'faultsweep trial' } },
      ...[...this.tracks].flatMap(([name, tid]) => [
        { name: 'thread_name', ph: 'M', pid: 1, tid, args: { name } },
        { name: 'thread_sort_index', ph: 'M', pid: 1, tid, args: { sort_index: tid } },
      ]),
    ];
    return {
      traceEvents: [...meta, ...out.map((o) => o.event)],
      displayTimeUnit: 'ns',
      otherData: { ...about, endNs, windowNs: Number.isFinite(this.windowNs) ? this.windowNs : null, droppedEvents: this.dropped },
    };
  }

  private tid(track: string): number {
    let t = this.tracks.get(track);
    if (t === undefined) this.tracks.set(track, (t = this.tracks.size));
    return t;
  }

  private push(e: Event, endNs: number): void {
    this.events.push(e);
    if (endNs > this.latest) this.latest = endNs;
    if (this.events.length >= this.pruneAt) this.prune(this.latest);
  }

  /** Drops what ended before the window and, beyond the cap, the oldest. */
  private prune(nowNs: number): void {
    const from = nowNs - this.windowNs;
    let kept = this.events.filter((e) => e.ts + e.dur >= from);
    if (kept.length > this.maxEvents) {
      kept.sort((a, b) => a.ts + a.dur - (b.ts + b.dur));
      kept = kept.slice(kept.length - this.maxEvents);
    }
    this.dropped += this.events.length - kept.length;
    this.events = kept;
    this.pruneAt = Math.max(100_000, 2 * kept.length);
  }
}
