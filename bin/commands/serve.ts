// `tieout serve`: every service in one process, every HTTP route on one port — or the one service TIEOUT_SERVICE names (Cloud Run).
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { openBackend } from '#shared/backend.ts';
import { runsService, SERVE_MATCHER_BATCH_SIZE, serveProblems } from '#shared/config.ts';
import { answerErrorsInJson } from '#shared/http-errors.ts';
import { ingestPressure } from '#shared/ingest-pressure.ts';
import { createLogger } from '#shared/log.ts';
import { bearerTokenAuth, idTokenAuth } from '#shared/request-auth.ts';
import { loadRules } from '#shared/rules-file.ts';
import type { Rule } from '#shared/domain/rules.ts';
import { startMatcherService, type MatcherService } from '../../services/matcher/service.ts';
import { createIngest } from '../../services/ingest/ingest.ts';
import { startWriterThread, type RecordWriter } from '../../services/ingest/writer-thread.ts';
import { importText } from '../../services/ingest/files.ts';
import { createServerTrying, ingestApi, webhookFastPath } from '../../services/ingest/http.ts';
import { normalizeContextOf } from '#shared/sources/context.ts';
import { runNight } from '../../services/nightly-report/run.ts';
import { nightlyLedgerPullFor } from '../../services/ingest/nightly-ledger-pull.ts';
import { nightlyDeps, notifierFrom, runApi, startScheduler } from '../../services/nightly-report/service.ts';
import { EXIT_OK, EXIT_USAGE, type CommandContext } from './context.ts';

/**
 * Runs the services `TIEOUT_SERVICE` names (all by default) until SIGTERM or SIGINT, then finishes the
 * batch in hand, closes the port and exits 0. Each service mounts only its own routes and loops:
 *   ingest          POST /webhooks/*, POST /feeds/*, GET /ingest/stats; gcp: POST /pubsub/shopify (OIDC)
 *   matcher         the pull loop (unless gcp with matcher.delivery push), GET /orders/:key; gcp: POST /pubsub/push (OIDC)
 *   nightly-report  POST /run (bearer token; gcp: OIDC), and the in-process scheduler on one machine only
 */
export async function runServe(ctx: CommandContext, signals: NodeJS.EventEmitter = process): Promise<number> {
  const log = createLogger({ name: 'tieout' });
  const problems = serveProblems(ctx.config);
  if (problems.length > 0) {
    ctx.stderr(`tieout serve: invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  ${p}\n`).join('')}`);
    return EXIT_USAGE;
  }
  const first = loadRules(ctx.config.rulesPath);
  if (!first.ok) {
    ctx.stderr(`tieout serve: invalid rules file:\n${first.errors.map((e) => `  ${e}\n`).join('')}`);
    return EXIT_USAGE;
  }
  let rules: readonly Rule[] = first.value;
  // The rules file is re-read on each use, so an accepted exception applies without a restart.
  const currentRules = () => {
    const r = loadRules(ctx.config.rulesPath);
    if (r.ok) rules = r.value;
    else log.warn({ errors: r.errors }, 'rules file is invalid; keeping the last valid rules');
    return rules;
  };
  const { config } = ctx;
  const backend = await openBackend(config);
  // With the gcp backend the routes Google calls take its OIDC ID tokens; the verifier (and its library) only then.
  const gcp = config.backend === 'gcp' ? config.gcp : undefined;
  const idTokens =
    gcp !== undefined && gcp.oidc.audiences.length > 0
      ? (await import('#shared/adapters/gcp/google-id-token.ts')).createGoogleIdTokenVerifier({
          audiences: gcp.oidc.audiences,
          serviceAccounts: gcp.oidc.serviceAccounts,
          platformVerified: gcp.oidc.platformVerified,
          ...(gcp.oidc.certsUrl !== undefined ? { certsUrl: gcp.oidc.certsUrl } : {}),
        })
      : undefined;
  const oidc = (route: string) => idTokenAuth(idTokens, `${route} is disabled: set TIEOUT_OIDC_AUDIENCE (gcp.oidcAudience) to this service's URL`);

  const app = new Hono();
  answerErrorsInJson(app, log);
  let ready = true;
  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/readyz', (c) => (ready ? c.json({ ok: true }) : c.json({ ok: false, reason: 'stopping' }, 503)));
  const routes: string[] = [];
  const running: string[] = [];

  let writer: RecordWriter | undefined;
  let drainIngest: (() => Promise<void>) | undefined;
  let webhooks: ReturnType<typeof webhookFastPath> | undefined;
  // Webhook senders wait on ingest; the matcher can catch up: in one process, it gives way while ingest is saturated.
  const pressure = ingestPressure();
  if (runsService(config, 'ingest')) {
    const secrets = { shopify: config.secrets.shopify, stripe: config.secrets.stripe, shipbob: config.secrets.shipbob };
    const normalize = normalizeContextOf(config);
    // On the embedded backend, validation and the durable SQLite writes run in a writer thread: the
    // HTTP loop only verifies signatures and waits, so it keeps answering while a batch is synced.
    writer = config.backend === 'embedded' ? startWriterThread({ config, log }) : undefined;
    const ingest = createIngest({ archive: backend.archive, bus: backend.bus, secrets, normalize, log, now: ctx.now, pressure, ...(writer ? { writer } : {}) });
    drainIngest = ingest.drain;
    // Webhooks are answered straight from Node's request and response; the app has the same route.
    webhooks = webhookFastPath({ ingest, maxBodyBytes: config.ingest.maxBodyBytes, log });
    ingestApi(
      {
        ingest,
        importFeed: (system, text, name) => importText({ archive: backend.archive, bus: backend.bus, normalize, now: ctx.now }, system, text, name),
        apiToken: config.secrets.apiToken,
        maxBodyBytes: config.ingest.maxBodyBytes,
        log,
        ...(gcp !== undefined ? { pubsub: { auth: oidc('POST /pubsub/shopify') } } : {}),
      },
      app,
    );
    routes.push('POST /webhooks/shopify|stripe|shipbob', 'POST /feeds/<system>', ...(gcp !== undefined ? ['POST /pubsub/shopify'] : []));
    running.push('ingest');
  }

  let matcherService: MatcherService | undefined;
  if (runsService(config, 'matcher')) {
    // Push-fed on Cloud Run (matcher.delivery: push): Pub/Sub calls POST /pubsub/push and nothing pulls.
    const pull = !(gcp !== undefined && config.matcher.delivery === 'push');
    // Sharing the bus file with ingest's writer, the matcher keeps its bus transactions short.
    const shared = config.backend === 'embedded' && runsService(config, 'ingest');
    matcherService = startMatcherService({
      config: shared ? { ...config, matcher: { ...config.matcher, batchSize: Math.min(config.matcher.batchSize, SERVE_MATCHER_BATCH_SIZE) } } : config,
      backend,
      rules: currentRules,
      log,
      now: ctx.now,
      app,
      pull,
      // The embedded stores work synchronously: the loop gets a thread of its own, so HTTP never waits on it.
      thread: config.backend === 'embedded',
      ...(runsService(config, 'ingest') ? { ingestPressure: pressure.buffer } : {}),
      ...(gcp !== undefined ? { push: { auth: oidc('POST /pubsub/push') } } : {}),
    });
    routes.push('GET /orders/:key', ...(gcp !== undefined ? ['POST /pubsub/push'] : []));
    running.push(pull ? 'matcher (pulling the bus)' : 'matcher (fed by Pub/Sub push)');
  }

  let scheduler: { stop(): Promise<void> } | undefined;
  if (runsService(config, 'nightly-report')) {
    const notifier = notifierFrom(config, log, (text) => ctx.stderr(text));
    // With warehouse.ledgerTable set, each night that will be posted first pulls the books from BigQuery.
    const pullFeeds = nightlyLedgerPullFor(config, backend, log, ctx.now);
    const night = (selection: { date?: string; force?: boolean }) => runNight({ ...nightlyDeps(config, backend, currentRules(), log, ctx.now), notifier, ...(pullFeeds ? { pullFeeds } : {}) }, selection);
    runApi({ run: night, auth: gcp !== undefined ? oidc('POST /run') : bearerTokenAuth(config.secrets.apiToken, 'POST /run is disabled: set TIEOUT_API_TOKEN') }, app);
    routes.push('POST /run');
    // On Google Cloud, Cloud Scheduler calls POST /run at the cutoff; the in-process scheduler is for one machine.
    if (gcp === undefined) {
      scheduler = startScheduler(() => night({}), log);
      running.push(`nightly report (run after the ${config.cutoff} cutoff, ${config.timeZone})`);
    } else running.push('nightly report (on POST /run from Cloud Scheduler)');
  }
  routes.push('GET /healthz');

  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: config.port, hostname: '0.0.0.0', ...(webhooks ? { createServer: createServerTrying(webhooks) } : {}) }, () => resolve(s));
  });
  log.info({ port: config.port, dataDir: config.dataDir, backend: config.backend, service: config.service, routes }, 'tieout serve listening');
  ctx.stderr(`tieout serve: listening on port ${config.port} (${routes.join(', ')}); running ${running.join(', ')}\n`);

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'stopping: finishing the batch in hand');
      resolve();
    };
    signals.once('SIGTERM', () => stop('SIGTERM'));
    signals.once('SIGINT', () => stop('SIGINT'));
  });
  ready = false;
  await scheduler?.stop();
  await matcherService?.stop();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await drainIngest?.();
  await writer?.close();
  await backend.close();
  log.info('stopped');
  return EXIT_OK;
}
