// What the faults for real processes share: the signals they may send, whom to, and their count
// of what was delivered before the command ended.
import { constants } from 'node:os';
import * as z from 'zod';
import type { HostSystem } from '../models/host/system.js';

export const signalName = z.enum(Object.keys(constants.signals).filter((s) => s.startsWith('SIG')) as [NodeJS.Signals, ...NodeJS.Signals[]]);

export const target = z.enum(['process', 'group']).default('process').meta({ description: "the command's own process, or its whole process group" });

/** A fault's delivered signals, by phase. */
export function delivered(host: HostSystem, fault: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of host.delivered) if (s.fault === fault) counts[s.phase] = (counts[s.phase] ?? 0) + 1;
  return counts;
}
