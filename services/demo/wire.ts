// What rendered payloads share: the rendered-delivery shape, timestamp formats as each sender writes them, and CSV.
import { Temporal } from 'temporal-polyfill';
import type { Ms, Rng } from './shop.ts';

/** A webhook as its sender would send it, before delays, retries and signing. */
export type Rendered = {
  readonly system: 'shopify' | 'stripe' | 'shipbob';
  readonly topic: string;
  /** When the fact it reports happened (the sender's trigger time). */
  readonly at: Ms;
  readonly deliveryId: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** The order it belongs to (for shuffling within an order); empty for payouts. */
  readonly group: string;
};

/** The shop's own time zone: Shopify writes instants with its offset. */
export const SHOP_ZONE = 'America/New_York';

/** Shopify's format: local time of the shop with its offset (`2026-11-20T05:03:12-05:00`). */
export const shopTime = (ms: Ms): string =>
  Temporal.Instant.fromEpochMilliseconds(ms).toZonedDateTimeISO(SHOP_ZONE).toString({ smallestUnit: 'second', timeZoneName: 'never', offset: 'auto' });

/** ISO 8601 UTC without milliseconds (`2026-11-20T10:03:12Z`), as ShipBob and the ledger write it. */
export const isoZ = (ms: Ms): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** ISO 8601 UTC with milliseconds, as headers such as `X-Shopify-Triggered-At` carry it. */
export const isoMs = (ms: Ms): string => new Date(ms).toISOString();

/** Unix seconds, as Stripe writes every instant. */
export const unix = (ms: Ms): number => Math.floor(ms / 1000);

/** Stripe report format: `YYYY-MM-DD HH:MM:SS` in UTC. */
export const reportTime = (ms: Ms): string => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

/** A random (v4-shaped) UUID from the seeded PRNG. */
export function uuid(rng: Rng): string {
  const hex = Array.from({ length: 32 }, () => '0123456789abcdef'[rng.int(0, 15)]).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${'89ab'[rng.int(0, 3)]}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const csvCell = (v: string): string => (/[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** RFC 4180 CSV with a header line; every row has the header's columns (missing cells empty). */
export function toCsv(columns: readonly string[], rows: readonly Readonly<Record<string, string>>[]): string {
  const lines = [columns.map(csvCell).join(',')];
  for (const r of rows) lines.push(columns.map((c) => csvCell(r[c] ?? '')).join(','));
  return `${lines.join('\n')}\n`;
}
