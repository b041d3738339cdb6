// The ingest writer thread (started by `startWriterThread`): normalizes raw records, then archives and
// publishes them, so neither the validation nor the fsyncs of the embedded stores hold the HTTP loop.
import { parentPort, workerData } from 'node:worker_threads';
import { openBackend } from '#shared/backend.ts';
import type { Config } from '#shared/config.ts';
import type { RawRecord } from '#shared/ports/archive.ts';
import { normalizeContextOf } from '#shared/sources/context.ts';
import { archiveRaw } from './ingest.ts';

const port = parentPort;
if (port === null) throw new Error('writer-entry.ts runs only as a worker thread (see startWriterThread)');
const { config } = workerData as { config: Config };
const backend = await openBackend(config);
const deps = { archive: backend.archive, bus: backend.bus, normalize: normalizeContextOf(config) };

// One batch at a time, in arrival order: the caller's group commit sends the next when this one is durable.
let queue: Promise<void> = Promise.resolve();
port.on('message', (message: { id: number; records: RawRecord[] } | 'close') => {
  if (message === 'close') {
    queue = queue.then(async () => {
      await backend.close();
      port.close();
    });
    return;
  }
  queue = queue.then(async () => {
    try {
      port.postMessage({ id: message.id, outcomes: await archiveRaw(deps, message.records) });
    } catch (e) {
      port.postMessage({ id: message.id, error: (e as Error).message });
    }
  });
});
port.postMessage({ ready: true });
