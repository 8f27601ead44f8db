// XPMEM on an SGI UV machine (SGI's 2008 driver, xpmem_make/remove/get/release/attach/detach in
// xpmem_main.c, xpmem_segment.c, xpmem_get.c, xpmem_attach.c; open-source openucx/xpmem for the
// errno of each check): thread groups, segments, access permits and attachments, each with an
// existence reference and DESTROYING/DESTROYED teardown. Ids carry the partition:
// (partid << 48) | (uniq << 32) | tgid, printed in hex. A get or attach across partitions goes
// through XPC; with XPC down on the owner's partition a lookup returns EINVAL, as in the 2013 log.

export const PAGE = 4096;
/** The user address space on x86-64: TASK_SIZE = (1 << 47) - 4096. */
export const TASK_SIZE = 2 ** 47 - PAGE;
/** (size_t)-1, the "whole address space" size every MPI library passes to xpmem_make. */
export const XPMEM_MAXADDR_SIZE = 2n ** 64n - 1n;
export const XPMEM_PERMIT_MODE = 1;
export const XPMEM_RDONLY = 0x1;
export const XPMEM_RDWR = 0x2;
const MAX_UNIQ = 65535;

export type Errno = 'EINVAL' | 'ENOENT' | 'EACCES' | 'EBUSY' | 'EFAULT' | 'SIGBUS';

/** A call's result: a value (segid, apid, address, 0) or an errno. */
export type Result = { ok: bigint } | { errno: Errno };

const ok = (v: bigint | number): Result => ({ ok: BigInt(v) });
const err = (errno: Errno): Result => ({ errno });

type State = 'live' | 'destroying' | 'destroyed';

export interface ThreadGroup {
  tgid: number;
  partition: number;
  uid: number;
  gid: number;
  state: State;
  segments: Set<Segment>;
  permits: Set<Permit>;
  /** Ordinary (non-XPMEM) mappings, and XPMEM mappings inherited from a parent at fork. */
  mappings: { vaddr: number; size: number }[];
  inherited: Attachment[];
}

export interface Segment {
  segid: bigint;
  owner: ThreadGroup;
  vaddr: number;
  size: number;
  mode: number;
  state: State;
}

export interface Permit {
  apid: bigint;
  holder: ThreadGroup;
  segment: Segment;
  flags: number;
  state: State;
  attachments: Set<Attachment>;
}

export interface Attachment {
  permit: Permit;
  vaddr: number;
  size: number;
  offset: number;
}

export interface XpmemOptions {
  /** kernel.xpmemMaxaddrClamp: XPMEM_MAXADDR_SIZE means TASK_SIZE (the 2013 fix), or all of it. */
  maxaddrClamp: boolean;
  /** Whether XPC runs on each partition. */
  xpcUp: (partition: number) => boolean;
}

export class Xpmem {
  private tgs = new Map<number, ThreadGroup>();
  private segments = new Map<bigint, Segment>();
  private permits = new Map<bigint, Permit>();
  private uniq = new Map<number, number>();
  /** Attachments by thread group, and where the next one maps. */
  private attachments = new Map<number, Attachment[]>();
  private nextVaddr = new Map<number, number>();

  constructor(private readonly opts: XpmemOptions) {}

  open(tgid: number, partition: number, uid = 1000, gid = 1000): ThreadGroup {
    const tg: ThreadGroup = { tgid, partition, uid, gid, state: 'live', segments: new Set(), permits: new Set(), mappings: [], inherited: [] };
    this.tgs.set(tgid, tg);
    this.attachments.set(tgid, []);
    this.nextVaddr.set(tgid, 2 ** 40);
    return tg;
  }

  tg(tgid: number): ThreadGroup | undefined {
    return this.tgs.get(tgid);
  }

  /** fork(): the child sees the parent's attachments, which stay the parent's. */
  fork(parent: ThreadGroup, childTgid: number): ThreadGroup {
    const child = this.open(childTgid, parent.partition, parent.uid, parent.gid);
    child.inherited = [...this.attachments.get(parent.tgid)!, ...parent.inherited];
    child.mappings = [...parent.mappings];
    return child;
  }

  mmap(tg: ThreadGroup, vaddr: number, size: number): void {
    tg.mappings.push({ vaddr, size });
  }

  private newId(tg: ThreadGroup): bigint | undefined {
    const u = (this.uniq.get(tg.tgid) ?? 0) + 1;
    if (u > MAX_UNIQ) return undefined;
    this.uniq.set(tg.tgid, u);
    return (BigInt(tg.partition) << 48n) | (BigInt(u) << 32n) | BigInt(tg.tgid);
  }

  make(tg: ThreadGroup, vaddr: number, size: bigint, permitType: number, mode: number): Result {
    if (permitType !== XPMEM_PERMIT_MODE || (mode & ~0o777) !== 0) return err('EINVAL');
    let bytes: number;
    if (size === XPMEM_MAXADDR_SIZE) {
      if (vaddr !== 0) return err('EINVAL');
      // Unclamped, the segment reaches past user space into GRU space (1 << 48 and up).
      bytes = this.opts.maxaddrClamp ? TASK_SIZE : Number.MAX_SAFE_INTEGER;
    } else {
      bytes = Number(size);
      if (bytes === 0 || vaddr % PAGE !== 0 || bytes % PAGE !== 0 || vaddr + bytes > TASK_SIZE) return err('EINVAL');
    }
    const segid = this.newId(tg);
    if (segid === undefined) return err('EBUSY');
    const seg: Segment = { segid, owner: tg, vaddr, size: bytes, mode, state: 'live' };
    this.segments.set(segid, seg);
    tg.segments.add(seg);
    return ok(segid);
  }

  remove(tg: ThreadGroup, segid: bigint): Result {
    if (segid <= 0n) return err('EINVAL');
    const seg = this.segments.get(segid);
    const ownerTgid = Number(segid & 0xffffffffn);
    const owner = this.tgs.get(ownerTgid);
    if (owner && owner.state === 'live' && owner !== tg) return err('EACCES');
    if (!seg || seg.state !== 'live' || !owner || owner.state !== 'live') return err('ENOENT');
    this.destroySegment(seg);
    return ok(0);
  }

  get(tg: ThreadGroup, segid: bigint, flags: number, permitType: number, permitValue: unknown): Result {
    if (segid <= 0n) return err('EINVAL');
    if ((flags & ~(XPMEM_RDONLY | XPMEM_RDWR)) !== 0 || flags === (XPMEM_RDONLY | XPMEM_RDWR)) return err('EINVAL');
    if (permitType !== XPMEM_PERMIT_MODE || permitValue != null) return err('EINVAL');
    const partition = Number(segid >> 48n);
    if (partition !== tg.partition && !this.opts.xpcUp(partition)) return err('EINVAL');
    const seg = this.segments.get(segid);
    if (!seg || seg.state !== 'live' || seg.owner.state !== 'live') return err('ENOENT');
    if (!this.permitted(tg, seg, flags)) return err('EACCES');
    const apid = this.newId(tg);
    if (apid === undefined) return err('EBUSY');
    const permit: Permit = { apid, holder: tg, segment: seg, flags, state: 'live', attachments: new Set() };
    this.permits.set(apid, permit);
    tg.permits.add(permit);
    return ok(apid);
  }

  release(tg: ThreadGroup, apid: bigint): Result {
    if (apid <= 0n) return err('EINVAL');
    const permit = this.permits.get(apid);
    if (!permit || permit.state !== 'live' || permit.holder.state !== 'live') return err('ENOENT');
    if (permit.holder !== tg) return err('EACCES');
    this.destroyPermit(permit);
    return ok(0);
  }

  attach(tg: ThreadGroup, apid: bigint, offset: number, size: number, vaddr: number): Result {
    if (apid <= 0n || offset % PAGE !== 0 || vaddr % PAGE !== 0 || size === 0) return err('EINVAL');
    const permit = this.permits.get(apid);
    if (!permit || permit.state !== 'live') return err('ENOENT');
    if (permit.holder !== tg) return err('EACCES');
    const seg = permit.segment;
    if (seg.state !== 'live') return err('ENOENT');
    const partition = Number(seg.segid >> 48n);
    if (partition !== tg.partition && !this.opts.xpcUp(partition)) return err('EINVAL');
    // Attach always asks for read/write.
    if (permit.flags === XPMEM_RDONLY) return err('EACCES');
    const bytes = Math.ceil(size / PAGE) * PAGE;
    if (offset + bytes > seg.size) return err('EINVAL');
    const mine = this.attachments.get(tg.tgid)!;
    let at = vaddr;
    const overlaps = (x: { vaddr: number; size: number }) => at < x.vaddr + x.size && x.vaddr < at + bytes;
    if (at === 0) {
      at = this.nextVaddr.get(tg.tgid)!;
      this.nextVaddr.set(tg.tgid, at + bytes + PAGE);
    } else if (at + bytes > TASK_SIZE || mine.some(overlaps) || (seg.owner === tg && overlaps(seg))) return err('EINVAL');
    const a: Attachment = { permit, vaddr: at, size: bytes, offset };
    mine.push(a);
    permit.attachments.add(a);
    return ok(at);
  }

  detach(tg: ThreadGroup, vaddr: number): Result {
    const covers = (x: { vaddr: number; size: number }) => vaddr >= x.vaddr && vaddr < x.vaddr + x.size;
    const a = this.attachments.get(tg.tgid)!.find(covers);
    if (a) {
      this.unmap(a);
      return ok(0);
    }
    if (tg.inherited.some(covers)) return err('EACCES');
    if (tg.mappings.some(covers)) return err('EINVAL');
    return ok(0);
  }

  /** A load or store through an attachment: SIGBUS once its segment is gone (or nothing is there). */
  touch(tg: ThreadGroup, vaddr: number): Result {
    const a = this.mapped(tg, vaddr);
    if (!a) return tg.mappings.some((x) => vaddr >= x.vaddr && vaddr < x.vaddr + x.size) ? ok(0) : err('SIGBUS');
    return a.permit.segment.state === 'live' ? ok(0) : err('SIGBUS');
  }

  /** A syscall that pins user pages (a futex) there: VM_IO|VM_PFNMAP attachments refuse it. */
  pin(tg: ThreadGroup, vaddr: number): Result {
    return this.mapped(tg, vaddr) ? err('EFAULT') : ok(0);
  }

  private mapped(tg: ThreadGroup, vaddr: number): Attachment | undefined {
    const covers = (x: Attachment) => vaddr >= x.vaddr && vaddr < x.vaddr + x.size;
    return this.attachments.get(tg.tgid)!.find(covers) ?? tg.inherited.find(covers);
  }

  /** Owner exit: its permits released (detaching their attachments), its segments removed. */
  exit(tg: ThreadGroup): void {
    tg.state = 'destroying';
    for (const p of [...tg.permits]) this.destroyPermit(p);
    for (const s of [...tg.segments]) this.destroySegment(s);
    tg.state = 'destroyed';
  }

  private permitted(tg: ThreadGroup, seg: Segment, flags: number): boolean {
    if (tg.uid === 0) return true;
    const bits = tg.uid === seg.owner.uid ? (seg.mode >> 6) & 7 : tg.gid === seg.owner.gid ? (seg.mode >> 3) & 7 : seg.mode & 7;
    const want = flags === XPMEM_RDONLY ? 4 : 6;
    return (bits & want) === want;
  }

  private destroyPermit(p: Permit): void {
    p.state = 'destroying';
    for (const a of [...p.attachments]) this.unmap(a);
    p.state = 'destroyed';
    this.permits.delete(p.apid);
    p.holder.permits.delete(p);
  }

  private destroySegment(s: Segment): void {
    // Calls here take no simulated time, so DESTROYING (lookups skip it while the attachments'
    // PTEs are cleared) passes at once. Peers keep their permits and mappings: the next get is
    // ENOENT, the next touch SIGBUS.
    s.state = 'destroyed';
    s.owner.segments.delete(s);
  }

  private unmap(a: Attachment): void {
    const list = this.attachments.get(a.permit.holder.tgid)!;
    list.splice(list.indexOf(a), 1);
    a.permit.attachments.delete(a);
  }
}
