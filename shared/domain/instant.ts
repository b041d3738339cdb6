// Instants and durations: ISO 8601 UTC strings in one canonical, sortable form.
import { z } from 'zod';

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** The `n` decimal digits of `text` from `at`, as a number; -1 if any is not a digit. */
function digitsAt(text: string, at: number, n: number): number {
  let value = 0;
  for (let i = at; i < at + n; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/**
 * Whether `text` is already `YYYY-MM-DDTHH:mm:ss.sssZ` naming a real instant: what `toISOString`
 * would give back unchanged (a day that exists, hours 00–23, no leap second).
 */
function isCanonical(text: string): boolean {
  if (text.length !== 24 || text[4] !== '-' || text[7] !== '-' || text[10] !== 'T' || text[13] !== ':' || text[16] !== ':' || text[19] !== '.' || text[23] !== 'Z') return false;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] as number))) return false;
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  return hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59 && digitsAt(text, 20, 3) >= 0;
}

/**
 * Canonicalises an ISO 8601 date-time with a zone designator to `YYYY-MM-DDTHH:mm:ss.sssZ`,
 * so that instants compare correctly as strings. Returns undefined for anything else.
 */
export function canonicalInstant(text: string): string | undefined {
  // Most instants arrive already canonical (our own events, stored state): checked field by field,
  // without building a Date (ingest and the matcher check several per event).
  if (isCanonical(text)) return text;
  if (!ISO_WITH_ZONE.test(text)) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) return undefined;
  // Date.parse rolls impossible days over (2026-02-30 → March 2); an instant must name a real day.
  const [y, m, d] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const day = new Date(Date.UTC(y, m - 1, d));
  if (day.getUTCMonth() !== m - 1 || day.getUTCDate() !== d) return undefined;
  return new Date(ms).toISOString();
}

/** An instant as a canonical UTC ISO string; accepts any zoned ISO 8601 input. */
export const InstantSchema = z.string().transform((text, ctx) => {
  const canonical = canonicalInstant(text);
  if (canonical === undefined) {
    ctx.addIssue({ code: 'custom', message: `not an ISO 8601 instant with a time zone: ${JSON.stringify(text)}` });
    return z.NEVER;
  }
  return canonical;
});
export type Instant = string;

/** The instant of a Unix timestamp in seconds (Stripe's `created`). */
export function instantFromUnixSeconds(seconds: number): Instant {
  return new Date(seconds * 1000).toISOString();
}

export const HOUR_MS = 3_600_000;

/** Milliseconds from `from` to `to` (negative when `to` is earlier). */
export function msBetween(from: Instant, to: Instant): number {
  return Date.parse(to) - Date.parse(from);
}

/** Hours from `from` to `to`, rounded down to a tenth of an hour for display. */
export function hoursBetween(from: Instant, to: Instant): number {
  return Math.floor(msBetween(from, to) / (HOUR_MS / 10)) / 10;
}

export const minInstant = (a: Instant | undefined, b: Instant | undefined): Instant | undefined =>
  a === undefined ? b : b === undefined ? a : a <= b ? a : b;

export const maxInstant = (a: Instant | undefined, b: Instant | undefined): Instant | undefined =>
  a === undefined ? b : b === undefined ? a : a >= b ? a : b;

/**
 * Parses a window or age written for people: `6h`, `48h`, `5d`, `90m`, or `none` (no window).
 * Returns hours (fractional for minutes), null for `none`, or undefined when unreadable.
 */
export function parseDurationHours(text: string | number): number | null | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? text : undefined;
  const t = text.trim().toLowerCase();
  if (t === 'none' || t === 'never') return null;
  const m = /^(\d+(?:\.\d+)?)\s*(m|h|d|w)$/.exec(t);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2];
  return unit === 'm' ? n / 60 : unit === 'h' ? n : unit === 'd' ? n * 24 : n * 168;
}
