// `npx node bench/ingest-breakdown.ts [N]`: where the CPU of one webhook goes, piece by piece.
//
// The ingest case measures `tieout serve` as a whole. This script takes the same signed webhooks
// (bench/webhooks.ts) and measures, in this process, the CPU of each ingest step on N of them
// (verify, fromDelivery, normalize), then `ingest.receive` end to end over a fresh embedded backend
// with 32 and 128 deliveries in flight (group commit included); and, in a child process, the HTTP
// stack alone: `ingestApi` on @hono/node-server with a stub ingest that answers at once, driven by
// autocannon (32 connections, 10 s). It prints CPU microseconds per webhook; add them up and
// compare with the ingest case's server CPU per webhook to see what the matcher adds.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createSqliteArchive } from '#shared/adapters/sqlite/archive.ts';
import { createSqliteEventBus } from '#shared/adapters/sqlite/event-bus.ts';
import { silentLogger } from '#shared/log.ts';
import { MATCHER_SUBSCRIPTION } from '#shared/ports/event-bus.ts';
import { normalizeRaw, SOURCES } from '#shared/sources/registry.ts';
import { DEFAULT_NORMALIZE_CONTEXT, type Delivery } from '#shared/sources/source.ts';
import { ingestApi } from '../services/ingest/http.ts';
import { createIngest } from '../services/ingest/ingest.ts';
import { BENCH_SECRETS, createTraffic } from './webhooks.ts';

if (process.argv[2] === '--stub-server') {
  // The HTTP stack of `tieout serve`'s webhook route, with an ingest that does nothing.
  const app = new Hono();
  const ingest = { receive: async (_system: string, d: Delivery) => ({ kind: 'accepted' as const, rawId: `stub:${d.body.length}`, events: 1 }), counters: {} };
  ingestApi({ ingest: ingest as never, importFeed: (() => undefined) as never, apiToken: undefined, maxBodyBytes: 5 * 1024 * 1024, log: silentLogger() }, app);
  serve({ fetch: app.fetch, port: Number(process.env['PORT']), hostname: '127.0.0.1' }, () => process.send?.('listening'));
} else {
  const N = Number(process.argv[2] ?? 20_000);
  const traffic = createTraffic({ run: 1 });
  const requests = Array.from({ length: N }, () => traffic.next());
  const deliveries = requests.map((r) => ({
    system: r.path.split('/')[2] as 'shopify' | 'stripe',
    delivery: { headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k.toLowerCase(), v])), body: Buffer.from(r.body) } satisfies Delivery,
  }));
  const rows: string[] = [];
  const cpu = async (label: string, fn: () => unknown) => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    const c = process.cpuUsage(c0);
    rows.push(`${label.padEnd(58)} ${((c.user + c.system) / N).toFixed(1).padStart(7)} µs CPU  ${(((performance.now() - t0) * 1000) / N).toFixed(1).padStart(7)} µs wall`);
  };
  const now = Date.now();
  await cpu('verify (HMAC over the body)', () => {
    for (const d of deliveries) SOURCES.get(d.system)?.verify?.(d.delivery, [BENCH_SECRETS[d.system]], now);
  });
  const raws = deliveries.map((d) => {
    const r = SOURCES.get(d.system)?.fromDelivery?.(d.delivery, new Date().toISOString());
    if (!r?.ok) throw new Error('fromDelivery failed');
    return r.value;
  });
  await cpu('fromDelivery (raw record)', () => {
    for (const d of deliveries) SOURCES.get(d.system)?.fromDelivery?.(d.delivery, new Date().toISOString());
  });
  await cpu('normalizeRaw (JSON.parse + zod + canonical events)', () => {
    for (const r of raws) normalizeRaw(r, DEFAULT_NORMALIZE_CONTEXT);
  });
  for (const inFlight of [32, 128]) {
    const dir = mkdtempSync(join(tmpdir(), 'tieout-ingest-breakdown-'));
    const archive = createSqliteArchive({ path: join(dir, 'archive.sqlite') });
    const bus = createSqliteEventBus({ path: join(dir, 'bus.sqlite'), subscriptions: [MATCHER_SUBSCRIPTION] });
    const ingest = createIngest({ archive, bus, secrets: { shopify: [BENCH_SECRETS.shopify], stripe: [BENCH_SECRETS.stripe] }, normalize: DEFAULT_NORMALIZE_CONTEXT, log: silentLogger(), now: () => new Date().toISOString() });
    await cpu(`ingest.receive end to end, ${inFlight} in flight (SQLite FULL)`, async () => {
      for (let i = 0; i < N; i += inFlight) await Promise.all(deliveries.slice(i, i + inFlight).map((d) => ingest.receive(d.system, d.delivery)));
    });
    await Promise.all([archive.close(), bus.close()]);
    rmSync(dir, { recursive: true, force: true });
  }

  // The HTTP stack alone, in a child process, driven like the ingest case.
  const port = 40_000 + Math.floor(Math.random() * 20_000);
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--stub-server'], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise((resolve) => child.once('message', resolve));
  const stat = () => readFileSync(`/proc/${child.pid}/task/${child.pid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
  const autocannon = createRequire(import.meta.url)('autocannon') as (o: object) => Promise<{ '2xx': number; duration: number; latency: { p50: number; p99: number } }>;
  const s0 = stat();
  const r = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: 32,
    duration: 10,
    requests: [{ method: 'POST', setupRequest: (req: object) => { const x = traffic.next(); return { ...req, method: 'POST', path: x.path, headers: x.headers, body: x.body }; } }],
  });
  const s1 = stat();
  child.kill('SIGTERM');
  rows.push(
    `${'HTTP stack alone (stub ingest), event-loop thread'.padEnd(58)} ${((s1[0]! - s0[0]!) / 1e3 / r['2xx']).toFixed(1).padStart(7)} µs CPU  (${Math.round(r['2xx'] / r.duration)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, ${((s1[1]! - s0[1]!) / 1e9).toFixed(1)} s waiting for a CPU)`,
  );
  process.stdout.write(`${N} webhooks (3 Shopify orders/* : 2 Stripe), per webhook:\n${rows.join('\n')}\n`);
}
