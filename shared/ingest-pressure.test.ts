import { Worker } from 'node:worker_threads';
import { expect, it } from 'vitest';
import { ingestPressure } from './ingest-pressure.ts';

it('tells whether ingest was saturated within a window, to every view of the same buffer', async () => {
  const ingest = ingestPressure();
  const matcher = ingestPressure(ingest.buffer);
  expect(matcher.within(100)).toBe(false);
  ingest.saturated();
  expect(matcher.within(100)).toBe(true);
  await new Promise((r) => setTimeout(r, 30));
  expect(matcher.within(10)).toBe(false);
  expect(matcher.within(10_000)).toBe(true);
});

it('is shared with another thread: what one thread records, the other reads', async () => {
  const here = ingestPressure();
  const module = new URL('./ingest-pressure.ts', import.meta.url).href;
  const code = `import { workerData } from 'node:worker_threads'; import { ingestPressure } from '${module}'; ingestPressure(workerData).saturated();`;
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`), { workerData: here.buffer });
  await new Promise((resolve) => worker.once('exit', resolve));
  expect(here.within(5_000)).toBe(true);
});
