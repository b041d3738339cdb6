// The nightly-report service wiring: narrator and notifier from configuration, the scheduler, POST /run.
import { join } from 'node:path';
import { Hono } from 'hono';
import type { Backend } from '#shared/backend.ts';
import { checkConfigOf, type Config } from '#shared/config.ts';
import { parseBusinessDate } from '#shared/domain/business-date.ts';
import type { Rule } from '#shared/domain/rules.ts';
import type { Logger } from '#shared/log.ts';
import type { Narrator } from '#shared/ports/narrator.ts';
import type { Notifier } from '#shared/ports/notifier.ts';
import { refusal, type RequestAuth } from '#shared/request-auth.ts';
import { createAnthropicNarrator } from './anthropic-narrator.ts';
import { createFileNotifier } from './file-notifier.ts';
import { narrateReport } from './narrate.ts';
import { runNight, type NightlyDeps, type RunOutcome } from './run.ts';
import { createSlackNotifier } from './slack-notifier.ts';
import { createTemplateNarrator } from './template-narrator.ts';

/** The narrator the configuration asks for: the model when an API key is set, else the template. */
export function narratorFrom(config: Config, log: Logger, baseURL?: string): Narrator {
  const key = config.secrets.anthropicApiKey;
  if (!key) return createTemplateNarrator();
  return createAnthropicNarrator({ apiKey: key, model: config.narration.model, timeoutMs: config.narration.timeoutMs, maxTokens: config.narration.maxTokens, log, ...(baseURL ? { baseURL } : {}) });
}

/** Slack when a bot token and channel are configured; otherwise the terminal and files under the data dir. */
export function notifierFrom(config: Config, log: Logger, print: (text: string) => void, slackApiUrl?: string): Notifier {
  const token = config.secrets.slackBotToken;
  const channel = config.slack.channel;
  if (token && channel) return createSlackNotifier({ token, channel, log, ...(slackApiUrl ? { slackApiUrl } : {}) });
  return createFileNotifier({ dir: join(config.dataDir, 'reports'), print });
}

/** Everything a nightly run needs, from configuration and a backend. */
export function nightlyDeps(config: Config, backend: Backend, rules: readonly Rule[], log: Logger, now: () => string, narrator: Narrator = narratorFrom(config, log)): NightlyDeps {
  return {
    store: backend.store,
    archive: backend.archive,
    bus: backend.bus,
    rules,
    checkConfig: checkConfigOf(config),
    calendar: { timeZone: config.timeZone, cutoff: config.cutoff },
    ownerHandles: Object.fromEntries(Object.entries(config.owners).map(([name, o]) => [name, o.slack])),
    escalation: {
      ...(config.report.escalateAmount !== undefined ? { amount: config.report.escalateAmount } : {}),
      ...(config.report.escalateAgeHours !== undefined ? { ageHours: config.report.escalateAgeHours } : {}),
    },
    narrate: (report) => narrateReport(report, narrator, log),
    log,
    now,
  };
}

/**
 * The in-process scheduler of `tieout serve`: once a minute, if the latest business date's cutoff
 * has passed and that date has no posted run, it runs the night (idempotent, so a restart or a
 * second instance does not post twice).
 */
export function startScheduler(run: () => Promise<RunOutcome>, log: Logger, everyMs = 60_000): { stop(): Promise<void>; tick(): Promise<void> } {
  let current: Promise<void> | undefined;
  const tick = (): Promise<void> => {
    current ??= (async () => {
      try {
        const outcome = await run();
        if (outcome.kind === 'posted') log.info({ businessDate: outcome.report.businessDate, postedTo: outcome.postedTo }, 'scheduled nightly run posted');
      } catch (e) {
        log.error({ error: (e as Error).message }, 'scheduled nightly run failed; will try again');
      } finally {
        current = undefined;
      }
    })();
    return current;
  };
  const timer = setInterval(() => void tick(), everyMs);
  timer.unref();
  void tick();
  return {
    tick,
    async stop() {
      clearInterval(timer);
      await current;
    },
  };
}

/**
 * `POST /run`: runs a night, `{ date?, force? }`. `auth` decides who may: the API bearer token on one
 * machine, Cloud Scheduler's OIDC ID token with the gcp backend (`tieout serve` picks).
 */
export function runApi(deps: { readonly run: (selection: { date?: string; force?: boolean }) => Promise<RunOutcome>; readonly auth: RequestAuth }, app: Hono = new Hono()): Hono {
  app.post('/run', async (c) => {
    const refused = await refusal(c, deps.auth);
    if (refused) return refused;
    const body = (await c.req.json().catch(() => ({}))) as { date?: unknown; force?: unknown };
    if (body.date !== undefined) {
      const d = typeof body.date === 'string' ? parseBusinessDate(body.date) : { ok: false as const, errors: ['date must be a string'] };
      if (!d.ok) return c.json({ error: d.errors.join('; ') }, 400);
    }
    try {
      const outcome = await deps.run({ ...(typeof body.date === 'string' ? { date: body.date } : {}), force: body.force === true });
      if (outcome.kind === 'skipped') return c.json({ status: 'skipped', businessDate: outcome.businessDate, reason: 'already posted', runId: outcome.previous.runId, postedTo: outcome.previous.postedTo });
      return c.json({ status: 'posted', businessDate: outcome.report.businessDate, runId: outcome.report.runId, postedTo: outcome.postedTo, clean: outcome.report.clean, counts: outcome.report.counts });
    } catch (e) {
      return c.json({ status: 'failed', error: (e as Error).message }, 500);
    }
  });
  return app;
}

