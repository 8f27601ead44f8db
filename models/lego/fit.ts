// FIT, LegoOS's RPC layer over InfiniBand (net/lego/fit_internal.c, fit_ibapi.c), over a modeled
// NIC. Each node pair has reliable-connection QPs chosen round robin; each node may have a
// limited number of send WQEs outstanding. Posting a WQE costs the sender CPU time; the message
// reaches the receiver after its wire time (the testbed's null-RPC round trips less the software
// the models charge explicitly, see wireTable) plus an exponential queueing jitter; every WQE is
// signaled, and its CQE reaches the sender's send CQ a short delay after posting. A fault may drop
// a CQE; what that does depends on the polling:
// - per-send: after each send, poll the send CQ until its CQE arrives. After 20 s print the
//   "Fail to to get the CQE" block and a WARNING at fit_internal_poll_sendcq, then return
//   -ETIMEDOUT (kernel.fit.pollTimeoutReturns), or keep spinning as the August 2018 code did.
// - nowait (CONFIG_FIT_NOWAIT, memory node only): a send returns without polling while fewer
//   than half the WQEs are outstanding; otherwise it polls up to 12 completions (24 when the
//   caller asks to poll now) until at least one arrives, with no timeout. Sends that must know
//   they left (ring acknowledgements, M's synchronous read from S) poll for their own CQE, also
//   with no timeout: a lost one leaves the sender spinning in mlx4_ib_poll_cq for good.
import { failure } from '../../harness/registry.js';
import { CQE_TIMEOUT } from '../../failures/lego.js';
import type { Co, Simulation } from '../../harness/sim/simulation.js';
import type { Rng } from '../../harness/sim/rng.js';
import { Signal, Store } from '../../harness/sim/sync.js';
import type { CpuContext } from './cpu.js';
import { kernelWarning } from './console.js';

export interface LatencyPoint {
  bytes: number;
  ns: number;
}

export type Polling = 'per-send' | 'nowait';

export const NODE_P = 0;
export const NODE_M = 1;
export const NODE_S = 2;
export const NODE_NAMES = ['processor', 'memory', 'storage'];
/** Bytes of a FIT request header: what a request without a payload puts on the wire. */
export const HEADER_BYTES = 128;

const POLL_TIMEOUT_NS = 20e9;
const NOWAIT_BATCH = 12;
const NOWAIT_BATCH_NOW = 24;

export interface FitConfig {
  /** One-way time on the wire by message size. */
  wire: LatencyPoint[];
  /** CPU time to build and post one send WQE (ib_post_send). */
  postTime: number;
  cqeDelay: LatencyPoint[];
  jitter: number;
  qps: number;
  pollCost: number;
  /** Send WQEs each node may have outstanding: P, M, S. */
  sendWqes: [number, number, number];
  /** M's polling mode; P and S always poll per send. */
  memoryPolling: Polling;
  pollTimeoutReturns: boolean;
}

/** A completion the fault layer may drop: which node sent it, on which connection, its index. */
export interface Completion {
  node: number;
  connection: number;
  index: number;
  kind: string;
}

class FitNode {
  readonly wqes: Store<number>;
  posted = 0;
  /** nowait: sends not yet polled, and completions waiting in the send CQs. */
  unpolled = 0;
  arrived = 0;
  arrival: Signal;
  nrSendReply = 0;
  bytesTx = 0;
  bytesRx = 0;
  constructor(sim: Simulation, id: number, wqes: number, readonly polling: Polling) {
    this.wqes = new Store(sim, `${NODE_NAMES[id]} send WQEs`);
    for (let i = 0; i < wqes; i++) this.wqes.put(i);
    this.arrival = new Signal(sim, `${NODE_NAMES[id]} send CQ`);
  }
}

export interface SendOptions {
  ctx: CpuContext;
  src: number;
  dst: number;
  bytes: number;
  kind: string;
  deliver: () => void;
  /** Poll for this send's own completion even under nowait. */
  ownCompletion?: boolean;
}

export class Fit {
  private nodes: FitNode[];
  private nextQp = new Map<number, number>();
  private rng: Rng;
  /** Set by a fault: whether to lose this completion. */
  dropCqe: ((c: Completion) => boolean) | undefined;

  constructor(private readonly sim: Simulation, private readonly cfg: FitConfig) {
    this.rng = sim.rng('fit');
    this.nodes = [0, 1, 2].map((id) => new FitNode(sim, id, cfg.sendWqes[id], id === NODE_M ? cfg.memoryPolling : 'per-send'));
  }

  /** Posts a message; returns false when the poll gave up (-ETIMEDOUT). */
  *send(o: SendOptions): Co<boolean> {
    const { sim, cfg } = this;
    const node = this.nodes[o.src];
    const wqe = (yield node.wqes) as number;
    yield cfg.postTime;
    const pair = o.src * 3 + o.dst;
    const connection = this.nextQp.get(pair) ?? 0;
    this.nextQp.set(pair, (connection + 1) % cfg.qps);
    const index = node.posted++;
    node.bytesTx += o.bytes;
    if (o.kind === 'reply') node.nrSendReply++;
    const dst = this.nodes[o.dst];
    const jitter = cfg.jitter > 0 ? this.rng.exponentialNs(cfg.jitter) : 0;
    sim.after(interpolate(cfg.wire, o.bytes) + jitter, () => {
      dst.bytesRx += o.bytes;
      o.deliver();
    });
    const own = node.polling === 'per-send' || o.ownCompletion === true;
    const cqe = own ? new Signal(sim, `CQE of ${NODE_NAMES[o.src]} WQE ${index} on connection ${connection}`) : undefined;
    const lost = this.dropCqe?.({ node: o.src, connection, index, kind: o.kind }) ?? false;
    if (!lost) {
      sim.after(interpolate(cfg.cqeDelay, o.bytes) + jitter, () => {
        if (cqe) cqe.fire(true);
        else {
          node.arrived++;
          const a = node.arrival;
          node.arrival = new Signal(sim, a.name);
          a.fire(true);
        }
      });
    }
    if (cqe) {
      const timeout = node.polling === 'per-send' ? POLL_TIMEOUT_NS : Infinity;
      const arrived = Number.isFinite(timeout) ? yield sim.within(timeout, cqe) : yield cqe;
      if (arrived === false) {
        this.reportLostCqe(o.ctx, node, connection, o.dst);
        if (cfg.pollTimeoutReturns) {
          node.wqes.put(wqe);
          return false;
        }
        yield cqe; // the August 2018 code warned and kept spinning
      }
      yield cfg.pollCost;
      node.wqes.put(wqe);
      return true;
    }
    // CONFIG_FIT_NOWAIT: the WQE stays outstanding until a later poll reaps its completion.
    node.unpolled++;
    if (node.unpolled < cfg.sendWqes[o.src] / 2) return true;
    while (node.arrived === 0) yield node.arrival;
    yield cfg.pollCost;
    const reaped = Math.min(node.arrived, o.kind === 'reply' ? NOWAIT_BATCH_NOW : NOWAIT_BATCH);
    node.arrived -= reaped;
    node.unpolled -= reaped;
    for (let i = 0; i < reaped; i++) node.wqes.put(wqe);
    return true;
  }

  private reportLostCqe(ctx: CpuContext, node: FitNode, connection: number, dst: number): void {
    const pad = (n: number) => String(n).padStart(12);
    this.sim.console.log(
      [
        '',
        '*****',
        '***** Fail to to get the CQE from send_cq after 20 seconds!',
        '***** This means the packet was lost and something went wrong',
        '***** with your NIC...',
        `***** connection_id: ${connection} dest node: ${dst}`,
        '*****',
      ].join('\n'),
    );
    this.sim.console.log(['IB Stats:', `    nr_ib_send_reply: ${pad(node.nrSendReply)}`, `    nr_bytes_tx: ${pad(node.bytesTx)}`, `    nr_bytes_rx: ${pad(node.bytesRx)}`, '------------[ cut here ]------------'].join('\n'));
    this.sim.console.log(kernelWarning(ctx, 'net/lego/fit_internal.c:1108', 'fit_internal_poll_sendcq', ['fit_internal_poll_sendcq', 'fit_send_message_with_rdma_write_with_imm_request']));
  }
}

/** What a poll that gave up (-ETIMEDOUT) does to the trial: the caller reports it as an error. */
export function failLostCqe(sim: Simulation): void {
  sim.fail(failure(CQE_TIMEOUT, 'Fail to to get the CQE from send_cq after 20 seconds!'));
}

/** One-way wire times from null-RPC round trips. A null FIT RPC of b bytes each way costs two
 *  wire crossings plus what the models charge on their own (posting twice, both receive threads,
 *  the memory node's per-request thpool work, the jitter), so each crossing is what is left of
 *  the round trip, halved. The profile's schema refuses a round trip shorter than `charged`. */
export function wireTable(rpcLatency: LatencyPoint[], charged: number): LatencyPoint[] {
  return rpcLatency.map((p) => ({ bytes: p.bytes, ns: Math.round((p.ns - charged) / 2) }));
}

/** Linear interpolation in a table by message size, clamped below, extrapolated above. */
export function interpolate(table: LatencyPoint[], bytes: number): number {
  if (bytes <= table[0].bytes) return table[0].ns;
  for (let i = 1; i < table.length; i++) {
    if (bytes <= table[i].bytes) {
      const f = (bytes - table[i - 1].bytes) / (table[i].bytes - table[i - 1].bytes);
      return Math.round(table[i - 1].ns + f * (table[i].ns - table[i - 1].ns));
    }
  }
  if (table.length === 1) return table[0].ns;
  const [a, b] = table.slice(-2);
  return Math.round(b.ns + ((bytes - b.bytes) * (b.ns - a.ns)) / (b.bytes - a.bytes));
}
