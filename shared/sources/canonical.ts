// The `canonical` source: payloads that already are canonical events (tests, benchmarks, migrations).
import { readCanonicalEvent } from '../domain/events.ts';
import { ok } from '../domain/result.ts';
import type { SourceModule } from './source.ts';

/** Reads a raw body holding one canonical event as JSON, validating it with the schema. */
export const canonicalSource: SourceModule = {
  system: 'canonical',
  source: 'storefront',
  normalize(raw) {
    const event = readCanonicalEvent(raw.body);
    return event.ok ? ok([event.value]) : event;
  },
};
