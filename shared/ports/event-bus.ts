// The event bus port: durable publish, leased pull, ack/nack, redelivery and dead letters.

/** A message as published: the canonical event's id, its ordering key, attributes and JSON data. */
export type BusMessage = {
  /** The provider's event id; every sink dedupes on it. */
  readonly id: string;
  /** Messages of one key belong to one order (Pub/Sub ordering key). */
  readonly orderingKey: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly data: string;
};

/** A message handed to a consumer under a lease; `ackId` is only good for this lease. */
export type Delivery = BusMessage & {
  readonly ackId: string;
  /** 1 on first delivery, counting every redelivery. */
  readonly attempt: number;
  readonly publishedAt: string;
};

/** A message that failed `maxAttempts` times and was set aside with its last error. */
export type DeadLetter = BusMessage & {
  readonly attempts: number;
  readonly error: string | null;
  readonly publishedAt: string;
  readonly deadAt: string;
};

export type PullOptions = {
  /** At most this many messages. */
  readonly max: number;
  /** How long the consumer holds them; unacked messages are redelivered after it. */
  readonly leaseMs: number;
};

export type BusStats = { readonly pending: number; readonly leased: number; readonly deadLettered: number };

/**
 * The bus between ingest and the matcher. At-least-once: a message stays until acked under a
 * live lease; a lost lease or a nack redelivers it; after `maxAttempts` deliveries it moves to
 * the dead letters, from where it can be requeued. `publish` resolves only once durable.
 */
export interface EventBus {
  publish(messages: readonly BusMessage[]): Promise<void>;
  pull(subscription: string, options: PullOptions): Promise<Delivery[]>;
  /** Acks under a live lease; acks of an expired or superseded lease are ignored. */
  ack(subscription: string, ackIds: readonly string[]): Promise<void>;
  /** Gives messages back for redelivery now, recording why. */
  nack(subscription: string, ackIds: readonly string[], error?: string): Promise<void>;
  deadLetters(subscription: string, options?: { readonly limit?: number }): Promise<DeadLetter[]>;
  /** Moves dead letters (all, or those ids) back to the subscription with a fresh attempt count. */
  requeueDeadLetters(subscription: string, ids?: readonly string[]): Promise<number>;
  /** Counts pending, leased and dead-lettered messages. On Pub/Sub this peeks the subscription, which counts as a delivery attempt. */
  stats(subscription: string): Promise<BusStats>;
  /** How many messages of the subscription are dead-lettered, without touching its live messages (the nightly report's count). */
  countDeadLetters(subscription: string): Promise<number>;
  close(): Promise<void>;
}

/** The subscription the matcher consumes. */
export const MATCHER_SUBSCRIPTION = 'matcher';
