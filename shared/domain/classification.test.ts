import { describe, expect, it } from 'vitest';
import { at, order, payment, shipment, booking } from '../../test/support/builders.ts';
import { FIRING } from '../../test/support/scenarios.ts';
import { CHECKS, DEFAULT_CHECK_CONFIG, runChecks, type Break, type CheckCode } from './checks.ts';
import { classify, classifyAll, mappingCause, type ClassifyContext } from './classification.ts';
import { applyAll } from './routing.ts';
import { RuleSchema, type Rule } from './rules.ts';

function breakOf(code: CheckCode): Break {
  const s = FIRING[code];
  const state = applyAll(s.events()).docs.get(s.key)!;
  const b = runChecks(state, { ...DEFAULT_CHECK_CONFIG, ...s.config }).find((x) => x.code === code);
  if (!b) throw new Error(`scenario for ${code} did not fire`);
  return b;
}

const ctx = (asOf: string, rules: Rule[] = [], businessDate = asOf.slice(0, 10)): ClassifyContext => ({ asOf, businessDate, rules });
const plus = (instant: string, ms: number) => new Date(Date.parse(instant) + ms).toISOString();
const rule = (r: Partial<Rule> & { id: string }): Rule => RuleSchema.parse({ reason: 'accepted by finance', owner: 'finance', added: '2026-11-01', ...r });

describe('timing windows', () => {
  const windowed = CHECKS.filter((c) => c.windowHours !== null).map((c) => [c.code] as const);
  const windowless = CHECKS.filter((c) => c.windowHours === null).map((c) => [c.code] as const);

  it.each(windowed)('%s: timing just inside its window, its real bucket just outside', (code) => {
    const b = breakOf(code);
    const edge = plus(b.since, (b.windowHours as number) * 3_600_000);
    expect(classify(b, ctx(edge)).bucket).toBe('timing');
    expect(classify(b, ctx(plus(b.since, 1))).bucket).toBe('timing');
    const outside = classify(b, ctx(plus(edge, 1000)));
    expect(outside.bucket).toBe(code.startsWith('orphan_') ? 'mapping' : 'genuine_error');
    expect(outside.ageHours).toBe(b.windowHours);
  });

  it.each(windowless)('%s: has no window, so it is never timing', (code) => {
    const b = breakOf(code);
    expect(classify(b, ctx(plus(b.since, 1))).bucket).not.toBe('timing');
  });

  it('ages are hours from the clock fact to the cutoff', () => {
    const b = breakOf('captured_not_shipped');
    expect(classify(b, ctx(at(1 + 50.5))).ageHours).toBe(50.5);
  });
});

describe('bucket precedence', () => {
  it('known_accepted beats timing, timing beats mapping, mapping beats genuine_error', () => {
    const orphan = breakOf('orphan_payment');
    const inWindow = plus(orphan.since, 3_600_000);
    const accept = rule({ id: 'stray-payments', code: 'orphan_payment' });
    expect(classify(orphan, ctx(inWindow, [accept])).bucket).toBe('known_accepted');
    expect(classify(orphan, ctx(inWindow)).bucket).toBe('timing');
    expect(classify(orphan, ctx(plus(orphan.since, 48 * 3_600_000)))).toMatchObject({ bucket: 'mapping', cause: 'orphan' });
    expect(classify(breakOf('capture_mismatch'), ctx(at(100))).bucket).toBe('genuine_error');
  });

  it('currency mismatches are mapping issues', () => {
    expect(classify(breakOf('currency_mismatch'), ctx(at(100)))).toMatchObject({ bucket: 'mapping', cause: 'currency' });
  });

  it('an amount off by an exact power of ten is a mapping issue (decimal_shift); other differences are genuine', () => {
    const events = (captured: number) => [order({ total: 19965 }), payment({ pi: 'pi_p10', order: '1001', amount: captured }), shipment(), booking({ amount: 19965 })];
    const mismatch = (captured: number) => runChecks(applyAll(events(captured)).docs.get('1001')!).find((b) => b.code === 'capture_mismatch')!;
    expect(classify(mismatch(1996500), ctx(at(100)))).toMatchObject({ bucket: 'mapping', cause: 'decimal_shift', amount: 1976535 });
    expect(classify(mismatch(1997), ctx(at(100))).bucket).toBe('genuine_error');
    expect(classify(mismatch(1996), ctx(at(100))).bucket).toBe('genuine_error');
    expect(mappingCause({ ...mismatch(1996), expected: 19965, actual: 199650 })).toBe('decimal_shift');
  });

  it('every break gets exactly one bucket', () => {
    for (const c of CHECKS) {
      const b = classify(breakOf(c.code), ctx(at(1000)));
      expect(['known_accepted', 'timing', 'mapping', 'genuine_error']).toContain(b.bucket);
    }
  });
});

describe('rules', () => {
  const b = breakOf('captured_not_shipped');
  const late = at(200);

  it('match by exact exception id', () => {
    const r = rule({ id: 'r1', exception: '1001:captured_not_shipped' });
    expect(classify(b, ctx(late, [r]))).toMatchObject({ bucket: 'known_accepted', ruleId: 'r1' });
    expect(classify(b, ctx(late, [rule({ id: 'r2', exception: '1002:captured_not_shipped' })])).bucket).toBe('genuine_error');
  });

  it('match by code and predicates over the facts', () => {
    expect(classify(b, ctx(late, [rule({ id: 'g', code: 'captured_not_shipped', match: { gateway: 'stripe', sku: ['SKU-A', 'SKU-B'] } })])).bucket).toBe('known_accepted');
    expect(classify(b, ctx(late, [rule({ id: 'g', code: 'captured_not_shipped', match: { gateway: 'paypal' } })])).bucket).toBe('genuine_error');
    expect(classify(b, ctx(late, [rule({ id: 'c', code: 'capture_mismatch' })])).bucket).toBe('genuine_error');
    const small = breakOf('capture_mismatch');
    expect(classify(small, ctx(late, [rule({ id: 'pennies', code: 'capture_mismatch', match: { maxAmount: 500 } })])).bucket).toBe('known_accepted');
    expect(classify(small, ctx(late, [rule({ id: 'pennies', code: 'capture_mismatch', match: { maxAmount: 499 } })])).bucket).toBe('genuine_error');
    expect(classify(breakOf('quantity_mismatch'), ctx(late, [rule({ id: 'usps', code: 'quantity_mismatch', match: { carrier: 'usps', system: 'logistics' } })])).bucket).toBe('known_accepted');
  });

  it('apply through their expiry date and not after it', () => {
    const r = rule({ id: 'temp', code: 'captured_not_shipped', expires: '2026-11-30' });
    expect(classify(b, ctx(late, [r], '2026-11-30')).bucket).toBe('known_accepted');
    expect(classify(b, ctx(late, [r], '2026-12-01')).bucket).toBe('genuine_error');
  });

  it('the first matching rule in file order wins, and hits are counted per rule', () => {
    const rules = [rule({ id: 'first', code: 'captured_not_shipped' }), rule({ id: 'second', code: 'captured_not_shipped' }), rule({ id: 'unused', code: 'dispute_open' })];
    const { classified, ruleHits } = classifyAll([b, breakOf('not_booked')], ctx(late, rules));
    expect(classified.map((c) => c.ruleId)).toEqual(['first', null]);
    expect(Object.fromEntries(ruleHits)).toEqual({ first: 1, second: 0, unused: 0 });
  });

  it('are validated: a code, an exception id or both, consistent, with real dates', () => {
    const bad = (r: object) => RuleSchema.safeParse({ id: 'x', reason: 'r', owner: 'o', added: '2026-11-01', ...r }).success;
    expect(bad({})).toBe(false);
    expect(bad({ code: 'no_such_code' })).toBe(false);
    expect(bad({ exception: '1001:no_such_code' })).toBe(false);
    expect(bad({ code: 'dispute_open', exception: '1001:not_booked' })).toBe(false);
    expect(bad({ code: 'dispute_open', added: '2026-02-30' })).toBe(false);
    expect(bad({ code: 'dispute_open', expires: '2026-10-01' })).toBe(false);
    expect(bad({ code: 'dispute_open', match: { colour: 'red' } })).toBe(false);
    expect(bad({ exception: '1001:not_booked' })).toBe(true);
  });
});
