// The merge laws (DESIGN §5) as properties over realistic, generated event histories.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deliveryArb, historyArb } from '../../test/support/arbitraries.ts';
import { order, payment, shipment, transaction } from '../../test/support/builders.ts';
import { runChecks, type CheckConfig } from './checks.ts';
import type { CanonicalEvent } from './events.ts';
import { canonicalJson, evolve, emptyState, mergeStates, stateOfEvent } from './order-state.ts';
import { applyAll, applyEvent, createLedger, type Ledger } from './routing.ts';

const config: CheckConfig = { processorGateways: ['stripe'], settlementEnabled: true };

/** Everything observable about a ledger: every doc, the alias index, and every doc's breaks. */
function snapshot(ledger: Ledger): string {
  const keys = [...ledger.docs.keys()].sort();
  return canonicalJson({
    docs: keys.map((k) => ledger.docs.get(k)),
    aliases: [...ledger.aliases.entries()].sort(),
    breaks: keys.map((k) => runChecks(ledger.docs.get(k)!, config)),
  });
}

const runs = { numRuns: 150 };

describe('order state is a merge', () => {
  it('any permutation with any duplicates gives identical states, aliases and breaks (one order)', () => {
    fc.assert(
      fc.property(
        historyArb(1, 1).chain((events) => fc.tuple(fc.constant(events), deliveryArb(events))),
        ([events, delivery]) => {
          expect(snapshot(applyAll(delivery))).toBe(snapshot(applyAll(events)));
        },
      ),
      runs,
    );
  });

  it('any permutation with any duplicates gives identical states, aliases and breaks (many orders)', () => {
    fc.assert(
      fc.property(
        historyArb(2, 8).chain((events) => fc.tuple(fc.constant(events), deliveryArb(events), deliveryArb(events))),
        ([events, a, b]) => {
          const expected = snapshot(applyAll(events));
          expect(snapshot(applyAll(a))).toBe(expected);
          expect(snapshot(applyAll(b))).toBe(expected);
        },
      ),
      runs,
    );
  });

  it('applying an event twice equals applying it once, and the second is counted as a duplicate', () => {
    fc.assert(
      fc.property(historyArb(1, 4), fc.nat(), (events, pick) => {
        const e = events[pick % events.length] as CanonicalEvent;
        const once = applyAll(events);
        const twice = applyAll(events);
        expect(applyEvent(twice, e).duplicate).toBe(true);
        expect(snapshot(twice)).toBe(snapshot(once));
        const s = evolve(emptyState('k'), e);
        expect(canonicalJson(evolve(s, e))).toBe(canonicalJson(s));
      }),
      runs,
    );
  });

  it('the join is commutative, associative and idempotent', () => {
    fc.assert(
      fc.property(historyArb(1, 1), fc.nat(), fc.nat(), fc.nat(), (events, i, j, k) => {
        const st = (n: number) => stateOfEvent(events[n % events.length] as CanonicalEvent, 'k');
        const [a, b, c] = [st(i), st(j), st(k)];
        expect(canonicalJson(mergeStates(a, b))).toBe(canonicalJson(mergeStates(b, a)));
        expect(canonicalJson(mergeStates(mergeStates(a, b), c))).toBe(canonicalJson(mergeStates(a, mergeStates(b, c))));
        expect(canonicalJson(mergeStates(a, a))).toBe(canonicalJson(a));
      }),
      runs,
    );
  });
});

describe('provisional keys', () => {
  // A Stripe charge with no order metadata, a ShipBob shipment naming the Shopify id, and the
  // Shopify order and transaction that explain both.
  const pi = 'pi_prov';
  const stray = () => [
    payment({ pi, withIntent: false, amount: 5000, eventId: 'stripe:evt_charge' }),
    shipment({ orderId: '4501001', shipmentId: 'sh_prov' }),
  ];
  const explain = () => [order({ number: '1001', orderId: '4501001' }), transaction({ order: '1001', orderId: '4501001', pi })];

  it('records that cannot be resolved live under provisional keys', () => {
    const ledger = applyAll(stray());
    expect([...ledger.docs.keys()].sort()).toEqual(['payment:pi_prov', 'shipment:shipbob:sh_prov']);
  });

  it('merge into the order the moment an alias appears, whichever side came first', () => {
    const [s, x] = [stray(), explain()];
    const strayFirst = applyAll([...s, ...x]);
    const orderFirst = applyAll([...x, ...s]);
    expect([...strayFirst.docs.keys()]).toEqual(['1001']);
    expect(snapshot(strayFirst)).toBe(snapshot(orderFirst));
    expect(strayFirst.aliases.get('payment:pi_prov')).toBe('1001');
    expect(strayFirst.aliases.get('charge:ch_prov')).toBe('1001');
  });

  it('two provisional groups joined by a later event become one, under the same key either way', () => {
    const a = payment({ pi: 'pi_x', withIntent: false, chargeId: 'ch_x' });
    const b = { ...payment({ pi: 'pi_x', withIntent: false, chargeId: 'ch_y' }), refs: ['charge:ch_y'] };
    const link = { ...payment({ pi: 'pi_x', withIntent: false, chargeId: 'ch_y' }), id: 'stripe:evt_link' };
    for (const order of [[a, b, link], [link, b, a], [b, link, a]]) {
      const ledger = applyAll(order);
      expect([...ledger.docs.keys()]).toEqual(['payment:pi_x']);
    }
  });

  it('fast-check: any interleaving of stray and explaining events converges', () => {
    const events = [...stray(), ...explain()];
    fc.assert(
      fc.property(deliveryArb(events), (delivery) => {
        expect(snapshot(applyAll(delivery))).toBe(snapshot(applyAll(events)));
      }),
      runs,
    );
  });

  it('a reference claimed by two orders (a source mapping error) aliases the smaller key and merges nothing', () => {
    const ledger = createLedger();
    for (const e of [order({ number: '1002' }), order({ number: '1001' }), transaction({ order: '1002', pi: 'pi_shared' }), payment({ pi: 'pi_shared', order: '1001' })]) applyEvent(ledger, e);
    expect([...ledger.docs.keys()].sort()).toEqual(['1001', '1002']);
    expect(ledger.aliases.get('payment:pi_shared')).toBe('1001');
  });
});
