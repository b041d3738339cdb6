// Runs the Archive contract against the BigQuery archive through the official client and a local fake of the BigQuery REST API.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createBigQueryArchive, type BigQueryArchiveOptions } from '#shared/adapters/gcp/bigquery-archive.ts';
import type { CanonicalEvent } from '#shared/domain/events.ts';
import type { Archive, ArchiveEntry } from '#shared/ports/archive.ts';
import { startBigQueryFake, type BigQueryFake, type BigQueryFakeOptions } from '../support/bigquery-fake.ts';
import { at, order, payment } from '../support/builders.ts';
import { archiveContract } from './archive.contract.ts';

// Off Google Cloud there is no metadata server; do not let Google's auth library probe for one.
process.env.METADATA_SERVER_DETECTION ??= 'none';

/** A fresh fake per case, and an archive on it; reopen opens another archive on the same dataset. */
const onFake = (tuning: Partial<BigQueryArchiveOptions> = {}, fakeOptions: BigQueryFakeOptions = {}) => async () => {
  const fake = await startBigQueryFake(fakeOptions);
  const opened: Archive[] = [];
  const open = async () => opened[opened.push(createBigQueryArchive({ projectId: fake.projectId, dataset: fake.dataset, apiEndpoint: fake.apiEndpoint, ...tuning })) - 1] as Archive;
  return {
    archive: await open(),
    reopen: open,
    cleanup: async () => {
      for (const archive of opened) await archive.close();
      await fake.stop();
    },
  };
};

archiveContract('bigquery (local fake of the REST API)', onFake());

// The same cases with id filters split into many chunks (merged by seq), small insertAll requests and
// query jobs that report "not complete" before their results, so those paths hold the contract too.
archiveContract('bigquery, small chunks and slow jobs', onFake({ maxIdsPerQuery: 250, maxRowsPerInsert: 64 }, { pendingPolls: 2 }));

const drain = async <T>(items: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
};

const entry = (id: string, when: string, events: readonly CanonicalEvent[], system = 'shopify'): ArchiveEntry => ({
  raw: { id, system, topic: 'orders/updated', receivedAt: when, headers: { 'x-id': id }, body: JSON.stringify({ id }) },
  events: events.map((e) => ({ ...e, receivedAt: when })),
});

describe('BigQuery archive specifics', () => {
  let fake: BigQueryFake | undefined;
  const archives: Archive[] = [];
  const open = async (fakeOptions: BigQueryFakeOptions = {}, tuning: Partial<BigQueryArchiveOptions> = {}) => {
    fake = await startBigQueryFake(fakeOptions);
    const archive = createBigQueryArchive({ projectId: fake.projectId, dataset: fake.dataset, apiEndpoint: fake.apiEndpoint, ...tuning });
    archives.push(archive);
    return { fake, archive };
  };
  afterEach(async () => {
    for (const archive of archives.splice(0)) await archive.close();
    await fake?.stop();
    fake = undefined;
  });

  it('given a redelivered append with the same ids, when read, then each event and payload comes back once though BigQuery stored both copies', async () => {
    const { fake, archive } = await open();
    const batch = [
      entry('stripe:evt_1', at(0), [payment({ pi: 'pi_1', order: '80213', eventId: 'stripe:evt_1' })], 'stripe'),
      entry('shopify:wh-1', at(1), [order({ number: '80213', eventId: 'shopify:wh-1' })]),
    ];
    await archive.append(batch);
    const first = await drain(archive.scanEvents({}));
    // The ingest retry, a second later, with a later receive time (a sender's retry).
    await archive.append(batch.map((e) => entry(e.raw.id, at(2), e.events, e.raw.system)));

    expect(fake.rows('events')).toHaveLength(4);
    expect(fake.rows('raw')).toHaveLength(2 * 2);
    expect(await drain(archive.scanEvents({}))).toEqual(first);
    expect((await drain(archive.scanRaw({}))).map((r) => [r.id, r.receivedAt])).toEqual([
      ['stripe:evt_1', at(0)],
      ['shopify:wh-1', at(1)],
    ]);
    expect(await archive.countEvents()).toBe(2);
    // The copy archived later is not in its own receive window: the first copy decides.
    expect(await drain(archive.scanEvents({ from: at(2) }))).toEqual([]);
    expect(await archive.countEvents({ from: at(2) })).toBe(0);
    // insertId is the natural id, for BigQuery's own best-effort dedupe.
    const inserted = fake.requests.filter((r) => r.path.endsWith('/insertAll'));
    const ids = inserted.flatMap((r) => (r.body as { rows: { insertId: string }[] }).rows.map((x) => x.insertId));
    expect(ids).toEqual(['stripe:evt_1', 'shopify:wh-1', 'stripe:evt_1', 'shopify:wh-1', 'stripe:evt_1', 'shopify:wh-1', 'stripe:evt_1', 'shopify:wh-1']);
  });

  it('given BigQuery drops the repeated insertIds itself, when read, then the result is the same', async () => {
    const { fake, archive } = await open({ honorInsertIds: true });
    const batch = [entry('shopify:wh-1', at(1), [order({ number: '1', eventId: 'shopify:evt-1' })])];
    await archive.append(batch);
    await archive.append(batch);
    expect(fake.rows('events')).toHaveLength(1);
    expect((await drain(archive.scanEvents({}))).map((x) => x.event.id)).toEqual(['shopify:evt-1']);
  });

  it('rows carry the partition and cluster columns the DDL declares, with seq in ingest order', async () => {
    const { fake, archive } = await open();
    expect(fake.tables.get('events')).toMatchObject({ partitionBy: 'DATE(received_at)', clusterBy: ['order_key', 'kind'] });
    expect(fake.tables.get('raw')).toMatchObject({ partitionBy: 'DATE(received_at)', clusterBy: ['system', 'id'] });
    await archive.append([
      entry('stripe:evt_9', at(5), [payment({ pi: 'pi_9', order: '80299', eventId: 'stripe:evt_9' })], 'stripe'),
      // a Stripe charge names no order: its order key is learned later (the matcher fills it)
      entry('stripe:evt_10', at(1), [payment({ pi: 'pi_10', eventId: 'stripe:evt_10' })], 'stripe'),
    ]);
    const events = fake.rows('events');
    expect(events.map((r) => [r['event_id'], r['raw_id'], r['system'], r['kind'], r['order_key'], r['received_at']])).toEqual([
      ['stripe:evt_9', 'stripe:evt_9', 'stripe', 'payment', '80299', `${at(5).slice(0, 23)}000Z`],
      ['stripe:evt_10', 'stripe:evt_10', 'stripe', 'payment', null, `${at(1).slice(0, 23)}000Z`],
    ]);
    expect(events[1]?.['seq']).toBeGreaterThan(events[0]?.['seq'] as number);
    expect(events.every((r) => r['publish_time'] === null && r['message_id'] === null)).toBe(true);
    expect((events[0]?.['data'] as CanonicalEvent).id).toBe('stripe:evt_9');
    const raws = fake.rows('raw');
    expect(raws.map((r) => [r['id'], r['system'], r['received_at']])).toEqual([
      ['stripe:evt_9', 'stripe', `${at(5).slice(0, 23)}000Z`],
      ['stripe:evt_10', 'stripe', `${at(1).slice(0, 23)}000Z`],
    ]);
    // seq is the archive clock, in microseconds: within a few seconds of now
    expect(Math.abs((raws[0]?.['seq'] as number) / 1000 - Date.now())).toBeLessThan(60_000);
  });

  it('every value travels as a query parameter: no id, instant or date in any query text', async () => {
    const { fake, archive } = await open();
    await archive.append([entry('shopify:secret-raw', at(1), [order({ number: 'secret-order', eventId: 'shopify:secret-evt' })])]);
    await archive.quarantine([{ ...entry('shopify:secret-q', at(1), []).raw, error: 'bad' }]);
    const run = { runId: 'secret-run', businessDate: '2026-11-19', asOf: at(20), startedAt: at(20), finishedAt: null, status: 'finished' as const, error: null, postedTo: null, report: { x: 1 } };
    await archive.recordRun(run, [{ runId: 'secret-run', businessDate: '2026-11-19', exceptionId: 'secret-x', orderKey: 'secret-order', code: 'c', bucket: 'b', amount: 1, currency: 'USD', narrative: 'n', facts: {} }]);
    await drain(archive.scanEvents({ from: at(0), to: at(2), rawIds: ['shopify:secret-raw'], eventIds: ['shopify:secret-evt'] }));
    await drain(archive.scanRaw({ from: at(0), eventIds: ['shopify:secret-evt'] }));
    await archive.countEvents({ rawIds: ['shopify:secret-raw'] });
    await archive.listQuarantine({ unresolvedOnly: true, limit: 3 });
    await archive.resolveQuarantine(['shopify:secret-q'], at(3));
    expect(await archive.getRun('secret-run')).toEqual(run);
    await archive.listRuns({ businessDate: '2026-11-19', before: '2026-11-20', limit: 5 });
    await archive.runExceptions('secret-run');
    expect(await archive.exceptionsForOrder('secret-order', 2)).toHaveLength(1);

    const queries = fake.requests.filter((r) => r.path.endsWith('/queries'));
    expect(queries).toHaveLength(10); // one query job per call above, two for scanRaw by event ids
    for (const q of queries) {
      const body = q.body as { query: string; useLegacySql: boolean; queryParameters?: unknown[] };
      expect(body.useLegacySql).toBe(false);
      expect(body.query).not.toMatch(/secret|2026-/);
      expect(body.query).not.toMatch(/\b(INSERT|UPDATE|DELETE|MERGE)\b/i);
      expect(body.queryParameters?.length ?? 0).toBeGreaterThan(0);
    }
    // the fake refuses DML outright, so none could have been sent
    expect(fake.requests.every((r) => r.path.endsWith('/insertAll') || r.path.includes('/queries'))).toBe(true);
  });

  it('no credentials go to a plain-http endpoint and nothing but the fake is contacted', async () => {
    const sockets: string[] = [];
    const onSocket = (message: unknown) => {
      const socket = (message as { socket: Socket }).socket;
      socket.once('connect', () => sockets.push(`${socket.remoteAddress}:${socket.remotePort}`));
    };
    subscribe('net.client.socket', onSocket);
    try {
      const { fake, archive } = await open();
      await archive.append([entry('shopify:wh-1', at(1), [order({ number: '1' })])]);
      expect(await archive.countEvents()).toBe(1);
      expect(fake.requests.length).toBeGreaterThanOrEqual(3);
      expect(fake.requests.map((r) => r.authorization)).toEqual(fake.requests.map(() => undefined));
      const port = new URL(fake.apiEndpoint).port;
      expect(sockets.length).toBeGreaterThan(0);
      expect(new Set(sockets.map((s) => s.replace(/^::ffff:/, '')))).toEqual(new Set([`127.0.0.1:${port}`]));
    } finally {
      unsubscribe('net.client.socket', onSocket);
    }
  });

  it('given an insert that fails part-way through a call, then no payload is visible without its events, and the retried call completes it once', async () => {
    const { fake, archive } = await open({}, { maxRowsPerInsert: 2 });
    const batch = Array.from({ length: 3 }, (_, i) => entry(`shopify:r${i}`, at(i), [order({ number: `${i}`, eventId: `shopify:e${i}` })]));
    fake.failNextInsert('raw');
    await expect(archive.append(batch)).rejects.toThrow(/injected/);
    // events were sent first and are there; the payloads were not: the feed importer will not skip them
    expect(await archive.countEvents()).toBe(3);
    expect(await drain(archive.scanRaw({ rawIds: batch.map((e) => e.raw.id) }))).toEqual([]);

    await archive.append(batch);
    expect((await drain(archive.scanRaw({}))).map((r) => r.id)).toEqual(['shopify:r0', 'shopify:r1', 'shopify:r2']);
    expect((await drain(archive.scanEvents({}))).map((x) => x.event.id)).toEqual(['shopify:e0', 'shopify:e1', 'shopify:e2']);
  });

  it('given input BigQuery could not store, then the call fails before any request; an unknown dataset fails with BigQuery\'s reason', async () => {
    const { fake, archive } = await open();
    await expect(archive.recordRun({ runId: 'r', businessDate: 'Tuesday', asOf: at(1), startedAt: at(1), finishedAt: null, status: 'started', error: null, postedTo: null, report: null })).rejects.toThrow(
      /businessDate must be a date/,
    );
    expect(fake.requests).toEqual([]);
    const bigquery = createBigQueryArchive({ projectId: fake.projectId, dataset: 'missing_dataset', apiEndpoint: fake.apiEndpoint });
    archives.push(bigquery);
    await expect(bigquery.append([entry('shopify:x', at(1), [])])).rejects.toThrow(/Not found: Dataset/);
    await expect(bigquery.countEvents()).rejects.toThrow(/Not found: Dataset/);
  });

  it('given a dataset deployed from an older DDL, when appended, then the call fails with the row error BigQuery gave', async () => {
    const { fake, archive } = await open({ omitColumns: { events: ['seq'] } });
    await expect(archive.append([entry('shopify:wh-1', at(1), [order({ number: '1' })])])).rejects.toThrow(/refused 1 row\(s\) of events: invalid: no such field: seq/);
    expect(fake.rows('events')).toEqual([]);
    expect(fake.rows('raw')).toEqual([]);
  });

  it('given a scan over more ids than one query binds, then the chunks are merged in ingest order', async () => {
    const { fake, archive } = await open({}, { maxIdsPerQuery: 3 });
    const all = Array.from({ length: 10 }, (_, i) => entry(`shopify:c${i}`, at(10 - i), [order({ number: `${i}`, eventId: `shopify:ce${i}` })]));
    await archive.append(all);
    const before = fake.requests.length;
    const got = await drain(archive.scanEvents({ eventIds: all.map((e) => (e.events[0] as CanonicalEvent).id).reverse() }, 2));
    expect(got.map((x) => x.rawId)).toEqual(all.map((e) => e.raw.id));
    expect(fake.requests.slice(before).filter((r) => r.path.endsWith('/queries'))).toHaveLength(4);
  });

  it('given query jobs that are not complete at first, when read, then the adapter polls getQueryResults until they are', async () => {
    const { fake, archive } = await open({ pendingPolls: 3 });
    await archive.append([entry('shopify:wh-1', at(1), [order({ number: '1', eventId: 'shopify:e1' })])]);
    const before = fake.requests.length;
    expect((await drain(archive.scanEvents({}))).map((x) => x.event.id)).toEqual(['shopify:e1']);
    const calls = fake.requests.slice(before).map((r) => `${r.method} ${r.path.replace(/job_\w+/, 'JOB')}`);
    expect(calls).toEqual([
      'POST /bigquery/v2/projects/tieout-test/queries',
      ...Array.from({ length: 3 }, () => 'GET /bigquery/v2/projects/tieout-test/queries/JOB'),
    ]);
  });

  it('given a payload whose events fall in different id chunks, when its raw is scanned by event ids, then it comes back once', async () => {
    const { archive } = await open({}, { maxIdsPerQuery: 2 });
    const events = Array.from({ length: 5 }, (_, i) => order({ number: `${i}`, eventId: `shopify:m${i}` }));
    await archive.append([entry('shopify:many', at(1), events), entry('shopify:one', at(2), [order({ number: '9', eventId: 'shopify:m9' })])]);
    const ids = [...events.map((e) => e.id), 'shopify:m9'];
    expect((await drain(archive.scanRaw({ eventIds: ids }))).map((r) => r.id)).toEqual(['shopify:many', 'shopify:one']);
    expect((await drain(archive.scanRaw({ eventIds: ids, rawIds: ['shopify:one', 'shopify:none'] }))).map((r) => r.id)).toEqual(['shopify:one']);
    expect(await archive.countEvents({ eventIds: ids, rawIds: ['shopify:many'] })).toBe(5);
  });
});
