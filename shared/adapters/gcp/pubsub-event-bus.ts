// The Google Cloud event bus: one Pub/Sub topic, one subscription per consumer, and a dead-letter topic (DESIGN §1, §11).
//
// Layout, for topic T, dead-letter topic D (default `T-dead-letter`) and each subscription name N:
//   topic T ──> subscription `T-N`   (dead-letter policy → D; message ordering on the matcher's)
//   topic D ──> subscription `D-N`   (where `deadLetters(N)` looks; every D-N gets every dead letter,
//                                     and the copies that came from another subscription are dropped)
// All of it is created idempotently on first use (ALREADY_EXISTS is fine; an existing resource is
// used as it is, never updated), unless `createResources` is false (Terraform declared it; other ids
// through `subscriptionIds`). Only this module knows Pub/Sub; the port sees strings.
//
// What travels with a message, as attributes next to the caller's own (the `tieout_` prefix is reserved):
//   eventId              the BusMessage id, for every sink to dedupe on (DESIGN §11); added when the
//                        caller did not set it (and then `tieout_own_event_id` says to hide it again)
//   tieout_published_at  the bus clock at publish: `publishedAt`, kept unchanged by dead-lettering and requeue
//   tieout_msg           this bus's identity of one publish (process nonce + counter): Pub/Sub gives a
//                        dead-lettered copy a new message id, so the last nack error is found by this, and
//                        same-millisecond dead letters list in publish order by it
//   tieout_requeue_for   on a requeued copy: the one subscription that should see it (see requeue below)
//   tieout_dead_*, tieout_attempts, tieout_error   on dead letters this bus moved itself
//
// Why it behaves like this (each point was tried against the gcloud emulator; see the contract test):
// - Publish sends the batch as Publish requests in order (≤ 1,000 messages, ≤ 8 MiB each), each awaited,
//   so it resolves once the server has every message, and the batch keeps its order across ordering keys.
//   The library's ordered publisher (`messageOrdering: true` + batching) sends one batch per key at a
//   time, concurrently: evt-1 reached the server before evt-0, differently on each run. Ordering keys
//   are still set, so the matcher's ordered subscription keeps each order's events in publish order;
//   Pub/Sub orders only what was published to one region: with publishers in several regions, set a
//   regional apiEndpoint (e.g. `us-east1-pubsub.googleapis.com:443`).
// - Pull is the unary `Pull` RPC with returnImmediately, so an empty subscription answers [] at once as
//   the port expects. The lease is set right after with ModifyAckDeadline to ceil(leaseMs / 1 s), 1–600 s:
//   ModifyAckDeadline accepts 0–600 s (the 10 s minimum is only the subscription default's and streaming
//   pull's). A nack is ModifyAckDeadline 0. On an ordered subscription Pub/Sub holds a key's later
//   messages back while an earlier one is leased, and may hand out several of one key together.
// - Attempts: `deliveryAttempt` is only filled when the subscription has a dead-letter policy, which
//   ours always do. Pub/Sub only allows maxDeliveryAttempts 5–100, so the policy gets maxAttempts clamped
//   to that range, and this bus enforces maxAttempts itself: a nack of the last allowed attempt moves the
//   message to D at once (deadAt = that nack, the error in the dead letter's attributes, so a report in
//   another process reads it); a delivery past the last attempt (its lease was lost) is moved when pulled
//   or peeked. Above 100 the server's limit wins. The policy also moves messages whose last lease runs out
//   while nobody pulls. (The emulator breaks on that: once IT dead-letters a message of an ordered
//   subscription, every later Pull of the subscription fails with UNKNOWN. Real Pub/Sub does not.)
// - Pub/Sub cannot attach a reason to a nack: the error is remembered in this process (bounded) and
//   written onto the dead letter when this bus moves it; a dead letter the policy moved only has it when
//   this process saw the nack, else `error` is null.
// - Acks and nacks of a lease this bus knows to be expired or superseded (the message was redelivered to
//   it) are dropped here, so they cannot touch the newer delivery (the emulator ignored such stale acks as
//   well); ackIds this instance did not hand out go to the server, which decides.
// - Pub/Sub has no count of waiting or outstanding messages. `stats` therefore peeks: it pulls up to
//   1,000 messages and nacks them at once (`pending`, capped at 1,000; messages held behind a leased one
//   of their key on an ordered subscription are not seen); `leased` counts the live leases this bus
//   instance handed out (leases of other processes are invisible); `deadLettered` peeks D-N the same way.
//   Pub/Sub counts a peek as a delivery: this bus subtracts its own peeks from `attempt`, but another
//   bus instance cannot, and the server's policy counts them too, so frequent `stats` calls from other
//   processes bring dead-lettering forward. `deadLetters` and `requeueDeadLetters` peek T-N first as well,
//   to move what has used up its attempts.
// - Requeue republishes a dead letter to T (a fresh message, so fresh attempts; same publishedAt) and
//   only then acks it on D-N (a crash in between duplicates, never loses). T fans out to every
//   subscription, so the copy is marked for N and the other subscriptions' buses ack it away unseen (the
//   emulator ignores subscription filters, so the bus does this, not a filter).
import { randomBytes } from 'node:crypto';
import { PubSub, v1, type ClientConfig } from '@google-cloud/pubsub';
import { REQUEUE_FOR_ATTRIBUTE } from '../../pubsub-push.ts';
import { MATCHER_SUBSCRIPTION, type BusMessage, type BusStats, type DeadLetter, type Delivery, type EventBus, type PullOptions } from '../../ports/event-bus.ts';

/** Options for the Pub/Sub bus; no Google type leaks into the port. */
export type PubSubEventBusOptions = {
  readonly projectId: string;
  /** The topic id ingest publishes to; subscriptions are `${topic}-${name}`. */
  readonly topic: string;
  /** The consumers' names (e.g. `matcher`); each gets its subscription and dead-letter subscription. */
  readonly subscriptions: readonly string[];
  /** Deliveries before a message is dead-lettered (default 10; the server policy is clamped to 5–100). */
  readonly maxAttempts?: number;
  /**
   * An emulator's host:port (plain text, no credentials) or a regional endpoint. When absent the client
   * library uses PUBSUB_EMULATOR_HOST if set, else real Pub/Sub with application default credentials.
   */
  readonly apiEndpoint?: string;
  /** The dead-letter topic id (default `${topic}-dead-letter`); its subscriptions are `${deadLetterTopic}-${name}`. */
  readonly deadLetterTopic?: string;
  /** The subscriptions' default ack deadline at creation, 10–600 s (default 60); `pull` sets each lease itself. */
  readonly ackDeadlineSeconds?: number;
  /** Subscriptions created with message ordering (default: the matcher's). */
  readonly orderedSubscriptions?: readonly string[];
  /** The clock stamped as `publishedAt` and `deadAt`; leases run on Pub/Sub's own clock. */
  readonly now?: () => number;
  /**
   * Subscription ids of a consumer other than the `${topic}-${name}` / `${deadLetterTopic}-${name}` defaults,
   * e.g. those a Terraform deployment declared (`events-matcher`, `events-matcher-dead-letter`).
   */
  readonly subscriptionIds?: Readonly<Record<string, { readonly subscription: string; readonly deadLetter: string }>>;
  /**
   * Create the topics and subscriptions on first use (default true: emulators, tests, a project without
   * Terraform). False where they are declared elsewhere and the service account may only publish or
   * subscribe: creating would fail with PERMISSION_DENIED, not ALREADY_EXISTS.
   */
  readonly createResources?: boolean;
};

/** A received message as the v1 client returns it; only the fields this bus reads. */
type Received = {
  ackId?: string | null;
  deliveryAttempt?: number | null;
  message?: {
    data?: Uint8Array | string | null;
    attributes?: { [key: string]: string } | null;
    messageId?: string | null;
    orderingKey?: string | null;
    publishTime?: { seconds?: number | string | { toString(): string } | null; nanos?: number | null } | null;
  } | null;
};

/** A message on its way to Pub/Sub. */
type OutgoingMessage = { readonly data: Buffer; readonly attributes: Record<string, string>; readonly orderingKey: string };

/** A lease this bus handed out and has not seen end. */
type Lease = { readonly subscription: string; readonly key: string; readonly attempt: number; readonly expiresAt: number; readonly received: Received };

/** A dead letter as peeked, with what is needed to ack, nack or requeue it. */
type Peeked = { readonly ackId: string; readonly dead: DeadLetter; readonly order: string; readonly received: Received };

const ATTR = {
  eventId: 'eventId',
  ownEventId: 'tieout_own_event_id',
  publishedAt: 'tieout_published_at',
  msg: 'tieout_msg',
  requeueFor: REQUEUE_FOR_ATTRIBUTE,
  deadSubscription: 'tieout_dead_subscription',
  deadAt: 'tieout_dead_at',
  attempts: 'tieout_attempts',
  error: 'tieout_error',
} as const;
const RESERVED_PREFIX = 'tieout_';
/** Attributes Pub/Sub adds to the messages its dead-letter policy forwards. */
const SERVER_DEAD_PREFIX = 'CloudPubSubDeadLetter';

/** Pub/Sub's own limits: attempts of a dead-letter policy, ids per ack request, messages per pull. */
const POLICY_MIN_ATTEMPTS = 5;
const POLICY_MAX_ATTEMPTS = 100;
const IDS_PER_REQUEST = 1_000;
const MESSAGES_PER_REQUEST = 1_000;
const BYTES_PER_REQUEST = 8 * 1024 * 1024;
const MAX_PULL = 1_000;
/** How many messages a peek (stats, dead letters) looks at; `pending` is capped at this. */
const PEEK_CAP = 1_000;
/** Entries kept per in-process memo (peeks, errors, attempts without a policy) before the oldest go. */
const MEMO_CAP = 100_000;
const ATTRIBUTE_VALUE_BYTES = 1_024;
const RESOURCE_ID = /^(?!goog)[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/;
const ALREADY_EXISTS = 6;

/**
 * Opens the bus on topic `topic` for `subscriptions`: at-least-once delivery, leases set per pull,
 * ack/nack, dead letters after `maxAttempts` deliveries and requeue, with the approximations the
 * module header lists (peek-based `stats`, in-process nack reasons and lease bookkeeping).
 * `publish` resolves only once Pub/Sub has acknowledged every message.
 */
export function createPubSubEventBus(options: PubSubEventBusOptions): EventBus {
  const maxAttempts = options.maxAttempts ?? 10;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new RangeError(`maxAttempts must be a positive integer, got ${maxAttempts}`);
  const ackDeadlineSeconds = options.ackDeadlineSeconds ?? 60;
  if (!Number.isInteger(ackDeadlineSeconds) || ackDeadlineSeconds < 10 || ackDeadlineSeconds > 600)
    throw new RangeError(`ackDeadlineSeconds must be an integer in 10–600, got ${ackDeadlineSeconds}`);
  const now = options.now ?? Date.now;
  const known = new Set(options.subscriptions);
  const ordered = new Set(options.orderedSubscriptions ?? [MATCHER_SUBSCRIPTION]);
  const deadTopicId = options.deadLetterTopic ?? `${options.topic}-dead-letter`;
  const subId = (name: string): string => options.subscriptionIds?.[name]?.subscription ?? `${options.topic}-${name}`;
  const deadSubId = (name: string): string => options.subscriptionIds?.[name]?.deadLetter ?? `${deadTopicId}-${name}`;
  const createResources = options.createResources ?? true;
  for (const id of [options.topic, deadTopicId, ...[...known].flatMap((n) => [subId(n), deadSubId(n)])])
    if (!RESOURCE_ID.test(id)) throw new RangeError(`"${id}" is not a valid Pub/Sub id (3–255 of letters, digits and - _ . ~ + %, starting with a letter, not "goog")`);

  const project = `projects/${options.projectId}`;
  const topicPath = `${project}/topics/${options.topic}`;
  const deadTopicPath = `${project}/topics/${deadTopicId}`;
  const subPath = (id: string): string => `${project}/subscriptions/${id}`;

  // An explicit endpoint that is not googleapis.com is an emulator: plain text, and no credential lookup
  // (the auth library would otherwise probe the GCE metadata server on every client).
  const emulator = options.apiEndpoint !== undefined && !/\.googleapis\.com(:\d+)?$/.test(options.apiEndpoint.replace(/^https?:\/\//, '').replace(/\/+$/, ''));
  const clientConfig: ClientConfig = {
    projectId: options.projectId,
    ...(options.apiEndpoint !== undefined ? { apiEndpoint: options.apiEndpoint } : {}),
    ...(emulator ? { emulatorMode: true, universeDomain: 'googleapis.com' } : {}),
  };
  const pubsub = new PubSub(clientConfig);
  let subscriber: v1.SubscriberClient | undefined;
  let publisher: v1.PublisherClient | undefined;

  const nonce = randomBytes(6).toString('base64url');
  let published = 0;
  const nextMsg = (): string => `${nonce}.${(published++).toString(36).padStart(10, '0')}`;

  // In-process bookkeeping (see the module header for what it can and cannot know).
  const leases = new Map<string, Lease>(); // ackId → lease
  const current = new Map<string, string>(); // subscription + message id → the newest ackId this bus saw
  const peeks = memo<number>(); // subscription + message id → this bus's peeks of it (Pub/Sub counts them)
  const localAttempts = memo<number>(); // subscription + message id → deliveries, when there is no deliveryAttempt
  const errors = memo<string>(); // tieout_msg → the last nack error
  const staleAckIds = memoSet(); // ackIds whose lease this bus saw end (acked, nacked, expired, superseded)
  let closed = false;

  const open = (subscription?: string): void => {
    if (subscription !== undefined && !known.has(subscription))
      throw new Error(`unknown subscription "${subscription}" (this bus has: ${[...known].join(', ') || 'none'})`);
    if (closed) throw new Error('the bus is closed');
  };

  let ready: Promise<{ sub: v1.SubscriberClient; pub: v1.PublisherClient }> | undefined;
  /** Creates (idempotently) the topics and subscriptions, once; a failure is retried by the next call. */
  const ensure = (): Promise<{ sub: v1.SubscriberClient; pub: v1.PublisherClient }> =>
    (ready ??= (async () => {
      // The library's resolved endpoint, credentials and project, in the shape its generated clients take.
      const config = (await pubsub.getClientConfig()) as ConstructorParameters<typeof v1.SubscriberClient>[0];
      const sub = (subscriber ??= new v1.SubscriberClient(config));
      const pub = (publisher ??= new v1.PublisherClient(config));
      if (!createResources) return { sub, pub };
      await Promise.all([topicPath, deadTopicPath].map((name) => created(pub.createTopic({ name }))));
      await Promise.all(
        [...known].flatMap((name) => [
          created(
            sub.createSubscription({
              name: subPath(subId(name)),
              topic: topicPath,
              ackDeadlineSeconds,
              enableMessageOrdering: ordered.has(name),
              deadLetterPolicy: {
                deadLetterTopic: deadTopicPath,
                maxDeliveryAttempts: Math.min(POLICY_MAX_ATTEMPTS, Math.max(POLICY_MIN_ATTEMPTS, maxAttempts)),
              },
            }),
          ),
          created(sub.createSubscription({ name: subPath(deadSubId(name)), topic: deadTopicPath, ackDeadlineSeconds })),
        ]),
      );
      return { sub, pub };
    })().catch((e: unknown) => {
      ready = undefined;
      throw e;
    }));

  const pullRaw = async (subscriptionId: string, max: number): Promise<Received[]> => {
    const { sub: client } = await ensure();
    // returnImmediately is deprecated for throughput, but it is the only way to learn "nothing now" without waiting.
    const [response] = await client.pull({ subscription: subPath(subscriptionId), maxMessages: max, returnImmediately: true });
    return (response.receivedMessages ?? []) as Received[];
  };

  const inChunks = async (ids: readonly string[], send: (chunk: string[]) => Promise<unknown>): Promise<void> => {
    for (let i = 0; i < ids.length; i += IDS_PER_REQUEST) await send(ids.slice(i, i + IDS_PER_REQUEST));
  };
  const modAck = async (subscriptionId: string, ackIds: readonly string[], seconds: number): Promise<void> => {
    const { sub: client } = await ensure();
    await inChunks(ackIds, (chunk) => client.modifyAckDeadline({ subscription: subPath(subscriptionId), ackIds: chunk, ackDeadlineSeconds: seconds }));
  };
  const ackRaw = async (subscriptionId: string, ackIds: readonly string[]): Promise<void> => {
    const { sub: client } = await ensure();
    await inChunks(ackIds, (chunk) => client.acknowledge({ subscription: subPath(subscriptionId), ackIds: chunk }));
  };

  /**
   * Publishes in order, one Publish request per chunk (≤ 1,000 messages, ≤ 8 MiB, under Pub/Sub's 10 MB), each
   * awaited: resolves once the server has acknowledged every message. One request keeps the batch's order
   * across ordering keys; the library's ordered publisher sends one batch per key concurrently instead.
   */
  const send = async (topicName: string, batch: readonly OutgoingMessage[]): Promise<void> => {
    const { pub } = await ensure();
    for (const chunk of chunks(batch)) {
      const [response] = await pub.publish({ topic: topicName, messages: chunk.map((m) => (m.orderingKey ? m : { data: m.data, attributes: m.attributes })) });
      const accepted = response.messageIds?.length ?? 0;
      if (accepted !== chunk.length) throw new Error(`publish: Pub/Sub acknowledged ${accepted} of ${chunk.length} messages`);
    }
  };

  const memoKey = (subscription: string, r: Received): string => `${subscription}\u0000${r.message?.messageId ?? ''}`;

  /** Deliveries this message already had in `subscription`, not counting this bus's peeks. */
  const deliveriesBefore = (subscription: string, r: Received): number => {
    const serverAttempt = r.deliveryAttempt ?? 0;
    const key = memoKey(subscription, r);
    if (serverAttempt > 0) return Math.max(0, serverAttempt - 1 - (peeks.get(key) ?? 0));
    return localAttempts.get(key) ?? 0; // no dead-letter policy on the subscription: this process's count only
  };

  const forget = (subscription: string, r: Received): void => {
    const key = memoKey(subscription, r);
    peeks.delete(key);
    localAttempts.delete(key);
    const ackId = current.get(key);
    if (ackId !== undefined) endLease(ackId);
  };

  /** Moves a message that used up its attempts to the dead-letter topic, then acks it in its subscription. */
  const bury = async (subscription: string, entries: readonly { r: Received; attempts: number; error?: string | null }[]): Promise<void> => {
    if (entries.length === 0) return;
    const deadAt = iso(now());
    await send(
      deadTopicPath,
      entries.map(({ r, attempts, error }) => {
        const raw = r.message?.attributes ?? {};
        const why = error !== undefined ? error : (errors.get(raw[ATTR.msg] ?? '') ?? null);
        const attributes: Record<string, string> = { ...raw, [ATTR.deadSubscription]: subscription, [ATTR.deadAt]: deadAt, [ATTR.attempts]: String(attempts) };
        delete attributes[ATTR.requeueFor];
        if (why !== null) attributes[ATTR.error] = truncateBytes(why, ATTRIBUTE_VALUE_BYTES);
        return { data: bytes(r.message?.data), attributes, orderingKey: r.message?.orderingKey ?? '' };
      }),
    );
    await ackRaw(subId(subscription), entries.map(({ r }) => r.ackId as string));
    for (const { r } of entries) {
      forget(subscription, r);
      errors.delete(r.message?.attributes?.[ATTR.msg] ?? '');
    }
  };

  /** Sorts what a pull of `subscription` returned: requeued copies meant for another subscription, exhausted, or deliverable. */
  const triage = (subscription: string, got: readonly Received[]) => {
    const foreign: string[] = [];
    const exhausted: { r: Received; attempts: number }[] = [];
    const live: { r: Received; before: number }[] = [];
    for (const r of got) {
      const target = r.message?.attributes?.[ATTR.requeueFor];
      if (target !== undefined && target !== subscription) foreign.push(r.ackId as string);
      else {
        const before = deliveriesBefore(subscription, r);
        if (before >= maxAttempts) exhausted.push({ r, attempts: before });
        else live.push({ r, before });
      }
    }
    return { foreign, exhausted, live };
  };

  /** Pulls up to PEEK_CAP messages and gives them straight back, burying the exhausted; returns how many wait. */
  const sweep = async (subscription: string): Promise<number> => {
    const held: string[] = [];
    try {
      for (;;) {
        const got = await pullRaw(subId(subscription), Math.min(MAX_PULL, PEEK_CAP - held.length));
        if (got.length === 0) break;
        const { foreign, exhausted, live } = triage(subscription, got);
        for (const { r } of live) {
          held.push(r.ackId as string);
          const key = memoKey(subscription, r);
          if ((r.deliveryAttempt ?? 0) > 0) peeks.set(key, (peeks.get(key) ?? 0) + 1);
        }
        if (foreign.length > 0) await ackRaw(subId(subscription), foreign);
        await bury(subscription, exhausted);
        if (held.length >= PEEK_CAP) break;
      }
    } finally {
      if (held.length > 0) await modAck(subId(subscription), held, 0);
    }
    return held.length;
  };

  /** Pulls up to PEEK_CAP dead letters of `subscription` (dropping copies from other subscriptions), in publish order, still leased. */
  const peekDead = async (subscription: string): Promise<Peeked[]> => {
    const mine: Peeked[] = [];
    try {
      for (;;) {
        const got = await pullRaw(deadSubId(subscription), Math.min(MAX_PULL, PEEK_CAP - mine.length));
        if (got.length === 0) break;
        const others: string[] = [];
        for (const r of got) {
          const attributes = r.message?.attributes ?? {};
          const source = attributes[ATTR.deadSubscription] ?? lastSegment(attributes[`${SERVER_DEAD_PREFIX}SourceSubscription`] ?? '');
          if (source === subscription || source === subId(subscription)) mine.push(toDeadLetter(r));
          else others.push(r.ackId as string);
        }
        // Every dead-letter subscription gets every dead letter; this one keeps only its own.
        if (others.length > 0) await ackRaw(deadSubId(subscription), others);
        if (mine.length >= PEEK_CAP) break;
      }
    } catch (e) {
      if (mine.length > 0) await modAck(deadSubId(subscription), mine.map((p) => p.ackId), 0).catch(() => undefined);
      throw e;
    }
    return mine.sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
  };

  const toDeadLetter = (r: Received): Peeked => {
    const raw = r.message?.attributes ?? {};
    const publishedAt = raw[ATTR.publishedAt] ?? raw[`${SERVER_DEAD_PREFIX}SourceTopicPublishTime`] ?? publishTime(r);
    const attempts = Number(raw[ATTR.attempts] ?? raw[`${SERVER_DEAD_PREFIX}SourceDeliveryCount`] ?? 0);
    const dead: DeadLetter = {
      ...toMessage(r),
      attempts,
      error: raw[ATTR.error] ?? errors.get(raw[ATTR.msg] ?? '') ?? null,
      publishedAt,
      deadAt: raw[ATTR.deadAt] ?? publishTime(r),
    };
    return { ackId: r.ackId as string, dead, order: `${publishedAt}\u0000${raw[ATTR.msg] ?? ''}\u0000${(r.message?.messageId ?? '').padStart(24, '0')}`, received: r };
  };

  /** A lease this bus handed out that is still good, or undefined (expired, superseded, or not ours). */
  const liveLease = (ackId: string): Lease | undefined => {
    const lease = leases.get(ackId);
    if (!lease) return undefined;
    if (lease.expiresAt <= Date.now() || current.get(lease.key) !== ackId) {
      endLease(ackId);
      return undefined;
    }
    return lease;
  };
  /** True for an ackId this bus knows is no longer good; ackIds it never handed out are the server's to judge. */
  const isStale = (ackId: string): boolean => staleAckIds.has(ackId) || (leases.has(ackId) && liveLease(ackId) === undefined);

  const endLease = (ackId: string): void => {
    const lease = leases.get(ackId);
    leases.delete(ackId);
    staleAckIds.add(ackId);
    if (lease && current.get(lease.key) === ackId) current.delete(lease.key);
  };

  return {
    async publish(messages) {
      open();
      if (messages.length === 0) return;
      const publishedAt = iso(now());
      const batch = messages.map((m) => {
        for (const key of Object.keys(m.attributes))
          if (key.startsWith(RESERVED_PREFIX)) throw new RangeError(`publish: attribute "${key}" uses the reserved prefix "${RESERVED_PREFIX}"`);
        const attributes: Record<string, string> = { ...m.attributes, [ATTR.publishedAt]: publishedAt, [ATTR.msg]: nextMsg() };
        if (!Object.hasOwn(m.attributes, ATTR.eventId)) {
          attributes[ATTR.eventId] = m.id;
          attributes[ATTR.ownEventId] = '1';
        } else if (m.attributes[ATTR.eventId] !== m.id) {
          throw new RangeError(`publish: attribute eventId "${m.attributes[ATTR.eventId]}" differs from the message id "${m.id}"; sinks dedupe on it`);
        }
        return { data: Buffer.from(m.data, 'utf8'), attributes, orderingKey: m.orderingKey };
      });
      await send(topicPath, batch);
    },

    async pull(subscription, { max, leaseMs }: PullOptions) {
      open(subscription);
      if (!Number.isInteger(max) || max < 0) throw new RangeError(`pull: max must be a non-negative integer, got ${max}`);
      if (!(leaseMs > 0)) throw new RangeError(`pull: leaseMs must be positive, got ${leaseMs}`);
      if (max === 0) return [];
      const leaseSeconds = Math.min(600, Math.max(1, Math.ceil(leaseMs / 1000)));
      const startedAt = Date.now();
      const got = await pullRaw(subId(subscription), Math.min(max, MAX_PULL));
      if (got.length === 0) return [];
      const { foreign, exhausted, live } = triage(subscription, got);
      // The lease counts from before the pull, so this bus never thinks a lease is alive longer than the server does.
      if (live.length > 0) await modAck(subId(subscription), live.map(({ r }) => r.ackId as string), leaseSeconds);
      if (foreign.length > 0) await ackRaw(subId(subscription), foreign);
      await bury(subscription, exhausted);
      return live.map(({ r, before }): Delivery => {
        const key = memoKey(subscription, r);
        const ackId = r.ackId as string;
        const previous = current.get(key);
        if (previous !== undefined) endLease(previous); // redelivered: the older ackId is superseded
        const attempt = before + 1;
        if ((r.deliveryAttempt ?? 0) === 0) localAttempts.set(key, attempt);
        leases.set(ackId, { subscription, key, attempt, expiresAt: startedAt + leaseSeconds * 1000, received: r });
        current.set(key, ackId);
        return { ...toMessage(r), ackId, attempt, publishedAt: r.message?.attributes?.[ATTR.publishedAt] ?? publishTime(r) };
      });
    },

    async ack(subscription, ackIds) {
      open(subscription);
      checkAckIds(ackIds);
      const toSend = ackIds.filter((id) => !isStale(id));
      if (toSend.length === 0) return;
      await ackRaw(subId(subscription), toSend);
      for (const id of toSend) {
        const lease = leases.get(id);
        endLease(id);
        if (lease) forget(subscription, lease.received);
      }
    },

    async nack(subscription, ackIds, error) {
      open(subscription);
      checkAckIds(ackIds);
      const back: string[] = [];
      const dead: { r: Received; attempts: number; error: string | null }[] = [];
      for (const id of ackIds) {
        if (isStale(id)) continue;
        const lease = liveLease(id);
        const msg = lease?.received.message?.attributes?.[ATTR.msg];
        if (msg !== undefined) {
          if (error === undefined) errors.delete(msg);
          else errors.set(msg, error);
        }
        // The last allowed attempt failed: dead-letter it now rather than after one more delivery.
        if (lease && lease.attempt >= maxAttempts) dead.push({ r: lease.received, attempts: lease.attempt, error: error ?? null });
        else back.push(id);
      }
      if (back.length > 0) await modAck(subId(subscription), back, 0);
      for (const id of back) endLease(id);
      await bury(subscription, dead);
    },

    async deadLetters(subscription, opts) {
      open(subscription);
      await sweep(subscription);
      const peeked = await peekDead(subscription);
      if (peeked.length > 0) await modAck(deadSubId(subscription), peeked.map((p) => p.ackId), 0);
      return peeked.slice(0, opts?.limit ?? Infinity).map((p) => p.dead);
    },

    async requeueDeadLetters(subscription, ids) {
      open(subscription);
      await sweep(subscription);
      const peeked = await peekDead(subscription);
      const wanted = ids === undefined ? undefined : new Set(ids);
      const chosen = peeked.filter((p) => !wanted || wanted.has(p.dead.id));
      const rest = peeked.filter((p) => wanted && !wanted.has(p.dead.id));
      const giveBack = (ps: readonly Peeked[]) => (ps.length > 0 ? modAck(deadSubId(subscription), ps.map((p) => p.ackId), 0) : Promise.resolve());
      try {
        await send(
          topicPath,
          chosen.map(({ received }) => {
            const attributes: Record<string, string> = {};
            for (const [k, v] of Object.entries(received.message?.attributes ?? {}))
              if (!k.startsWith(SERVER_DEAD_PREFIX) && k !== ATTR.deadSubscription && k !== ATTR.deadAt && k !== ATTR.attempts && k !== ATTR.error) attributes[k] = v;
            errors.delete(attributes[ATTR.msg] ?? '');
            attributes[ATTR.msg] = nextMsg();
            attributes[ATTR.requeueFor] = subscription;
            return { data: bytes(received.message?.data), attributes, orderingKey: received.message?.orderingKey ?? '' };
          }),
        );
      } catch (e) {
        await giveBack(chosen).catch(() => undefined);
        throw e;
      } finally {
        await giveBack(rest);
      }
      // Acked only once republished: a crash in between leaves a duplicate, never a loss.
      if (chosen.length > 0) await ackRaw(deadSubId(subscription), chosen.map((p) => p.ackId));
      return chosen.length;
    },

    async countDeadLetters(subscription) {
      open(subscription);
      // Only the dead-letter subscription is peeked: the live subscription's messages keep their attempt counts.
      const peeked = await peekDead(subscription);
      if (peeked.length > 0) await modAck(deadSubId(subscription), peeked.map((p) => p.ackId), 0);
      return peeked.length;
    },

    async stats(subscription): Promise<BusStats> {
      open(subscription);
      const pending = await sweep(subscription);
      const peeked = await peekDead(subscription);
      if (peeked.length > 0) await modAck(deadSubId(subscription), peeked.map((p) => p.ackId), 0);
      let leased = 0;
      for (const [ackId, lease] of leases) if (lease.subscription === subscription && liveLease(ackId)) leased += 1;
      return { pending, leased, deadLettered: peeked.length };
    },

    async close() {
      if (closed) return;
      closed = true;
      await Promise.allSettled([subscriber?.close(), publisher?.close()]);
      await pubsub.close();
    },
  };
}

/** The port's view of a received message: reserved attributes removed, the caller's restored. */
function toMessage(r: Received): BusMessage {
  const raw = r.message?.attributes ?? {};
  const attributes: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) if (!k.startsWith(RESERVED_PREFIX) && !k.startsWith(SERVER_DEAD_PREFIX)) attributes[k] = v;
  if (raw[ATTR.ownEventId] === '1') delete attributes[ATTR.eventId];
  return { id: raw[ATTR.eventId] ?? r.message?.messageId ?? '', orderingKey: r.message?.orderingKey ?? '', attributes, data: bytes(r.message?.data).toString('utf8') };
}

function bytes(data: Uint8Array | string | null | undefined): Buffer {
  if (data === null || data === undefined) return Buffer.alloc(0);
  return typeof data === 'string' ? Buffer.from(data, 'base64') : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function publishTime(r: Received): string {
  const t = r.message?.publishTime;
  const seconds = Number(String(t?.seconds ?? 0));
  return iso(seconds * 1000 + Math.floor((t?.nanos ?? 0) / 1e6));
}

const iso = (ms: number): string => new Date(ms).toISOString();
const lastSegment = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

function truncateBytes(text: string, max: number): string {
  if (Buffer.byteLength(text) <= max) return text;
  let out = Buffer.from(text).subarray(0, max - 3).toString('utf8');
  out = out.replace(/\uFFFD$/, ''); // a character cut in half
  return `${out}...`;
}

/** Splits a batch into Publish requests within Pub/Sub's limits, keeping its order. */
function chunks(batch: readonly OutgoingMessage[]): OutgoingMessage[][] {
  const out: OutgoingMessage[][] = [];
  let chunk: OutgoingMessage[] = [];
  let size = 0;
  for (const m of batch) {
    let bytes = m.data.byteLength + Buffer.byteLength(m.orderingKey) + 64;
    for (const [k, v] of Object.entries(m.attributes)) bytes += Buffer.byteLength(k) + Buffer.byteLength(v) + 8;
    if (chunk.length > 0 && (chunk.length >= MESSAGES_PER_REQUEST || size + bytes > BYTES_PER_REQUEST)) {
      out.push(chunk);
      chunk = [];
      size = 0;
    }
    chunk.push(m);
    size += bytes;
  }
  if (chunk.length > 0) out.push(chunk);
  return out;
}

/** An ackId must be a non-empty string; anything else is the caller's bug, not a stale ack. */
function checkAckIds(ackIds: readonly string[]): void {
  for (const id of ackIds) if (typeof id !== 'string' || id.length === 0) throw new Error(`malformed ackId ${JSON.stringify(id)}`);
}

/** Resolves when the create call succeeded or the resource already exists. */
async function created(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (e) {
    if ((e as { code?: unknown }).code !== ALREADY_EXISTS) throw e;
  }
}

/** A Map that forgets its oldest entries beyond MEMO_CAP: in-process hints, never the source of truth. */
function memo<V>(): Map<string, V> {
  const map = new Map<string, V>();
  const set = map.set.bind(map);
  map.set = (key: string, value: V) => {
    map.delete(key);
    set(key, value);
    if (map.size > MEMO_CAP) map.delete(map.keys().next().value as string);
    return map;
  };
  return map;
}

function memoSet(): Set<string> {
  const set = new Set<string>();
  const add = set.add.bind(set);
  set.add = (value: string) => {
    add(value);
    if (set.size > MEMO_CAP) set.delete(set.values().next().value as string);
    return set;
  };
  return set;
}
