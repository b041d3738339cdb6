// Classification: every open break gets exactly one bucket, decided in a fixed order (DESIGN §7).
import type { Break } from './checks.ts';
import { HOUR_MS, hoursBetween, msBetween } from './instant.ts';
import { isPowerOfTenFactor } from './money.ts';
import { findRule, type Rule } from './rules.ts';

/** The buckets, in the order they are decided. */
export const BUCKETS = ['known_accepted', 'timing', 'mapping', 'genuine_error'] as const;
export type Bucket = (typeof BUCKETS)[number];

/** Why a break is a mapping issue: the records exist but do not tie. */
export type MappingCause = 'orphan' | 'currency' | 'decimal_shift';

/** A break with its bucket, its age at the cutoff and, where one applies, the accepting rule. */
export type Classified = Break & {
  readonly bucket: Bucket;
  readonly ageHours: number;
  readonly ruleId: string | null;
  readonly cause: MappingCause | null;
};

/** When the classification is made: the cutoff instant and the business date it closes. */
export type ClassifyContext = { readonly asOf: string; readonly businessDate: string; readonly rules: readonly Rule[] };

/**
 * The mapping signature of a break, if it has one: orphans, currencies that differ, and amounts
 * off by an exact power of ten (a units or decimal-place error).
 */
export function mappingCause(brk: Break): MappingCause | null {
  if (brk.code.startsWith('orphan_')) return 'orphan';
  if (brk.code === 'currency_mismatch' || brk.facts['bookedCurrency'] !== undefined) return 'currency';
  if (brk.expected !== undefined && brk.actual !== undefined && isPowerOfTenFactor(brk.expected, brk.actual) !== null) return 'decimal_shift';
  return null;
}

/** Whether the break is still within its window at `asOf` (the edge itself counts as within). */
export function withinWindow(brk: Break, asOf: string): boolean {
  return brk.windowHours !== null && msBetween(brk.since, asOf) <= brk.windowHours * HOUR_MS;
}

/** Buckets one break: known_accepted, else timing, else mapping, else genuine_error. */
export function classify(brk: Break, ctx: ClassifyContext): Classified {
  const ageHours = hoursBetween(brk.since, ctx.asOf);
  const rule = findRule(ctx.rules, brk, ctx.businessDate);
  const cause = mappingCause(brk);
  const bucket: Bucket = rule ? 'known_accepted' : withinWindow(brk, ctx.asOf) ? 'timing' : cause ? 'mapping' : 'genuine_error';
  return { ...brk, bucket, ageHours, ruleId: rule?.id ?? null, cause: bucket === 'mapping' ? cause : null };
}

/** Classifies many breaks and counts hits per rule (every rule listed, zero when unused). */
export function classifyAll(breaks: readonly Break[], ctx: ClassifyContext): { classified: Classified[]; ruleHits: Map<string, number> } {
  const ruleHits = new Map<string, number>(ctx.rules.map((r) => [r.id, 0]));
  const classified = breaks.map((b) => classify(b, ctx));
  for (const c of classified) if (c.ruleId !== null) ruleHits.set(c.ruleId, (ruleHits.get(c.ruleId) ?? 0) + 1);
  return { classified, ruleHits };
}
