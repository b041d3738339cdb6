// What every source system module provides: signature checks, archived records, and normalization.
import type { CanonicalEvent, Source } from '../domain/events.ts';
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
  /** Warehouse ledger column names (CSV header / query result). */
  readonly warehouseColumns: {
    readonly entryId: string;
    readonly orderId: string;
    readonly entryType: string;
    readonly amount: string;
    readonly currency: string;
    readonly bookedAt: string;
  };
};

export const DEFAULT_NORMALIZE_CONTEXT: NormalizeContext = {
  keyRules: { stripPrefixes: ['#'], stripSuffixes: [], caseSensitive: false },
  metadataKeys: ['order_number', 'order_id', 'order'],
  logisticsReferencePrefixes: [],
  warehouseColumns: { entryId: 'entry_id', orderId: 'order_id', entryType: 'entry_type', amount: 'amount', currency: 'currency', bookedAt: 'booked_at' },
};

/** A webhook delivery as received: header names lower-cased, the body as the exact raw bytes. */
export type Delivery = { readonly headers: Readonly<Record<string, string>>; readonly body: Buffer };

/** Why a delivery was refused (never includes the secret or the expected signature). */
export type VerifyResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * One source system, registered once in `registry.ts`. Every function is pure (the clock is a
 * parameter); a payload it cannot read is an error result (quarantined by the caller), never a throw.
 */
export type SourceModule = {
  /** `shopify`, `stripe`, `shipbob`, `warehouse`, `canonical`… — the `system` of its raw records. */
  readonly system: string;
  readonly source: Source;
  /** Webhook senders: checks the signature exactly as the sender signs, against any active secret. */
  readonly verify?: (delivery: Delivery, secrets: readonly string[], nowMs: number) => VerifyResult;
  /** Webhook senders: the archived record of a delivery (id from the sender's delivery id, topic from its header). */
  readonly fromDelivery?: (delivery: Delivery, receivedAt: string) => Result<RawRecord>;
  /**
   * Feed files: one item of a file (a parsed JSON object, or a CSV row as a record of strings)
   * as an archived record. `feed` names the file shape (`orders-export`, `events`, `bodies`,
   * `ledger-csv`, `payout-reconciliation-csv`).
   */
  readonly fromFeedItem?: (item: unknown, feed: string, receivedAt: string) => Result<RawRecord>;
  /** Today's code: an archived record to canonical events (possibly none, e.g. an ignored topic). */
  readonly normalize: (raw: RawRecord, ctx: NormalizeContext) => Result<CanonicalEvent[]>;
};
