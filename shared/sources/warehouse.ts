// The finance warehouse (the books): ledger rows (CSV or query result) as `booking` events, one per entry.
//
// Contract (DESIGN §3): columns `entry_id,order_id,entry_type,amount,currency,booked_at`, names
// configurable through `ctx.warehouseColumns`; `entry_type` is `sale` or `refund`; `amount` is a
// positive decimal in major units; `booked_at` is a date (midnight UTC) or an ISO instant with a zone.
//
// `fromFeedItem` has no configuration, so it archives the row exactly as read and `normalize`
// applies the configured column names; a re-normalization after a config change therefore reads
// the archived rows anew. The record id is `warehouse:<entry_id>` when the row has the default
// `entry_id` column, else a hash of the row.
//
// The ledger pull from BigQuery (services/ingest/warehouse-pull.ts) archives its rows as this module's
// feed items, so a pulled row and the same CSV row are the same record and event; it also archives a
// small watermark record per advance (topic `ledger-watermark`), which normalizes to no event.
//
// The order: the `order_id` value is an order number (`order:<normalizeOrderKey(value)>`), unless
// it is nine or more digits, which is a Shopify order id (`shopify-order:<id>`) — the same rule the
// 3PL module applies, because finance tables commonly key sales by the storefront's order id.
import { createHash } from 'node:crypto';
import { CanonicalEventSchema, sourceVersion, type CanonicalEvent } from '../domain/events.ts';
import { canonicalInstant } from '../domain/instant.ts';
import { parseMoney } from '../domain/money.ts';
import { normalizeOrderKey, orderReference, type KeyRules } from '../domain/refs.ts';
import { err, ok, type Result } from '../domain/result.ts';
import type { RawRecord } from '../ports/archive.ts';
import { DEFAULT_NORMALIZE_CONTEXT, type NormalizeContext, type SourceModule } from './source.ts';

/** The topic of the pull's watermark records: archived with the rows, read back by id, never an event. */
export const LEDGER_WATERMARK_TOPIC = 'ledger-watermark';

type Row = Record<string, unknown>;
const isRow = (v: unknown): v is Row => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A cell as trimmed text: CSV gives strings; a query result may give numbers. */
function cell(row: Row, column: string): string | undefined {
  const v = row[column];
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'bigint') return String(v);
  return undefined;
}

/** JSON with keys sorted, so a row's hash does not depend on column order. */
function canonicalRowJson(row: Row): string {
  return `{${Object.keys(row)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${JSON.stringify(row[k] ?? null)}`)
    .join(',')}}`;
}

function fromFeedItem(item: unknown, feed: string, receivedAt: string): Result<RawRecord> {
  if (feed !== 'ledger-csv') return err(`warehouse has no feed ${JSON.stringify(feed)} (expected ledger-csv)`);
  if (!isRow(item)) return err('a warehouse ledger row must be a record of column → value');
  for (const [k, v] of Object.entries(item)) {
    if (v !== null && typeof v !== 'string' && typeof v !== 'number') return err(`warehouse column ${JSON.stringify(k)} holds a ${typeof v}; expected text or a number`);
  }
  const entryId = cell(item, DEFAULT_NORMALIZE_CONTEXT.warehouseColumns.entryId);
  const id = entryId ? entryId : createHash('sha256').update(canonicalRowJson(item)).digest('hex');
  return ok({ id: `warehouse:${id}`, system: 'warehouse', topic: 'ledger-entry', receivedAt, headers: {}, body: JSON.stringify(item) });
}

/** `YYYY-MM-DD` (midnight UTC) or an ISO 8601 date-time with a zone, on a real calendar day. */
function bookedInstant(text: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(T.*)?$/.exec(text);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const day = new Date(Date.UTC(y, mo - 1, d));
  // Date.parse quietly rolls 2024-02-30 into March; a ledger date that does not exist is an error.
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d) return undefined;
  return m[4] === undefined ? day.toISOString() : canonicalInstant(text);
}

/** The reference a ledger `order_id` stands for (see the module header). */
const orderRefOf = (value: string, rules: KeyRules): string | undefined => orderReference(value, rules);

function normalizeRow(raw: RawRecord, ctx: NormalizeContext): Result<CanonicalEvent[]> {
  let row: unknown;
  try {
    row = JSON.parse(raw.body);
  } catch (e) {
    return err(`warehouse row is not JSON: ${(e as Error).message}`);
  }
  if (!isRow(row)) return err('warehouse row must be a record of column → value');
  const cols = ctx.warehouseColumns;
  const problems: string[] = [];
  const need = (column: string, what: string): string | undefined => {
    // A query result gives NULL for an empty cell; an entry without an order is an orphan booking, not an error.
    const v = column in row && row[column] === null ? '' : cell(row, column);
    if (v === undefined) problems.push(`column ${JSON.stringify(column)} (${what}) is missing`);
    else if (v === '' && what !== 'order id') problems.push(`column ${JSON.stringify(column)} (${what}) is empty`);
    return v;
  };
  const entryId = need(cols.entryId, 'entry id');
  const orderValue = need(cols.orderId, 'order id');
  const typeValue = need(cols.entryType, 'entry type');
  const amountValue = need(cols.amount, 'amount');
  const currencyValue = need(cols.currency, 'currency');
  const bookedValue = need(cols.bookedAt, 'booked at');
  if (problems.length > 0 || entryId === undefined || orderValue === undefined) return err(...problems.map((p) => `warehouse entry ${entryId ?? '?'}: ${p}`));

  const entryType = typeValue?.toLowerCase();
  if (entryType !== 'sale' && entryType !== 'refund') {
    problems.push(`${cols.entryType} ${JSON.stringify(typeValue)} is neither sale nor refund`);
  }
  const amount = parseMoney(amountValue ?? '', currencyValue ?? '');
  if (!amount.ok) problems.push(...amount.errors.map((e) => `${cols.amount}: ${e}`));
  else if (amount.value.amount <= 0) problems.push(`${cols.amount} ${JSON.stringify(amountValue)} must be positive (the entry type says whether it is a sale or a refund)`);
  const bookedAt = bookedInstant(bookedValue ?? '');
  if (bookedAt === undefined) problems.push(`${cols.bookedAt} ${JSON.stringify(bookedValue)} is not a YYYY-MM-DD date or an ISO 8601 instant with a time zone`);
  if (problems.length > 0 || !amount.ok || bookedAt === undefined || (entryType !== 'sale' && entryType !== 'refund')) {
    return err(...problems.map((p) => `warehouse entry ${entryId}: ${p}`));
  }

  const order = orderValue === '' ? undefined : orderRefOf(orderValue, ctx.keyRules);
  const parsed = CanonicalEventSchema.safeParse({
    id: raw.id,
    source: 'warehouse',
    system: 'warehouse',
    kind: 'booking',
    refs: [`booking:${entryId}`, ...(order === undefined ? [] : [order])],
    occurredAt: bookedAt,
    receivedAt: raw.receivedAt,
    data: { entryId, orderRef: orderValue, entryType, amount: amount.value, bookedAt, version: sourceVersion(bookedAt) },
  });
  if (!parsed.success) return err(...parsed.error.issues.map((i) => `warehouse entry ${entryId}: ${i.path.join('.') || '(event)'}: ${i.message}`));
  return ok([parsed.data]);
}

/** The finance warehouse: ledger rows as `booking` events (feeds only; nothing is signed). */
export const warehouseSource: SourceModule = {
  system: 'warehouse',
  source: 'warehouse',
  fromFeedItem,
  normalize(raw, ctx) {
    // The ledger pull's own bookkeeping (where the next pull starts), not an entry of the books.
    if (raw.topic === LEDGER_WATERMARK_TOPIC) return ok([]);
    try {
      return normalizeRow(raw, ctx);
    } catch (e) {
      return err(`warehouse ${raw.id}: cannot normalize: ${(e as Error).message}`);
    }
  },
};
