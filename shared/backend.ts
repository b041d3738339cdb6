// Picks the adapters for a configuration: the embedded SQLite files under the data directory, or Google Cloud.
import { join } from 'node:path';
import { createSqliteArchive } from './adapters/sqlite/archive.ts';
import { createSqliteEventBus } from './adapters/sqlite/event-bus.ts';
import { createSqliteOrderStateStore } from './adapters/sqlite/order-state-store.ts';
import type { Config, GcpConfig } from './config.ts';
import type { Archive } from './ports/archive.ts';
import { MATCHER_SUBSCRIPTION, type EventBus } from './ports/event-bus.ts';
import type { OrderStateStore } from './ports/order-state-store.ts';

/** The three stores every service works against. */
export type Backend = {
  readonly bus: EventBus;
  readonly store: OrderStateStore;
  readonly archive: Archive;
  close(): Promise<void>;
};

/** Attempts before a message that keeps failing in the matcher is dead-lettered (DESIGN §11: 10–20). */
export const MAX_ATTEMPTS = 10;

/** Where the embedded backend keeps its files. */
export const embeddedPaths = (dataDir: string) => ({
  bus: join(dataDir, 'bus.sqlite'),
  state: join(dataDir, 'state.sqlite'),
  archive: join(dataDir, 'archive.sqlite'),
});

/**
 * The matcher subscription's dead-letter pull subscription, as infra/pubsub.tf names it
 * (`<subscription>-dead-letter`); the dead-letter topic is `<topic>-dead-letter` in both.
 */
export const deadLetterSubscriptionOf = (subscription: string): string => `${subscription}-dead-letter`;

/**
 * Opens the backend the configuration names: the embedded SQLite files, or Pub/Sub, Firestore and
 * BigQuery (their client libraries are loaded only then). With the gcp backend the emulators are
 * used when PUBSUB_EMULATOR_HOST / FIRESTORE_EMULATOR_HOST / TIEOUT_BIGQUERY_ENDPOINT are set; on the
 * Pub/Sub emulator the topics and subscriptions are created on first use, while in a real project
 * they are Terraform's (infra/pubsub.tf) and only used.
 */
export async function openBackend(config: Config): Promise<Backend> {
  if (config.backend === 'gcp') {
    if (config.gcp === undefined) throw new Error('backend gcp needs the gcp settings (projectId, region, topic, subscription, database, dataset)');
    return openGcpBackend(config.gcp);
  }
  const paths = embeddedPaths(config.dataDir);
  const bus = createSqliteEventBus({ path: paths.bus, subscriptions: [MATCHER_SUBSCRIPTION], maxAttempts: MAX_ATTEMPTS });
  const store = createSqliteOrderStateStore({ path: paths.state });
  const archive = createSqliteArchive({ path: paths.archive });
  return withClose(bus, store, archive);
}

async function openGcpBackend(gcp: GcpConfig): Promise<Backend> {
  const [{ createPubSubEventBus }, { createFirestoreOrderStateStore }, { createBigQueryArchive }] = await Promise.all([
    import('./adapters/gcp/pubsub-event-bus.ts'),
    import('./adapters/gcp/firestore-order-state-store.ts'),
    import('./adapters/gcp/bigquery-archive.ts'),
  ]);
  const bus = createPubSubEventBus({
    projectId: gcp.projectId,
    topic: gcp.topic,
    subscriptions: [MATCHER_SUBSCRIPTION],
    subscriptionIds: { [MATCHER_SUBSCRIPTION]: { subscription: gcp.subscription, deadLetter: deadLetterSubscriptionOf(gcp.subscription) } },
    maxAttempts: MAX_ATTEMPTS,
    createResources: gcp.pubsubEmulatorHost !== undefined,
    ...(gcp.pubsubEmulatorHost !== undefined ? { apiEndpoint: gcp.pubsubEmulatorHost } : {}),
  });
  const store = createFirestoreOrderStateStore({
    projectId: gcp.projectId,
    databaseId: gcp.database,
    ...(gcp.firestoreEmulatorHost !== undefined ? { host: gcp.firestoreEmulatorHost } : {}),
  });
  const archive = createBigQueryArchive({
    projectId: gcp.projectId,
    dataset: gcp.dataset,
    ...(gcp.bigqueryEndpoint !== undefined ? { apiEndpoint: gcp.bigqueryEndpoint } : {}),
  });
  return withClose(bus, store, archive);
}

function withClose(bus: EventBus, store: OrderStateStore, archive: Archive): Backend {
  return {
    bus,
    store,
    archive,
    async close() {
      // Every store is closed even when one fails; the first failure is reported.
      const results = await Promise.allSettled([bus.close(), store.close(), archive.close()]);
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}
