// Quantities with units, parsed by mathjs, as zod types: YAML says "6.5 us", the model sees 6500
// (integer nanoseconds). Sizes become bytes, bandwidths bits per second, rates per second.
import type { Unit } from 'mathjs';
import { unitMath } from './expr.js';
import * as z from 'zod';

interface Dimension {
  what: string;
  base: string;
  example: string;
  integer: boolean;
  /** Whether 0 means something by default: a 0 ns compute time or a 0 Hz storm does; a size,
   *  a bandwidth or a compute rate of 0 is a slip that would divide by zero or touch nothing. */
  zero: boolean;
}

const DIMENSIONS = {
  duration: { what: 'a duration', base: 'ns', example: '6.5 us', integer: true, zero: true },
  size: { what: 'a size', base: 'B', example: '128 MiB', integer: true, zero: false },
  bandwidth: { what: 'a bandwidth', base: 'b/s', example: '40 Gb/s', integer: false, zero: false },
  frequency: { what: 'a frequency', base: 'Hz', example: '100 Hz', integer: false, zero: true },
  computeRate: { what: 'a compute rate', base: 'FLOP/s', example: '16 GFLOP/s', integer: false, zero: false },
} satisfies Record<string, Dimension>;

/** `zero` overrides the dimension's default: `duration({ zero: false })` for a period or a timeout. */
export interface QuantityOptions {
  zero?: boolean;
}

export type DimensionName = keyof typeof DIMENSIONS;

/** Parses "128 MiB" into the dimension's base unit, or explains what was expected. */
export function parseQuantity(text: unknown, dim: DimensionName, opts: QuantityOptions = {}): number | string {
  // A sweep of 10,000 cells parses the same profile quantities 10,000 times; mathjs is slow at it.
  const key = typeof text === 'string' ? `${dim}|${opts.zero}|${text}` : undefined;
  const known = key === undefined ? undefined : parsed.get(key);
  if (known !== undefined) return known;
  const v = parseUncached(text, dim, opts);
  if (key !== undefined && parsed.size < 100_000) parsed.set(key, v);
  return v;
}

const parsed = new Map<string, number | string>();

function parseUncached(text: unknown, dim: DimensionName, opts: QuantityOptions): number | string {
  const d = DIMENSIONS[dim];
  const hint = `expected ${d.what} with a unit, such as "${d.example}"`;
  if (typeof text === 'number') return `${hint}, got the bare number ${text}`;
  if (typeof text !== 'string') return `${hint}, got ${JSON.stringify(text)}`;
  let u: Unit;
  try {
    u = unitMath().unit(text);
  } catch {
    return `${hint}; "${text}" is not a quantity mathjs understands`;
  }
  if (!u.equalBase(unitMath().unit(`1 ${d.base}`))) return `${hint}; "${text}" is not ${d.what}`;
  const v = u.toNumber(d.base);
  if (!Number.isFinite(v) || v < 0) return `${hint}; "${text}" must be finite and not negative`;
  const out = d.integer ? Math.round(v) : v;
  if (out === 0 && !(opts.zero ?? d.zero)) return `${hint}; "${text}" must be more than zero`;
  return out;
}

/** A zod type for a quantity: input is the string with its unit, output the number in base units. */
export function quantity(dim: DimensionName, opts: QuantityOptions = {}): z.ZodType<number, string> {
  const d = DIMENSIONS[dim];
  return z
    .string({ error: (iss) => parseQuantity(iss.input, dim, opts) as string })
    .transform((s, ctx) => {
      const v = parseQuantity(s, dim, opts);
      if (typeof v === 'string') {
        ctx.addIssue({ code: 'custom', message: v });
        return z.NEVER;
      }
      return v;
    })
    .meta({ description: `${d.what} with a unit, e.g. "${d.example}"` }) as unknown as z.ZodType<number, string>;
}

export const duration = (o?: QuantityOptions) => quantity('duration', o);
export const size = (o?: QuantityOptions) => quantity('size', o);
export const bandwidth = (o?: QuantityOptions) => quantity('bandwidth', o);
export const frequency = (o?: QuantityOptions) => quantity('frequency', o);
export const computeRate = (o?: QuantityOptions) => quantity('computeRate', o);
