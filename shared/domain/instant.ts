// Instants and durations: ISO 8601 UTC strings in one canonical, sortable form.
import { z } from 'zod';

const CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * Canonicalises an ISO 8601 date-time with a zone designator to `YYYY-MM-DDTHH:mm:ss.sssZ`,
 * so that instants compare correctly as strings. Returns undefined for anything else.
 */
export function canonicalInstant(text: string): string | undefined {
  // Most instants arrive already canonical (our own events, stored state): one round trip proves it.
  if (text.length === 24 && CANONICAL.test(text)) {
    const ms = Date.parse(text);
    if (!Number.isNaN(ms) && new Date(ms).toISOString() === text) return text;
  }
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
