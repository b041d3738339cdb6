// Watermark records in the archive: the latest one is found by id lookups alone, whatever the history's length.
import { describe, expect, it } from 'vitest';
import { createMemoryArchive } from '#shared/adapters/memory/archive.ts';
import type { Archive, ScanFilter } from '#shared/ports/archive.ts';
import { normalizeRaw } from '#shared/sources/registry.ts';
import { DEFAULT_NORMALIZE_CONTEXT } from '#shared/sources/source.ts';
import { latestWatermark, storeWatermark, watermarkRecordId } from './ledger-watermark.ts';

const TABLE = 'acme-finance.ledger.entries';
const instant = (minutes: number) => new Date(Date.UTC(2026, 10, 1) + minutes * 60_000).toISOString();

/** An archive that counts the scans made on it. */
function counting(archive: Archive): { archive: Archive; scans: ScanFilter[] } {
  const scans: ScanFilter[] = [];
  return { archive: { ...archive, scanRaw: (filter, batch) => (scans.push(filter), archive.scanRaw(filter, batch)) }, scans };
}

async function history(archive: Archive, count: number, table = TABLE): Promise<void> {
  let previous;
  for (let i = 1; i <= count; i++) previous = await storeWatermark(archive, { table, watermark: instant(i), readAfter: instant(i - 1), rows: i, pulledAt: instant(i + 1) }, previous);
}

describe('ledger watermarks', () => {
  it('none before the first pull', async () => {
    expect(await latestWatermark(createMemoryArchive(), TABLE)).toBeUndefined();
  });

  it.each([1, 2, 3, 63, 64, 65, 127, 128, 129, 1000, 4097])('finds the latest of %i records in a few scans of ids', async (count) => {
    const memory = createMemoryArchive();
    await history(memory, count);
    const { archive, scans } = counting(memory);
    expect(await latestWatermark(archive, TABLE)).toEqual({ n: count, watermark: instant(count), table: TABLE, readAfter: instant(count - 1), rows: count, pulledAt: instant(count + 1) });
    // One gallop over the powers of two, then at most ceil(log64(n)) searches; every scan by id, never a full scan.
    expect(scans.length).toBeLessThanOrEqual(1 + Math.ceil(Math.log(Math.max(count, 2)) / Math.log(64)));
    for (const scan of scans) expect(scan.rawIds?.length).toBeGreaterThan(0);
  });

  it('keeps one sequence per ledger', async () => {
    const archive = createMemoryArchive();
    await history(archive, 5);
    await history(archive, 2, 'acme-finance.ledger.other');
    expect((await latestWatermark(archive, TABLE))?.n).toBe(5);
    expect((await latestWatermark(archive, 'acme-finance.ledger.other'))?.n).toBe(2);
  });

  it('two pulls racing for the same record: the first archived wins, the other is not kept (the next pull reads more again)', async () => {
    const archive = createMemoryArchive();
    await storeWatermark(archive, { table: TABLE, watermark: instant(10), readAfter: instant(0), rows: 1, pulledAt: instant(11) }, undefined);
    await storeWatermark(archive, { table: TABLE, watermark: instant(20), readAfter: instant(0), rows: 2, pulledAt: instant(21) }, undefined);
    expect(await latestWatermark(archive, TABLE)).toMatchObject({ n: 1, watermark: instant(10) });
  });

  it('never goes back', async () => {
    const archive = createMemoryArchive();
    const first = await storeWatermark(archive, { table: TABLE, watermark: instant(10), readAfter: instant(0), rows: 1, pulledAt: instant(11) }, undefined);
    await expect(storeWatermark(archive, { table: TABLE, watermark: instant(5), readAfter: instant(0), rows: 1, pulledAt: instant(12) }, first)).rejects.toThrow(/never goes back/);
  });

  it('is a record of the warehouse that normalizes to no event (replay reads it and moves on)', async () => {
    const archive = createMemoryArchive();
    await history(archive, 1);
    const raws = [];
    for await (const raw of archive.scanRaw({ rawIds: [watermarkRecordId(TABLE, 1)] })) raws.push(raw);
    expect(raws).toHaveLength(1);
    expect(raws[0]).toMatchObject({ system: 'warehouse', topic: 'ledger-watermark' });
    expect(normalizeRaw(raws[0]!, DEFAULT_NORMALIZE_CONTEXT)).toEqual({ ok: true, value: [] });
    expect(await archive.countEvents()).toBe(0);
  });
});
