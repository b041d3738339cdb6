// The Pub/Sub push envelope (the JSON body Pub/Sub POSTs to a push endpoint), typed and checked.
import { z } from 'zod';
import { err, ok, type Result } from './domain/result.ts';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The attribute the Pub/Sub bus puts on a requeued dead letter: the one consumer it is meant for (the
 * topic fans out to every subscription, so the others drop it). Push consumers honour it too.
 */
export const REQUEUE_FOR_ATTRIBUTE = 'tieout_requeue_for';

/**
 * `{ message: { data, attributes, messageId, publishTime, orderingKey? }, subscription, deliveryAttempt? }`.
 * Pub/Sub sends both the camelCase and the snake_case names of the message fields; `data` is standard
 * base64 and absent for a message with attributes only; `deliveryAttempt` is set when the subscription
 * has a dead-letter policy.
 */
export const PushEnvelopeSchema = z.object({
  message: z.object({
    data: z.string().regex(BASE64, 'data is not base64').optional(),
    attributes: z.record(z.string(), z.string()).nullish(),
    messageId: z.string().min(1).optional(),
    message_id: z.string().min(1).optional(),
    publishTime: z.string().optional(),
    publish_time: z.string().optional(),
    orderingKey: z.string().optional(),
  }),
  subscription: z.string().min(1),
  deliveryAttempt: z.number().int().positive().optional(),
});

/** One pushed message, decoded. */
export type PushedMessage = {
  readonly messageId: string;
  /** The subscription's full name (`projects/<p>/subscriptions/<s>`). */
  readonly subscription: string;
  readonly attributes: Readonly<Record<string, string>>;
  /** The message data as bytes (base64-decoded). */
  readonly data: Buffer;
  readonly orderingKey: string;
  readonly publishTime: string | undefined;
  /** 1 on first delivery; undefined when the subscription has no dead-letter policy. */
  readonly deliveryAttempt: number | undefined;
};

/** Reads a push request body; an error names what is wrong with it (never a Pub/Sub push, then). */
export function parsePushEnvelope(body: string): Result<PushedMessage> {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (e) {
    return err(`not a Pub/Sub push envelope: body is not JSON (${(e as Error).message})`);
  }
  const parsed = PushEnvelopeSchema.safeParse(json);
  if (!parsed.success) return err(...parsed.error.issues.map((i) => `not a Pub/Sub push envelope: ${i.path.join('.') || '(root)'}: ${i.message}`));
  const { message, subscription, deliveryAttempt } = parsed.data;
  const messageId = message.messageId ?? message.message_id;
  if (messageId === undefined) return err('not a Pub/Sub push envelope: message.messageId is missing');
  return ok({
    messageId,
    subscription,
    attributes: message.attributes ?? {},
    data: Buffer.from(message.data ?? '', 'base64'),
    orderingKey: message.orderingKey ?? '',
    publishTime: message.publishTime ?? message.publish_time,
    deliveryAttempt,
  });
}

/** A push envelope for `data` (tests, and local tools that push by hand). */
export function pushEnvelope(m: { readonly data: string | Buffer; readonly attributes?: Readonly<Record<string, string>>; readonly messageId: string; readonly subscription: string; readonly orderingKey?: string; readonly deliveryAttempt?: number; readonly publishTime?: string }): string {
  const publishTime = m.publishTime ?? '2026-01-01T00:00:00.000Z';
  return JSON.stringify({
    message: {
      data: Buffer.from(m.data).toString('base64'),
      attributes: m.attributes ?? {},
      messageId: m.messageId,
      message_id: m.messageId,
      publishTime,
      publish_time: publishTime,
      ...(m.orderingKey ? { orderingKey: m.orderingKey } : {}),
    },
    subscription: m.subscription,
    ...(m.deliveryAttempt !== undefined ? { deliveryAttempt: m.deliveryAttempt } : {}),
  });
}
