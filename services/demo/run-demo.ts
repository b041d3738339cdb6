// The newcomer's night: generate a shop's week, send it through the real ingest path, match, report.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { openBackend, type Backend } from '#shared/backend.ts';
import type { Config } from '#shared/config.ts';
import { checkConfigOf } from '#shared/config.ts';
import { cutoffInstant, latestBusinessDate } from '#shared/domain/business-date.ts';
import type { Report } from '#shared/domain/report.ts';
import { silentLogger } from '#shared/log.ts';
import { MATCHER_SUBSCRIPTION } from '#shared/ports/event-bus.ts';
import { loadRules } from '#shared/rules-file.ts';
import { normalizeContextOf } from '#shared/sources/context.ts';
import { shipbobSignature } from '#shared/sources/shipbob.ts';
import { shopifySignature } from '#shared/sources/shopify.ts';
import { stripeSignatureHeader } from '#shared/sources/stripe.ts';
import { importText } from '../ingest/files.ts';
import { createIngest } from '../ingest/ingest.ts';
import { ingestApi } from '../ingest/http.ts';
import { createMatcher } from '../matcher/matcher.ts';
import { createFileNotifier } from '../nightly-report/file-notifier.ts';
import { runNight } from '../nightly-report/run.ts';
import { nightlyDeps } from '../nightly-report/service.ts';
import { generateDemo, type DemoDelivery, type DemoTraffic } from './generator.ts';

/** Marks a data directory, config or rules file as the demo's, so a second run may replace it. */
export const DEMO_MARK = 'written by tieout demo';
const MARKER_FILE = 'DEMO';

/** Secrets the demo signs with and verifies against; they protect nothing outside this process. */
export const DEMO_SECRETS = { shopify: 'demo-shopify-secret', stripe: 'whsec_demo_stripe_secret', shipbob: `whsec_${Buffer.from('tieout-demo-shipbob-signing-key!').toString('base64')}` };

export type DemoSettings = { readonly orders: number; readonly days: number; readonly seed: number };

export type DemoResult = { readonly traffic: DemoTraffic; readonly report: Report; readonly webhooks: number; readonly files: number; readonly seconds: number };

/** Signs a delivery exactly as its sender would, at `nowMs`. */
export function signDelivery(d: DemoDelivery, nowMs: number): Record<string, string> {
  const body = Buffer.from(d.body, 'utf8');
  if (d.system === 'shopify') return { ...d.headers, 'x-shopify-hmac-sha256': shopifySignature(body, DEMO_SECRETS.shopify) };
  if (d.system === 'stripe') return { ...d.headers, 'stripe-signature': stripeSignatureHeader(body, DEMO_SECRETS.stripe, nowMs / 1000) };
  const ts = String(Math.floor(nowMs / 1000));
  return { ...d.headers, 'webhook-timestamp': ts, 'webhook-signature': shipbobSignature(d.headers['webhook-id'] ?? d.deliveryId, Number(ts), body, DEMO_SECRETS.shipbob) };
}

/**
 * Refuses to touch files that are not the demo's: the data directory must be missing, empty or
 * a previous demo's; the config and rules files missing or the demo's.
 */
export function checkDemoPaths(config: Config, cwd: string): string[] {
  const problems: string[] = [];
  const dir = config.dataDir;
  if (existsSync(dir) && !existsSync(join(dir, MARKER_FILE)) && readdirSync(dir).length > 0) problems.push(`${dir} holds data that is not a demo's; run the demo with --data-dir <another folder>`);
  for (const path of [join(cwd, 'tieout.config.yaml'), config.rulesPath]) {
    if (existsSync(path) && !readFileSync(path, 'utf8').includes(DEMO_MARK)) problems.push(`${path} exists and was not written by the demo; run the demo in another folder`);
  }
  return problems;
}



/**
 * Runs the demo: a fresh data directory, the demo's config and rules files, an in-process ingest
 * server on a loopback port receiving every webhook signed, the feed files imported, the matcher
 * drained, and the night reported (printed and recorded).
 */
export async function runDemo(
  config: Config,
  cwd: string,
  settings: DemoSettings,
  io: { readonly now: () => string; readonly print: (text: string) => void; readonly progress: (text: string) => void },
): Promise<DemoResult> {
  const started = Date.now();
  const cal = { timeZone: config.timeZone, cutoff: config.cutoff };
  const businessDate = latestBusinessDate(io.now(), cal);
  const asOf = cutoffInstant(businessDate, cal);
  const traffic = generateDemo({ orders: settings.orders, days: settings.days, seed: settings.seed, asOf, businessDate, timeZone: config.timeZone });

  rmSync(config.dataDir, { recursive: true, force: true });
  mkdirSync(config.dataDir, { recursive: true });
  writeFileSync(join(config.dataDir, MARKER_FILE), `${DEMO_MARK}: seed ${settings.seed}, ${settings.orders} orders, ${settings.days} days\n`);
  // The ground truth: every planted break with its bucket and amount, for anyone checking the report.
  writeFileSync(join(config.dataDir, 'demo-truth.json'), `${JSON.stringify(traffic.truth, null, 2)}\n`);
  writeFileSync(config.rulesPath, `# ${DEMO_MARK} — accepted edge cases for the demo shop.\n${traffic.rulesYaml}`);
  // Later commands in this folder (tieout report, order, rules check) read the same night the same way.
  if (config.configPath === undefined || readFileSync(config.configPath, 'utf8').includes(DEMO_MARK))
    writeFileSync(join(cwd, 'tieout.config.yaml'), demoConfigYaml(traffic));
  const demoConfig: Config = { ...config, settlement: { enabled: true }, secrets: { ...config.secrets, shopify: [DEMO_SECRETS.shopify], stripe: [DEMO_SECRETS.stripe], shipbob: [DEMO_SECRETS.shipbob] } };
  const backend: Backend = await openBackend(demoConfig);
  const log = silentLogger();
  try {
    const normalize = normalizeContextOf(demoConfig);
    const ingest = createIngest({ archive: backend.archive, bus: backend.bus, secrets: { shopify: [DEMO_SECRETS.shopify], stripe: [DEMO_SECRETS.stripe], shipbob: [DEMO_SECRETS.shipbob] }, normalize, log, now: io.now });
    const app = ingestApi({ ingest, importFeed: (s, t, n) => importText({ archive: backend.archive, bus: backend.bus, normalize, now: io.now }, s, t, n), apiToken: undefined, maxBodyBytes: demoConfig.ingest.maxBodyBytes, log }, new Hono());
    const server: ServerType = await new Promise((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      io.progress(`Sending ${traffic.deliveries.length.toLocaleString('en-US')} signed webhooks from Shopify, Stripe and ShipBob to the ingest server on 127.0.0.1:${port}…`);
      // In order, a few at a time: real senders overlap, and the retries and stale deliveries stay where they were planted.
      const CONCURRENCY = 8;
      for (let i = 0; i < traffic.deliveries.length; i += CONCURRENCY) {
        await Promise.all(
          traffic.deliveries.slice(i, i + CONCURRENCY).map(async (d) => {
            const res = await fetch(`http://127.0.0.1:${port}/webhooks/${d.system}`, { method: 'POST', headers: signDelivery(d, Date.now()), body: d.body });
            if (res.status !== 200) throw new Error(`the ingest server refused a ${d.system} ${d.topic} webhook (${res.status}): ${await res.text()}`);
          }),
        );
      }
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    for (const f of traffic.files) {
      io.progress(`Importing ${f.name} (${f.system})…`);
      const r = await importText({ archive: backend.archive, bus: backend.bus, normalize, now: io.now }, f.system, f.content, f.name);
      if (!r.ok) throw new Error(`importing ${f.name}: ${r.errors.join('; ')}`);
    }
    io.progress('Matching every event into order state…');
    await createMatcher({ bus: backend.bus, store: backend.store, subscription: MATCHER_SUBSCRIPTION, checkConfig: checkConfigOf(demoConfig), log }).drain();
    const rules = loadRules(demoConfig.rulesPath);
    if (!rules.ok) throw new Error(`the demo's rules file is invalid: ${rules.errors.join('; ')}`);
    const notifier = createFileNotifier({ dir: join(demoConfig.dataDir, 'reports'), print: io.print });
    const outcome = await runNight({ ...nightlyDeps(demoConfig, backend, rules.value, log, io.now), notifier }, { date: businessDate, force: true });
    if (outcome.kind !== 'posted') throw new Error('the demo night was not posted');
    return { traffic, report: outcome.report, webhooks: traffic.deliveries.length, files: traffic.files.length, seconds: (Date.now() - started) / 1000 };
  } finally {
    await backend.close();
  }
}

/** The demo's config file: settlement on (the demo ships a payout reconciliation report). */
export function demoConfigYaml(traffic: DemoTraffic): string {
  return `# ${DEMO_MARK} — the demo shop's configuration.\n${traffic.configYaml}`;
}
