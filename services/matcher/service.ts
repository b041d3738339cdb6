// The matcher service: the pull loop and/or the Pub/Sub push endpoint, plus the order API, stopping cleanly on SIGTERM.
import { Hono } from 'hono';
import type { Backend } from '#shared/backend.ts';
import { checkConfigOf, type Config } from '#shared/config.ts';
import type { Rule } from '#shared/domain/rules.ts';
import type { Logger } from '#shared/log.ts';
import type { RequestAuth } from '#shared/request-auth.ts';
import { orderApi } from './http.ts';
import { matcherFor, type Matcher } from './matcher.ts';
import { createPushMatcher, pushApi, type PushMatcher } from './push.ts';
import { startMatcherThread } from './thread.ts';

export type MatcherService = {
  readonly app: Hono;
  /** The push matcher behind `POST /pubsub/push`, when mounted. */
  readonly push: PushMatcher | undefined;
  /** Stops pulling; the batch in hand is committed and acked first, and pushes in hand are committed. */
  stop(): Promise<void>;
};

/** The pull loop on this thread: `stop` resolves once the batch in hand is committed and acked. */
function runHere(matcher: Matcher, log: Logger): { stop(): Promise<void> } {
  const done = matcher.run().then(
    (s) => log.info({ applied: s.applied, duplicates: s.duplicates, rejected: s.rejected }, 'matcher stopped'),
    (e: unknown) => log.error({ error: (e as Error).message }, 'matcher failed'),
  );
  return {
    async stop() {
      matcher.stop();
      await done;
    },
  };
}

/**
 * Builds the matcher service over a backend; routes are mounted on `app` (shared with other services in
 * `tieout serve`). `pull` runs the loop that pulls the bus (default true); `push` mounts `POST /pubsub/push`
 * with its OIDC check (Cloud Run push delivery). Both may run: every sink dedupes on the event id.
 */
export function startMatcherService(deps: {
  readonly config: Config;
  readonly backend: Backend;
  readonly rules: () => readonly Rule[];
  readonly log: Logger;
  readonly now: () => string;
  readonly app?: Hono;
  readonly pull?: boolean;
  /**
   * Pull in a worker thread of its own (with its own connections), so the embedded stores'
   * synchronous SQLite work never holds the HTTP server's event loop and the loop gets a core.
   */
  readonly thread?: boolean;
  /** With `thread`: ingest's `IngestPressure.buffer` in this process, so the loop gives way while ingest is saturated. */
  readonly ingestPressure?: SharedArrayBuffer;
  readonly push?: { readonly auth: RequestAuth };
}): MatcherService {
  const { config, backend, log } = deps;
  const app = orderApi(
    {
      store: backend.store,
      archive: backend.archive,
      rules: deps.rules,
      checkConfig: checkConfigOf(config),
      keyRules: config.keys,
      calendar: { timeZone: config.timeZone, cutoff: config.cutoff },
      apiToken: config.secrets.apiToken,
      now: deps.now,
    },
    deps.app,
  );
  const push = deps.push
    ? createPushMatcher({ store: backend.store, checkConfig: checkConfigOf(config), log, now: deps.now, maxBatch: config.matcher.batchSize })
    : undefined;
  if (push && deps.push) pushApi({ matcher: push, auth: deps.push.auth, maxBodyBytes: config.ingest.maxBodyBytes }, app);
  const loop = deps.pull === false ? undefined : deps.thread === true ? startMatcherThread({ config, log, ...(deps.ingestPressure ? { ingestPressure: deps.ingestPressure } : {}) }) : runHere(matcherFor(config, backend, log, { now: deps.now }), log);
  return {
    app,
    push,
    async stop() {
      await loop?.stop();
      await push?.drain();
    },
  };
}
