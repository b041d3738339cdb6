// The narrator port: plain-language text for a night's findings, never a change to them.
import type { Narration, NarrationFacts } from '../domain/narration-check.ts';

/** What the narrator may see (the findings, no customer PII) and what it returns; defined with their check in the domain. */
export type { Narration, NarrationFacts };

/**
 * Writes the narration. A model-backed narrator may fail or invent; callers check its output
 * against the facts (`checkNarration`) and fall back to the template.
 */
export interface Narrator {
  readonly kind: 'model' | 'template';
  narrate(facts: NarrationFacts): Promise<Narration>;
}
