// XPMEM on an SGI UV machine (SGI's 2008 driver, xpmem_make/remove/get/release/attach/detach in
// xpmem_main.c, xpmem_segment.c, xpmem_get.c, xpmem_attach.c; open-source openucx/xpmem for the
// errno of each check): thread groups, segments, access permits and attachments, each with an
// existence reference and DESTROYING/DESTROYED teardown. Ids carry the partition:
// (partid << 48) | (uniq << 32) | tgid, printed in hex. A get or attach across partitions goes
// through XPC; with XPC down on the owner's partition a lookup returns EINVAL, as in the 2013 log.
//
// The invalidate path of SGI's 2013 driver (xpmem_mmu_notifier.c, xpmem_recall_PFNs): detaching a
// GRU-addressable attachment recalls its PFNs from the owner's thread group (n_active_recalls up,
// the owner's mmap_sem borrowed), then zap_xvma_ptes re-enters the invalidate callout for the
// extended VMA's GRU-space range. If one of the owner's segments overlaps that range - only a
// whole-address-space segment made without the TASK_SIZE clamp does - the nested callout sleeps
// until the owner's other recalls finish. Two such recalls at once wait on each other for ever.
// Calls return what the ioctl would: a value >= 0, or -errno.
import type { Co, Simulation } from '../../harness/sim/simulation.js';
import { WaitQueue } from '../../harness/sim/sync.js';
import { Slots } from './slots.js';

export const PAGE = 4096;
/** The user address space on x86-64: TASK_SIZE = (1 << 47) - 4096. */
export const TASK_SIZE = 2 ** 47 - PAGE;
/** (size_t)-1, the "whole address space" size every MPI library passes to xpmem_make. */
export const XPMEM_MAXADDR_SIZE = -1;
/** Where user virtual addresses in GRU space start. */
export const GRU_BASE = 2 ** 48;
export const XPMEM_PERMIT_MODE = 1;
export const XPMEM_RDONLY = 0x1;
export const XPMEM_RDWR = 0x2;
const MAX_UNIQ = 65535;
/** Ids are exact JS numbers while partid << 48 stays below 2^53. */
export const MAX_PARTITIONS = 32;

export const ENOENT = 2;
export const EACCES = 13;
export const EFAULT = 14;
export const EBUSY = 16;
export const EINVAL = 22;
/** Not an errno: the task died of SIGBUS, shown as a shell shows death by signal 7. */
export const SIGBUS = 135;
export const ERRNO: Record<string, number> = { ENOENT, EACCES, EFAULT, EBUSY, EINVAL, SIGBUS };
const NAMES = new Map(Object.entries(ERRNO).map(([k, v]) => [v, k]));

/** A call's result as the tests and logs show it: an id or address in hex, or the errno name. */
export function shown(r: number): string {
  return r < 0 ? (NAMES.get(-r) ?? `-${-r}`) : `0x${r.toString(16)}`;
}

export const hex = (n: number) => `0x${n.toString(16)}`;

/** A call that may sleep: its result when it finished at once, or the rest of it to run with yield*. */
export type MaySleep = number | Co<number>;

export function* settle(r: MaySleep): Co<number> {
  return typeof r === 'number' ? r : yield* r;
}

const LIVE = 0, DESTROYING = 1, DESTROYED = 2;
type State = typeof LIVE | typeof DESTROYING | typeof DESTROYED;
export const NONE = -1;

export interface ThreadGroup {
  index: number;
  tgid: number;
  partition: number;
  uid: number;
  gid: number;
  state: State;
  nextUniq: number;
  /** uniq -> permit slot + 1, or -(segment index + 1); 0 once the object is gone. */
  ids: number[];
  segments: Segment[];
  /** Ordinary (non-XPMEM) mappings; XPMEM mappings inherited from a parent at fork. */
  mappings: { vaddr: number; size: number }[];
  inherited: number[];
  nextVaddr: number;
  /** The recall state of SGI's driver, and mmap_sem as far as recalls borrow it. */
  nActiveRecalls: number;
  recallers: Task[];
  recallWq: WaitQueue;
  mmapReaders: number;
  mmapWq: WaitQueue;
}

export interface Segment {
  index: number;
  segid: number;
  owner: ThreadGroup;
  vaddr: number;
  size: number;
  mode: number;
  state: State;
}

/** A thread of a thread group, running on one CPU; what it spends is paid at its next yield. */
export class Task {
  due = 0;
  /** Non-zero while blocked in the kernel: which block, for the hung-task check. */
  blocked = 0;
  constructor(readonly tg: ThreadGroup, readonly name: string, readonly cpu: number) {}
  pay(): number {
    const d = this.due;
    this.due = 0;
    return d;
  }
}

export interface XpmemCosts {
  syscall: number;
  xpcRoundTrip: number;
  /** Clearing one populated PTE, and the TLB shootdown after a zap. */
  pteClear: number;
  tlbFlush: number;
  pageFault: number;
}

export interface XpmemOptions {
  /** kernel.xpmemMaxaddrClamp: XPMEM_MAXADDR_SIZE means TASK_SIZE (the 2013 fix), or all of it. */
  maxaddrClamp: boolean;
  /** Whether XPC runs on each partition. */
  xpcUp: (partition: number) => boolean;
  costs: XpmemCosts;
  /** khungtaskd's hung_task_timeout_secs, in ns. */
  hungTaskTimeout: number;
}

const permitColumns = (n: number) => ({
  apid: new Float64Array(n),
  holder: new Int32Array(n),
  seg: new Int32Array(n),
  flags: new Uint8Array(n),
  state: new Uint8Array(n),
  firstAtt: new Int32Array(n),
  nextOfHolder: new Int32Array(n),
  prevOfHolder: new Int32Array(n),
  nextOfSeg: new Int32Array(n),
  prevOfSeg: new Int32Array(n),
});

const attachmentColumns = (n: number) => ({
  permit: new Int32Array(n),
  vaddr: new Float64Array(n),
  size: new Float64Array(n),
  offset: new Float64Array(n),
  /** The span of populated pages [pageLo, pageHi): what a zap must clear. */
  pageLo: new Int32Array(n),
  pageHi: new Int32Array(n),
  gru: new Uint8Array(n),
  next: new Int32Array(n),
  prev: new Int32Array(n),
});

export class Xpmem {
  private tgs: ThreadGroup[] = [];
  private byTgid = new Map<number, ThreadGroup>();
  private segments: Segment[] = [];
  /** List heads: each thread group's permits, each segment's permits (by index). */
  private holderPermits: number[] = [];
  private segmentPermits: number[] = [];
  readonly permits = new Slots(permitColumns);
  readonly atts = new Slots(attachmentColumns);
  private blocks = 0;
  private sleepers = new Map<Task, { kind: 'recall' | 'mmap_sem'; where: () => string }>();
  readonly stats = { recalls: 0, recallWaits: 0 };
  /** Calls made so far, and a callback when they reach `watchOps` (for faults "after N calls"). */
  ops = 0;
  watchOps = Infinity;
  onOps?: () => void;
  /** The slot of the last successful attach: the mapping a library keeps in its cache. */
  lastAttachment = NONE;

  constructor(private readonly sim: Simulation, private readonly opts: XpmemOptions) {}

  open(tgid: number, partition: number, uid = 1000, gid = 1000): ThreadGroup {
    const tg: ThreadGroup = {
      index: this.tgs.length,
      tgid, partition, uid, gid, state: LIVE, nextUniq: 1, ids: [0], segments: [], mappings: [], inherited: [], nextVaddr: 2 ** 40,
      nActiveRecalls: 0, recallers: [], recallWq: new WaitQueue(this.sim, `recall of tg ${hex(tgid)}`), mmapReaders: 0, mmapWq: new WaitQueue(this.sim, `mmap_sem of tg ${hex(tgid)}`),
    };
    this.tgs.push(tg);
    this.holderPermits.push(NONE);
    this.byTgid.set(tgid, tg);
    return tg;
  }

  tg(tgid: number): ThreadGroup | undefined {
    return this.byTgid.get(tgid);
  }

  /** fork(): the child sees the parent's attachments, which stay the parent's. */
  fork(parent: ThreadGroup, childTgid: number): ThreadGroup {
    const child = this.open(childTgid, parent.partition, parent.uid, parent.gid);
    const own: number[] = [];
    this.eachAttachment(parent, (a) => own.push(a));
    child.inherited = [...own, ...parent.inherited];
    child.mappings = [...parent.mappings];
    return child;
  }

  mmap(tg: ThreadGroup, vaddr: number, size: number): void {
    tg.mappings.push({ vaddr, size });
  }

  private enter(t: Task): void {
    t.due += this.opts.costs.syscall;
    if (++this.ops === this.watchOps) this.onOps!();
  }

  private newId(tg: ThreadGroup, handle: number): number {
    const u = tg.nextUniq;
    if (u > MAX_UNIQ) return -EBUSY;
    tg.nextUniq++;
    tg.ids[u] = handle;
    return tg.partition * 2 ** 48 + u * 2 ** 32 + tg.tgid;
  }

  /** What an id names in its thread group's table (0: nothing), if its partition and tgid match. */
  private lookup(id: number): number {
    // id >>> 0 is id mod 2^32: the tgid.
    const tg = this.byTgid.get(id >>> 0);
    if (!tg || tg.partition !== Math.floor(id / 2 ** 48)) return 0;
    return tg.ids[Math.floor(id / 2 ** 32) & 0xffff] ?? 0;
  }

  private segmentOf(segid: number): Segment | undefined {
    const h = this.lookup(segid);
    return h < 0 ? this.segments[-h - 1] : undefined;
  }

  private permitOf(apid: number): number {
    const h = this.lookup(apid);
    return h > 0 ? h - 1 : NONE;
  }

  /** A lookup in another partition needs XPC running there (EINVAL otherwise, as in the 2008 driver). */
  private remoteDown(t: Task, partition: number): boolean {
    if (partition === t.tg.partition) return false;
    t.due += this.opts.costs.xpcRoundTrip;
    return !this.opts.xpcUp(partition);
  }

  make(t: Task, vaddr: number, size: number, permitType: number, mode: number): number {
    this.enter(t);
    if (permitType !== XPMEM_PERMIT_MODE || (mode & ~0o777) !== 0) return -EINVAL;
    let bytes = size;
    if (size === XPMEM_MAXADDR_SIZE) {
      if (vaddr !== 0) return -EINVAL;
      // Unclamped, the segment reaches past user space into GRU space (1 << 48 and up).
      bytes = this.opts.maxaddrClamp ? TASK_SIZE : 2 ** 64;
    } else if (bytes <= 0 || vaddr % PAGE !== 0 || bytes % PAGE !== 0 || vaddr + bytes > TASK_SIZE) return -EINVAL;
    const tg = t.tg;
    const seg: Segment = { index: this.segments.length, segid: 0, owner: tg, vaddr, size: bytes, mode, state: LIVE };
    const segid = this.newId(tg, -(seg.index + 1));
    if (segid < 0) return segid;
    seg.segid = segid;
    this.segments.push(seg);
    this.segmentPermits.push(NONE);
    tg.segments.push(seg);
    return segid;
  }

  remove(t: Task, segid: number): MaySleep {
    this.enter(t);
    if (segid <= 0) return -EINVAL;
    const owner = this.byTgid.get(segid >>> 0);
    if (owner && owner.state === LIVE && owner !== t.tg) return -EACCES;
    const seg = this.segmentOf(segid);
    if (!seg || seg.state !== LIVE || !owner || owner.state !== LIVE) return -ENOENT;
    return this.destroySegment(t, seg);
  }

  get(t: Task, segid: number, flags: number, permitType: number, permitValue: unknown): number {
    this.enter(t);
    if (segid <= 0) return -EINVAL;
    if ((flags & ~(XPMEM_RDONLY | XPMEM_RDWR)) !== 0 || flags === (XPMEM_RDONLY | XPMEM_RDWR)) return -EINVAL;
    if (permitType !== XPMEM_PERMIT_MODE || permitValue != null) return -EINVAL;
    if (this.remoteDown(t, Math.floor(segid / 2 ** 48))) return -EINVAL;
    const seg = this.segmentOf(segid);
    if (!seg || seg.state !== LIVE || seg.owner.state !== LIVE) return -ENOENT;
    const tg = t.tg;
    if (!this.permitted(tg, seg, flags)) return -EACCES;
    const p = this.permits.alloc();
    const apid = this.newId(tg, p + 1);
    if (apid < 0) {
      this.permits.release(p);
      return apid;
    }
    const c = this.permits.cols;
    c.apid[p] = apid;
    c.holder[p] = tg.index;
    c.seg[p] = seg.index;
    c.flags[p] = flags;
    c.state[p] = LIVE;
    c.firstAtt[p] = NONE;
    link(c.nextOfHolder, c.prevOfHolder, this.holderPermits, tg.index, p);
    link(c.nextOfSeg, c.prevOfSeg, this.segmentPermits, seg.index, p);
    return apid;
  }

  release(t: Task, apid: number): MaySleep {
    this.enter(t);
    if (apid <= 0) return -EINVAL;
    const p = this.permitOf(apid);
    const c = this.permits.cols;
    if (p === NONE || c.state[p] !== LIVE || this.tgs[c.holder[p]].state !== LIVE) return -ENOENT;
    if (this.tgs[c.holder[p]] !== t.tg) return -EACCES;
    return this.destroyPermit(t, p);
  }

  /** The attached address. gru: map it GRU-addressable (a cross-partition attach always is). */
  attach(t: Task, apid: number, offset: number, size: number, vaddr: number, gru = false): number {
    this.enter(t);
    if (apid <= 0 || offset % PAGE !== 0 || vaddr % PAGE !== 0 || size === 0) return -EINVAL;
    const p = this.permitOf(apid);
    const c = this.permits.cols;
    if (p === NONE || c.state[p] !== LIVE) return -ENOENT;
    const tg = t.tg;
    if (this.tgs[c.holder[p]] !== tg) return -EACCES;
    const seg = this.segments[c.seg[p]];
    if (seg.state !== LIVE) return -ENOENT;
    const cross = seg.owner.partition !== tg.partition;
    if (cross && this.remoteDown(t, seg.owner.partition)) return -EINVAL;
    // Attach always asks for read/write.
    if (c.flags[p] === XPMEM_RDONLY) return -EACCES;
    const bytes = Math.ceil(size / PAGE) * PAGE;
    if (offset + bytes > seg.size) return -EINVAL;
    let at = vaddr;
    if (at === 0) {
      at = tg.nextVaddr;
      tg.nextVaddr = at + bytes + PAGE;
    } else if (at + bytes > TASK_SIZE || this.findAttachment(tg, at, bytes) !== NONE || (seg.owner === tg && at < seg.vaddr + seg.size && seg.vaddr < at + bytes)) return -EINVAL;
    const a = this.atts.alloc();
    const ac = this.atts.cols;
    ac.permit[a] = p;
    ac.vaddr[a] = at;
    ac.size[a] = bytes;
    ac.offset[a] = offset;
    ac.pageLo[a] = ac.pageHi[a] = 0;
    ac.gru[a] = gru || cross ? 1 : 0;
    link(ac.next, ac.prev, c.firstAtt, p, a);
    this.lastAttachment = a;
    return at;
  }

  /** Detaches what is mapped at vaddr; `hint` is the attachment the caller believes it is. */
  detach(t: Task, vaddr: number, hint = NONE): MaySleep {
    this.enter(t);
    const tg = t.tg;
    const a = hint !== NONE && this.holderOf(hint) === tg && this.covers(hint, vaddr) ? hint : this.findAttachment(tg, vaddr, 1);
    if (a !== NONE) return this.recalls(a) ? this.recallAndUnmap(t, a) : this.unmap(t, a, false);
    const ac = this.atts.cols;
    if (tg.inherited.some((h) => vaddr >= ac.vaddr[h] && vaddr < ac.vaddr[h] + ac.size[h])) return -EACCES;
    if (tg.mappings.some((x) => vaddr >= x.vaddr && vaddr < x.vaddr + x.size)) return -EINVAL;
    return 0;
  }

  /** A load or store at vaddr: SIGBUS through an attachment whose segment is gone, or in a hole. */
  touch(t: Task, vaddr: number): number {
    let a = this.findAttachment(t.tg, vaddr, 1);
    if (a === NONE) a = t.tg.inherited.find((h) => this.covers(h, vaddr)) ?? NONE;
    if (a === NONE) return t.tg.mappings.some((x) => vaddr >= x.vaddr && vaddr < x.vaddr + x.size) ? 0 : -SIGBUS;
    return this.touchAttachment(t, a, vaddr - this.atts.cols.vaddr[a], 1);
  }

  /** Loads or stores bytes at offset into attachment a: first touches fault the pages in. */
  touchAttachment(t: Task, a: number, offset: number, bytes: number): number {
    const ac = this.atts.cols;
    const seg = this.segments[this.permits.cols.seg[ac.permit[a]]];
    if (seg.state !== LIVE) return -SIGBUS;
    const lo = Math.floor(offset / PAGE), hi = Math.min(ac.size[a] / PAGE, Math.ceil((offset + bytes) / PAGE));
    const pLo = ac.pageLo[a], pHi = ac.pageHi[a];
    // Pages outside the populated span fault in; the span grows to cover both.
    const faulted = pHi === pLo ? hi - lo : hi - lo - Math.max(0, Math.min(hi, pHi) - Math.max(lo, pLo));
    if (faulted > 0) {
      t.due += faulted * this.opts.costs.pageFault;
      ac.pageLo[a] = pHi === pLo ? lo : Math.min(lo, pLo);
      ac.pageHi[a] = Math.max(hi, pHi);
    }
    return 0;
  }

  /** A syscall that pins user pages (a futex) there: VM_IO|VM_PFNMAP attachments refuse it. */
  pin(t: Task, vaddr: number): number {
    const inherited = t.tg.inherited.some((h) => this.covers(h, vaddr));
    return inherited || this.findAttachment(t.tg, vaddr, 1) !== NONE ? -EFAULT : 0;
  }

  /** Owner exit: its permits released (detaching their attachments), its segments removed. */
  *exit(t: Task): Co {
    const tg = t.tg;
    tg.state = DESTROYING;
    while (this.holderPermits[tg.index] !== NONE) yield* settle(this.destroyPermit(t, this.holderPermits[tg.index]));
    for (const s of [...tg.segments]) yield* settle(this.destroySegment(t, s));
    tg.state = DESTROYED;
  }

  private holderOf(a: number): ThreadGroup | undefined {
    return this.tgs[this.permits.cols.holder[this.atts.cols.permit[a]]];
  }

  private covers(a: number, vaddr: number): boolean {
    const ac = this.atts.cols;
    return vaddr >= ac.vaddr[a] && vaddr < ac.vaddr[a] + ac.size[a];
  }

  private eachAttachment(tg: ThreadGroup, fn: (a: number) => void): void {
    const c = this.permits.cols, ac = this.atts.cols;
    for (let p = this.holderPermits[tg.index]; p !== NONE; p = c.nextOfHolder[p]) for (let a = c.firstAtt[p]; a !== NONE; a = ac.next[a]) fn(a);
  }

  /** The tg's attachment overlapping [vaddr, vaddr + bytes), by walking its permits. */
  private findAttachment(tg: ThreadGroup, vaddr: number, bytes: number): number {
    const c = this.permits.cols, ac = this.atts.cols;
    for (let p = this.holderPermits[tg.index]; p !== NONE; p = c.nextOfHolder[p]) {
      for (let a = c.firstAtt[p]; a !== NONE; a = ac.next[a]) if (vaddr < ac.vaddr[a] + ac.size[a] && ac.vaddr[a] < vaddr + bytes) return a;
    }
    return NONE;
  }

  private permitted(tg: ThreadGroup, seg: Segment, flags: number): boolean {
    if (tg.uid === 0) return true;
    const bits = tg.uid === seg.owner.uid ? (seg.mode >> 6) & 7 : tg.gid === seg.owner.gid ? (seg.mode >> 3) & 7 : seg.mode & 7;
    const want = flags === XPMEM_RDONLY ? 4 : 6;
    return (bits & want) === want;
  }

  /** Permit teardown: its attachments unmapped (at once, until one needs a recall), then freed. */
  private destroyPermit(t: Task, p: number): MaySleep {
    this.permits.cols.state[p] = DESTROYING;
    return this.unmapQuick(t, p) === NONE ? this.freePermit(p) : this.destroyPermitRecalling(t, p);
  }

  private *destroyPermitRecalling(t: Task, p: number): Co<number> {
    for (let a = this.permits.cols.firstAtt[p]; a !== NONE; a = this.unmapQuick(t, p)) yield* this.recallAndUnmap(t, a);
    return this.freePermit(p);
  }

  /** Unmaps p's attachments while none needs a recall; returns the first that does, or NONE. */
  private unmapQuick(t: Task, p: number): number {
    let a: number;
    // Columns are read afresh each time: a yield elsewhere may have let another task grow them.
    while ((a = this.permits.cols.firstAtt[p]) !== NONE && !this.recalls(a)) this.unmap(t, a, false);
    return a;
  }

  private freePermit(p: number): number {
    const c = this.permits.cols;
    c.state[p] = DESTROYED;
    const holder = this.tgs[c.holder[p]];
    unlink(c.nextOfHolder, c.prevOfHolder, this.holderPermits, holder.index, p);
    unlink(c.nextOfSeg, c.prevOfSeg, this.segmentPermits, c.seg[p], p);
    holder.ids[Math.floor(c.apid[p] / 2 ** 32) & 0xffff] = 0;
    this.permits.release(p);
    return 0;
  }

  /**
   * xpmem_remove_seg: DESTROYING (lookups skip it), down_write of the owner's mmap_sem - which
   * waits for every recall that borrowed it - then the PTEs of every attachment cleared. Peers
   * keep their permits and mappings: the next get is ENOENT, the next touch SIGBUS.
   */
  private destroySegment(t: Task, s: Segment): MaySleep {
    s.state = DESTROYING;
    return s.owner.mmapReaders > 0 ? this.destroySegmentAfterRecalls(t, s) : this.clearSegment(t, s);
  }

  private *destroySegmentAfterRecalls(t: Task, s: Segment): Co<number> {
    const owner = s.owner;
    while (owner.mmapReaders > 0) yield* this.sleep(t, owner.mmapWq, 'mmap_sem', () => this.mmapWhere(owner, s));
    return this.clearSegment(t, s);
  }

  private clearSegment(t: Task, s: Segment): number {
    const c = this.permits.cols, ac = this.atts.cols;
    for (let p = this.segmentPermits[s.index]; p !== NONE; p = c.nextOfSeg[p]) {
      for (let a = c.firstAtt[p]; a !== NONE; a = ac.next[a]) {
        t.due += this.zapTime(a);
        ac.pageLo[a] = ac.pageHi[a] = 0;
      }
    }
    s.state = DESTROYED;
    const own = s.owner.segments;
    own.splice(own.indexOf(s), 1);
    return 0;
  }

  private zapTime(a: number): number {
    const ac = this.atts.cols;
    return (ac.pageHi[a] - ac.pageLo[a]) * this.opts.costs.pteClear + this.opts.costs.tlbFlush;
  }

  /** Whether unmapping a must first recall its PFNs from the owner: a GRU-addressable attachment. */
  private recalls(a: number): boolean {
    return this.atts.cols.gru[a] === 1 && this.segments[this.permits.cols.seg[this.atts.cols.permit[a]]].owner.state !== DESTROYED;
  }

  /**
   * xpmem_recall_PFNs on the owner, its mmap_sem borrowed; the zap of the extended VMA re-enters
   * the callout for the GRU-space range, which sleeps while the owner has other recalls if one
   * of its segments overlaps that range.
   */
  private *recallAndUnmap(t: Task, a: number): Co<number> {
    const ac = this.atts.cols;
    const owner = this.segments[this.permits.cols.seg[ac.permit[a]]].owner;
    const gruStart = GRU_BASE + ac.offset[a], size = ac.size[a];
    this.stats.recalls++;
    owner.nActiveRecalls++;
    owner.mmapReaders++;
    owner.recallers.push(t);
    yield t.pay() + this.zapTime(a);
    if (this.overlapsSegment(owner, gruStart, size)) {
      while (owner.nActiveRecalls > 1) {
        this.stats.recallWaits++;
        yield* this.sleep(t, owner.recallWq, 'recall', () => this.recallWhere(owner, t, gruStart, size));
      }
    }
    owner.nActiveRecalls--;
    owner.mmapReaders--;
    const rs = owner.recallers;
    rs[rs.indexOf(t)] = rs[rs.length - 1];
    rs.pop();
    owner.recallWq.wakeAll();
    if (owner.mmapReaders === 0) owner.mmapWq.wakeAll();
    return this.unmap(t, a, true);
  }

  /** Removes attachment a; `zapped`: a recall already cleared (and paid for) its PTEs. */
  private unmap(t: Task, a: number, zapped: boolean): number {
    if (!zapped) t.due += this.zapTime(a);
    const ac = this.atts.cols;
    unlink(ac.next, ac.prev, this.permits.cols.firstAtt, ac.permit[a], a);
    this.atts.release(a);
    return 0;
  }

  private overlapsSegment(tg: ThreadGroup, start: number, size: number): boolean {
    const segs = tg.segments;
    for (let i = 0; i < segs.length; i++) if (start < segs[i].vaddr + segs[i].size && segs[i].vaddr < start + size) return true;
    return false;
  }

  /** An uninterruptible sleep, watched as khungtaskd would: still asleep after the timeout is a hang. */
  private *sleep(t: Task, wq: WaitQueue, kind: 'recall' | 'mmap_sem', where: () => string): Co {
    const id = ++this.blocks;
    t.blocked = id;
    this.sleepers.set(t, { kind, where });
    this.sim.after(this.opts.hungTaskTimeout, () => {
      if (t.blocked === id) this.hungTasks();
    });
    yield wq;
    t.blocked = 0;
    this.sleepers.delete(t);
  }

  /** khungtaskd's report: every task asleep in XPMEM, each with what it waits on. */
  private hungTasks(): void {
    const secs = this.opts.hungTaskTimeout / 1e9;
    const sleepers = [...this.sleepers].sort(([a], [b]) => a.tg.tgid - b.tg.tgid);
    for (const [t, { where }] of sleepers) {
      this.sim.console.log(`INFO: task ${t.name}:${t.tg.tgid} blocked for more than ${secs} seconds.`);
      this.sim.console.log(`  ${where()}`);
    }
    const recall = sleepers.some(([, s]) => s.kind === 'recall');
    this.sim.fail({
      outcome: 'hang',
      class: 'hung-task',
      signature: recall
        ? 'hung task: recalls of one thread group deadlock in a nested invalidate_range_start for a GRU-space range (zap_xvma_ptes)'
        : 'hung task: down_write(mmap_sem) in xpmem_remove_seg waits on recalls that borrowed it',
    });
  }

  private recallWhere(owner: ThreadGroup, t: Task, gruStart: number, size: number): string {
    const segs = [...owner.segments].map((s) => `segid ${hex(s.segid)} [${hex(s.vaddr)}, +${hex(s.size)})`).join(', ');
    const others = owner.recallers.filter((r) => r !== t).map((r) => `${r.name} (tgid ${hex(r.tg.tgid)})`).join(', ');
    return `xpmem_recall_PFNs -> zap_xvma_ptes -> invalidate_range_start [${hex(gruStart)}, +${hex(size)}) of tg ${hex(owner.tgid)} (partition ${owner.partition}), overlapping ${segs}; n_active_recalls ${owner.nActiveRecalls}, the other recalls (mmap_sem borrowed): ${others}`;
  }

  private mmapWhere(owner: ThreadGroup, s: Segment): string {
    const holders = owner.recallers.map((r) => `${r.name} (tgid ${hex(r.tg.tgid)})`).join(', ');
    return `xpmem_remove_seg segid ${hex(s.segid)}: down_write(mmap_sem) of tg ${hex(owner.tgid)}, held for read by ${owner.mmapReaders} recall(s): ${holders}`;
  }
}

type Heads = Int32Array | number[];

/** Pushes slot s at the head of list `heads[h]`, kept in next/prev columns. */
function link(next: Int32Array, prev: Int32Array, heads: Heads, h: number, s: number): void {
  const first = heads[h];
  next[s] = first;
  prev[s] = NONE;
  if (first !== NONE) prev[first] = s;
  heads[h] = s;
}

function unlink(next: Int32Array, prev: Int32Array, heads: Heads, h: number, s: number): void {
  if (prev[s] !== NONE) next[prev[s]] = next[s];
  else heads[h] = next[s];
  if (next[s] !== NONE) prev[next[s]] = prev[s];
}
