// Where the warehouse ledger pull starts next: watermark records kept in the archive, found by id.
//
// The watermark of a ledger is the largest booked_at among the entries a pull returned; a pull stores it
// only after every row of the pull was archived and published (or quarantined), so a failed pull reads
// the same entries again next time (DESIGN §3, sql/feeds/warehouse.sql).
//
// It lives in the archive, through the Archive port as it is, so it works on every backend without a
// store of its own: each advance appends one small raw record (system `warehouse`, topic
// `ledger-watermark`, no event) whose id is `warehouse-watermark:<table>:<n>`, n = 1, 2, 3, ... for that
// ledger. Appends are idempotent per raw id and the archive has no update, so the latest watermark is the
// record with the largest n; the ids are dense (each is the latest + 1), so it is found by id lookups
// alone — a gallop over the powers of two, then a 64-way search between the last two — in two or three
// scans however long the history, never a scan of the archive. Record ids cannot collide with ledger
// rows (`warehouse:<entry id>`). Two pulls racing for the same n: the first archived copy wins and the
// other's watermark is not kept, so the next pull reads a little more again — duplicates, not a gap.
// The records double as the audit trail of what each pull read.
import { canonicalInstant } from '#shared/domain/instant.ts';
import type { Archive } from '#shared/ports/archive.ts';
import { LEDGER_WATERMARK_TOPIC } from '#shared/sources/warehouse.ts';

/** One stored advance of a ledger's watermark. */
export type LedgerWatermark = {
  /** The record's position in the ledger's sequence (1 for the first pull that returned entries). */
  readonly n: number;
  /** The largest booked_at of the entries read so far (canonical instant). */
  readonly watermark: string;
  readonly table: string;
  /** When the pull that stored it ran, and the @watermark it read after. */
  readonly pulledAt: string;
  readonly readAfter: string;
  readonly rows: number;
};

const SEARCH_WIDTH = 64;
const MAX_POWER = 52;

/** The raw id of a ledger's n-th watermark record. */
export const watermarkRecordId = (table: string, n: number): string => `warehouse-watermark:${table}:${n}`;

/** The watermark records among `ns` that exist, by n. */
async function recordsAt(archive: Archive, table: string, ns: readonly number[]): Promise<Map<number, LedgerWatermark>> {
  const found = new Map<number, LedgerWatermark>();
  if (ns.length === 0) return found;
  const wanted = new Map(ns.map((n) => [watermarkRecordId(table, n), n]));
  for await (const raw of archive.scanRaw({ rawIds: [...wanted.keys()] })) {
    const n = wanted.get(raw.id);
    if (n === undefined || raw.topic !== LEDGER_WATERMARK_TOPIC) continue;
    const body = JSON.parse(raw.body) as Partial<LedgerWatermark>;
    const watermark = typeof body.watermark === 'string' ? canonicalInstant(body.watermark) : undefined;
    if (watermark === undefined) throw new Error(`watermark record ${raw.id} holds no watermark instant`);
    found.set(n, { n, watermark, table, pulledAt: String(body.pulledAt ?? raw.receivedAt), readAfter: String(body.readAfter ?? ''), rows: Number(body.rows ?? 0) });
  }
  return found;
}

const largest = (found: Map<number, LedgerWatermark>): LedgerWatermark | undefined => {
  let best: LedgerWatermark | undefined;
  for (const w of found.values()) if (best === undefined || w.n > best.n) best = w;
  return best;
};

/** The ledger's latest stored watermark, or undefined before its first pull that returned entries. */
export async function latestWatermark(archive: Archive, table: string): Promise<LedgerWatermark | undefined> {
  // Gallop: 1, 2, 4, ... The largest power present is `lo`; the next power is absent (or past the end).
  const powers = Array.from({ length: MAX_POWER + 1 }, (_, i) => 2 ** i);
  let best = largest(await recordsAt(archive, table, powers));
  if (best === undefined) return undefined;
  let lo = best.n;
  let hi = lo * 2;
  // Invariant: n = lo exists, n = hi does not; the ids are dense, so the latest lies in [lo, hi).
  while (hi - lo > 1) {
    const step = Math.ceil((hi - lo) / SEARCH_WIDTH);
    const probes: number[] = [];
    for (let n = lo + step; n < hi; n += step) probes.push(n);
    const hit = largest(await recordsAt(archive, table, probes));
    if (hit !== undefined) {
      best = hit;
      lo = hit.n;
    }
    hi = probes.find((n) => n > lo) ?? hi;
  }
  return best;
}

/**
 * Stores a ledger's next watermark as record `previous.n + 1` (1 when there is none). The caller has
 * archived and published every row it read first; `watermark` must not be behind `previous`.
 */
export async function storeWatermark(
  archive: Archive,
  next: { readonly table: string; readonly watermark: string; readonly readAfter: string; readonly rows: number; readonly pulledAt: string },
  previous: LedgerWatermark | undefined,
): Promise<LedgerWatermark> {
  const watermark = canonicalInstant(next.watermark);
  if (watermark === undefined) throw new RangeError(`watermark must be an ISO 8601 instant, got ${JSON.stringify(next.watermark)}`);
  if (previous !== undefined && watermark < previous.watermark) throw new RangeError(`a watermark never goes back: ${watermark} is before ${previous.watermark}`);
  const record: LedgerWatermark = { n: (previous?.n ?? 0) + 1, watermark, table: next.table, pulledAt: next.pulledAt, readAfter: next.readAfter, rows: next.rows };
  await archive.append([
    {
      raw: { id: watermarkRecordId(next.table, record.n), system: 'warehouse', topic: LEDGER_WATERMARK_TOPIC, receivedAt: next.pulledAt, headers: {}, body: JSON.stringify(record) },
      events: [],
    },
  ]);
  return record;
}
