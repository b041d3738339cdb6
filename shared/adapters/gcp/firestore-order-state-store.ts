// The Google Cloud order state store: one Firestore document per order key, plus the alias index (DESIGN §11).
//
// Layout, per collection prefix P (default `tieout`):
//   P_orders/<id>   { key, open, updatedDay, updatedAt, state }   id = hash-prefixed key (docId below)
//   P_aliases/<id>  { ref, key }                                  id = hash-prefixed ref
//
// Why it looks like this:
// - Document ids start with 4 hex of sha256 so sequential order numbers spread over the key space
//   instead of hotspotting one tablet; the rest is the URL-encoded key (ids cannot hold '/'), and the
//   real key is a field, so no id ever has to be decoded.
// - `state` is ONE JSON string, not a map: Firestore indexes every subfield of a map by default and
//   state maps grow with each source object; a string is one value, round-trips byte for byte (no
//   number or empty-field-name surprises) and is exempted from indexing by a single field override.
//   Only state goes in (never raw payloads), and a document that would pass the 1 MiB limit is
//   refused with `FirestoreWriteLimitError` before anything is sent.
// - `updatedAt` (a monotonic timestamp) is NOT indexed: an indexed timestamp caps the whole collection
//   near 500 writes/s. `updatedDay` (its first 10 characters, the UTC date) is indexed instead: one
//   value per day, so its index entries are ordered by the hash-prefixed document name and spread.
//   `scanChangedSince` narrows by day through that index and filters the exact instant in memory.
// - `open` + `key` carry the nightly query (`open == true order by key`): composite index (open, key).
// firestoreOrderStateIndexes() is the index configuration production needs (the emulator needs none).
import { createHash } from 'node:crypto';
import { Firestore, type DocumentReference, type DocumentSnapshot, type Query, type QueryDocumentSnapshot, type Settings, type Transaction } from '@google-cloud/firestore';
import type { OrderState } from '../../domain/order-state.ts';
import type { OrderStateStore, OrderStateTx, StoredOrder } from '../../ports/order-state-store.ts';
import { createSerializer, createStagedTx } from '../staged-tx.ts';

/** Options for the Firestore store; no Google type leaks into the port. */
export type FirestoreOrderStateStoreOptions = {
  readonly projectId: string;
  /** A named database; the project's `(default)` one when absent. */
  readonly databaseId?: string;
  /** Prefix of the two collections (`<prefix>_orders`, `<prefix>_aliases`); default `tieout`. */
  readonly collectionPrefix?: string;
  /**
   * An emulator's host:port (plain text, owner credentials). When absent the client library uses
   * FIRESTORE_EMULATOR_HOST if set, else real Firestore with application default credentials.
   */
  readonly host?: string;
};

/**
 * A transaction staged more than one Firestore commit can hold (a document over 1 MiB, or a commit
 * request over 10 MiB). Permanent: retrying the same batch fails the same way; split the batch.
 */
export class FirestoreWriteLimitError extends Error {
  override readonly name = 'FirestoreWriteLimitError';
}

/** The index configuration production needs for a prefix: one composite index and four exemptions. */
export const firestoreOrderStateIndexes = (prefix = 'tieout') =>
  ({
    composite: [{ collection: `${prefix}_orders`, fields: [{ field: 'open', order: 'ASCENDING' }, { field: 'key', order: 'ASCENDING' }] }],
    // Fields with indexing switched off (single-field exemptions): the big string, the timestamp, and
    // the alias fields (aliases are only ever read by document id).
    exempt: [
      { collection: `${prefix}_orders`, field: 'state' },
      { collection: `${prefix}_orders`, field: 'updatedAt' },
      { collection: `${prefix}_aliases`, field: 'ref' },
      { collection: `${prefix}_aliases`, field: 'key' },
    ],
  }) as const;

/** Firestore limits (cloud.google.com/firestore/quotas): 1 MiB per document, 10 MiB per request. */
const MAX_DOC_BYTES = 1_048_576;
const MAX_COMMIT_BYTES = 10 * 1_048_576;
/** Documents per batched read (one BatchGetDocuments call each). */
const READ_CHUNK = 500;
/**
 * Attempts of one transaction that keeps losing conflicts to other processes (the library's default
 * is 5; its backoff starts at 1 s and grows 1.5x, jittered): a minute or so of trying before the error
 * reaches the matcher, which then nacks and the bus redelivers.
 */
const MAX_TRANSACTION_ATTEMPTS = 10;
const DEFAULT_PAGE = 500;
/** Encoded keys longer than this use the full hash as id (ids are limited to 1,500 bytes). */
const MAX_ENCODED_ID = 1_000;

/**
 * The document id of a key or ref: 4 hex of its sha256, '_', the URL-encoded key; a very long key
 * gets '~' and its whole sha256 instead (the fifth character keeps the two forms apart).
 */
export function docId(key: string): string {
  const hash = createHash('sha256').update(key).digest('hex');
  const encoded = encodeURIComponent(key);
  return encoded.length <= MAX_ENCODED_ID ? `${hash.slice(0, 4)}_${encoded}` : `${hash.slice(0, 4)}~${hash}`;
}

type OrderFields = { key: string; open: boolean; updatedDay: string; updatedAt: string; state: string };
type AliasFields = { ref: string; key: string };

const dayOf = (instant: string) => instant.slice(0, 10);

const stringBytes = (s: string) => Buffer.byteLength(s) + 1;

/** A document's size by Firestore's rules: name (segments + 16), fields (name + value), 32 bytes. */
function documentBytes(collection: string, id: string, fields: Readonly<Record<string, string | boolean>>): number {
  let bytes = stringBytes(collection) + stringBytes(id) + 16 + 32;
  for (const [name, value] of Object.entries(fields)) bytes += stringBytes(name) + (typeof value === 'string' ? stringBytes(value) : 1);
  return bytes;
}

/** Firestore and SQLite order strings by UTF-8 bytes; JS's default sort uses UTF-16 units. */
const byUtf8 = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

function fromFields(data: OrderFields): StoredOrder {
  return { state: JSON.parse(data.state) as OrderState, open: data.open, updatedAt: data.updatedAt };
}

function chunks<T>(xs: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

/**
 * Opens the store on Firestore (native mode). `transact` is a Firestore read-write transaction: every
 * read goes through it (and locks what it read), the staged writes commit together or not at all,
 * and a transaction that lost a conflict to another process is re-run from scratch with fresh staged
 * state — so `fn` may run more than once and must not have other side effects. Transactions of one
 * store are queued, as in the embedded adapter. Firestore no longer caps a commit at 500 writes
 * (release notes, 2023-03-29); its limits are 1 MiB per document and 10 MiB per request, checked here
 * before sending.
 */
export function createFirestoreOrderStateStore(options: FirestoreOrderStateStoreOptions): OrderStateStore {
  const prefix = options.collectionPrefix ?? 'tieout';
  const settings: Settings = { projectId: options.projectId };
  if (options.databaseId !== undefined) settings.databaseId = options.databaseId;
  // An emulator speaks plain text; the library then sends owner credentials it accepts.
  if (options.host !== undefined) Object.assign(settings, { host: options.host, ssl: false });
  const db = new Firestore(settings);
  // Transactions of this process run one at a time, as in the other adapters: two of them touching the
  // same order would only abort each other inside Firestore and back off for seconds. Firestore's own
  // locking serializes this process against the others (several matcher instances).
  const serialize = createSerializer();
  const orders = db.collection(`${prefix}_orders`);
  const aliasDocs = db.collection(`${prefix}_aliases`);
  const orderRef = (key: string) => orders.doc(docId(key));
  const aliasRef = (ref: string) => aliasDocs.doc(docId(ref));
  /** `projects/<p>/databases/<d>/documents/`: part of every document name in a commit request. */
  const namePrefixBytes = Buffer.byteLength(`projects/${options.projectId}/databases/${options.databaseId ?? '(default)'}/documents/`) + 32;

  type GetAll = (refs: DocumentReference[]) => Promise<DocumentSnapshot[]>;
  const plainGetAll: GetAll = (refs) => db.getAll(...refs);

  async function readDocs(getAll: GetAll, keys: readonly string[]): Promise<Map<string, StoredOrder>> {
    const out = new Map<string, StoredOrder>();
    const parts = chunks([...new Set(keys)], READ_CHUNK);
    const snaps = await Promise.all(parts.map((part) => getAll(part.map(orderRef))));
    for (const snap of snaps.flat()) {
      const data = snap.data() as OrderFields | undefined;
      if (data) out.set(data.key, fromFields(data));
    }
    return out;
  }

  async function readAliases(getAll: GetAll, refs: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const parts = chunks([...new Set(refs)], READ_CHUNK);
    const snaps = await Promise.all(parts.map((part) => getAll(part.map(aliasRef))));
    for (const snap of snaps.flat()) {
      const data = snap.data() as AliasFields | undefined;
      if (data) out.set(data.ref, data.key);
    }
    return out;
  }

  /** Pages a key-ordered query with a cursor on `key`. */
  async function* scanByKey(query: Query, batchSize: number): AsyncIterable<StoredOrder> {
    const ordered = query.orderBy('key');
    let after: string | undefined;
    for (;;) {
      const page = await (after === undefined ? ordered : ordered.startAfter(after)).limit(batchSize).get();
      for (const d of page.docs) yield fromFields(d.data() as OrderFields);
      if (page.size < batchSize) return;
      after = (page.docs.at(-1) as QueryDocumentSnapshot).get('key') as string;
    }
  }

  /**
   * Changed documents in key order without an index on the timestamp: page the keys of documents
   * changed on or after `since`'s day (a truncated string is a lower bound for any string >= since),
   * keep those changed at or after `since`, sort them, then read the documents in key-ordered batches.
   * Cost grows with what changed, not with history; memory holds only the keys.
   */
  async function* scanChangedSince(since: string, batchSize: number): AsyncIterable<StoredOrder> {
    const keys: string[] = [];
    // Ordered by (updatedDay, document name) implicitly; the cursor snapshot must carry updatedDay.
    const query = orders.where('updatedDay', '>=', dayOf(since)).select('key', 'updatedDay', 'updatedAt');
    let last: QueryDocumentSnapshot | undefined;
    for (;;) {
      const page = await (last === undefined ? query : query.startAfter(last)).limit(batchSize).get();
      for (const d of page.docs) if ((d.get('updatedAt') as string) >= since) keys.push(d.get('key') as string);
      if (page.size < batchSize) break;
      last = page.docs.at(-1);
    }
    keys.sort(byUtf8);
    for (const part of chunks(keys, batchSize)) {
      const found = await readDocs(plainGetAll, part);
      for (const k of part) {
        const o = found.get(k);
        if (o && o.updatedAt >= since) yield o;
      }
    }
  }

  /**
   * Refuses what Firestore would refuse, before sending it, with a message that says what to do.
   * Sizes follow Firestore's storage-size rules (strings: UTF-8 bytes + 1; a document: its name,
   * its fields, 32 bytes); a commit also carries each document's full resource name.
   */
  function checkLimits(puts: readonly OrderFields[], aliases: readonly AliasFields[], deletes: number): void {
    let total = 0;
    for (const f of puts) {
      const bytes = documentBytes(orders.id, docId(f.key), f);
      if (bytes > MAX_DOC_BYTES)
        throw new FirestoreWriteLimitError(`order ${f.key} would be a ${bytes}-byte document; Firestore's limit is ${MAX_DOC_BYTES} bytes (1 MiB)`);
      total += bytes + namePrefixBytes;
    }
    for (const a of aliases) total += documentBytes(aliasDocs.id, docId(a.ref), a) + namePrefixBytes;
    total += deletes * (namePrefixBytes + 2 * MAX_ENCODED_ID);
    if (total > MAX_COMMIT_BYTES)
      throw new FirestoreWriteLimitError(
        `a transaction of ${puts.length} documents, ${aliases.length} aliases and ${deletes} deletes is about ${total} bytes; one Firestore commit holds at most ${MAX_COMMIT_BYTES} (10 MiB): use smaller batches`,
      );
  }

  /** One attempt of a transaction; everything staged is built here, so a retry starts clean. */
  async function attempt<T>(t: Transaction, fn: (tx: OrderStateTx) => Promise<T>): Promise<T> {
    const getAll: GetAll = (refs) => t.getAll(...refs);
    const staged = createStagedTx({ readDocs: (keys) => readDocs(getAll, keys), readAliases: (refs) => readAliases(getAll, refs) });
    const result = await fn(staged.tx);
    const { puts, deletes, aliases } = staged.writes();
    const fields = puts.map((o): OrderFields => ({ key: o.state.key, open: o.open, updatedDay: dayOf(o.updatedAt), updatedAt: o.updatedAt, state: JSON.stringify(o.state) }));
    const aliasFields = aliases.map(([ref, key]): AliasFields => ({ ref, key }));
    checkLimits(fields, aliasFields, deletes.length);
    // Writes are buffered by the library and sent in the commit that follows this function.
    for (const f of fields) t.set(orderRef(f.key), f);
    for (const k of deletes) t.delete(orderRef(k));
    for (const a of aliasFields) t.set(aliasRef(a.ref), a);
    return result;
  }

  return {
    transact<T>(fn: (tx: OrderStateTx) => Promise<T>): Promise<T> {
      return serialize(() => db.runTransaction((t) => attempt(t, fn), { maxAttempts: MAX_TRANSACTION_ATTEMPTS }));
    },
    async get(key) {
      return (await readDocs(plainGetAll, [key])).get(key);
    },
    async resolve(ref) {
      return (await readAliases(plainGetAll, [ref])).get(ref);
    },
    scanOpen: (batchSize = DEFAULT_PAGE) => scanByKey(orders.where('open', '==', true), batchSize),
    scanChangedSince: (since, batchSize = DEFAULT_PAGE) => scanChangedSince(since, batchSize),
    scanAll: (batchSize = DEFAULT_PAGE) => scanByKey(orders, batchSize),
    async count() {
      return (await orders.count().get()).data().count;
    },
    async close() {
      // Queued transactions finish first (a SIGTERM flush must not cut a commit in half).
      await serialize(() => db.terminate());
    },
  };
}
