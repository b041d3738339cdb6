// TIEOUT_SERVICE: one image, one service per Cloud Run service — `tieout serve` mounts only that service's routes and loops.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, freePort, startTieout, tieout } from './support/cli.ts';

const TOKEN = 'services-e2e-token';
type Running = { base: string; srv: ReturnType<typeof startTieout>; dir: string };
const running = new Map<string, Running>();

async function start(service: string): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), `tieout-service-${service}-`));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const srv = startTieout(['serve'], { cwd: dir, env: { PORT: String(port), TIEOUT_API_TOKEN: TOKEN, TIEOUT_SERVICE: service } });
  await eventually(async () => ((await fetch(`${base}/healthz`)).ok ? true : undefined), 20_000, `serve (${service}) to listen`);
  return { base, srv, dir };
}

beforeAll(async () => {
  for (const [service, r] of await Promise.all(['ingest', 'matcher', 'nightly-report', 'all'].map(async (s) => [s, await start(s)] as const))) running.set(service, r);
}, 40_000);

afterAll(async () => {
  for (const { srv, dir } of running.values()) {
    srv.child.kill('SIGTERM');
    await srv.exited;
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Status of each probe: a route that is not mounted answers 404; a mounted one refuses the unauthenticated probe. */
async function probe(service: string): Promise<Record<string, number>> {
  const { base } = running.get(service) as Running;
  return {
    webhooks: (await fetch(`${base}/webhooks/stripe`, { method: 'POST', body: '{}' })).status,
    feeds: (await fetch(`${base}/feeds/warehouse`, { method: 'POST', body: '' })).status,
    orders: (await fetch(`${base}/orders/1001`)).status,
    run: (await fetch(`${base}/run`, { method: 'POST' })).status,
    push: (await fetch(`${base}/pubsub/push`, { method: 'POST', body: '{}' })).status,
    health: (await fetch(`${base}/healthz`)).status,
  };
}

describe('tieout serve with TIEOUT_SERVICE', () => {
  it('ingest serves only the webhook and feed routes', async () => {
    expect(await probe('ingest')).toEqual({ webhooks: 401, feeds: 401, orders: 404, run: 404, push: 404, health: 200 });
    expect(running.get('ingest')?.srv.output()).toMatch(/running ingest\n/);
  });

  it('matcher serves only the order API, and runs the pull loop', async () => {
    expect(await probe('matcher')).toEqual({ webhooks: 404, feeds: 404, orders: 401, run: 404, push: 404, health: 200 });
    expect(running.get('matcher')?.srv.output()).toMatch(/running matcher \(pulling the bus\)\n/);
  });

  it('nightly-report serves only POST /run, and on one machine keeps the in-process scheduler', async () => {
    expect(await probe('nightly-report')).toEqual({ webhooks: 404, feeds: 404, orders: 404, run: 401, push: 404, health: 200 });
    expect(running.get('nightly-report')?.srv.output()).toMatch(/running nightly report \(run after the 06:00 cutoff, UTC\)\n/);
  });

  it('unset or all serves everything (the Pub/Sub push endpoints exist only with the gcp backend)', async () => {
    expect(await probe('all')).toEqual({ webhooks: 401, feeds: 401, orders: 401, run: 401, push: 404, health: 200 });
    expect(running.get('all')?.srv.output()).toContain('running ingest, matcher (pulling the bus), nightly report');
  });

  it('an unknown TIEOUT_SERVICE is a configuration error (exit 2) naming the choices', async () => {
    const r = await tieout(['serve'], { env: { TIEOUT_SERVICE: 'reporter', PORT: String(await freePort()) } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('TIEOUT_SERVICE: must be one of all, ingest, matcher, nightly-report, got "reporter"');
  });
});
