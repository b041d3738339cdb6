// Order keys and references: normalization, anchors and provisional keys (DESIGN §4).

/** How raw order references are turned into order keys (from config `keys`). */
export type KeyRules = {
  readonly stripPrefixes: readonly string[];
  readonly stripSuffixes: readonly string[];
  readonly caseSensitive: boolean;
};

export const DEFAULT_KEY_RULES: KeyRules = { stripPrefixes: ['#'], stripSuffixes: [], caseSensitive: false };

/**
 * The order key for a raw order number (`#80213` → `80213`): trimmed, configured prefixes and
 * suffixes removed (longest first, once each), upper-cased unless keys are case sensitive.
 * Returns undefined when nothing is left.
 */
export function normalizeOrderKey(raw: string | number, rules: KeyRules = DEFAULT_KEY_RULES): string | undefined {
  let key = String(raw).trim();
  const fold = (s: string) => (rules.caseSensitive ? s : s.toUpperCase());
  const byLength = (xs: readonly string[]) => [...xs].filter((x) => x.length > 0).sort((a, b) => b.length - a.length);
  for (const prefix of byLength(rules.stripPrefixes)) {
    if (fold(key).startsWith(fold(prefix))) {
      key = key.slice(prefix.length).trim();
      break;
    }
  }
  for (const suffix of byLength(rules.stripSuffixes)) {
    if (fold(key).endsWith(fold(suffix))) {
      key = key.slice(0, key.length - suffix.length).trim();
      break;
    }
  }
  key = fold(key);
  return key.length > 0 ? key : undefined;
}

/**
 * The reference a loose order reference stands for (a 3PL `reference_id`, a ledger `order_id`):
 * a storefront order id when it is a long number (Shopify's ids have nine or more digits),
 * otherwise an order number, normalized to its key.
 */
export function orderReference(value: string, rules: KeyRules = DEFAULT_KEY_RULES): string | undefined {
  const v = value.trim();
  if (/^\d{9,}$/.test(v)) return `shopify-order:${v}`;
  const key = normalizeOrderKey(v, rules);
  return key === undefined ? undefined : `order:${key}`;
}

/** Reference namespaces, in the order that picks a provisional key's name (most telling first). */
export const PROVISIONAL_NAMESPACES = [
  'payment',
  'charge',
  'payment-refund',
  'dispute',
  'shipment',
  'booking',
  'payout',
] as const;

export const ref = (namespace: string, value: string): string => `${namespace}:${value}`;
export const orderRef = (orderKey: string): string => ref('order', orderKey);

export function refNamespace(r: string): string {
  const i = r.indexOf(':');
  return i < 0 ? r : r.slice(0, i);
}

export function refValue(r: string): string {
  const i = r.indexOf(':');
  return i < 0 ? '' : r.slice(i + 1);
}

/** An anchor names an order by its key; every other reference must resolve through aliases. */
export const isAnchor = (r: string): boolean => refNamespace(r) === 'order';

/** Whether a state key is provisional (`payment:pi_…`) rather than an order key. */
export const isProvisionalKey = (key: string): boolean => key.includes(':');

/** Orders keys compare numerically when both are numbers (`999` < `1000`), else as strings. */
export function compareOrderKeys(a: string, b: string): number {
  const na = /^\d+$/.test(a);
  const nb = /^\d+$/.test(b);
  if (na && nb && a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The provisional key of a group of references with no order behind them: the most telling
 * reference (by namespace rank, then value), so the same group always gets the same key.
 */
export function provisionalKey(refs: Iterable<string>): string {
  let best: string | undefined;
  let bestRank = Number.POSITIVE_INFINITY;
  for (const r of refs) {
    if (isAnchor(r)) continue;
    const i = (PROVISIONAL_NAMESPACES as readonly string[]).indexOf(refNamespace(r));
    const rank = i < 0 ? PROVISIONAL_NAMESPACES.length : i;
    if (rank < bestRank || (rank === bestRank && best !== undefined && r < best)) {
      best = r;
      bestRank = rank;
    }
  }
  if (best === undefined) throw new Error('a provisional key needs at least one non-order reference');
  return best;
}
