// The order state store port: one document per order key, an alias index, transactional updates.
import type { OrderState } from '../domain/order-state.ts';

/** An order document as stored: the state, whether it has open breaks, and when it last changed. */
export type StoredOrder = {
  readonly state: OrderState;
  /** True while any check finds a break in it (the nightly run reads only open orders). */
  readonly open: boolean;
  readonly updatedAt: string;
};

/** Reads and staged writes inside one transaction; reads see the transaction's own writes. */
export interface OrderStateTx {
  get(keys: readonly string[]): Promise<Map<string, StoredOrder>>;
  aliases(refs: readonly string[]): Promise<Map<string, string>>;
  put(orders: readonly StoredOrder[]): void;
  delete(keys: readonly string[]): void;
  setAliases(entries: readonly (readonly [ref: string, key: string])[]): void;
}

/**
 * Where order state lives. `transact` runs a read-modify-write of many documents atomically:
 * all its writes commit together or none do, and concurrent writers are serialized (or retried)
 * so no update is lost.
 */
export interface OrderStateStore {
  transact<T>(fn: (tx: OrderStateTx) => Promise<T>): Promise<T>;
  get(key: string): Promise<StoredOrder | undefined>;
  resolve(ref: string): Promise<string | undefined>;
  /** Every document with open breaks, in key order. */
  scanOpen(batchSize?: number): AsyncIterable<StoredOrder>;
  /** Every document changed at or after `since`, in key order. */
  scanChangedSince(since: string, batchSize?: number): AsyncIterable<StoredOrder>;
  /** Every document, in key order. */
  scanAll(batchSize?: number): AsyncIterable<StoredOrder>;
  count(): Promise<number>;
  close(): Promise<void>;
}
