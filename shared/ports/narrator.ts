// The narrator port: plain-language text for a night's findings, never a change to them.
import type { Facts } from '../domain/checks.ts';

/** What the narrator may see: the findings, no customer PII (canonical events carry none). */
export type NarrationFacts = {
  readonly businessDate: string;
  readonly ordersChecked: number;
  readonly counts: Readonly<Record<string, number>>;
  readonly resolved: number;
  readonly atRisk: readonly string[];
  readonly exceptions: readonly {
    readonly id: string;
    readonly orderKey: string;
    readonly code: string;
    readonly description: string;
    readonly bucket: string;
    readonly owner: string;
    /** The amount at risk for people (`$50.00`), and in minor units. */
    readonly amount: string;
    readonly amountMinor: number;
    readonly currency: string;
    readonly since: string;
    readonly ageHours: number;
    readonly nights: number;
    readonly status: string;
    readonly rule: string | null;
    readonly facts: Facts;
    /** The deterministic text, as a model of tone and content. */
    readonly template: string;
  }[];
};

/** Text for the summary and for every exception, by exception id. */
export type Narration = { readonly summary: string; readonly exceptions: readonly { readonly id: string; readonly text: string }[] };

/**
 * Writes the narration. A model-backed narrator may fail or invent; callers check its output
 * against the facts (`checkNarration`) and fall back to the template.
 */
export interface Narrator {
  readonly kind: 'model' | 'template';
  narrate(facts: NarrationFacts): Promise<Narration>;
}
