// The matcher fed by Pub/Sub push (Cloud Run): POST /pubsub/push folds one pushed event into order state and answers 2xx only once it is committed.
//
// Pub/Sub acks a push when the endpoint answers 2xx (102, 200, 201, 202, 204) and redelivers, with the
// subscription's backoff, on anything else. So the answer is the ack:
//   200  the event is committed to order state (or it is a duplicate, or a requeued copy meant for another consumer)
//   401/403/503  the OIDC token was refused (or OIDC is not configured): not from our push subscription
//   400  the body is not a push envelope at all
//   422  a poison message: its data is not a canonical event. Not acked, like the pull matcher's nack: Pub/Sub
//        redelivers it and, after max_delivery_attempts, the subscription's dead-letter policy moves it to the
//        dead-letter topic — archived in BigQuery's dead_letters, counted in the nightly report, replayable
//        with requeueDeadLetters after a fix. Nothing is dropped here.
//   500  the commit failed (Firestore unavailable, contention, a document over its limit): redelivered, and
//        dead-lettered the same way if it keeps failing.
// Pushes arriving together are folded in one Firestore transaction (group commit), as the pull matcher
// coalesces a batch; a failed batch is retried one event at a time so one bad event fails only its request.
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { CheckConfig } from '#shared/domain/checks.ts';
import { readCanonicalEvent, type CanonicalEvent } from '#shared/domain/events.ts';
import type { Result } from '#shared/domain/result.ts';
import { createGroupCommit } from '#shared/group-commit.ts';
import type { Logger } from '#shared/log.ts';
import { MATCHER_SUBSCRIPTION } from '#shared/ports/event-bus.ts';
import type { OrderStateStore } from '#shared/ports/order-state-store.ts';
import { parsePushEnvelope, REQUEUE_FOR_ATTRIBUTE, type PushedMessage } from '#shared/pubsub-push.ts';
import { refusal, type RequestAuth } from '#shared/request-auth.ts';
import { foldEvents } from './fold.ts';

/** What became of one pushed message. */
export type PushOutcome =
  | { readonly kind: 'committed'; readonly eventId: string }
  | { readonly kind: 'ignored'; readonly reason: string }
  | { readonly kind: 'poison'; readonly error: string }
  | { readonly kind: 'failed'; readonly error: string };

/** Counts since start, like the pull matcher's. */
export type PushStats = { received: number; committed: number; ignored: number; poison: number; failed: number; transactions: number };

export type PushMatcherOptions = {
  readonly store: OrderStateStore;
  readonly checkConfig: CheckConfig;
  readonly log: Logger;
  readonly now: () => string;
  /** The consumer name requeued dead letters are addressed to (default the matcher's). */
  readonly subscription?: string;
  /** Events per transaction at most (the pull matcher's batch size). */
  readonly maxBatch?: number;
};

/** Reads a pushed message's data as a canonical event; an error is permanent (the same bytes never read). */
export function readPushedEvent(message: PushedMessage): Result<CanonicalEvent> {
  return readCanonicalEvent(message.data.toString('utf8'));
}

/** Creates the push matcher: `apply` resolves once the message's event is committed, or says why not. */
export function createPushMatcher(options: PushMatcherOptions) {
  const { store, checkConfig, log, now } = options;
  const subscription = options.subscription ?? MATCHER_SUBSCRIPTION;
  const stats: PushStats = { received: 0, committed: 0, ignored: 0, poison: 0, failed: 0, transactions: 0 };

  const fold = async (events: readonly CanonicalEvent[]): Promise<void> => {
    stats.transactions++;
    await store.transact((tx) => foldEvents(tx, events, { checkConfig, now: now() }));
  };
  type Committed = { readonly ok: true } | { readonly ok: false; readonly error: string };
  const commit = createGroupCommit<CanonicalEvent, Committed>(
    async (events) => {
      try {
        await fold(events);
        return events.map((): Committed => ({ ok: true }));
      } catch (e) {
        if (events.length === 1) return [{ ok: false, error: (e as Error).message }];
        // One bad event must not fail the others' requests: retry each alone.
        log.warn({ error: (e as Error).message, size: events.length }, 'push batch failed; applying its events one by one');
        const out: Committed[] = [];
        for (const event of events) {
          try {
            await fold([event]);
            out.push({ ok: true });
          } catch (inner) {
            out.push({ ok: false, error: (inner as Error).message });
          }
        }
        return out;
      }
    },
    { maxBatch: options.maxBatch ?? 500 },
  );

  async function apply(message: PushedMessage): Promise<PushOutcome> {
    stats.received++;
    const target = message.attributes[REQUEUE_FOR_ATTRIBUTE];
    if (target !== undefined && target !== subscription) {
      stats.ignored++;
      return { kind: 'ignored', reason: `a requeued dead letter for ${JSON.stringify(target)}` };
    }
    const event = readPushedEvent(message);
    if (!event.ok) {
      stats.poison++;
      const error = event.errors.join('; ');
      log.warn({ messageId: message.messageId, deliveryAttempt: message.deliveryAttempt, error }, 'poison message refused; Pub/Sub redelivers it, then dead-letters it');
      return { kind: 'poison', error };
    }
    const result = await commit.add(event.value);
    if (!result.ok) {
      stats.failed++;
      log.warn({ messageId: message.messageId, eventId: event.value.id, deliveryAttempt: message.deliveryAttempt, error: result.error }, 'push not committed; Pub/Sub redelivers it');
      return { kind: 'failed', error: result.error };
    }
    stats.committed++;
    return { kind: 'committed', eventId: event.value.id };
  }

  return { apply, stats, drain: commit.drain };
}

export type PushMatcher = ReturnType<typeof createPushMatcher>;

/** Mounts `POST /pubsub/push` (OIDC) on `app`; see the module header for what each status means to Pub/Sub. */
export function pushApi(deps: { readonly matcher: PushMatcher; readonly auth: RequestAuth; readonly maxBodyBytes: number }, app: Hono = new Hono()): Hono {
  // The envelope carries the event base64-encoded: 4/3 of its size, plus the envelope itself.
  const limit = bodyLimit({ maxSize: Math.ceil((deps.maxBodyBytes * 4) / 3) + 64 * 1024, onError: (c) => c.json({ error: 'push body too large' }, 413) });
  app.post('/pubsub/push', limit, async (c) => {
    const refused = await refusal(c, deps.auth);
    if (refused) return refused;
    const envelope = parsePushEnvelope(await c.req.text());
    if (!envelope.ok) return c.json({ error: envelope.errors.join('; ') }, 400);
    const outcome = await deps.matcher.apply(envelope.value);
    switch (outcome.kind) {
      case 'committed':
        return c.json({ ok: true, committed: outcome.eventId }, 200);
      case 'ignored':
        return c.json({ ok: true, ignored: outcome.reason }, 200);
      case 'poison':
        return c.json({ error: `not a canonical event: ${outcome.error}` }, 422);
      case 'failed':
        return c.json({ error: 'not committed; redeliver' }, 500);
    }
  });
  return app;
}
