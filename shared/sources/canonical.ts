// The `canonical` source: payloads that already are canonical events (tests, benchmarks, migrations).
import { CanonicalEventSchema } from '../domain/events.ts';
import { err, ok } from '../domain/result.ts';
import type { SourceModule } from './source.ts';

/** Reads a raw body holding one canonical event as JSON, validating it with the schema. */
export const canonicalSource: SourceModule = {
  system: 'canonical',
  source: 'storefront',
  normalize(raw) {
    let json: unknown;
    try {
      json = JSON.parse(raw.body);
    } catch (e) {
      return err(`not JSON: ${(e as Error).message}`);
    }
    const parsed = CanonicalEventSchema.safeParse(json);
    if (!parsed.success) return err(...parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
    return ok([parsed.data]);
  },
};
