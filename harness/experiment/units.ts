// Quantities with units, parsed by mathjs, as zod types: YAML says "6.5 us", the model sees 6500
// (integer nanoseconds). Sizes become bytes, bandwidths bits per second, rates per second.
import type { Unit } from 'mathjs';
import { math } from './expr.js';
import * as z from 'zod';

interface Dimension {
  what: string;
  base: string;
  example: string;
  integer: boolean;
}

const DIMENSIONS = {
  duration: { what: 'a duration', base: 'ns', example: '6.5 us', integer: true },
  size: { what: 'a size', base: 'B', example: '128 MiB', integer: true },
  bandwidth: { what: 'a bandwidth', base: 'b/s', example: '40 Gb/s', integer: false },
  frequency: { what: 'a frequency', base: 'Hz', example: '100 Hz', integer: false },
  computeRate: { what: 'a compute rate', base: 'FLOP/s', example: '16 GFLOP/s', integer: false },
} satisfies Record<string, Dimension>;

export type DimensionName = keyof typeof DIMENSIONS;

/** Parses "128 MiB" into the dimension's base unit, or explains what was expected. */
export function parseQuantity(text: unknown, dim: DimensionName): number | string {
  const d = DIMENSIONS[dim];
  const hint = `expected ${d.what} with a unit, such as "${d.example}"`;
  if (typeof text === 'number') return `${hint}, got the bare number ${text}`;
  if (typeof text !== 'string') return `${hint}, got ${JSON.stringify(text)}`;
  let u: Unit;
  try {
    u = math.unit(text);
  } catch {
    return `${hint}; "${text}" is not a quantity mathjs understands`;
  }
  if (!u.equalBase(math.unit(`1 ${d.base}`))) return `${hint}; "${text}" is not ${d.what}`;
  const v = u.toNumber(d.base);
  if (!Number.isFinite(v) || v < 0) return `${hint}; "${text}" must be finite and not negative`;
  return d.integer ? Math.round(v) : v;
}

/** A zod type for a quantity: input is the string with its unit, output the number in base units. */
export function quantity(dim: DimensionName): z.ZodType<number, string> {
  const d = DIMENSIONS[dim];
  return z
    .string({ error: (iss) => parseQuantity(iss.input, dim) as string })
    .transform((s, ctx) => {
      const v = parseQuantity(s, dim);
      if (typeof v === 'string') {
        ctx.addIssue({ code: 'custom', message: v });
        return z.NEVER;
      }
      return v;
    })
    .meta({ description: `${d.what} with a unit, e.g. "${d.example}"` }) as unknown as z.ZodType<number, string>;
}

export const duration = () => quantity('duration');
export const size = () => quantity('size');
export const bandwidth = () => quantity('bandwidth');
export const frequency = () => quantity('frequency');
export const computeRate = () => quantity('computeRate');
