// Business dates: which calendar day a nightly run covers, and the cutoff instant it is evaluated at (DESIGN §8).
import { Temporal } from 'temporal-polyfill';
import type { Instant } from './instant.ts';
import { err, ok, type Result } from './result.ts';

/** The zone and local cutoff time (`HH:MM`) that turn a business date into the instant its run is evaluated at. */
export type BusinessCalendar = { timeZone: string; cutoff: string };

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const CUTOFF = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** True when Temporal knows the zone as a named (IANA) time zone, such as `UTC` or `America/New_York`. */
export function isValidTimeZone(tz: string): boolean {
  // Fixed offsets like `+05:30` are valid to Temporal but never follow daylight saving; config asks for a named zone.
  if (/^[+-]/.test(tz.trim())) return false;
  try {
    Temporal.ZonedDateTime.from({ year: 2000, month: 1, day: 1, timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** True for a 24-hour local time `HH:MM` from `00:00` to `23:59`. */
export function isValidCutoff(text: string): boolean {
  return CUTOFF.test(text);
}

/** Returns the text when it is a strict `YYYY-MM-DD` that names a real calendar day, else an error naming it. */
export function parseBusinessDate(text: string): Result<string> {
  if (!DATE.test(text)) return err(`not a date in the form YYYY-MM-DD: ${JSON.stringify(text)}`);
  try {
    Temporal.PlainDate.from(text, { overflow: 'reject' });
  } catch {
    return err(`no such calendar day: ${JSON.stringify(text)}`);
  }
  return ok(text);
}

// Callers validate input with the Result-returning parsers first, so a bad value here is a programming error.
function plainDate(date: string): Temporal.PlainDate {
  const parsed = parseBusinessDate(date);
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return Temporal.PlainDate.from(date, { overflow: 'reject' });
}

function checkCalendar(cal: BusinessCalendar): void {
  if (!isValidTimeZone(cal.timeZone)) throw new Error(`unknown time zone: ${JSON.stringify(cal.timeZone)}`);
  if (!isValidCutoff(cal.cutoff)) throw new Error(`cutoff must be a local time HH:MM (00:00–23:59): ${JSON.stringify(cal.cutoff)}`);
}

function toInstant(text: Instant): Temporal.Instant {
  try {
    return Temporal.Instant.from(text);
  } catch {
    throw new Error(`not an ISO 8601 instant with a time zone: ${JSON.stringify(text)}`);
  }
}

function cutoffOf(date: Temporal.PlainDate, cal: BusinessCalendar): Temporal.Instant {
  // 'compatible' moves a cutoff inside a spring-forward gap later and takes the earlier of two repeated times,
  // the same choice as wall-clock schedulers, so every business date has exactly one cutoff.
  return date
    .add({ days: 1 })
    .toPlainDateTime(Temporal.PlainTime.from(cal.cutoff))
    .toZonedDateTime(cal.timeZone, { disambiguation: 'compatible' })
    .toInstant();
}

/** Returns the canonical instant of the cutoff local time on the day after `date` in the calendar's zone; throws on invalid input. */
export function cutoffInstant(date: string, cal: BusinessCalendar): Instant {
  const day = plainDate(date);
  checkCalendar(cal);
  return cutoffOf(day, cal).toString({ fractionalSecondDigits: 3 });
}

/** Returns the latest business date whose cutoff instant is at or before `now`. */
export function latestBusinessDate(now: Instant, cal: BusinessCalendar): string {
  checkCalendar(cal);
  const at = toInstant(now);
  // Start near the answer from the local date, then step; stepping (rather than comparing local clock times)
  // stays right across DST changes and days a zone skipped, since cutoffs never decrease from one date to the next.
  let day = at.toZonedDateTimeISO(cal.timeZone).toPlainDate().subtract({ days: 1 });
  while (Temporal.Instant.compare(cutoffOf(day, cal), at) > 0) day = day.subtract({ days: 1 });
  for (;;) {
    const next = day.add({ days: 1 });
    if (Temporal.Instant.compare(cutoffOf(next, cal), at) > 0) break;
    day = next;
  }
  return day.toString();
}

/** Returns the business date D an instant falls in, meaning cutoff(D-1) ≤ instant < cutoff(D). */
export function businessDateOf(instant: Instant, cal: BusinessCalendar): string {
  return addDays(latestBusinessDate(instant, cal), 1);
}

/** Returns the calendar date `n` whole days after `date` (before, when `n` is negative); throws on invalid input. */
export function addDays(date: string, n: number): string {
  if (!Number.isSafeInteger(n)) throw new Error(`days must be a whole number, got ${n}`);
  return plainDate(date).add({ days: n }).toString();
}

/** Returns the calendar date (`YYYY-MM-DD`) of an instant as seen in the zone; throws on an unknown zone. */
export function localDate(instant: Instant, timeZone: string): string {
  if (!isValidTimeZone(timeZone)) throw new Error(`unknown time zone: ${JSON.stringify(timeZone)}`);
  return toInstant(instant).toZonedDateTimeISO(timeZone).toPlainDate().toString();
}
