import { statSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type Backend, embeddedPaths } from '#shared/backend.ts';
import type { Config } from '#shared/config.ts';
import { silentLogger } from '#shared/log.ts';
import { MATCHER_SUBSCRIPTION } from '#shared/ports/event-bus.ts';
import type { RawRecord } from '#shared/ports/archive.ts';
import { tiedOrder } from '../../test/support/scenarios.ts';
import { openEmbeddedFixture, type EmbeddedFixture } from '../../test/support/embedded.ts';
import { eventually } from '../../test/support/cli.ts';
import { startWriterThread, writerBatchSize } from './writer-thread.ts';

let fx: EmbeddedFixture;
let config: Config;
let backend: Backend;

beforeEach(async () => {
  fx = await openEmbeddedFixture('tieout-writer-');
  ({ config, backend } = fx);
});
afterEach(async () => {
  await fx.cleanup();
});

const canonical = (body: string, id: string): RawRecord => ({ id, system: 'canonical', topic: null, receivedAt: '2026-11-26T07:00:00.000Z', headers: {}, body });

it('archives and publishes what reads, quarantines what does not, and is durable when the write resolves', async () => {
  const writer = startWriterThread({ config, log: silentLogger() });
  const events = tiedOrder('7001');
  const records = [...events.map((e) => canonical(JSON.stringify(e), e.id)), canonical('{"not": "an event"}', 'canonical:bad')];
  const outcomes = await writer.write(records);
  expect(outcomes.map((o) => o.kind)).toEqual([...events.map(() => 'accepted'), 'quarantined']);
  // Read through this thread's own connections: the writer's commits are already on disk.
  expect(await backend.archive.countEvents()).toBe(events.length);
  expect((await backend.archive.listQuarantine()).map((q) => q.id)).toEqual(['canonical:bad']);
  expect((await backend.bus.stats(MATCHER_SUBSCRIPTION)).pending).toBe(events.length);
  // Each event's JSON is rendered once: the bus carries the very text the archive stored.
  const archived = new Map<string, string>();
  for await (const a of backend.archive.scanEvents({})) archived.set(a.event.id, JSON.stringify(a.event));
  const published = await backend.bus.pull(MATCHER_SUBSCRIPTION, { max: 100, leaseMs: 60_000 });
  expect(published.map((m) => [m.id, m.data])).toEqual(events.map((e) => [e.id, archived.get(e.id)]));
  expect(published.map((m) => m.attributes['rawId'])).toEqual(events.map((e) => e.id));
  await writer.close();
  await expect(writer.write(records)).rejects.toThrow(/closed/);
});

it('its checkpoint thread copies what the stages commit into the database files themselves', async () => {
  const { archive: archivePath, bus: busPath } = embeddedPaths(config.dataDir);
  const before = [statSync(archivePath).size, statSync(busPath).size];
  const writer = startWriterThread({ config, log: silentLogger() });
  await writer.write(tiedOrder('7301').map((e) => canonical(JSON.stringify(e), e.id)));
  // The stages' connections never checkpoint, and neither do this test's: only that thread writes the files themselves.
  await eventually(async () => (statSync(archivePath).size > (before[0] ?? 0) && statSync(busPath).size > (before[1] ?? 0) ? true : undefined), 10_000, 'both files grown by a checkpoint');
  await writer.close();
});

it('keeps the order of concurrent writes and answers each with its own outcomes', async () => {
  const writer = startWriterThread({ config, log: silentLogger() });
  const batches = ['7101', '7102', '7103'].map((k) => tiedOrder(k).map((e) => canonical(JSON.stringify(e), e.id)));
  const results = await Promise.all(batches.map((b) => writer.write(b)));
  results.forEach((outcomes, i) => expect(outcomes.map((o) => (o.kind === 'accepted' ? o.rawId : o.kind))).toEqual(batches[i]?.map((r) => r.id)));
  await writer.close();
  const seen: string[] = [];
  for await (const a of backend.archive.scanEvents({})) seen.push(a.rawId);
  expect(seen).toEqual(batches.flat().map((r) => r.id));
});

it('a batch the archive refuses fails alone: nothing of it is published, and the next batch goes through', async () => {
  const writer = startWriterThread({ config, log: silentLogger() });
  const good = tiedOrder('7201').map((e) => canonical(JSON.stringify(e), e.id));
  const refused = [{ ...canonical(JSON.stringify(tiedOrder('7202')[0]), 'canonical:late'), receivedAt: 'yesterday' }];
  const [first, second] = await Promise.allSettled([writer.write(refused), writer.write(good)]);
  expect(first).toMatchObject({ status: 'rejected', reason: { message: expect.stringMatching(/receivedAt/) } });
  expect(second).toMatchObject({ status: 'fulfilled' });
  await writer.close();
  expect((await backend.bus.stats(MATCHER_SUBSCRIPTION)).pending).toBe(good.length);
  expect(await backend.archive.countEvents()).toBe(good.length);
});

it('when a stage thread dies, what was in flight is refused (never acknowledged), and the writer starts again', async () => {
  const starts: Worker[][] = [];
  const writer = startWriterThread({ config, log: silentLogger(), onStart: (threads) => starts.push([...threads]) });
  const batch = (key: string) => tiedOrder(key).map((e) => canonical(JSON.stringify(e), e.id));
  const first = batch('7301');
  await writer.write(first);
  // The archive stage dies; a write handed over around it is either refused or, once restarted, durable.
  const dying = (starts[0] as Worker[])[1] as Worker;
  const around = writer.write(batch('7302'));
  await dying.terminate();
  const outcome = await around.then(
    () => 'durable',
    (e: Error) => e.message,
  );
  expect(outcome === 'durable' || /exited before the write was durable/.test(outcome)).toBe(true);
  await eventually(async () => (starts.length === 2 ? true : undefined), 10_000, 'the writer to start again');
  const after = batch('7303');
  expect((await writer.write(after)).map((o) => o.kind)).toEqual(after.map(() => 'accepted'));
  await writer.close();
  const archived = new Set<string>();
  for await (const a of backend.archive.scanEvents({})) archived.add(a.rawId);
  for (const r of [...first, ...after, ...(outcome === 'durable' ? batch('7302') : [])]) expect(archived.has(r.id), r.id).toBe(true);
});

it('batches take a quarter of what is waiting or being written, between 32 and 64', () => {
  expect([0, 1, 100, 128, 200, 256, 5000].map(writerBatchSize)).toEqual([32, 32, 32, 32, 50, 64, 64]);
});
