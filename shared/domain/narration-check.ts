// Checks a narration against the night's facts, so a model can reword the findings but never change them (DESIGN §1, §8).
import type { Facts } from './checks.ts';
import { canonicalInstant } from './instant.ts';
import { currencyExponent, formatMoney, parseMoney, toMajorString } from './money.ts';
import type { Report, ReportException } from './report.ts';

/*
 * The rules (DESIGN §8: every amount, date, order key and count the narration mentions must be in the facts).
 *
 * Shape
 * - The narration has exactly one text per exception id in the facts: none missing, none unknown, none twice.
 * - Every text is non-empty after trimming and at most 600 characters; the summary at most 1,000.
 * - No text carries a link, a chat mention (`<!channel>`, `<@U1>`, `@here`), an e-mail address
 *   or a control character: the facts hold none, so any would be invented (and could page people).
 *
 * Tokens (read left to right; a character belongs to at most one token)
 * - Identifiers from the facts that mix letters and digits (exception ids `80213:captured_not_shipped`,
 *   provisional keys `payment:pi_1`, payment, payout and dispute ids, SKUs, rule ids, and `3PL`) are
 *   allowed verbatim and their digits are not read as numbers. An identifier that is not in the facts
 *   is not recognised, so its digits are read as numbers below and usually fail.
 * - ISO instants (`2026-11-23T14:00:00Z`) must equal, as instants, one in the facts (`since`, instant facts).
 * - Dates (`2026-11-25`, `November 25, 2026`, `25 Nov`) must be the business date or the UTC day of an
 *   instant in the facts; a date without a year matches any such day with that month and day.
 * - Times of day (`14:00`) must be the UTC time of an instant in the facts.
 * - Money: a number with a currency sign or code before it (`$1,234.56`, `€12`, `CA$5`, `KWD 12.345`)
 *   or a code after it (`12.345 KWD`) must equal the exception's own amount at risk (the summary: any
 *   exception's, or an `atRisk` total) in that currency, compared as exact minor units (`€12` is `€12.00`). Signs are read as `formatMoney`
 *   (en-US) writes them: `$` is USD, `CA$` CAD, `¥` JPY, `CN¥` CNY; a code always works.
 * - `#80213` must be an order key.
 * - Any other number (`80213`, `1,234`, `53.7`, `1500`) must be an order key; a count (orders checked,
 *   a bucket count, their total, exceptions, resolved, new, recurring, per code, per owner); an age
 *   in hours (exact, rounded or floored); nights; a number in a fact (`residual`, `lines`, the
 *   quantities in `SKU-1: ordered 2, shipped 1`, the template text); the year of the business date;
 *   or the major-unit value of a supported amount (`1500` for `¥1,500`). A number followed by
 *   `day(s)` or `d` may also be the age in whole days (floored or rounded).
 * - Thousands separators are read only as en-US groups of three (`1,234`); `80213, 80214` is two numbers.
 *   Signs are ignored: the facts hold magnitudes.
 *
 * Scope: an exception's text may cite its own exception's facts and the night's business date and
 * counts; the summary may cite anything, the totals at risk included. So a text cannot move one
 * order's amount, key or date onto another order. Every problem names the token and where it was
 * found (an exception id, or `summary`).
 *
 * Known limit: numbers written as words ("three orders") are not checked; the model is told to use digits.
 */

/** What a narrator may see: the findings, no customer PII (the narrator port re-exports it). */
export type NarrationFacts = {
  readonly businessDate: string;
  readonly ordersChecked: number;
  readonly counts: Readonly<Record<string, number>>;
  readonly resolved: number;
  readonly atRisk: readonly string[];
  readonly exceptions: readonly {
    readonly id: string;
    readonly orderKey: string;
    readonly code: string;
    readonly description: string;
    readonly bucket: string;
    readonly owner: string;
    readonly amount: string;
    readonly amountMinor: number;
    readonly currency: string;
    readonly since: string;
    readonly ageHours: number;
    readonly nights: number;
    readonly status: string;
    readonly rule: string | null;
    readonly facts: Facts;
    readonly template: string;
  }[];
};

/** Text for the summary and for every exception, by exception id. */
export type Narration = { readonly summary: string; readonly exceptions: readonly { readonly id: string; readonly text: string }[] };

/** The longest text allowed for one exception, in characters (a Slack section holds 3,000 with the rest of the line). */
export const MAX_EXCEPTION_TEXT = 600;
/** The longest summary allowed, in characters. */
export const MAX_SUMMARY_TEXT = 1_000;

/** Either the narration may be used, or the reasons it may not. */
export type NarrationVerdict = { readonly ok: true } | { readonly ok: false; readonly problems: string[] };

type Exception = NarrationFacts['exceptions'][number];

/** What a text may cite: each set holds canonical forms. */
type Support = {
  /** `USD:123456` — currency and exact minor units. */
  readonly money: Set<string>;
  /** Canonical decimals (`1234.56`, `80213`, `53.7`) a bare number may equal. */
  readonly numbers: Set<string>;
  /** Whole days a number followed by `days` may equal. */
  readonly days: Set<string>;
  readonly orderKeys: Set<string>;
  readonly dates: Set<string>;
  readonly instants: Set<string>;
  /** `HH:MM` (UTC) of the instants. */
  readonly times: Set<string>;
  /** Identifiers that mix letters and digits, allowed verbatim. */
  readonly literals: Set<string>;
};

const emptySupport = (): Support => ({
  money: new Set(),
  numbers: new Set(),
  days: new Set(),
  orderKeys: new Set(),
  dates: new Set(),
  instants: new Set(),
  times: new Set(),
  literals: new Set(),
});

function merge(...parts: readonly Support[]): Support {
  const out = emptySupport();
  for (const p of parts) for (const key of Object.keys(out) as (keyof Support)[]) for (const v of p[key]) out[key].add(v);
  return out;
}

/** `001,234.50` → `1234.5`; the form both sides of a comparison are reduced to. */
function canonicalDecimal(text: string): string {
  const [whole = '', fraction = ''] = text.replace(/,/g, '').replace(/^[+-]/, '').split('.');
  const w = whole.replace(/^0+(?=\d)/, '') || '0';
  const f = fraction.replace(/0+$/, '');
  return f ? `${w}.${f}` : w;
}

const numberText = (n: number): string | undefined => (Number.isFinite(n) ? canonicalDecimal(String(Math.abs(n))) : undefined);

// Grammar of the tokens, shared by the facts (to collect numbers from prose) and the narration.
const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
// Capitalised only: `may` and `march` are also ordinary words.
const MONTH = '(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)';
const SYMBOL = '[$€£¥₹₩₪₫₱]';
const TOKEN = new RegExp(
  [
    String.raw`(?<instant>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))`,
    String.raw`(?<date>\d{4}-\d{2}-\d{2})`,
    String.raw`(?<md>\b${MONTH}\.?\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?)(?![\d])`,
    String.raw`(?<dm>\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?${MONTH}\b\.?(?:,?\s+\d{4})?)(?![\d])`,
    String.raw`(?<time>(?<![\d.,])\d{1,2}:\d{2}(?::\d{2})?)(?![\d])`,
    // The lookahead keeps `ON 2026-11-25` from being read as a sign and a number before the date is seen.
    String.raw`(?<pre>\b[A-Z]{3}[\s\u00A0]?|(?:\b[A-Z]{1,2})?${SYMBOL}[\s\u00A0]?)?(?!\d{4}-\d{2}-\d{2})(?<hash>#)?(?<num>\d{1,3}(?:,\d{3})+(?!\d)(?:\.\d+)?|\d+(?:\.\d+)?)(?<suf>[\s\u00A0]?(?:[A-Z]{3}\b|[€£]))?`,
  ].join('|'),
  'g',
);

const DAYS_AFTER = /^[\s\u00A0]*-?[\s\u00A0]*(?:days?|d)\b/i;

// Every currency ICU knows, by the sign en-US formatting puts before its amounts (`$` → USD, `CA$` → CAD).
let symbols: ReadonlyMap<string, readonly string[]> | undefined;
function currenciesForSign(sign: string): readonly string[] {
  if (symbols === undefined) {
    const map = new Map<string, string[]>();
    for (const code of Intl.supportedValuesOf('currency')) {
      const part = new Intl.NumberFormat('en-US', { style: 'currency', currency: code }).formatToParts(0).find((p) => p.type === 'currency')?.value;
      if (part !== undefined && part !== code) map.set(part, [...(map.get(part) ?? []), code]);
    }
    symbols = map;
  }
  const trimmed = sign.trim();
  const upper = trimmed.toUpperCase();
  // A three-letter sign is a code only when written in capitals (`KWD`, not `and`).
  if (/^[A-Z]{3}$/.test(trimmed) && upper !== 'XXX' && currencyExponent(upper) !== undefined) return [upper];
  return symbols.get(trimmed) ?? [];
}

/** Minor units of `num` (digits, optional en-US grouping) in `currency`, or undefined when it would need rounding. */
function minorUnits(num: string, currency: string): number | undefined {
  const parsed = parseMoney(num.replace(/,/g, ''), currency);
  return parsed.ok ? parsed.value.amount : undefined;
}

function addInstant(s: Support, value: string): void {
  const canonical = canonicalInstant(value);
  if (canonical === undefined) return;
  s.instants.add(canonical);
  s.dates.add(canonical.slice(0, 10));
  s.times.add(canonical.slice(11, 16));
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const IDENTIFIER_PIECE = /[A-Za-z0-9_][A-Za-z0-9_.\-/]*/g;

/** Adds what a string from the facts lets a text cite: itself if an identifier, its numbers if prose or numeric. */
function addString(s: Support, value: string): void {
  const text = value.trim();
  if (text === '') return;
  if (canonicalInstant(text) !== undefined) return addInstant(s, text);
  if (ISO_DATE.test(text)) {
    s.dates.add(text);
    return;
  }
  if (/^\d+(?:\.\d+)?$/.test(text)) {
    s.numbers.add(canonicalDecimal(text));
    return;
  }
  const mixed = (x: string) => /\d/.test(x) && /[A-Za-z]/.test(x);
  if (mixed(text) && text.length <= 200) s.literals.add(text);
  // The pieces of a compound identifier (`payment:pi_1` → `pi_1`) may be cited alone.
  for (const piece of text.match(IDENTIFIER_PIECE) ?? []) if (mixed(piece)) s.literals.add(piece.replace(/[.\-/]+$/, ''));
  // Prose (`SKU-1: ordered 2, shipped 1`, the template) may be paraphrased, so its numbers are citable.
  if (/\s/.test(text)) {
    const masked = maskLiterals(text, s.literals);
    for (const m of masked.matchAll(TOKEN)) {
      const g = m.groups ?? {};
      if (g['instant'] !== undefined) addInstant(s, g['instant']);
      else if (g['date'] !== undefined) s.dates.add(g['date']);
      else if (g['num'] !== undefined) s.numbers.add(canonicalDecimal(g['num']));
    }
  }
}

function addValue(s: Support, value: unknown): void {
  if (typeof value === 'number') {
    const n = numberText(value);
    if (n !== undefined) s.numbers.add(n);
  } else if (typeof value === 'string') addString(s, value);
  else if (Array.isArray(value)) for (const v of value) addValue(s, v);
}

function addMoney(s: Support, amount: number, currency: string): void {
  if (currency === 'XXX' || !Number.isSafeInteger(amount) || currencyExponent(currency) === undefined) return;
  const magnitude = Math.abs(amount);
  s.money.add(`${currency}:${magnitude}`);
  s.numbers.add(canonicalDecimal(toMajorString({ amount: magnitude, currency })));
}

function addAge(s: Support, ageHours: number): void {
  if (!Number.isFinite(ageHours) || ageHours < 0) return;
  for (const h of [ageHours, Math.floor(ageHours), Math.round(ageHours)]) s.numbers.add(canonicalDecimal(String(h)));
  const days = Math.floor(ageHours / 24);
  s.days.add(String(days));
  s.days.add(String(Math.round(ageHours / 24)));
  // The renderers' `3d 4h` form: the hours past the whole days.
  s.numbers.add(String(Math.round(ageHours - days * 24)));
}

function addOrderKey(s: Support, key: string): void {
  if (/^\d+$/.test(key)) {
    s.orderKeys.add(canonicalDecimal(key));
    s.numbers.add(canonicalDecimal(key));
  } else addString(s, key);
}

/** What any text may cite: the business date and the counts. */
function reportSupport(facts: NarrationFacts): Support {
  const s = emptySupport();
  s.literals.add('3PL');
  s.dates.add(facts.businessDate);
  s.numbers.add(facts.businessDate.slice(0, 4));
  const counts: number[] = [facts.ordersChecked, facts.resolved, facts.exceptions.length, ...Object.values(facts.counts)];
  counts.push(Object.values(facts.counts).reduce((a, b) => a + b, 0));
  counts.push((facts.counts['genuine_error'] ?? 0) + (facts.counts['mapping'] ?? 0));
  const tally = (key: (e: Exception) => string) => {
    const by = new Map<string, number>();
    for (const e of facts.exceptions) by.set(key(e), (by.get(key(e)) ?? 0) + 1);
    counts.push(...by.values());
  };
  tally((e) => e.status);
  tally((e) => e.code);
  tally((e) => e.owner);
  tally((e) => `${e.bucket}:${e.code}`);
  counts.push(facts.exceptions.filter((e) => e.status === 'new' && e.bucket !== 'known_accepted').length);
  for (const n of counts) addValue(s, n);
  return s;
}

/** The totals at risk per currency: the summary's to cite, not any one exception's. */
function totalsSupport(facts: NarrationFacts): Support {
  const s = emptySupport();
  for (const text of facts.atRisk) {
    for (const m of text.matchAll(TOKEN)) {
      const g = m.groups ?? {};
      const num = g['num'];
      if (num === undefined) continue;
      for (const currency of [...currenciesForSign(g['pre'] ?? ''), ...currenciesForSign(g['suf'] ?? '')]) {
        const minor = minorUnits(num, currency);
        if (minor !== undefined) addMoney(s, minor, currency);
      }
    }
  }
  return s;
}

/** What one exception's text may cite beyond the report-level facts. */
function exceptionSupport(e: Exception): Support {
  const s = emptySupport();
  s.literals.add(e.id);
  addOrderKey(s, e.orderKey);
  addMoney(s, e.amountMinor, e.currency);
  addInstant(s, e.since);
  addAge(s, e.ageHours);
  addValue(s, e.nights);
  if (e.rule !== null) addString(s, e.rule);
  addString(s, e.description);
  addString(s, e.template);
  for (const value of Object.values(e.facts)) addValue(s, value);
  return s;
}

function maskLiterals(text: string, literals: ReadonlySet<string>): string {
  let out = text;
  const word = /[A-Za-z0-9_]/;
  // Longest first, so `80213:captured_not_shipped` is taken whole before any piece of it.
  for (const lit of [...literals].sort((a, b) => b.length - a.length)) {
    let from = 0;
    for (;;) {
      const at = out.indexOf(lit, from);
      if (at < 0) break;
      const before = out[at - 1];
      const after = out[at + lit.length];
      if ((before === undefined || !word.test(before)) && (after === undefined || !word.test(after))) {
        out = out.slice(0, at) + ' '.repeat(lit.length) + out.slice(at + lit.length);
      }
      from = at + lit.length;
    }
  }
  return out;
}

function monthDate(text: string): { month: number; day: number; year: string | undefined } | undefined {
  const lower = text.toLowerCase();
  const month = MONTHS.findIndex((m) => new RegExp(`\\b${m.slice(0, 3)}`).test(lower));
  const numbers = [...lower.matchAll(/\d+/g)].map((m) => m[0]);
  const day = numbers.find((n) => n.length <= 2);
  const year = numbers.find((n) => n.length === 4);
  if (month < 0 || day === undefined) return undefined;
  return { month: month + 1, day: Number(day), year };
}

const pad = (n: number) => String(n).padStart(2, '0');

/** The problems of one text against what it may cite (empty when it checks out). */
function textProblems(where: string, text: string, s: Support): string[] {
  const problems: string[] = [];
  const bad = (token: string, why: string) => problems.push(`${where}: ${JSON.stringify(token.trim())} ${why}`);
  const masked = maskLiterals(text, s.literals);
  for (const m of masked.matchAll(TOKEN)) {
    const g = m.groups ?? {};
    const token = m[0];
    if (g['instant'] !== undefined) {
      const canonical = canonicalInstant(g['instant']);
      if (canonical === undefined || !s.instants.has(canonical)) bad(token, 'is not an instant in the facts');
    } else if (g['date'] !== undefined) {
      if (!s.dates.has(g['date'])) bad(token, 'is not a date in the facts');
    } else if (g['md'] !== undefined || g['dm'] !== undefined) {
      const d = monthDate(token);
      const suffix = d && `-${pad(d.month)}-${pad(d.day)}`;
      const found = d && suffix && [...s.dates].some((x) => x.endsWith(suffix) && (d.year === undefined || x.startsWith(d.year)));
      if (!found) bad(token, 'is not a date in the facts');
    } else if (g['time'] !== undefined) {
      const [h = '', min = ''] = g['time'].split(':');
      if (!s.times.has(`${h.padStart(2, '0')}:${min}`)) bad(token, 'is not a time in the facts');
    } else if (g['num'] !== undefined) {
      const num = g['num'];
      const signs = [g['pre'], g['suf']].filter((x): x is string => x !== undefined && x.trim() !== '');
      const currencies = signs.flatMap(currenciesForSign);
      // A sign that is neither a currency nor a symbol (`SKU 12`, `12 PCS`) leaves a plain number.
      const isMoney = currencies.length > 0 || signs.some((x) => new RegExp(SYMBOL).test(x));
      const value = canonicalDecimal(num);
      if (isMoney) {
        const ok = currencies.some((c) => {
          const minor = minorUnits(num, c);
          return minor !== undefined && s.money.has(`${c}:${minor}`);
        });
        if (!ok) bad(token, 'is not an amount at risk in the facts (same currency, same value)');
      } else if (g['hash'] !== undefined) {
        if (!s.orderKeys.has(value)) bad(token, 'is not an order key in the facts');
      } else {
        const end = (m.index ?? 0) + token.length;
        const days = DAYS_AFTER.test(masked.slice(end)) && s.days.has(value);
        if (!days && !s.numbers.has(value)) bad(token, 'is not an order key, count, age, night count or amount in the facts');
      }
    }
  }
  return problems;
}

const FORBIDDEN: readonly [RegExp, string][] = [
  [/https?:\/\/|www\./i, 'contains a link'],
  [/<[!@#]|@(?:here|channel|everyone)\b/i, 'contains a chat mention'],
  [/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/, 'contains an e-mail address'],
  [/[\u0000-\u001f\u007f]/, 'contains a control character or line break'],
];

function shapeProblems(where: string, text: unknown, max: number): string[] {
  if (typeof text !== 'string') return [`${where}: the text is not a string`];
  if (text.trim() === '') return [`${where}: the text is empty`];
  const problems: string[] = [];
  const length = [...text].length;
  if (length > max) problems.push(`${where}: the text is ${length} characters, over the ${max} allowed`);
  for (const [pattern, why] of FORBIDDEN) if (pattern.test(text)) problems.push(`${where}: the text ${why}`);
  return problems;
}

/**
 * Whether a narration may replace the template: it covers exactly the facts' exceptions, its texts
 * are of sensible length, and every number, amount, date and key in them is in the facts (rules above).
 */
export function checkNarration(narration: Narration, facts: NarrationFacts): NarrationVerdict {
  const problems: string[] = [];
  const known = new Map(facts.exceptions.map((e) => [e.id, e]));
  const seen = new Set<string>();
  const entries = Array.isArray(narration.exceptions) ? narration.exceptions : [];
  if (!Array.isArray(narration.exceptions)) problems.push('exceptions: not a list');
  for (const entry of entries) {
    const id = String(entry.id);
    if (!known.has(id)) problems.push(`${id}: not an exception in the facts`);
    else if (seen.has(id)) problems.push(`${id}: narrated more than once`);
    seen.add(id);
  }
  for (const id of known.keys()) if (!seen.has(id)) problems.push(`${id}: not narrated`);

  const report = reportSupport(facts);
  const own = new Map([...known].map(([id, e]) => [id, exceptionSupport(e)]));
  const summaryProblems = shapeProblems('summary', narration.summary, MAX_SUMMARY_TEXT);
  problems.push(...summaryProblems);
  if (summaryProblems.length === 0) problems.push(...textProblems('summary', narration.summary, merge(report, totalsSupport(facts), ...own.values())));
  for (const entry of entries) {
    const support = own.get(String(entry.id));
    if (support === undefined) continue;
    const where = String(entry.id);
    const shape = shapeProblems(where, entry.text, MAX_EXCEPTION_TEXT);
    problems.push(...shape);
    if (shape.length === 0) problems.push(...textProblems(where, entry.text, merge(report, support)));
  }
  return problems.length === 0 ? { ok: true } : { ok: false, problems };
}

const display = (e: Pick<ReportException, 'amount' | 'currency'>) => (e.currency === 'XXX' ? 'no amount' : formatMoney({ amount: e.amount, currency: e.currency }));

/**
 * The facts a narrator sees for a report: ids, keys, codes, amounts (formatted and in minor units),
 * ages, owners and each break's facts (systems, gateways, SKUs, carriers, source ids) — no customer
 * PII, which canonical events never carry — with the current narrative as the template.
 */
export function narrationFactsOf(report: Report): NarrationFacts {
  return {
    businessDate: report.businessDate,
    ordersChecked: report.ordersChecked,
    counts: { ...report.counts },
    resolved: report.resolved.length,
    atRisk: report.atRisk.map((m) => formatMoney(m)),
    exceptions: report.exceptions.map((e) => ({
      id: e.id,
      orderKey: e.orderKey,
      code: e.code,
      description: e.description,
      bucket: e.bucket,
      owner: e.owner,
      amount: display(e),
      amountMinor: e.amount,
      currency: e.currency,
      since: e.since,
      ageHours: e.ageHours,
      nights: e.nights,
      status: e.status,
      rule: e.rule,
      facts: { ...e.facts },
      template: e.narrative,
    })),
  };
}
