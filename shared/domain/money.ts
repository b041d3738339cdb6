// Money as exact integer minor units plus an ISO 4217 code: parsing, arithmetic and display without floating point.
import { err, ok, type Result } from './result.ts';

/** An amount in integer minor units (a safe integer, possibly negative) of an upper-case ISO 4217 currency. */
export type Money = { readonly amount: number; readonly currency: string };

// ISO 4217 "no currency": ICU does not list it, but records that carry no money still need a currency.
const NO_CURRENCY = 'XXX';
const CODE = /^[A-Z]{3}$/;

// Only valid codes are cached, so garbage input from a payload cannot grow the map without bound.
const exponents = new Map<string, number>([[NO_CURRENCY, 0]]);
let supported: ReadonlySet<string> | undefined;

/** Returns the number of minor-unit digits ICU gives a currency (case-insensitive), or undefined for a code ICU does not support. */
export function currencyExponent(code: string): number | undefined {
  const upper = code.toUpperCase();
  const cached = exponents.get(upper);
  if (cached !== undefined) return cached;
  if (!CODE.test(upper)) return undefined;
  // Intl.NumberFormat happily formats any three letters (e.g. `ABC`), so the list is the real check.
  supported ??= new Set(Intl.supportedValuesOf('currency'));
  if (!supported.has(upper)) return undefined;
  const exponent = new Intl.NumberFormat('en', { style: 'currency', currency: upper }).resolvedOptions().maximumFractionDigits;
  if (exponent === undefined) return undefined;
  exponents.set(upper, exponent);
  return exponent;
}

/** Returns the trimmed, upper-case code when it is a currency ICU supports (or `XXX`), else an error naming the value. */
export function normalizeCurrency(code: string): Result<string> {
  const upper = code.trim().toUpperCase();
  if (currencyExponent(upper) === undefined) return err(`unknown currency code ${JSON.stringify(code)} (expected an ISO 4217 code such as USD)`);
  return ok(upper);
}

const DECIMAL = /^([+-]?)(\d+)(?:\.(\d+))?$/;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

// Turns a sign and a digit string into a safe integer; BigInt keeps the range check exact past 2^53.
function safeMinorUnits(sign: string, digits: string): number | undefined {
  const magnitude = BigInt(digits);
  if (magnitude > MAX_SAFE) return undefined;
  const n = Number(magnitude);
  // `+ 0` turns -0 into 0 so that a zero never carries a sign.
  return sign === '-' ? -n + 0 : n;
}

/**
 * Converts a major-unit decimal (`"199.65"`, `12.5`) to exact minor units by string manipulation;
 * fails rather than round, and rejects anything that is not a plain decimal.
 */
export function parseMoney(value: string | number, currency: string): Result<Money> {
  const code = normalizeCurrency(currency);
  if (!code.ok) return code;
  const cur = code.value;
  const exponent = currencyExponent(cur) ?? 0;
  const shown = JSON.stringify(typeof value === 'number' ? String(value) : value);
  const fail = (why: string): Result<Money> => err(`cannot read ${shown} as a ${cur} amount: ${why}`);

  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return fail('not a finite number');
    text = String(value);
    // String() switches to exponent notation for tiny and huge numbers; guessing the digits would hide a bug upstream.
    if (/e/i.test(text)) return fail('the number is in exponent notation; send it as a decimal string');
  } else {
    text = value.trim();
    if (text === '') return fail('empty');
  }

  const m = DECIMAL.exec(text);
  if (!m) return fail('not a plain decimal number (digits with an optional sign and decimal point, no grouping or exponent)');
  const sign = m[1] ?? '';
  const whole = m[2] ?? '';
  const fraction = m[3] ?? '';

  const kept = fraction.slice(0, exponent);
  const dropped = fraction.slice(exponent);
  if (/[^0]/.test(dropped)) {
    return fail(`${cur} has ${exponent} decimal place${exponent === 1 ? '' : 's'}; the value would need rounding`);
  }
  const amount = safeMinorUnits(sign, whole + kept.padEnd(exponent, '0'));
  if (amount === undefined) return fail('too large to hold exactly');
  return ok({ amount, currency: cur });
}

/** Reads an amount that a source already sends in integer minor units (Stripe's `amount: 2000`); fails on fractions and unsafe integers. */
export function parseMinorUnits(value: number | string, currency: string): Result<Money> {
  const code = normalizeCurrency(currency);
  if (!code.ok) return code;
  const cur = code.value;
  const shown = JSON.stringify(typeof value === 'number' ? String(value) : value);
  const fail = (why: string): Result<Money> => err(`cannot read ${shown} as ${cur} minor units: ${why}`);

  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return fail('not a finite number');
    if (!Number.isInteger(value)) return fail('minor units must be a whole number');
    if (!Number.isSafeInteger(value)) return fail('too large to hold exactly');
    return ok({ amount: value + 0, currency: cur });
  }
  const m = /^([+-]?)(\d+)$/.exec(value.trim());
  if (!m) return fail('minor units must be a whole number');
  const amount = safeMinorUnits(m[1] ?? '', m[2] ?? '');
  if (amount === undefined) return fail('too large to hold exactly');
  return ok({ amount, currency: cur });
}

/** Builds Money from trusted values; throws on a non-safe-integer amount or an unknown currency. */
export function money(amount: number, currency: string): Money {
  if (!Number.isSafeInteger(amount)) throw new Error(`money amount must be a safe integer of minor units, got ${amount}`);
  const code = normalizeCurrency(currency);
  if (!code.ok) throw new Error(code.errors.join('; '));
  return { amount: amount + 0, currency: code.value };
}

/** Returns the exact major-unit decimal string (`19965 USD` → `"199.65"`, `-5 USD` → `"-0.05"`). */
export function toMajorString(m: Money): string {
  const exponent = currencyExponent(m.currency);
  if (exponent === undefined) throw new Error(`unknown currency code ${JSON.stringify(m.currency)}`);
  if (!Number.isSafeInteger(m.amount)) throw new Error(`money amount must be a safe integer of minor units, got ${m.amount}`);
  // Safe integers always print as plain digits, so the decimal point can be placed by string slicing.
  const digits = String(Math.abs(m.amount)).padStart(exponent + 1, '0');
  const sign = m.amount < 0 ? '-' : '';
  if (exponent === 0) return sign + digits;
  return `${sign}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

/** Formats money for people with the locale's currency style; exact, because Intl receives a decimal string, not a float. */
export function formatMoney(m: Money, locale = 'en-US'): string {
  const major = toMajorString(m) as `${number}`;
  if (m.currency === NO_CURRENCY) {
    // ICU would print a generic `¤` sign with two decimals; a moneyless record is just a count of units.
    return new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(major);
  }
  return new Intl.NumberFormat(locale, { style: 'currency', currency: m.currency }).format(major);
}

function checkedSum(a: number, b: number): number {
  const total = a + b;
  if (!Number.isSafeInteger(total)) throw new Error(`money overflow: ${a} + ${b} is not a safe integer`);
  return total + 0;
}

/** Adds two amounts of the same currency exactly; throws on a currency mismatch or overflow, both programming errors. */
export function addMoney(a: Money, b: Money): Money {
  if (a.currency !== b.currency) throw new Error(`cannot add ${a.currency} to ${b.currency}`);
  return { amount: checkedSum(a.amount, b.amount), currency: a.currency };
}

/** Sums amounts that must all be in `currency` (zero for an empty list); throws on a mismatch or overflow. */
export function sumMoney(items: readonly Money[], currency: string): Money {
  let total = money(0, currency);
  for (const item of items) {
    if (item.currency !== total.currency) throw new Error(`cannot add ${item.currency} to a ${total.currency} sum`);
    total = { amount: checkedSum(total.amount, item.amount), currency: total.currency };
  }
  return total;
}

const POWERS = [1n, 10n, 100n, 1_000n, 10_000n, 100_000n, 1_000_000n] as const;

/**
 * Returns k (1 ≤ |k| ≤ 6, positive when `actual` is larger) when one amount is exactly the other times 10^|k|
 * with the same sign, else null; this is how a decimal-place or units mistake shows up.
 */
export function isPowerOfTenFactor(expected: number, actual: number): number | null {
  if (!Number.isSafeInteger(expected) || !Number.isSafeInteger(actual)) return null;
  if (expected === 0 || actual === 0 || expected < 0 !== actual < 0) return null;
  // BigInt multiplication keeps the comparison exact even where the product passes 2^53.
  const e = BigInt(expected);
  const a = BigInt(actual);
  for (let k = 1; k < POWERS.length; k++) {
    const p = POWERS[k] ?? 1n;
    if (e * p === a) return k;
    if (a * p === e) return -k;
  }
  return null;
}
