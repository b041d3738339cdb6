// Feed files: every shape `tieout import` and `POST /feeds/<system>` read, streamed into the ingest path.
import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { parse as parseCsv } from 'csv-parse';
import { err, ok, type Result } from '#shared/domain/result.ts';
import type { RawRecord } from '#shared/ports/archive.ts';
import { SOURCES } from '#shared/sources/registry.ts';
import type { Delivery } from '#shared/sources/source.ts';
import { canonicalInstant } from '#shared/domain/instant.ts';
import { archiveRaw, contentId, type IngestDeps, type Outcome, type SecretsBySystem } from './ingest.ts';

/** What an import did. */
export type ImportSummary = {
  readonly file: string;
  readonly items: number;
  readonly events: number;
  /** Payloads already in the archive (re-imported); their events are published again and deduped downstream. */
  readonly duplicates: number;
  readonly quarantined: number;
  readonly quarantine: readonly { readonly line: number; readonly error: string }[];
  /** With `--verify`: recorded deliveries whose signature did not check out (not stored). */
  readonly refused: number;
};

export type ImportOptions = {
  /** Check signatures of recorded deliveries (imported files are trusted otherwise). */
  readonly verify?: boolean;
  readonly secrets?: SecretsBySystem;
  readonly onProgress?: (items: number, fraction: number | undefined) => void;
  /**
   * Called after each batch is archived and published, with its records, what happened to each, and
   * the ids that were already archived before (duplicates).
   */
  readonly onArchived?: (records: readonly RawRecord[], outcomes: readonly Outcome[], known: ReadonlySet<string>) => void;
};

type Deps = Pick<IngestDeps, 'archive' | 'bus' | 'normalize' | 'now'>;

/** One item of a file, with the line it starts on (1-based). */
type Item = { readonly line: number; readonly value: unknown; readonly csv?: string };

/** The systems `import` accepts, and the feed shape each CSV is. */
export const IMPORT_SYSTEMS = ['shopify', 'stripe', 'shipbob', 'warehouse', 'deliveries', 'canonical'] as const;

const BATCH = 1000;

class Unreadable extends Error {
  readonly line: number;
  constructor(line: number, message: string) {
    super(message);
    this.line = line;
  }
}

/** The system a recorded delivery came from, from its headers. */
export function systemOfDelivery(headers: Readonly<Record<string, string>>): string | undefined {
  if (headers['x-shopify-topic'] !== undefined || headers['x-shopify-hmac-sha256'] !== undefined) return 'shopify';
  if (headers['stripe-signature'] !== undefined) return 'stripe';
  if (headers['webhook-id'] !== undefined || headers['x-webhook-topic'] !== undefined || headers['shipbob-topic'] !== undefined) return 'shipbob';
  return undefined;
}

const lower = (h: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries((h ?? {}) as Record<string, unknown>).map(([k, v]) => [k.toLowerCase(), String(v)]));

const isDelivery = (v: unknown): v is { headers: Record<string, unknown>; body: unknown; receivedAt?: string } =>
  v !== null && typeof v === 'object' && 'headers' in v && 'body' in v;

/** How a file's items turn into raw records for one system. */
function recordOf(system: string, item: Item, csvFeed: string | undefined, receivedAt: string, options: ImportOptions): Result<RawRecord> | 'refused' {
  const v = item.value;
  if (isDelivery(v)) {
    const headers = lower(v.headers);
    const sys = systemOfDelivery(headers) ?? (system === 'deliveries' ? undefined : system);
    const source = sys ? SOURCES.get(sys) : undefined;
    if (!source?.fromDelivery) return err(`cannot tell which system sent this delivery (no Shopify, Stripe or ShipBob headers)`);
    const delivery: Delivery = { headers, body: Buffer.from(typeof v.body === 'string' ? v.body : JSON.stringify(v.body), 'utf8') };
    const recordedAt = typeof v.receivedAt === 'string' ? canonicalInstant(v.receivedAt) : undefined;
    if (options.verify) {
      if (typeof v.body !== 'string') return err('--verify needs the body recorded as the exact string received');
      // A recording is checked as of when it was received, or the signature's own time would be stale.
      const at = Date.parse(recordedAt ?? receivedAt);
      const checked = source.verify?.(delivery, options.secrets?.[source.system] ?? [], at);
      if (!checked?.ok) return 'refused';
    }
    return source.fromDelivery(delivery, recordedAt ?? receivedAt);
  }
  if (system === 'deliveries') return err('expected a recorded delivery {headers, body}');
  const source = SOURCES.get(system);
  if (!source?.fromFeedItem) return err(`${system} has no feed files`);
  const feed = csvFeed ?? (system === 'shopify' ? 'orders-export' : system === 'stripe' ? 'events' : system === 'shipbob' ? 'bodies' : 'items');
  return source.fromFeedItem(v, feed, receivedAt);
}

/** The CSV feed a header line names, for systems that take CSV. */
function csvFeedOf(system: string, header: string): string | undefined {
  if (system === 'warehouse') return 'ledger-csv';
  if (system === 'stripe' && header.includes('balance_transaction_id')) return 'payout-reconciliation-csv';
  return undefined;
}

async function* jsonItems(text: string): AsyncGenerator<Item> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const m = /position (\d+)/.exec((e as Error).message);
    const line = m ? text.slice(0, Number(m[1])).split('\n').length : 1;
    throw new Unreadable(line, `not valid JSON: ${(e as Error).message}`);
  }
  const list = Array.isArray(doc)
    ? doc
    : doc !== null && typeof doc === 'object' && Array.isArray((doc as { orders?: unknown }).orders)
      ? (doc as { orders: unknown[] }).orders
      : doc !== null && typeof doc === 'object' && (doc as { object?: unknown }).object === 'list' && Array.isArray((doc as { data?: unknown }).data)
        ? (doc as { data: unknown[] }).data
        : [doc];
  for (const value of list) yield { line: 1, value };
}

async function* ndjsonItems(lines: AsyncIterable<string>): AsyncGenerator<Item> {
  let n = 0;
  for await (const text of lines) {
    n++;
    if (text.trim() === '') continue;
    try {
      yield { line: n, value: JSON.parse(text) };
    } catch (e) {
      throw new Unreadable(n, `not valid JSON: ${(e as Error).message}`);
    }
  }
}

async function* csvItems(input: Readable): AsyncGenerator<Item & { header: string }> {
  let header = '';
  const parser = input.pipe(
    parseCsv({
      columns: (h: string[]) => {
        header = h.join(',');
        return h.map((c) => c.trim());
      },
      skip_empty_lines: true,
      trim: true,
      info: true,
      bom: true,
    }),
  );
  try {
    for await (const rec of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) yield { line: rec.info.lines, value: rec.record, header };
  } catch (e) {
    const m = /line (\d+)/i.exec((e as Error).message);
    throw new Unreadable(m ? Number(m[1]) : 1, `not valid CSV: ${(e as Error).message}`);
  }
}

type Shape = 'json' | 'ndjson' | 'csv';

function shapeOf(name: string, head: string): Shape {
  const lowerName = name.toLowerCase();
  if (lowerName.endsWith('.csv')) return 'csv';
  if (lowerName.endsWith('.ndjson') || lowerName.endsWith('.jsonl')) return 'ndjson';
  if (lowerName.endsWith('.json')) return 'json';
  const first = head.trimStart()[0];
  if (first === '{' || first === '[') {
    const firstLine = head.trimStart().split('\n')[0] ?? '';
    try {
      JSON.parse(firstLine);
      return head.trimStart().split('\n').filter((l) => l.trim()).length > 1 ? 'ndjson' : 'json';
    } catch {
      return 'json';
    }
  }
  return 'csv';
}

async function importItems(deps: Deps, system: string, file: string, items: AsyncIterable<Item & { header?: string }>, options: ImportOptions, fraction: () => number | undefined): Promise<Result<ImportSummary>> {
  let count = 0;
  let events = 0;
  let duplicates = 0;
  let quarantinedCount = 0;
  let refused = 0;
  const quarantine: { line: number; error: string }[] = [];
  let batch: { line: number; raw: RawRecord }[] = [];

  const flush = async () => {
    if (batch.length === 0) return;
    const ids = batch.map((b) => b.raw.id);
    const known = new Set<string>();
    for await (const r of deps.archive.scanRaw({ rawIds: ids })) known.add(r.id);
    duplicates += ids.filter((id) => known.has(id)).length;
    const outcomes = await archiveRaw(deps, batch.map((b) => b.raw));
    options.onArchived?.(batch.map((b) => b.raw), outcomes, known);
    outcomes.forEach((o, i) => {
      if (o.kind === 'accepted') events += o.events;
      else if (o.kind === 'quarantined') {
        quarantinedCount++;
        if (quarantine.length < 100) quarantine.push({ line: (batch[i] as { line: number }).line, error: o.error });
      }
    });
    batch = [];
    options.onProgress?.(count, fraction());
  };

  try {
    for await (const item of items) {
      count++;
      const receivedAt = deps.now();
      const csvFeed = item.header !== undefined ? csvFeedOf(system, item.header) : undefined;
      if (item.header !== undefined && csvFeed === undefined) return err(`${file}: ${system} does not take CSV files`);
      const rec = recordOf(system, item, csvFeed, receivedAt, options);
      if (rec === 'refused') {
        refused++;
        continue;
      }
      if (!rec.ok) {
        // Readable but not a payload we can archive as such: keep it whole in quarantine, with its line.
        const body = JSON.stringify(item.value);
        const raw: RawRecord = { id: contentId(system, body), system, topic: null, receivedAt, headers: {}, body };
        await deps.archive.quarantine([{ ...raw, error: rec.errors.join('; ') }]);
        quarantinedCount++;
        if (quarantine.length < 100) quarantine.push({ line: item.line, error: rec.errors.join('; ') });
        continue;
      }
      batch.push({ line: item.line, raw: rec.value });
      if (batch.length >= BATCH) await flush();
    }
    await flush();
  } catch (e) {
    if (e instanceof Unreadable) {
      await flush();
      return err(`${file}:${e.line}: ${e.message}`);
    }
    throw e;
  }
  return ok({ file, items: count, events, duplicates, quarantined: quarantinedCount, quarantine, refused });
}

function checkSystem(system: string): string | undefined {
  return (IMPORT_SYSTEMS as readonly string[]).includes(system) ? undefined : `unknown system ${JSON.stringify(system)}; one of ${IMPORT_SYSTEMS.join(', ')}`;
}

/** Imports one file from disk, streaming NDJSON and CSV line by line. */
export async function importFile(deps: Deps, system: string, path: string, options: ImportOptions = {}): Promise<Result<ImportSummary>> {
  const bad = checkSystem(system);
  if (bad) return err(bad);
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    return err(`${path}: cannot read: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const name = basename(path);
  const head = await new Promise<string>((resolve) => {
    const s = createReadStream(path, { start: 0, end: 65535, encoding: 'utf8' });
    let acc = '';
    s.on('data', (d) => (acc += d));
    s.on('end', () => resolve(acc));
    s.on('error', () => resolve(''));
  });
  const shape = shapeOf(name, head);
  const stream = createReadStream(path);
  let read = 0;
  stream.on('data', (d) => (read += d.length));
  const fraction = () => (size > 0 ? Math.min(1, read / size) : undefined);
  if (shape === 'csv') return importItems(deps, system, path, csvItems(stream), options, fraction);
  if (shape === 'ndjson') return importItems(deps, system, path, ndjsonItems(createInterface({ input: stream, crlfDelay: Infinity })), options, fraction);
  stream.destroy();
  const { readFile } = await import('node:fs/promises');
  return importItems(deps, system, path, jsonItems(await readFile(path, 'utf8')), options, () => undefined);
}

/**
 * Imports the rows a feed query returned (the warehouse ledger pull) exactly as the rows of a CSV file
 * of that system: same records, same ids, same batches, same quarantine. A row's `line` is its
 * 1-based position in the result.
 */
export function importFeedRows(deps: Deps, system: string, name: string, rows: AsyncIterable<Readonly<Record<string, string>>>, options: ImportOptions = {}): Promise<Result<ImportSummary>> {
  const bad = checkSystem(system);
  if (bad) return Promise.resolve(err(bad));
  const items = (async function* () {
    let line = 0;
    for await (const row of rows) yield { line: ++line, value: row, header: Object.keys(row).join(',') };
  })();
  return importItems(deps, system, name, items, options, () => undefined);
}

/** Imports a file's text (an upload to `POST /feeds/<system>`). */
export async function importText(deps: Deps, system: string, text: string, name: string, options: ImportOptions = {}): Promise<Result<ImportSummary>> {
  const bad = checkSystem(system);
  if (bad) return err(bad);
  const shape = shapeOf(name, text.slice(0, 65536));
  const items =
    shape === 'csv'
      ? csvItems(Readable.from([text]))
      : shape === 'ndjson'
        ? ndjsonItems((async function* () {
            yield* text.split('\n');
          })())
        : jsonItems(text);
  return importItems(deps, system, name, items, options, () => undefined);
}
