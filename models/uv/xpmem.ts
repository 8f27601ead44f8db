// XPMEM on an SGI UV machine (SGI's 2008 driver, xpmem_make/remove/get/release/attach/detach in
// xpmem_main.c, xpmem_segment.c, xpmem_get.c, xpmem_attach.c; open-source openucx/xpmem for the
// errno of each check): thread groups, segments, access permits and attachments, each with an
// existence reference and DESTROYING/DESTROYED teardown. Ids are __s64, carried exactly as
// bigints; SGI's carry the partition, (partid << 48) | (uniq << 32) | tgid, printed in hex. A get
// or attach across partitions goes through XPC; with XPC down on the owner's partition a lookup
// returns EINVAL, as in the 2013 log.
//
// The invalidate path of SGI's 2013 driver (xpmem_mmu_notifier.c, xpmem_recall_PFNs): detaching a
// GRU-addressable attachment recalls its PFNs from the owner's thread group (n_active_recalls up,
// the owner's mmap_sem borrowed), then zap_xvma_ptes re-enters the invalidate callout for the
// extended VMA's GRU-space range. If one of the owner's segments overlaps that range - only a
// whole-address-space segment made without the TASK_SIZE clamp does - the nested callout sleeps
// until the owner's other recalls finish. Two such recalls at once wait on each other for ever.
// Calls return what the ioctl would: a value >= 0, or -errno.
import { failure } from '../../harness/registry.js';
import { HUNG_TASK, MMAP_SEM_HANG, RECALL_HANG } from '../../failures/uv.js';
import type { Co, Simulation, Step } from '../../harness/sim/simulation.js';
import { hex } from '../../harness/sim/console.js';
import { WaitQueue } from '../../harness/sim/sync.js';
import { grown, Records } from './records.js';

const PAGE = 4096;
/** The user address space on x86-64: TASK_SIZE = (1 << 47) - 4096. */
const TASK_SIZE = 2 ** 47 - PAGE;
/** (size_t)-1, the "whole address space" size every MPI library passes to xpmem_make. */
export const XPMEM_MAXADDR_SIZE = -1;
/** Where user virtual addresses in GRU space start. */
const GRU_BASE = 2 ** 48;
export const XPMEM_PERMIT_MODE = 1;
export const XPMEM_RDONLY = 0x1;
export const XPMEM_RDWR = 0x2;
/** XPMEM_MAX_UNIQ_ID: SGI's uniq is an unsigned short, (1 << 16) - 1 (xpmem_private.h, 2008);
 *  v2.7.4's an unsigned int capped at INT_MAX >> 1 (kernel/xpmem_private.h). */
const MAX_UNIQ = { sgi: 2 ** 16 - 1, 'openucx-2.7.4': 2 ** 30 - 1 };
/** XP_MAX_NPARTITIONS_UV (drivers/misc/sgi-xp/xp.h): a UV machine has at most 256 partitions. */
export const MAX_PARTITIONS = 256;

/** A segid or apid: __s64 in both drivers, so a bigint, exact where a double is not (any partid
 *  above 31, or the sign bit set). */
export type Id = bigint;
/** A call that returns an id returns -errno on failure, as a bigint too. */
const fails = (errno: number): Id => BigInt(-errno);
/**
 * struct xpmem_id laid over an __s64, as the drivers cast one to the other (little-endian, as on
 * x86-64): the tgid (a pid_t) at byte 0; then SGI's uniq (an unsigned short) at 4 and partid (a
 * short) at 6, or v2.7.4's uniq (an unsigned int) at 4. Eight scratch bytes, so that taking an id
 * apart makes no bigints.
 */
const xpmemId = new DataView(new ArrayBuffer(8));
const idFields = (id: Id): DataView => (xpmemId.setBigInt64(0, id, true), xpmemId);

export const ENOENT = 2;
export const ENOMEM = 12;
export const EACCES = 13;
export const EFAULT = 14;
export const EBUSY = 16;
export const EINVAL = 22;
export const EREMOTE = 66;
/** Not errnos: the task died of SIGBUS, SIGKILL or SIGSEGV, shown as a shell shows death by
 *  signal 7, 9 or 11. */
export const SIGBUS = 135;
export const SIGKILL = 137;
export const SIGSEGV = 139;
export const ERRNO: Record<string, number> = { ENOENT, ENOMEM, EACCES, EFAULT, EBUSY, EINVAL, EREMOTE, SIGBUS, SIGKILL, SIGSEGV };
const NAMES = new Map(Object.entries(ERRNO).map(([k, v]) => [v, k]));

/** A call's result as the tests and logs show it: an id or address in hex, or the errno name. */
export function shown(r: number | bigint): string {
  return r < 0 ? (NAMES.get(-Number(r)) ?? `-${-r}`) : hex(r);
}

/** A call that may sleep: its result when it finished at once, or the rest of it to run with yield*. */
export type MaySleep = number | Iterable<Step, number, unknown>;

/** Ranges less [vaddr, vaddr + size): those it overlaps are cut, as munmap splits a vma. */
function without(ranges: { vaddr: number; size: number }[], vaddr: number, size: number): { vaddr: number; size: number }[] {
  const end = vaddr + size;
  return ranges.flatMap((r) => {
    const rEnd = r.vaddr + r.size;
    if (rEnd <= vaddr || r.vaddr >= end) return [r];
    return [...(r.vaddr < vaddr ? [{ vaddr: r.vaddr, size: vaddr - r.vaddr }] : []), ...(rEnd > end ? [{ vaddr: end, size: rEnd - end }] : [])];
  });
}

export function* settle(r: MaySleep): Co<number> {
  return typeof r === 'number' ? r : yield* r;
}

/** A thread group's, segment's or permit's state: in use, being torn down, gone. */
export const LIVE = 0, DESTROYING = 1, DESTROYED = 2;
type State = typeof LIVE | typeof DESTROYING | typeof DESTROYED;
export const NONE = -1;

export interface ThreadGroup {
  index: number;
  tgid: number;
  partition: number;
  uid: number;
  gid: number;
  state: State;
  /** The last uniq of a segid and of an apid: two counters, so a segid and an apid may be equal
   *  (uniq_segid and uniq_apid of struct xpmem_thread_group, both drivers). */
  segUniq: number;
  apUniq: number;
  /**
   * apid uniq -> permit slot + 1; 0 once the permit is gone or not yet made. A typed array grown
   * by doubling, so its store lies outside the JS heap: thousands of ids per rank in JS arrays
   * were copied by the garbage collector as they grew.
   */
  apids: Int32Array;
  /** Its live segments: xpmem_seg_ref_by_segid walks this list comparing whole segids. */
  segments: Segment[];
  /** No segment it ever made reaches past this address: most overlap checks stop here. */
  segmentsEnd: number;
  /** Ordinary (non-XPMEM) mappings; XPMEM mappings inherited from a parent at fork. */
  mappings: { vaddr: number; size: number }[];
  /** Ranges it munmapped and has not mapped again: where its segments have no pages left. */
  unmapped: { vaddr: number; size: number }[];
  inherited: number[];
  nextVaddr: number;
  /** Its threads. */
  tasks: Task[];
  /** The recall state of SGI's driver, and mmap_sem as far as recalls borrow it. */
  nActiveRecalls: number;
  /** Tasks asleep on its recall or mmap_sem wait queue: a finished recall wakes them only if any. */
  asleep: number;
  recallWq: WaitQueue;
  mmapReaders: number;
  mmapWq: WaitQueue;
}

export interface Segment {
  index: number;
  segid: Id;
  owner: ThreadGroup;
  vaddr: number;
  size: number;
  mode: number;
  state: State;
  /**
   * Live attachments of this segment and their populated pages, kept as sums: removal charges
   * their zap without walking them, and a segment no longer LIVE makes each of them empty.
   */
  attachments: number;
  pages: number;
}

interface Recall extends Iterator<Step, number, unknown>, Iterable<Step, number, unknown> {
  start(a: number, owner: ThreadGroup): Recall;
}

/** A thread of a thread group, running on one CPU; what it spends is paid at its next yield. */
export class Task {
  due = 0;
  /** Non-zero while blocked in the kernel: which block, for the hung-task check. */
  blocked = 0;
  /** This task's recall in progress (a task makes one call at a time, so one is reused). */
  recall?: Recall;
  /** Whose PFNs it is recalling, its mmap_sem borrowed; null when none. The hung-task report
   *  finds the recallers of a thread group from this: no list to keep on every recall. */
  recalling: ThreadGroup | null = null;
  constructor(readonly tg: ThreadGroup, readonly name: string, readonly cpu: number) {
    tg.tasks.push(this);
  }
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

/** The driver whose checks the model makes where the two differ: SGI's (the 2008 posting to
 *  linux-mm, drivers/misc/xp, and its descendants: partitions, XPC, the partition in every id) or
 *  the open-source openucx/xpmem v2.7.4 (kernel/, one kernel's thread groups). */
export type XpmemDriver = 'sgi' | 'openucx-2.7.4';

export interface XpmemOptions {
  driver: XpmemDriver;
  /** kernel.xpmemMaxaddrClamp: XPMEM_MAXADDR_SIZE means TASK_SIZE (the 2013 fix), or all of it. */
  maxaddrClamp: boolean;
  costs: XpmemCosts;
  /** khungtaskd's hung_task_timeout_secs, in ns. */
  hungTaskTimeout: number;
}

/** Field offsets of a permit record (Int32Array) and an attachment record (Float64Array). */
const P_HOLDER = 0, P_SEG = 1, P_UNIQ = 2, P_FLAGS = 3, P_STATE = 4, P_FIRST_ATT = 5;
const PW = 6;
// A_PERMIT_GRU holds permit * 2 + (1 if GRU-addressable): eight doubles, one cache line.
const A_PERMIT_GRU = 0, A_VADDR = 1, A_SIZE = 2, A_OFFSET = 3, A_PAGE_LO = 4, A_PAGE_HI = 5, A_NEXT = 6, A_PREV = 7;
const AW = 8;

export class Xpmem {
  private tgs: ThreadGroup[] = [];
  /** Thread groups by tgid: pids are small numbers, so an array. */
  private byTgid: (ThreadGroup | undefined)[] = [];
  private segments: Segment[] = [];
  private readonly permits = new Records((n) => new Int32Array(n), PW);
  private readonly atts = new Records((n) => new Float64Array(n), AW);
  private blocks = 0;
  private sleepers = new Map<Task, { kind: 'recall' | 'mmap_sem'; where: () => string }>();
  readonly stats = { recalls: 0, recallWaits: 0 };
  /** Calls made so far, and a callback when they reach `watchOps` (for faults "after N calls"). */
  ops = 0;
  watchOps = Infinity;
  onOps?: () => void;
  /** The slot of the last successful attach: the mapping a library keeps in its cache. */
  lastAttachment = NONE;

  /** Partitions whose XPC is not running (1), by partition number. */
  private readonly xpcDown = new Uint8Array(MAX_PARTITIONS);

  /** SGI's driver's checks, where the two drivers differ; openucx/xpmem v2.7.4's otherwise. */
  private readonly sgi: boolean;

  constructor(private readonly sim: Simulation, private readonly opts: XpmemOptions) {
    this.sgi = opts.driver === 'sgi';
  }

  /** Starts or stops XPC on a partition: lookups there from other partitions fail while it is down. */
  setXpc(partition: number, up: boolean): void {
    this.xpcDown[partition] = up ? 0 : 1;
  }

  open(tgid: number, partition: number, uid = 1000, gid = 1000): ThreadGroup {
    const tg: ThreadGroup = {
      index: this.tgs.length,
      tgid, partition, uid, gid, state: LIVE, segUniq: 0, apUniq: 0, apids: new Int32Array(16), segments: [], segmentsEnd: 0, mappings: [], unmapped: [], inherited: [], nextVaddr: 2 ** 40,
      tasks: [], nActiveRecalls: 0, asleep: 0, recallWq: new WaitQueue(this.sim, `recall of tg ${hex(tgid)}`), mmapReaders: 0, mmapWq: new WaitQueue(this.sim, `mmap_sem of tg ${hex(tgid)}`),
    };
    this.tgs.push(tg);
    this.byTgid[tgid] = tg;
    return tg;
  }

  /** Room for this many more permits and attachments, for callers that know how many they will make. */
  reserve(permits: number, attachments: number): void {
    this.permits.reserve(permits);
    this.atts.reserve(attachments);
  }

  /** fork(): the child sees the parent's attachments, which stay the parent's. */
  fork(parent: ThreadGroup, childTgid: number): ThreadGroup {
    const child = this.open(childTgid, parent.partition, parent.uid, parent.gid);
    const own: number[] = [];
    this.eachAttachment(parent, (a) => own.push(a));
    child.inherited = [...own, ...parent.inherited];
    child.mappings = [...parent.mappings];
    child.unmapped = [...parent.unmapped];
    return child;
  }

  /** mmap of anonymous memory at vaddr, or where the kernel places it when vaddr is 0 (NULL):
   *  the address it is mapped at. */
  mmap(tg: ThreadGroup, vaddr: number, size: number): number {
    const at = vaddr === 0 ? this.unmappedArea(tg, Math.ceil(size / PAGE) * PAGE) : vaddr;
    tg.mappings.push({ vaddr: at, size });
    tg.unmapped = without(tg.unmapped, at, size);
    return at;
  }

  /**
   * munmap(vaddr, size) outside the XPMEM API. Of any part of an attachment: xpmem_close_handler
   * fixes the attachment up and kills the thread group, force_sig(SIGKILL) (kernel/xpmem_attach.c,
   * v2.7.4). Of the owner's own memory under a segment: the pages are gone, and the MMU notifier
   * has zapped the attachers' PTEs, so their next touch faults and cannot get the source page:
   * SIGBUS (xpmem_fault_handler).
   */
  *munmap(t: Task, vaddr: number, size: number): Co<number> {
    this.enter(t);
    const tg = t.tg;
    // do_munmap (mm/mmap.c): a start that is not page-aligned, or no length, is EINVAL
    if (vaddr % PAGE !== 0 || size <= 0) return -EINVAL;
    const bytes = Math.ceil(size / PAGE) * PAGE;
    if (this.findAttachment(tg, vaddr, bytes) !== NONE) {
      yield* this.exit(t);
      return -SIGKILL;
    }
    tg.mappings = without(tg.mappings, vaddr, bytes);
    tg.unmapped.push({ vaddr, size: bytes });
    return 0;
  }

  /** get_unmapped_area: the next free range of the thread group's address space, a guard page
   *  after it, for an mmap or an attach that leaves the address to the kernel. */
  private unmappedArea(tg: ThreadGroup, bytes: number): number {
    const at = tg.nextVaddr;
    tg.nextVaddr = at + bytes + PAGE;
    return at;
  }

  private enter(t: Task): void {
    t.due += this.opts.costs.syscall;
    if (++this.ops === this.watchOps) this.onOps!();
  }

  /** xpmem_make_segid / xpmem_make_apid: the next uniq of its kind, EBUSY past XPMEM_MAX_UNIQ_ID. */
  private newId(tg: ThreadGroup, uniq: number): Id {
    if (uniq > MAX_UNIQ[this.opts.driver]) return fails(EBUSY);
    // struct xpmem_id: SGI's driver packs the partition above uniq and tgid; v2.7.4 has none
    xpmemId.setInt32(0, tg.tgid, true);
    if (this.sgi) {
      xpmemId.setUint16(4, uniq, true);
      xpmemId.setInt16(6, tg.partition, true);
    } else xpmemId.setUint32(4, uniq, true);
    return xpmemId.getBigInt64(0, true);
  }

  /** The thread group an id names, as the driver finds it (xpmem_tg_ref_by_segid/apid), or the errno. */
  private tgOf(t: Task, id: Id): ThreadGroup | number {
    const f = idFields(id);
    const tgid = f.getInt32(0, true);
    const tg = tgid > 0 ? this.byTgid[tgid] : undefined;
    // kernel/xpmem_misc.c xpmem_tg_ref_by_tgid (v2.7.4): this kernel's thread groups only
    if (!this.sgi) return tg && tg.partition === t.tg.partition && tg.state === LIVE ? tg : -ENOENT;
    // drivers/misc/xp/xpmem_misc.c xpmem_tg_ref_by_segid (2008): partid, the top short, out of range is EINVAL
    const partid = f.getInt16(6, true);
    if (partid < 0 || partid >= MAX_PARTITIONS) return -EINVAL;
    // the same: XPMEM_FLAG_UNINITIALIZED, a partition whose XPC is not up, is EINVAL
    if (this.remoteDown(t, partid)) return -EINVAL;
    // xpmem_tg_ref_by_tgid (2008): none, or one being destroyed: ENOENT here, EREMOTE elsewhere
    if (!tg || tg.partition !== partid || tg.state !== LIVE) return partid === t.tg.partition ? -ENOENT : -EREMOTE;
    return tg;
  }

  /** xpmem_seg_ref_by_segid (both drivers): the tg's segment whose segid is this one, whole. */
  private segmentOf(tg: ThreadGroup, segid: Id): Segment | undefined {
    for (const s of tg.segments) if (s.segid === segid) return s;
    return undefined;
  }

  /** xpmem_ap_ref_by_apid (both drivers): the permit hashed by the apid's uniq whose apid is this
   *  one; the tgid and partid already named tg, so the uniq is the rest of it. */
  private permitOf(tg: ThreadGroup, apid: Id): number {
    const f = idFields(apid);
    const uniq = this.sgi ? f.getUint16(4, true) : f.getUint32(4, true);
    return uniq <= tg.apUniq && tg.apids[uniq] > 0 ? tg.apids[uniq] - 1 : NONE;
  }

  /** A lookup in another partition needs XPC running there (EINVAL otherwise, as in the 2008 driver). */
  private remoteDown(t: Task, partition: number): boolean {
    if (partition === t.tg.partition) return false;
    t.due += this.opts.costs.xpcRoundTrip;
    return this.xpcDown[partition] === 1;
  }

  /** The segid, or -errno. */
  make(t: Task, vaddr: number, size: number, permitType: number, mode: number): Id {
    this.enter(t);
    // xpmem_make (kernel/xpmem_make.c:59; the 2008 driver's is the same): permit type and mode bits
    if (permitType !== XPMEM_PERMIT_MODE || (mode & ~0o777) !== 0) return fails(EINVAL);
    // :60 size 0; :70 past addr_limit, where XPMEM_MAXADDR_SIZE is cut to it from vaddr 0 only
    // (from any other vaddr the sum wraps below it, the size stays uncut and fails :82); :82 alignment
    let bytes = size;
    if (size === XPMEM_MAXADDR_SIZE) {
      if (vaddr !== 0) return fails(EINVAL);
      // Unclamped, the segment reaches past user space into GRU space (1 << 48 and up).
      bytes = this.opts.maxaddrClamp ? TASK_SIZE : 2 ** 64;
    } else if (bytes <= 0 || vaddr % PAGE !== 0 || bytes % PAGE !== 0 || vaddr + bytes > TASK_SIZE) return fails(EINVAL);
    const tg = t.tg;
    const segid = this.newId(tg, tg.segUniq + 1);
    if (segid < 0n) return segid;
    tg.segUniq++;
    const seg: Segment = { index: this.segments.length, segid, owner: tg, vaddr, size: bytes, mode, state: LIVE, attachments: 0, pages: 0 };
    this.segments.push(seg);
    tg.segments.push(seg);
    tg.segmentsEnd = Math.max(tg.segmentsEnd, vaddr + bytes);
    return segid;
  }

  remove(t: Task, segid: Id): MaySleep {
    this.enter(t);
    // xpmem_remove (kernel/xpmem_make.c:200, v2.7.4): segid <= 0; SGI's 2008 driver has no such check
    if (!this.sgi && segid <= 0n) return -EINVAL;
    const owner = this.tgOf(t, segid);
    if (typeof owner === 'number') return owner;
    // current->tgid != seg_tg->tgid, before the segment is looked up (both drivers)
    if (owner !== t.tg) return -EACCES;
    // xpmem_seg_ref_by_segid: none, or one being destroyed
    const seg = this.segmentOf(owner, segid);
    if (!seg || seg.state !== LIVE) return -ENOENT;
    return this.destroySegment(t, seg);
  }

  /** The apid, or -errno. */
  get(t: Task, segid: Id, flags: number, permitType: number, permitValue: unknown): Id {
    this.enter(t);
    // xpmem_get (kernel/xpmem_get.c:107, v2.7.4): segid <= 0; SGI's 2008 driver has no such check
    if (!this.sgi && segid <= 0n) return fails(EINVAL);
    // both: unknown flag bits, or RDONLY and RDWR together; then the permit
    if ((flags & ~(XPMEM_RDONLY | XPMEM_RDWR)) !== 0 || flags === (XPMEM_RDONLY | XPMEM_RDWR)) return fails(EINVAL);
    if (permitType !== XPMEM_PERMIT_MODE || permitValue != null) return fails(EINVAL);
    const owner = this.tgOf(t, segid);
    // SGI's 2008 xpmem_get turns the lookup's EREMOTE into ENOENT
    if (typeof owner === 'number') return fails(owner === -EREMOTE ? ENOENT : -owner);
    const seg = this.segmentOf(owner, segid);
    if (!seg || seg.state !== LIVE) return fails(ENOENT);
    const tg = t.tg;
    if (!this.permitted(tg, seg, flags)) return fails(EACCES);
    const uniq = tg.apUniq + 1;
    const apid = this.newId(tg, uniq);
    if (apid < 0n) return apid;
    tg.apUniq = uniq;
    const p = this.permits.alloc(tg.index);
    if (uniq === tg.apids.length) tg.apids = grown(tg.apids, 2 * uniq);
    tg.apids[uniq] = p + 1;
    const c = this.permits.data;
    c[p * PW + P_UNIQ] = uniq;
    c[p * PW + P_HOLDER] = tg.index;
    c[p * PW + P_SEG] = seg.index;
    c[p * PW + P_FLAGS] = flags;
    c[p * PW + P_STATE] = LIVE;
    c[p * PW + P_FIRST_ATT] = NONE;
    return apid;
  }

  release(t: Task, apid: Id): MaySleep {
    this.enter(t);
    // xpmem_release (kernel/xpmem_get.c:313, v2.7.4): apid <= 0; SGI's 2008 driver has no such check
    if (!this.sgi && apid <= 0n) return -EINVAL;
    // xpmem_tg_ref_by_apid: the holder's thread group, named by the apid
    const holder = this.tgOf(t, apid);
    if (typeof holder === 'number') return holder;
    // current->tgid != ap_tg->tgid, before the permit is looked up (both drivers)
    if (holder !== t.tg) return -EACCES;
    // xpmem_ap_ref_by_apid: no such permit, or one being released
    const p = this.permitOf(holder, apid);
    if (p === NONE || this.permits.data[p * PW + P_STATE] !== LIVE) return -ENOENT;
    return this.destroyPermit(t, p);
  }

  /** The attached address. gru: map it GRU-addressable (a cross-partition attach always is). */
  attach(t: Task, apid: Id, offset: number, size: number, vaddr: number, gru = false): number {
    this.enter(t);
    if (this.sgi) {
      // xpmem_attach (drivers/misc/xp/xpmem_attach.c, 2008): offset and size page aligned (a size
      // is not rounded up), then a fixed vaddr aligned and its range below TASK_SIZE
      if (offset % PAGE !== 0 || size % PAGE !== 0) return -EINVAL;
      if (vaddr !== 0 && (vaddr % PAGE !== 0 || vaddr + size > TASK_SIZE)) return -EINVAL;
    } else {
      // xpmem_attach (kernel/xpmem_attach.c:470, v2.7.4): apid <= 0; a fixed address's page must
      // end below TASK_SIZE (the last page is refused); vaddr and offset aligned
      if (apid <= 0n) return -EINVAL;
      if (vaddr !== 0 && vaddr + PAGE - (vaddr % PAGE) >= TASK_SIZE) return -EINVAL;
      if (vaddr % PAGE !== 0 || offset % PAGE !== 0) return -EINVAL;
    }
    // v2.7.4 rounds an unaligned size up to whole pages
    const bytes = Math.ceil(size / PAGE) * PAGE;
    // xpmem_tg_ref_by_apid, then xpmem_ap_ref_by_apid: no such permit, or one being released
    const holder = this.tgOf(t, apid);
    if (typeof holder === 'number') return holder;
    const p = this.permitOf(holder, apid);
    const c = this.permits.data;
    if (p === NONE || c[p * PW + P_STATE] !== LIVE) return -ENOENT;
    const tg = t.tg;
    // xpmem_seg_down_read: the segment or its owner being torn down
    const seg = this.segments[c[p * PW + P_SEG]];
    if (seg.state !== LIVE || seg.owner.state !== LIVE) return -ENOENT;
    // SGI's 2008 driver: XPC carries a cross-partition attach
    const cross = seg.owner.partition !== tg.partition;
    if (cross && this.remoteDown(t, seg.owner.partition)) return -EINVAL;
    // xpmem_validate_access (kernel/xpmem_misc.c): another's permit, or a read-only one (attach
    // always asks for read/write); no size, or a window past the segment's end
    if (c[p * PW + P_HOLDER] !== tg.index || c[p * PW + P_FLAGS] === XPMEM_RDONLY) return -EACCES;
    if (offset < 0 || bytes === 0 || offset + bytes > seg.size) return -EINVAL;
    let at = vaddr;
    if (at === 0) at = this.unmappedArea(tg, bytes);
    else {
      // its own memory on top of itself: the attached window overlaps where it comes from
      const from = seg.vaddr + offset;
      if (seg.owner === tg && at + bytes > from && at < from + bytes) return -EINVAL;
      // MAP_FIXED onto an XPMEM vma: EINVAL in v2.7.4 (kernel/xpmem_attach.c:569), ENOMEM in 2008
      if (this.findAttachment(tg, at, bytes) !== NONE) return this.sgi ? -ENOMEM : -EINVAL;
      // vm_mmap -> get_unmapped_area: a fixed range that ends past TASK_SIZE
      if (at + bytes > TASK_SIZE) return -ENOMEM;
    }
    const a = this.atts.alloc(tg.index);
    const ac = this.atts.data;
    ac[a * AW + A_PERMIT_GRU] = p * 2 + (gru || cross ? 1 : 0);
    ac[a * AW + A_VADDR] = at;
    ac[a * AW + A_SIZE] = bytes;
    ac[a * AW + A_OFFSET] = offset;
    ac[a * AW + A_PAGE_LO] = ac[a * AW + A_PAGE_HI] = 0;
    link(ac, AW, A_NEXT, A_PREV, c, p * PW + P_FIRST_ATT, a);
    seg.attachments++;
    this.lastAttachment = a;
    return at;
  }

  /** Detaches what is mapped at vaddr; `hint` is the attachment the caller believes it is. */
  detach(t: Task, vaddr: number, hint = NONE): MaySleep {
    this.enter(t);
    const tg = t.tg;
    const a = hint !== NONE && this.holderOf(hint) === tg && this.covers(hint, vaddr) ? hint : this.findAttachment(tg, vaddr, 1);
    if (a !== NONE) return this.recalls(a) ? this.recall(t, a) : this.unmap(t, a, false);
    const ac = this.atts.data;
    if (tg.inherited.some((h) => vaddr >= ac[h * AW + A_VADDR] && vaddr < ac[h * AW + A_VADDR] + ac[h * AW + A_SIZE])) return -EACCES;
    if (tg.mappings.some((x) => vaddr >= x.vaddr && vaddr < x.vaddr + x.size)) return -EINVAL;
    // no vma at vaddr: 0 in v2.7.4 (kernel/xpmem_attach.c:640), ENOENT in SGI's 2008 xpmem_detach
    return this.sgi ? -ENOENT : 0;
  }

  /** Where attachment a is mapped. */
  vaddrOf(a: number): number {
    return this.atts.data[a * AW + A_VADDR];
  }

  /** A load or store at vaddr: SIGBUS through an attachment whose segment is gone, or in a hole;
   *  SIGSEGV where no vma maps vaddr at all, as after a detach or a release, whose
   *  xpmem_detach_att unmaps the attachment (vm_munmap, kernel/xpmem_attach.c, v2.7.4). */
  touch(t: Task, vaddr: number): number {
    let a = this.findAttachment(t.tg, vaddr, 1);
    if (a === NONE) a = t.tg.inherited.find((h) => this.covers(h, vaddr)) ?? NONE;
    // the kernel's page fault handler: no vma here is bad_area, SIGSEGV
    if (a === NONE) return t.tg.mappings.some((x) => vaddr >= x.vaddr && vaddr < x.vaddr + x.size) ? 0 : -SIGSEGV;
    return this.touchAttachment(t, a, vaddr - this.atts.data[a * AW + A_VADDR], 1);
  }

  /** Loads or stores bytes at offset into attachment a: first touches fault the pages in. */
  touchAttachment(t: Task, a: number, offset: number, bytes: number): number {
    const ac = this.atts.data;
    const seg = this.segmentOfAttachment(a);
    if (seg.state !== LIVE) return -SIGBUS;
    // xpmem_fault_handler: a source page the owner unmapped cannot be got
    const holes = seg.owner.unmapped;
    if (holes.length) {
      const src = seg.vaddr + ac[a * AW + A_OFFSET] + offset;
      if (holes.some((u) => src < u.vaddr + u.size && u.vaddr < src + bytes)) return -SIGBUS;
    }
    const lo = Math.floor(offset / PAGE), hi = Math.min(ac[a * AW + A_SIZE] / PAGE, Math.ceil((offset + bytes) / PAGE));
    const pLo = ac[a * AW + A_PAGE_LO], pHi = ac[a * AW + A_PAGE_HI];
    // Pages outside the populated span fault in; the span grows to cover both.
    const faulted = pHi === pLo ? hi - lo : hi - lo - Math.max(0, Math.min(hi, pHi) - Math.max(lo, pLo));
    if (faulted > 0) {
      t.due += faulted * this.opts.costs.pageFault;
      const nLo = pHi === pLo ? lo : Math.min(lo, pLo), nHi = Math.max(hi, pHi);
      seg.pages += nHi - nLo - (pHi - pLo);
      ac[a * AW + A_PAGE_LO] = nLo;
      ac[a * AW + A_PAGE_HI] = nHi;
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
    for (const p of this.permitsOf(tg)) yield* settle(this.destroyPermit(t, p));
    for (const s of [...tg.segments]) yield* settle(this.destroySegment(t, s));
    tg.state = DESTROYED;
  }

  private holderOf(a: number): ThreadGroup | undefined {
    return this.tgs[this.permits.data[this.permitOfAttachment(a) * PW + P_HOLDER]];
  }

  private covers(a: number, vaddr: number): boolean {
    const ac = this.atts.data;
    return vaddr >= ac[a * AW + A_VADDR] && vaddr < ac[a * AW + A_VADDR] + ac[a * AW + A_SIZE];
  }

  private eachAttachment(tg: ThreadGroup, fn: (a: number) => void): void {
    const c = this.permits.data, ac = this.atts.data;
    for (const p of this.permitsOf(tg)) for (let a = c[p * PW + P_FIRST_ATT]; a !== NONE; a = ac[a * AW + A_NEXT]) fn(a);
  }

  /** The tg's live permits, oldest first, from its id table (a list per holder would cost every
   * get and release; this is only for exit, fork and lookups by address). */
  private permitsOf(tg: ThreadGroup): number[] {
    const out: number[] = [];
    const c = this.permits.data;
    for (let u = 1; u <= tg.apUniq; u++) {
      const h = tg.apids[u];
      if (h > 0 && c[(h - 1) * PW + P_STATE] === LIVE) out.push(h - 1);
    }
    return out;
  }

  /** The tg's attachment overlapping [vaddr, vaddr + bytes), by walking its permits. */
  private findAttachment(tg: ThreadGroup, vaddr: number, bytes: number): number {
    const c = this.permits.data, ac = this.atts.data;
    for (const p of this.permitsOf(tg)) {
      for (let a = c[p * PW + P_FIRST_ATT]; a !== NONE; a = ac[a * AW + A_NEXT]) if (vaddr < ac[a * AW + A_VADDR] + ac[a * AW + A_SIZE] && ac[a * AW + A_VADDR] < vaddr + bytes) return a;
    }
    return NONE;
  }

  private permitted(tg: ThreadGroup, seg: Segment, flags: number): boolean {
    if (tg.uid === 0) return true;
    const bits = tg.uid === seg.owner.uid ? (seg.mode >> 6) & 7 : tg.gid === seg.owner.gid ? (seg.mode >> 3) & 7 : seg.mode & 7;
    // xpmem_check_permit_mode (kernel/xpmem_get.c): read always, write only for XPMEM_RDWR
    const want = flags & XPMEM_RDWR ? 6 : 4;
    return (bits & want) === want;
  }

  /** Permit teardown: its attachments unmapped (at once, until one needs a recall), then freed. */
  private destroyPermit(t: Task, p: number): MaySleep {
    this.permits.data[p * PW + P_STATE] = DESTROYING;
    return this.unmapQuick(t, p) === NONE ? this.freePermit(p) : this.destroyPermitRecalling(t, p);
  }

  private *destroyPermitRecalling(t: Task, p: number): Co<number> {
    for (let a = this.permits.data[p * PW + P_FIRST_ATT]; a !== NONE; a = this.unmapQuick(t, p)) yield* this.recall(t, a);
    return this.freePermit(p);
  }

  /** Unmaps p's attachments while none needs a recall; returns the first that does, or NONE. */
  private unmapQuick(t: Task, p: number): number {
    let a: number;
    // Columns are read afresh each time: a yield elsewhere may have let another task grow them.
    while ((a = this.permits.data[p * PW + P_FIRST_ATT]) !== NONE && !this.recalls(a)) this.unmap(t, a, false);
    return a;
  }

  private freePermit(p: number): number {
    const c = this.permits.data;
    c[p * PW + P_STATE] = DESTROYED;
    const holder = this.tgs[c[p * PW + P_HOLDER]];
    holder.apids[c[p * PW + P_UNIQ]] = 0;
    this.permits.release(p, holder.index);
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
    while (owner.mmapReaders > 0) yield* this.sleep(t, owner, owner.mmapWq, 'mmap_sem', () => this.mmapWhere(owner, s));
    return this.clearSegment(t, s);
  }

  private clearSegment(t: Task, s: Segment): number {
    t.due += s.pages * this.opts.costs.pteClear + s.attachments * this.opts.costs.tlbFlush;
    s.state = DESTROYED;
    const own = s.owner.segments;
    own.splice(own.indexOf(s), 1);
    return 0;
  }

  /** Populated pages of attachment a: none once its segment's removal has cleared them. */
  private pagesOf(a: number): number {
    const ac = this.atts.data;
    return this.segmentOfAttachment(a).state === LIVE ? ac[a * AW + A_PAGE_HI] - ac[a * AW + A_PAGE_LO] : 0;
  }

  private zapTime(a: number): number {
    return this.pagesOf(a) * this.opts.costs.pteClear + this.opts.costs.tlbFlush;
  }

  private segmentOfAttachment(a: number): Segment {
    return this.segments[this.permits.data[this.permitOfAttachment(a) * PW + P_SEG]];
  }

  private permitOfAttachment(a: number): number {
    return this.atts.data[a * AW + A_PERMIT_GRU] >> 1;
  }

  /** Whether unmapping a must first recall its PFNs from the owner: a GRU-addressable attachment. */
  private recalls(a: number): boolean {
    return (this.atts.data[a * AW + A_PERMIT_GRU] & 1) === 1 && this.segmentOfAttachment(a).owner.state !== DESTROYED;
  }

  /**
   * xpmem_recall_PFNs on the owner, its mmap_sem borrowed; the zap of the extended VMA re-enters
   * the callout for the GRU-space range, which sleeps while the owner has other recalls if one
   * of its segments overlaps that range. Then the attachment is unmapped. Run it with yield*.
   */
  private recall(t: Task, a: number): Recall {
    const owner = this.segmentOfAttachment(a).owner;
    this.stats.recalls++;
    owner.nActiveRecalls++;
    owner.mmapReaders++;
    t.recalling = owner;
    return (t.recall ??= this.newRecall(t)).start(a, owner);
  }

  /**
   * The steps of a recall as an iterator, not a generator: a 1024-rank alltoall runs 770,000
   * recalls, and a generator each (frame, result objects) cost a quarter of the trial.
   */
  private newRecall(t: Task): Recall {
    const x = this;
    const res = { value: 0 as Step, done: false } as IteratorResult<Step, number>;
    let a = NONE, owner: ThreadGroup, phase = 0, nested: Co | undefined;
    const finish = (): IteratorResult<Step, number> => {
      owner.nActiveRecalls--;
      owner.mmapReaders--;
      t.recalling = null;
      if (owner.asleep > 0) {
        owner.recallWq.wakeAll();
        if (owner.mmapReaders === 0) owner.mmapWq.wakeAll();
      }
      res.done = true;
      res.value = x.unmap(t, a, true);
      return res;
    };
    const it: Recall = {
      start(att, o) {
        a = att;
        owner = o;
        phase = 0;
        return it;
      },
      next(v?: unknown) {
        if (phase === 0) {
          phase = 1;
          res.done = false;
          res.value = t.pay() + x.zapTime(a);
          return res;
        }
        if (phase === 1) {
          if (owner.nActiveRecalls === 1 || !x.overlapsGru(owner, a)) return finish();
          nested = x.nestedCallout(t, owner, a);
          phase = 2;
        }
        const r = nested!.next(v);
        return r.done ? finish() : r;
      },
      [Symbol.iterator]: () => it,
    };
    return it;
  }

  /** Whether one of the owner's segments overlaps the GRU-space range of attachment a's xvma. */
  private overlapsGru(owner: ThreadGroup, a: number): boolean {
    const ac = this.atts.data;
    return this.overlapsSegment(owner, GRU_BASE + ac[a * AW + A_OFFSET], ac[a * AW + A_SIZE]);
  }

  /** zap_xvma_ptes' callout for that range: it waits until the owner's other recalls finish. */
  private *nestedCallout(t: Task, owner: ThreadGroup, a: number): Co {
    const ac = this.atts.data;
    const gruStart = GRU_BASE + ac[a * AW + A_OFFSET], size = ac[a * AW + A_SIZE];
    while (owner.nActiveRecalls > 1) {
      this.stats.recallWaits++;
      yield* this.sleep(t, owner, owner.recallWq, 'recall', () => this.recallWhere(owner, t, gruStart, size));
    }
  }

  /** Removes attachment a; `zapped`: a recall already cleared (and paid for) its PTEs. */
  private unmap(t: Task, a: number, zapped: boolean): number {
    if (!zapped) t.due += this.zapTime(a);
    const seg = this.segmentOfAttachment(a);
    seg.pages -= this.pagesOf(a);
    seg.attachments--;
    const ac = this.atts.data, p = this.permitOfAttachment(a);
    unlink(ac, AW, A_NEXT, A_PREV, this.permits.data, p * PW + P_FIRST_ATT, a);
    this.atts.release(a, this.permits.data[p * PW + P_HOLDER]);
    return 0;
  }

  private overlapsSegment(tg: ThreadGroup, start: number, size: number): boolean {
    if (start >= tg.segmentsEnd) return false;
    const segs = tg.segments;
    for (let i = 0; i < segs.length; i++) if (start < segs[i].vaddr + segs[i].size && segs[i].vaddr < start + size) return true;
    return false;
  }

  /** An uninterruptible sleep, watched as khungtaskd would: still asleep after the timeout is a hang. */
  private *sleep(t: Task, owner: ThreadGroup, wq: WaitQueue, kind: 'recall' | 'mmap_sem', where: () => string): Co {
    const id = ++this.blocks;
    owner.asleep++;
    t.blocked = id;
    this.sleepers.set(t, { kind, where });
    this.sim.after(this.opts.hungTaskTimeout, () => {
      if (t.blocked === id) this.hungTasks();
    });
    yield wq;
    owner.asleep--;
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
    this.sim.fail(failure(HUNG_TASK, recall ? RECALL_HANG : MMAP_SEM_HANG));
  }

  private recallersOf(owner: ThreadGroup): Task[] {
    return this.tgs.flatMap((tg) => tg.tasks.filter((t) => t.recalling === owner));
  }

  private recallWhere(owner: ThreadGroup, t: Task, gruStart: number, size: number): string {
    const segs = [...owner.segments].map((s) => `segid ${hex(s.segid)} [${hex(s.vaddr)}, +${hex(s.size)})`).join(', ');
    const others = named(this.recallersOf(owner).filter((r) => r !== t));
    return `xpmem_recall_PFNs -> zap_xvma_ptes -> invalidate_range_start [${hex(gruStart)}, +${hex(size)}) of tg ${hex(owner.tgid)} (partition ${owner.partition}), overlapping ${segs}; n_active_recalls ${owner.nActiveRecalls}, the other recalls (mmap_sem borrowed): ${others}`;
  }

  private mmapWhere(owner: ThreadGroup, s: Segment): string {
    const holders = named(this.recallersOf(owner));
    return `xpmem_remove_seg segid ${hex(s.segid)}: down_write(mmap_sem) of tg ${hex(owner.tgid)}, held for read by ${owner.mmapReaders} recall(s): ${holders}`;
  }
}

/** Tasks as a hung-task report lists them: name and tgid. */
function named(tasks: Task[]): string {
  return tasks.map((r) => `${r.name} (tgid ${hex(r.tg.tgid)})`).join(', ');
}

type Heads = Int32Array | Float64Array | number[];

/** Pushes record s at the head of list heads[h]; its next/prev are fields of the records in d. */
function link(d: Int32Array | Float64Array, w: number, next: number, prev: number, heads: Heads, h: number, s: number): void {
  const first = heads[h];
  d[s * w + next] = first;
  d[s * w + prev] = NONE;
  if (first !== NONE) d[first * w + prev] = s;
  heads[h] = s;
}

function unlink(d: Int32Array | Float64Array, w: number, next: number, prev: number, heads: Heads, h: number, s: number): void {
  const n = d[s * w + next], p = d[s * w + prev];
  if (p !== NONE) d[p * w + next] = n;
  else heads[h] = n;
  if (n !== NONE) d[n * w + prev] = p;
}
