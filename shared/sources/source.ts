// What every source system module provides: how its raw payloads become canonical events.
import type { CanonicalEvent } from '../domain/events.ts';
import type { KeyRules } from '../domain/refs.ts';
import type { Result } from '../domain/result.ts';
import type { RawRecord } from '../ports/archive.ts';

/** The configuration normalizers read: how to find order keys in each system's references. */
export type NormalizeContext = {
  readonly keyRules: KeyRules;
  /** PaymentIntent / charge metadata keys that may hold the order number. */
  readonly metadataKeys: readonly string[];
  /** Prefixes to strip from 3PL reference ids before they are read as order ids or numbers. */
  readonly logisticsReferencePrefixes: readonly string[];
};

export const DEFAULT_NORMALIZE_CONTEXT: NormalizeContext = {
  keyRules: { stripPrefixes: ['#'], stripSuffixes: [], caseSensitive: false },
  metadataKeys: ['order_number', 'order_id', 'order'],
  logisticsReferencePrefixes: [],
};

/**
 * One source system: a pure `normalize` from an archived raw payload to canonical events.
 * A payload it cannot read is an error result (the caller quarantines it), never a throw.
 */
export type SourceModule = {
  readonly system: string;
  readonly normalize: (raw: RawRecord, ctx: NormalizeContext) => Result<CanonicalEvent[]>;
};
