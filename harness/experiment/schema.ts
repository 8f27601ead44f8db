// The experiment format. The top level is fixed here; workload, fault and kernel shapes come from
// the plug-in registries, so the schema (and the JSON Schema editors use) grows with them.
import * as z from 'zod';
import { faults, systems, workloads, type FaultPlugin, type WorkloadPlugin } from '../registry.js';
import { MAX_EVENTS } from '../sim/queue.js';
import { duration } from './units.js';

const scalar = z.union([z.string(), z.number(), z.boolean()]);

export const gateSchema = z
  .strictObject({
    name: z.string().optional(),
    where: z.string().optional().meta({ description: 'mathjs condition on the cell parameters' }),
    check: z.string().optional().meta({ description: 'mathjs condition on the cell statistics, e.g. hang.high < 1e-3, crash.count == 0, fault["dropped-cqe"].fired > 0' }),
    outcome: z.enum(['ok', 'error', 'hang', 'crash']).optional().meta({ description: 'gate on the count of this outcome' }),
    failureRate: z.enum(['rate', 'low', 'high']).optional().meta({ description: "gate on the failure rate or a bound of its 95% Wilson interval ('high' for non-inferiority)" }),
    metric: z.string().optional(),
    stat: z.enum(['mean', 'median', 'p5', 'p95', 'sd']).default('mean'),
    min: z.number().optional(),
    max: z.number().optional(),
  })
  .refine((g) => [g.check, g.outcome, g.failureRate, g.metric].filter((x) => x !== undefined).length === 1, 'a gate names exactly one of check, outcome, failureRate, metric')
  .refine((g) => g.check !== undefined || g.min !== undefined || g.max !== undefined, 'a gate needs min or max')
  .refine((g) => g.check === undefined || (g.min === undefined && g.max === undefined), 'a check gate takes no min or max: write the bound into the check');

export type Gate = z.output<typeof gateSchema>;

export const compareSchema = z.strictObject({
  axis: z.string().meta({ description: 'the sweep axis whose values are compared on the same seeds' }),
  baseline: scalar,
  metrics: z.array(z.string()).optional(),
});

export type Compare = z.output<typeof compareSchema>;

export const limitsSchema = z.strictObject({
  time: duration({ zero: false }).optional().meta({ description: 'simulated time after which a trial is stopped (a hang)' }),
  events: z.int().positive().max(MAX_EVENTS).optional(),
});

/** Everything but the plug-in parts, which are checked per cell after the sweep is applied. */
export const experimentSchema = z.strictObject({
  $schema: z.string().optional(),
  name: z.string().max(100, 'a name is at most 100 characters (it names a folder)').regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a name is letters, digits, dot, dash, underscore'),
  description: z.string().optional(),
  hardware: z.looseObject({ profile: z.string().meta({ description: 'a file name in hardware-profiles/, without .yaml' }) }),
  kernel: z.record(z.string(), z.unknown()).optional(),
  workload: z.looseObject({ kind: z.string() }),
  faults: z.array(z.looseObject({ kind: z.string() })).optional(),
  sweep: z
    .record(z.string(), z.union([z.array(z.unknown()), z.string()]))
    .optional()
    .meta({ description: 'axis -> list of values, or a mathjs expression such as "2 .^ (4:10)"; a dotted axis (workload.threads) sets that key, any axis fills ${axis}' }),
  zip: z.array(z.array(z.string()).min(2)).optional().meta({ description: 'groups of axes that advance together' }),
  exclude: z.array(z.record(z.string(), z.unknown())).optional(),
  where: z.string().optional(),
  seeds: z.union([z.int().positive(), z.array(z.int().nonnegative()).min(1)]).default(10),
  limits: limitsSchema.optional(),
  gates: z
    .array(z.union([z.string().meta({ description: 'a check: a mathjs condition on the cell statistics' }), gateSchema]))
    .optional(),
  compare: compareSchema.optional(),
});

export type ExperimentInput = z.output<typeof experimentSchema>;

function pluginUnion(plugins: (WorkloadPlugin | FaultPlugin)[]) {
  const options = plugins.map((p) => (p.config as z.ZodObject).extend({ kind: z.literal(p.kind) }).meta({ description: p.description }));
  return z.discriminatedUnion("kind", options as unknown as [z.ZodObject, ...z.ZodObject[]]);
}

let cells: ReturnType<typeof makeCellSchema> | undefined;

/** The plug-in parts of one cell (built once, after the plug-ins have registered). */
export function cellSchema() {
  return (cells ??= makeCellSchema());
}

function makeCellSchema() {
  return z.strictObject({
    workload: pluginUnion(workloads.all()),
    faults: z.array(pluginUnion(faults.all())).default([]),
  });
}

/** The JSON Schema for editors: one document covering every registered plug-in. */
export function jsonSchema(): unknown {
  const kernels = systems.all().map((s) => s.kernel);
  const full = experimentSchema.extend({
    ...cellSchema().shape,
    faults: z.array(pluginUnion(faults.all())).optional(),
    kernel: (kernels.length ? z.union(kernels as [z.ZodType, ...z.ZodType[]]) : z.record(z.string(), z.unknown())).optional(),
  });
  const schema = z.toJSONSchema(full, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  schema.title = 'faultsweep experiment';
  return allowPlaceholders(schema);
}

/** Lets any typed value also be a "${axis}" placeholder, as the loader allows. */
function allowPlaceholders(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(allowPlaceholders);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = k === 'properties' ? mapValues(v as object) : allowPlaceholders(v);
  return out;
}

function mapValues(props: object): object {
  return Object.fromEntries(
    Object.entries(props).map(([k, v]) => {
      const inner = allowPlaceholders(v) as Record<string, unknown>;
      const typed = inner.type === 'number' || inner.type === 'integer' || inner.type === 'boolean' || inner.enum !== undefined || inner.const !== undefined;
      return [k, typed && k !== 'kind' ? { anyOf: [inner, { type: 'string', pattern: '\\$\\{[^}]+\\}' }] } : inner];
    }),
  );
}
