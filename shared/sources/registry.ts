// The one table of source systems: adding a source is one module registered here.
import { err, type Result } from '../domain/result.ts';
import type { CanonicalEvent } from '../domain/events.ts';
import type { RawRecord } from '../ports/archive.ts';
import { canonicalSource } from './canonical.ts';
import { shipbobSource } from './shipbob.ts';
import { shopifySource } from './shopify.ts';
import type { NormalizeContext, SourceModule } from './source.ts';
import { stripeSource } from './stripe.ts';
import { warehouseSource } from './warehouse.ts';

export const SOURCES: ReadonlyMap<string, SourceModule> = new Map(
  [shopifySource, stripeSource, shipbobSource, warehouseSource, canonicalSource].map((s) => [s.system, s]),
);

/** Normalizes an archived raw payload with today's code for its system. */
export function normalizeRaw(raw: RawRecord, ctx: NormalizeContext): Result<CanonicalEvent[]> {
  const source = SOURCES.get(raw.system);
  if (!source) return err(`no source module for system ${JSON.stringify(raw.system)}`);
  return source.normalize(raw, ctx);
}
