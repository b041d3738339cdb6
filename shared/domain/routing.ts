// Where an event lands: alias resolution and provisional keys that merge into orders (DESIGN §4).
//
// References an event carries are names of the same thing. A group of references linked by
// events belongs to the order its `order:` anchor names; a group with no anchor lives under a
// provisional key chosen from the group itself (`provisionalKey`), and merges into the order the
// moment an event links it to one. Because the key is a function of the group, and state is a
// join, the final docs do not depend on arrival order. The one exception is a reference claimed
// by two different orders (a mapping error in a source): it aliases the smaller order key and
// the docs are not merged.
import type { CanonicalEvent } from './events.ts';
import { emptyState, hasSeen, mergeStates, stateOfEvent, type OrderState } from './order-state.ts';
import { compareOrderKeys, isAnchor, isProvisionalKey, provisionalKey, refValue } from './refs.ts';

/** What routing needs to know about existing docs. */
export interface RoutingView {
  /** The key of the doc a reference belongs to, if any. */
  aliasOf(ref: string): string | undefined;
  /** The references a doc holds (empty for an unknown key). */
  refsOf(key: string): readonly string[];
}

/** Where an event goes, and which provisional docs must first be merged into that key. */
export type Route = { readonly key: string; readonly absorb: readonly string[] };

function minOrderKey(keys: Iterable<string>): string | undefined {
  let best: string | undefined;
  for (const k of keys) if (best === undefined || compareOrderKeys(k, best) < 0) best = k;
  return best;
}

/** Decides the key an event is folded under, given the docs that already exist. */
export function route(refs: readonly string[], view: RoutingView): Route {
  const anchors = refs.filter(isAnchor).map(refValue);
  const touched = new Set<string>();
  for (const r of refs) {
    const k = view.aliasOf(r);
    if (k !== undefined) touched.add(k);
  }
  const touchedOrders = [...touched].filter((k) => !isProvisionalKey(k));
  const touchedProvisional = [...touched].filter(isProvisionalKey);
  let key = minOrderKey(anchors) ?? minOrderKey(touchedOrders);
  if (key === undefined) {
    const group = new Set(refs);
    for (const k of touchedProvisional) for (const r of view.refsOf(k)) group.add(r);
    key = provisionalKey(group);
  }
  return { key, absorb: touchedProvisional.filter((k) => k !== key).sort() };
}

/** An in-memory set of order docs with their alias index: the reference model of the matcher. */
export type Ledger = { readonly docs: Map<string, OrderState>; readonly aliases: Map<string, string> };

export const createLedger = (): Ledger => ({ docs: new Map(), aliases: new Map() });

/** What applying one event did. */
export type Applied = { readonly key: string; readonly duplicate: boolean; readonly absorbed: readonly string[] };

/** A routing view over a ledger. */
export function ledgerView(ledger: Ledger): RoutingView {
  return {
    aliasOf: (r) => ledger.aliases.get(r),
    refsOf: (k) => ledger.docs.get(k)?.refs ?? [],
  };
}

/**
 * Folds one event into the ledger: routes it, merges absorbed provisional docs into the target,
 * applies the event and points every reference of the target at its key.
 */
export function applyEvent(ledger: Ledger, event: CanonicalEvent): Applied {
  const { key, absorb } = route(event.refs, ledgerView(ledger));
  let doc = ledger.docs.get(key) ?? emptyState(key);
  const duplicate = hasSeen(doc, event.id) || absorb.some((k) => hasSeen(ledger.docs.get(k) ?? emptyState(k), event.id));
  // The join is idempotent, so a duplicate that links nothing new changes nothing: leave the doc as it is.
  if (duplicate && absorb.length === 0) return { key, duplicate, absorbed: absorb };
  for (const k of absorb) {
    const other = ledger.docs.get(k);
    if (other !== undefined) doc = mergeStates(doc, other);
    ledger.docs.delete(k);
  }
  doc = mergeStates(doc, stateOfEvent(event, key));
  ledger.docs.set(key, doc);
  for (const r of doc.refs) claimAlias(ledger.aliases, r, key);
  return { key, duplicate, absorbed: absorb };
}

/** Points a reference at a key; between two order keys the smaller keeps the alias. */
export function claimAlias(aliases: Map<string, string>, r: string, key: string): void {
  const current = aliases.get(r);
  if (current === undefined || current === key) {
    aliases.set(r, key);
    return;
  }
  if (isProvisionalKey(current) || (!isProvisionalKey(key) && compareOrderKeys(key, current) < 0)) aliases.set(r, key);
}

/** Folds many events in order; a convenience for tests, demos and replay into a fresh ledger. */
export function applyAll(events: Iterable<CanonicalEvent>, ledger: Ledger = createLedger()): Ledger {
  for (const e of events) applyEvent(ledger, e);
  return ledger;
}
