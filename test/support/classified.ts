// Hand-made classified breaks for report, narration and Slack tests: the check's own unit (nature,
// owner, window), `since` derived from the age at `asOf`, and only what a test names besides.
import { checkUnit, type CheckCode, type Facts } from '#shared/domain/checks.ts';
import type { Bucket, Classified, MappingCause } from '#shared/domain/classification.ts';

export type BreakSpec = {
  readonly key: string;
  readonly code: CheckCode;
  readonly bucket: Bucket;
  readonly amount: number;
  readonly ageHours: number;
  readonly currency?: string;
  /** Overrides the `since` derived from `ageHours`. */
  readonly since?: string;
  readonly cause?: MappingCause;
  readonly rule?: string;
  readonly expected?: number;
  readonly actual?: number;
  readonly facts?: Facts;
};

/** The classified break a spec describes, as of `asOf`. */
export function classifiedBreak(s: BreakSpec, asOf: string): Classified {
  const unit = checkUnit(s.code);
  return {
    id: `${s.key}:${s.code}`,
    orderKey: s.key,
    code: s.code,
    nature: unit.nature,
    owner: unit.owner,
    since: s.since ?? new Date(Date.parse(asOf) - s.ageHours * 3_600_000).toISOString(),
    windowHours: unit.windowHours,
    amount: s.amount,
    currency: s.currency ?? 'USD',
    ...(s.expected !== undefined ? { expected: s.expected } : {}),
    ...(s.actual !== undefined ? { actual: s.actual } : {}),
    facts: s.facts ?? {},
    bucket: s.bucket,
    ageHours: s.ageHours,
    ruleId: s.rule ?? null,
    cause: s.cause ?? null,
  };
}
