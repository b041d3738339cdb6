// A matcher process killed with SIGKILL at random points, then restarted: the result equals a clean run.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteArchive } from '#shared/adapters/sqlite/archive.ts';
import { createSqliteEventBus } from '#shared/adapters/sqlite/event-bus.ts';
import { createSqliteOrderStateStore } from '#shared/adapters/sqlite/order-state-store.ts';
import { embeddedPaths } from '#shared/backend.ts';
import type { CanonicalEvent } from '#shared/domain/events.ts';
import { canonicalJson } from '#shared/domain/order-state.ts';
import { applyAll } from '#shared/domain/routing.ts';
import { MATCHER_SUBSCRIPTION } from '#shared/ports/event-bus.ts';
import { archiveAndPublish, canonicalEntry } from '../services/ingest/publish.ts';
import { historyArb } from './support/arbitraries.ts';

const CLI = fileURLToPath(new URL('../bin/tieout.ts', import.meta.url));
let dir: string;
let events: CanonicalEvent[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tieout-crash-'));
  // A short lease, so messages held by a killed matcher come back within the test.
  writeFileSync(join(dir, 'tieout.config.yaml'), 'matcher:\n  batchSize: 1000\n  leaseSeconds: 2\n');
  events = Array.from({ length: 250 }, (_, i) => fc.sample(historyArb(8, 8, i * 8), { seed: 42 + i, numRuns: 1 })[0] as CanonicalEvent[]).flat();
  const paths = embeddedPaths(dir);
  const bus = createSqliteEventBus({ path: paths.bus, subscriptions: [MATCHER_SUBSCRIPTION], maxAttempts: 10 });
  const archive = createSqliteArchive({ path: paths.archive });
  await archiveAndPublish({ bus, archive }, events.map(canonicalEntry));
  await bus.close();
  await archive.close();
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runMatch(killAfterMs?: number): Promise<{ code: number | null; signal: string | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, '--config', join(dir, 'tieout.config.yaml'), '--data-dir', dir, 'match'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout });
    });
  });
}

describe('matcher crash safety', () => {
  it('killed at random points while applying a large backlog, then restarted: nothing lost, nothing applied twice', async () => {
    expect(events.length).toBeGreaterThan(10_000);
    const kills = [450, 700, 950, 1200, 1500];
    let killed = 0;
    for (const ms of kills) {
      const r = await runMatch(ms);
      if (r.signal === 'SIGKILL') killed++;
    }
    const final = await runMatch();
    expect(final.code).toBe(0);
    expect(killed).toBeGreaterThan(0);

    const store = createSqliteOrderStateStore({ path: embeddedPaths(dir).state });
    const docs = [];
    for await (const d of store.scanAll()) docs.push(d.state);
    await store.close();
    const reference = applyAll(events);
    expect(canonicalJson(docs)).toBe(canonicalJson([...reference.docs.keys()].sort().map((k) => reference.docs.get(k))));
    const applied = new Set(docs.flatMap((d) => d.eventIds));
    expect(events.every((e) => applied.has(e.id))).toBe(true);

    const bus = createSqliteEventBus({ path: embeddedPaths(dir).bus, subscriptions: [MATCHER_SUBSCRIPTION], maxAttempts: 10 });
    expect(await bus.stats(MATCHER_SUBSCRIPTION)).toEqual({ pending: 0, leased: 0, deadLettered: 0 });
    await bus.close();
  }, 180_000);
});
