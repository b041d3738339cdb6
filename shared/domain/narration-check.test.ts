// The narration check: a model may reword the findings, never add or change an amount, date, key or count.
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Narration as PortNarration, NarrationFacts as PortFacts } from '../ports/narrator.ts';
import { CHECK_CODES, type CheckCode } from './checks.ts';
import type { Classified } from './classification.ts';
import { formatMoney } from './money.ts';
import { checkNarration, narrationFactsOf, type Narration, type NarrationFacts } from './narration-check.ts';
import { buildReport, type Report } from './report.ts';
import { classifiedBreak, type BreakSpec } from '../../test/support/classified.ts';

const BUSINESS_DATE = '2026-11-25';
const AS_OF = '2026-11-26T06:00:00.000Z';

type Spec = BreakSpec;

function classified(s: Spec): Classified {
  const facts = { systems: ['processor', 'storefront'], gateways: ['stripe'], skus: ['SKU-1'], carriers: [], orderName: `#${s.key}`, ...s.facts };
  return classifiedBreak({ ...s, facts }, AS_OF);
}

function report(specs: readonly Spec[], previous: Report['exceptions'] = []): Report {
  return buildReport({
    businessDate: BUSINESS_DATE,
    asOf: AS_OF,
    runId: 'run-test',
    ordersChecked: 1_234,
    classified: specs.map(classified),
    previous: [
      ...previous.map((e) => ({ id: e.id, orderKey: e.orderKey, code: e.code, bucket: e.bucket, amount: e.amount, currency: e.currency, nights: 1 })),
      { id: '70001:not_booked', orderKey: '70001', code: 'not_booked', bucket: 'genuine_error', amount: 100, currency: 'USD', nights: 3 },
      { id: '70002:not_booked', orderKey: '70002', code: 'not_booked', bucket: 'genuine_error', amount: 100, currency: 'USD', nights: 1 },
      { id: '70003:not_booked', orderKey: '70003', code: 'not_booked', bucket: 'genuine_error', amount: 100, currency: 'USD', nights: 1 },
    ],
    ruleHits: new Map(),
    ownerHandles: {},
    escalation: {},
    quarantined: 0,
    deadLettered: 0,
  });
}

// Four currencies with different exponents (USD 2, EUR 2, JPY 0, KWD 3), and every kind of fact a text cites.
const NIGHT = report([
  { key: '80213', code: 'captured_not_shipped', bucket: 'genuine_error', amount: 123_456, ageHours: 53.7, since: '2026-11-24T00:18:00.000Z' },
  { key: '80214', code: 'capture_mismatch', bucket: 'genuine_error', amount: 1_200, currency: 'EUR', ageHours: 30 },
  { key: '80215', code: 'quantity_mismatch', bucket: 'mapping', cause: 'orphan', amount: 1_500, currency: 'JPY', ageHours: 100, facts: { skus: ['SKU-1'], quantities: ['SKU-1: ordered 2, shipped 1'] } },
  { key: 'payment:pi_3Mtw', code: 'orphan_payment', bucket: 'mapping', cause: 'orphan', amount: 12_345, currency: 'KWD', ageHours: 40, facts: { payments: ['pi_3Mtw'] } },
  { key: '80216', code: 'not_booked', bucket: 'timing', amount: 500, ageHours: 10 },
]);
const FACTS = narrationFactsOf(NIGHT);

const A = '80213:captured_not_shipped';
const B = '80214:capture_mismatch';
const C = '80215:quantity_mismatch';
const D = 'payment:pi_3Mtw:orphan_payment';

/** The template narration with one text (or the summary) replaced. */
function withText(where: string, text: string): Narration {
  return {
    summary: where === 'summary' ? text : NIGHT.summary,
    exceptions: FACTS.exceptions.map((e) => ({ id: e.id, text: e.id === where ? text : e.template })),
  };
}

type Case = readonly [where: string, text: string, ok: boolean];

function expectCase([where, text, ok]: Case) {
  const verdict = checkNarration(withText(where, text), FACTS);
  if (ok) expect(verdict).toEqual({ ok: true });
  else {
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.problems.join('\n')).toContain(`${where}: `);
  }
}

describe('the facts', () => {
  it('have the port shape, so the domain needs no import of the port', () => {
    expectTypeOf<NarrationFacts>().toEqualTypeOf<PortFacts>();
    expectTypeOf<Narration>().toEqualTypeOf<PortNarration>();
  });

  it('are built from the report: formatted and minor-unit amounts, the narrative as template, the totals at risk', () => {
    expect(FACTS.businessDate).toBe(BUSINESS_DATE);
    expect(FACTS.ordersChecked).toBe(1_234);
    expect(FACTS.resolved).toBe(3);
    expect(FACTS.counts).toEqual({ known_accepted: 0, timing: 1, mapping: 2, genuine_error: 2 });
    expect(FACTS.atRisk).toEqual(['€12.00', '¥1,500', formatMoney({ amount: 12_345, currency: 'KWD' }), '$1,234.56']);
    const a = FACTS.exceptions.find((e) => e.id === A);
    expect(a).toMatchObject({ orderKey: '80213', amount: '$1,234.56', amountMinor: 123_456, currency: 'USD', ageHours: 53.7, nights: 1, status: 'new', rule: null });
    expect(a?.template).toBe(NIGHT.exceptions.find((e) => e.id === A)?.narrative);
  });

  it('carry no customer PII fields', () => {
    const json = JSON.stringify(FACTS);
    expect(json).not.toMatch(/"(email|name|first_?name|last_?name|phone|address|customer)"\s*:/i);
    expect(json).not.toMatch(/[\w.+-]+@[\w-]+\.\w+/);
  });
});

describe('checkNarration', () => {
  it('accepts the template narration', () => {
    expect(checkNarration(withText('', ''), FACTS)).toEqual({ ok: true });
  });

  it('accepts the template text of every check code in every bucket (the template never trips its own check)', () => {
    const specs: Spec[] = CHECK_CODES.flatMap((code, i): Spec[] => {
      const key = code.startsWith('orphan_') ? `${code.slice(7)}:ref_${i}x` : String(90_000 + i);
      const extra: Partial<Record<CheckCode, Record<string, string | number | readonly string[]>>> = {
        quantity_mismatch: { quantities: ['SKU-1: ordered 3, shipped 1', 'SKU-22: ordered 0, shipped 2'] },
        currency_mismatch: { processorCurrency: 'EUR', storefrontCurrency: 'USD' },
        payout_unexplained: { payoutId: 'po_1QxYz9', residual: -1234, lines: 17 },
        shipped_after_cancel: { cancelledAt: '2026-11-20T10:15:00.000Z' },
      };
      const facts = extra[code];
      const base = { key, code, amount: 1_000 + i * 7, ageHours: 12 + i * 9.3, ...(facts ? { facts } : {}) };
      return [
        { ...base, bucket: 'genuine_error' },
        { ...base, key: `${key}1`, bucket: 'mapping', cause: 'decimal_shift' },
        { ...base, key: `${key}2`, bucket: 'timing' },
        { ...base, key: `${key}3`, bucket: 'known_accepted', rule: `accept-${code}-2026-12` },
        { ...base, key: `${key}4`, bucket: 'genuine_error', currency: 'XXX', amount: 0 },
      ];
    });
    const r = report(specs);
    const facts = narrationFactsOf(r);
    const verdict = checkNarration({ summary: r.summary, exceptions: facts.exceptions.map((e) => ({ id: e.id, text: e.template })) }, facts);
    expect(verdict).toEqual({ ok: true });
  });

  it('accepts the clean-night line', () => {
    const clean = report([{ key: '80213', code: 'not_booked', bucket: 'known_accepted', amount: 100, ageHours: 5, rule: 'r-7' }]);
    expect(clean.summary).toMatch(/^All tied — 2026-11-25: 1,234 orders matched across storefront, processor, warehouse and 3PL\.$/);
    const facts = narrationFactsOf(clean);
    expect(checkNarration({ summary: clean.summary, exceptions: facts.exceptions.map((e) => ({ id: e.id, text: e.template })) }, facts)).toEqual({ ok: true });
  });

  const money: Case[] = [
    [A, 'Order 80213 is $1,234.56 at risk.', true],
    [A, 'Order 80213 is $1234.56 at risk.', true],
    [A, 'Order 80213 is 1234.56 at risk.', true],
    [A, 'Order 80213 is 1,234.56 USD at risk.', true],
    [A, 'Order 80213 is USD 1,234.56 at risk.', true],
    [A, 'Order 80213 is $1,234.560 at risk.', true],
    [A, 'Order 80213 is $1,234.57 at risk.', false],
    [A, 'Order 80213 is $999.99 at risk.', false],
    [A, 'Order 80213 is €1,234.56 at risk.', false],
    [A, 'Order 80213 is CA$1,234.56 at risk.', false],
    [A, 'Order 80213 is $1,234 at risk.', false],
    [A, 'Order 80213 is £5 at risk.', false],
    [B, 'The capture is off by €12.', true],
    [B, 'The capture is off by €12.00.', true],
    [B, 'The capture is off by 12 EUR.', true],
    [B, 'The capture is off by €12.01.', false],
    [B, 'The capture is off by $12.00.', false],
    [C, 'Goods worth ¥1,500 were not shipped.', true],
    [C, 'Goods worth 1,500 JPY were not shipped.', true],
    [C, 'Goods worth 1500 were not shipped.', true],
    [C, 'Goods worth ¥1,500.5 were not shipped.', false],
    [C, 'Goods worth ¥15 were not shipped.', false],
    [C, 'Goods worth ¥1,501 were not shipped.', false],
    [D, 'A payment of 12.345 KWD matches no order.', true],
    [D, 'A payment of KWD 12.345 matches no order.', true],
    [D, 'A payment of 12.3450 KWD matches no order.', true],
    [D, 'A payment of 12.34 KWD matches no order.', false],
    [D, 'A payment of 12.3456 KWD matches no order.', false],
    // Scope: one exception's text cannot carry another's amount; the summary may cite any.
    [A, 'Order 80213 is €12.00 at risk.', false],
    ['summary', '€12.00 and $1,234.56 are at risk.', true],
    ['summary', 'In all, $1,234.56 + €12.00 + ¥1,500 + 12.345 KWD are at risk.', true],
    ['summary', 'In all, $1,246.56 is at risk.', false],
  ];
  it.each(money)('money: %s %j → ok %s', (...c) => expectCase(c));

  const dates: Case[] = [
    ['summary', 'On 2026-11-25 a few orders disagreed.', true],
    ['summary', 'On November 25, 2026 a few orders disagreed.', true],
    ['summary', 'On 25 Nov 2026 a few orders disagreed.', true],
    ['summary', 'On Nov 25 a few orders disagreed.', true],
    ['summary', 'In 2026 a few orders disagreed.', true],
    ['summary', 'On 2026-11-26 a few orders disagreed.', false],
    ['summary', 'On November 26 a few orders disagreed.', false],
    [A, 'Paid on 2026-11-24 and not shipped.', true],
    [A, 'Paid at 2026-11-24T00:18:00Z and not shipped.', true],
    [A, 'Paid at 2026-11-24T01:18:00+01:00 and not shipped.', true],
    [A, 'Paid at 00:18 UTC and not shipped.', true],
    [A, 'Paid on 2026-11-23 and not shipped.', false],
    [A, 'Paid at 2026-11-24T00:19:00Z and not shipped.', false],
    [A, 'Paid at 09:30 and not shipped.', false],
    [B, 'Captured on 2026-11-24 with a difference.', false],
  ];
  it.each(dates)('dates: %s %j → ok %s', (...c) => expectCase(c));

  const keys: Case[] = [
    [A, 'Order #80213 was paid but not shipped.', true],
    [A, 'Order 80213 was paid but not shipped.', true],
    [A, 'Order #80299 was paid but not shipped.', false],
    [A, 'Order 80299 was paid but not shipped.', false],
    [A, 'Order 80213, like #80214, was paid but not shipped.', false],
    ['summary', 'Orders #80213 and 80214, 80215 need attention.', true],
    ['summary', 'Order #12345 needs attention.', false],
  ];
  it.each(keys)('order keys: %s %j → ok %s', (...c) => expectCase(c));

  const counts: Case[] = [
    ['summary', '1,234 orders checked; 2 genuine errors, 2 mapping issues, 1 timing.', true],
    ['summary', '1234 orders checked; 5 exceptions; 3 resolved; 4 need action.', true],
    ['summary', '1,235 orders checked.', false],
    ['summary', '17 genuine errors tonight.', false],
    ['summary', '12,34 orders checked.', false],
  ];
  it.each(counts)('counts: %s %j → ok %s', (...c) => expectCase(c));

  const ages: Case[] = [
    [A, 'Paid 54 hours ago and not shipped.', true],
    [A, 'Paid 53.7 hours ago and not shipped.', true],
    [A, 'Paid 53 hours ago and not shipped.', true],
    [A, 'Paid 2 days ago and not shipped.', true],
    [A, 'Paid 2d 6h ago and not shipped.', true],
    [A, 'Open for 1 night.', true],
    [A, 'Paid 60 hours ago and not shipped.', false],
    [A, 'Paid 9 days ago and not shipped.', false],
    [A, 'Paid 53.5 hours ago and not shipped.', false],
    [C, 'Open 4 days; SKU-1 shipped 1 of 2.', true],
    [C, 'Open 100 hours.', true],
  ];
  it.each(ages)('ages and nights: %s %j → ok %s', (...c) => expectCase(c));

  const ids: Case[] = [
    [A, '80213:captured_not_shipped is open; the 3PL has not shipped.', true],
    [A, 'This captured_not_shipped break is open.', true],
    [D, 'Payment pi_3Mtw (payment:pi_3Mtw) matches no order.', true],
    [D, 'Payment pi_9Zzz matches no order.', false],
    [C, 'SKU-1: ordered 2, shipped 1.', true],
    [C, 'SKU-7 was short-shipped.', false],
    [C, 'The 3PL shipped 7 of SKU-1.', false],
  ];
  it.each(ids)('ids and codes: %s %j → ok %s', (...c) => expectCase(c));

  it('names the token and the exception in each problem', () => {
    const verdict = checkNarration(withText(A, 'Order 80213 owes $999.99 since 2026-01-01.'), FACTS);
    expect(verdict).toEqual({
      ok: false,
      problems: [`${A}: "$999.99" is not an amount at risk in the facts (same currency, same value)`, `${A}: "2026-01-01" is not a date in the facts`],
    });
  });

  it('requires exactly one text per exception id', () => {
    const base = withText('', '');
    const dropped = { ...base, exceptions: base.exceptions.filter((e) => e.id !== B) };
    const invented = { ...base, exceptions: [...base.exceptions, { id: '80299:not_booked', text: 'Order 80213 is not booked.' }] };
    const twice = { ...base, exceptions: [...base.exceptions, { id: A, text: 'Order 80213 was paid.' }] };
    expect(checkNarration(dropped, FACTS)).toEqual({ ok: false, problems: [`${B}: not narrated`] });
    expect(checkNarration(invented, FACTS)).toEqual({ ok: false, problems: ['80299:not_booked: not an exception in the facts'] });
    expect(checkNarration(twice, FACTS)).toEqual({ ok: false, problems: [`${A}: narrated more than once`] });
  });

  const shapes: Case[] = [
    [A, '', false],
    [A, '   ', false],
    [A, 'x'.repeat(600), true],
    [A, 'x'.repeat(601), false],
    ['summary', 'y'.repeat(1_000), true],
    ['summary', 'y'.repeat(1_001), false],
    [A, 'See https://example.com for order 80213.', false],
    [A, '<!channel> order 80213 was paid.', false],
    [A, '@here order 80213 was paid.', false],
    [A, 'Ask jane.doe@example.com about order 80213.', false],
    [A, 'Order 80213 was paid.\nNot shipped.', false],
  ];
  it.each(shapes)('length and content: %s %j → ok %s', (...c) => expectCase(c));
});
