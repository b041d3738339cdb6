// `tieout serve`: every service in one process, every HTTP route on one port.
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { openBackend } from '#shared/backend.ts';
import { createLogger } from '#shared/log.ts';
import { loadRules } from '#shared/rules-file.ts';
import type { Rule } from '#shared/domain/rules.ts';
import { startMatcherService } from '../../services/matcher/service.ts';
import { createIngest } from '../../services/ingest/ingest.ts';
import { importText } from '../../services/ingest/files.ts';
import { ingestApi } from '../../services/ingest/http.ts';
import { normalizeContextOf } from '#shared/sources/context.ts';
import { runNight } from '../../services/nightly-report/run.ts';
import { nightlyDeps, notifierFrom, runApi, startScheduler } from '../../services/nightly-report/service.ts';
import { EXIT_OK, EXIT_USAGE, type CommandContext } from './context.ts';

/** Runs until SIGTERM or SIGINT, then finishes the batch in hand, closes the port and exits 0. */
export async function runServe(ctx: CommandContext, signals: NodeJS.EventEmitter = process): Promise<number> {
  const log = createLogger({ name: 'tieout' });
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
  const backend = openBackend(ctx.config);
  const app = new Hono();
  let ready = true;
  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/readyz', (c) => (ready ? c.json({ ok: true }) : c.json({ ok: false, reason: 'stopping' }, 503)));
  const secrets = { shopify: ctx.config.secrets.shopify, stripe: ctx.config.secrets.stripe, shipbob: ctx.config.secrets.shipbob };
  const normalize = normalizeContextOf(ctx.config);
  const ingest = createIngest({ archive: backend.archive, bus: backend.bus, secrets, normalize, log, now: ctx.now });
  ingestApi(
    {
      ingest,
      importFeed: (system, text, name) => importText({ archive: backend.archive, bus: backend.bus, normalize, now: ctx.now }, system, text, name),
      apiToken: ctx.config.secrets.apiToken,
      maxBodyBytes: ctx.config.ingest.maxBodyBytes,
      log,
    },
    app,
  );
  const matcherService = startMatcherService({ config: ctx.config, backend, rules: currentRules, log, now: ctx.now, app });
  const notifier = notifierFrom(ctx.config, log, (text) => ctx.stderr(text));
  const night = (selection: { date?: string; force?: boolean }) => runNight({ ...nightlyDeps(ctx.config, backend, currentRules(), log, ctx.now), notifier }, selection);
  runApi({ run: night, apiToken: ctx.config.secrets.apiToken }, app);
  const scheduler = startScheduler(() => night({}), log);
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: ctx.config.port, hostname: '0.0.0.0' }, () => resolve(s));
  });
  log.info({ port: ctx.config.port, dataDir: ctx.config.dataDir, backend: ctx.config.backend }, 'tieout serve listening');
  ctx.stderr(`tieout serve: listening on port ${ctx.config.port} (POST /webhooks/shopify|stripe|shipbob, POST /feeds/<system>, GET /orders/:key, POST /run, GET /healthz); nightly run after the ${ctx.config.cutoff} cutoff (${ctx.config.timeZone})\n`);

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'stopping: finishing the batch in hand');
      resolve();
    };
    signals.once('SIGTERM', () => stop('SIGTERM'));
    signals.once('SIGINT', () => stop('SIGINT'));
  });
  ready = false;
  await scheduler.stop();
  await matcherService.stop();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await backend.close();
  log.info('stopped');
  return EXIT_OK;
}
