// The deterministic narrator: each exception's template sentence and the template summary, never a network call.
import type { Bucket } from '#shared/domain/classification.ts';
import { templateSummary } from '#shared/domain/report.ts';
import type { Narration, NarrationFacts, Narrator } from '#shared/ports/narrator.ts';

type SummaryInput = Parameters<typeof templateSummary>[0];

/** The report's own summary, rebuilt from the facts (totals at risk re-summed per currency as `buildReport` does). */
export function summaryOf(facts: NarrationFacts): string {
  const risk = new Map<string, number>();
  for (const e of facts.exceptions) {
    if ((e.bucket === 'genuine_error' || e.bucket === 'mapping') && e.currency !== 'XXX') risk.set(e.currency, (risk.get(e.currency) ?? 0) + e.amountMinor);
  }
  const input = {
    clean: facts.exceptions.every((e) => e.bucket === 'known_accepted'),
    businessDate: facts.businessDate,
    ordersChecked: facts.ordersChecked,
    counts: facts.counts as Readonly<Record<Bucket, number>>,
    atRisk: [...risk].sort(([a], [b]) => (a < b ? -1 : 1)).map(([currency, amount]) => ({ amount, currency })),
    // templateSummary reads only how many were resolved, and each exception's status and bucket.
    resolved: { length: facts.resolved },
    exceptions: facts.exceptions.map((e) => ({ status: e.status, bucket: e.bucket })),
  };
  return templateSummary(input as unknown as SummaryInput);
}

/** A narrator (kind `template`) that returns exactly the deterministic text the report already has. */
export function createTemplateNarrator(): Narrator {
  return {
    kind: 'template',
    narrate: async (facts: NarrationFacts): Promise<Narration> => ({
      summary: summaryOf(facts),
      exceptions: facts.exceptions.map((e) => ({ id: e.id, text: e.template })),
    }),
  };
}
