// Folding a batch of canonical events into stored order state, inside one store transaction.
import { runChecks, type CheckConfig } from '#shared/domain/checks.ts';
import type { CanonicalEvent } from '#shared/domain/events.ts';
import type { OrderState } from '#shared/domain/order-state.ts';
import { isAnchor, refValue } from '#shared/domain/refs.ts';
import { applyEvent, type Ledger } from '#shared/domain/routing.ts';
import type { OrderStateTx, StoredOrder } from '#shared/ports/order-state-store.ts';

/** What one fold did. */
export type FoldResult = {
  readonly applied: number;
  readonly duplicates: number;
  /** Provisional documents merged into another key. */
  readonly merged: number;
  /** Keys whose documents were written. */
  readonly written: readonly string[];
};

const unique = <T>(xs: Iterable<T>): T[] => [...new Set(xs)];

/**
 * Applies `events` (in the order given) to the documents they touch: loads every alias and document
 * the batch can reach, folds the events in memory with the domain's routing and merge, then stages
 * the changed documents (with their `open` flag), the deleted provisional documents and the
 * changed aliases. All reads happen before any write, so it suits every store's transactions.
 */
export async function foldEvents(
  tx: OrderStateTx,
  events: readonly CanonicalEvent[],
  /** `openFlag: false` skips the checks and stores `open: false` (a replay's shadow, compared on state only). */
  options: { readonly checkConfig: CheckConfig; readonly now: string; readonly openFlag?: boolean },
): Promise<FoldResult> {
  const eventRefs = unique(events.flatMap((e) => e.refs));
  const aliases = await tx.aliases(eventRefs);
  const keys = unique([...aliases.values(), ...eventRefs.filter(isAnchor).map(refValue)]);
  const loaded = await tx.get(keys);
  const docRefs = unique([...loaded.values()].flatMap((d) => d.state.refs)).filter((r) => !aliases.has(r));
  for (const [r, k] of await tx.aliases(docRefs)) aliases.set(r, k);

  const before = new Map<string, OrderState>([...loaded].map(([k, d]) => [k, d.state]));
  const aliasesBefore = new Map(aliases);
  const ledger: Ledger = { docs: new Map(before), aliases };
  let duplicates = 0;
  let merged = 0;
  for (const e of events) {
    const r = applyEvent(ledger, e);
    if (r.duplicate) duplicates++;
    merged += r.absorbed.length;
  }

  const puts: StoredOrder[] = [];
  for (const [k, state] of ledger.docs) {
    if (before.get(k) === state) continue;
    puts.push({ state, open: options.openFlag !== false && runChecks(state, options.checkConfig).length > 0, updatedAt: options.now });
  }
  const deletes = [...before.keys()].filter((k) => !ledger.docs.has(k));
  const aliasChanges = [...ledger.aliases].filter(([r, k]) => aliasesBefore.get(r) !== k);
  tx.put(puts);
  tx.delete(deletes);
  tx.setAliases(aliasChanges);
  return { applied: events.length - duplicates, duplicates, merged, written: puts.map((p) => p.state.key) };
}
