// Picks the adapters for a configuration: the embedded SQLite files under the data directory.
import { join } from 'node:path';
import { createSqliteArchive } from './adapters/sqlite/archive.ts';
import { createSqliteEventBus } from './adapters/sqlite/event-bus.ts';
import { createSqliteOrderStateStore } from './adapters/sqlite/order-state-store.ts';
import type { Config } from './config.ts';
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

/** Opens the backend the configuration names (the embedded one; GCP adapters arrive with their issue). */
export function openBackend(config: Config): Backend {
  if (config.backend !== 'embedded') throw new Error(`backend ${config.backend} is not available in this build; use backend: embedded`);
  const paths = embeddedPaths(config.dataDir);
  const bus = createSqliteEventBus({ path: paths.bus, subscriptions: [MATCHER_SUBSCRIPTION], maxAttempts: MAX_ATTEMPTS });
  const store = createSqliteOrderStateStore({ path: paths.state });
  const archive = createSqliteArchive({ path: paths.archive });
  return {
    bus,
    store,
    archive,
    async close() {
      await Promise.all([bus.close(), store.close(), archive.close()]);
    },
  };
}
