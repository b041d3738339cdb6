// `tieout replay`: rebuild state from archived raw payloads with this build and show what differs.
import { openBackend } from '#shared/backend.ts';
import { addDays, cutoffInstant } from '#shared/domain/business-date.ts';
import { normalizeContextOf } from '#shared/sources/context.ts';
import type { ReplayResult } from '../../services/matcher/replay.ts';
import { ReplayHeapExhausted, replayInThread, replayWith } from '../../services/matcher/replay-thread.ts';
import { retryQuarantine } from '../../services/ingest/ingest.ts';
import { EXIT_FAILURE, EXIT_OK, type CommandContext } from './context.ts';

export type ReplayOptions = {
  readonly from?: string;
  readonly to?: string;
  readonly order?: string;
  readonly into: 'shadow' | 'live';
  readonly quarantine?: boolean;
  /** The replay thread's heap (MB); the default is REPLAY_HEAP_MB. */
  readonly heapMb?: number;
};

/** Runs a replay; exit 0 when rebuilt state equals live state (or was written into it), 1 when it differs. */
export async function runReplay(ctx: CommandContext, options: ReplayOptions, isTty = false): Promise<number> {
  const cal = { timeZone: ctx.config.timeZone, cutoff: ctx.config.cutoff };
  const backend = await openBackend(ctx.config);
  const started = Date.now();
  let lastProgress = 0;
  const onProgress = (done: number, total: number) => {
    const t = Date.now();
    if (t - lastProgress < 1000 && done < total) return;
    lastProgress = t;
    const pct = total > 0 ? ` (${Math.min(100, Math.floor((done / total) * 100))}%)` : '';
    ctx.stderr(`${isTty ? '\r' : ''}replaying: ${done.toLocaleString('en-US')} payloads${pct}${isTty ? '' : '\n'}`);
  };
  try {
    if (options.quarantine) {
      const q = await retryQuarantine({ archive: backend.archive, bus: backend.bus, normalize: normalizeContextOf(ctx.config), now: ctx.now });
      ctx.stdout(`Quarantine: retried ${q.retried} payload(s); ${q.resolved} now read and were archived and published, ${q.stillFailing} still fail.\n`);
      if (q.resolved > 0) ctx.stdout("Run 'tieout match' to apply them.\n");
    }
    const selection = {
      ...(options.from ? { from: cutoffInstant(addDays(options.from, -1), cal) } : {}),
      ...(options.to ? { to: cutoffInstant(options.to, cal) } : {}),
      ...(options.order ? { order: options.order } : {}),
    };
    let result: ReplayResult;
    try {
      // In a thread with a capped heap: memory stays within a known budget, whatever the archive's size.
      result = await replayInThread({ config: ctx.config, selection, into: options.into, now: ctx.now(), onProgress, ...(options.heapMb ? { heapMb: options.heapMb } : {}) });
    } catch (e) {
      if (!(e instanceof ReplayHeapExhausted)) throw e;
      ctx.stderr(`${isTty ? '\n' : ''}tieout replay: ${e.message}; running it again without the cap.\n`);
      result = await replayWith(ctx.config, backend, { selection, into: options.into, now: ctx.now, onProgress });
    }
    if (isTty) ctx.stderr('\n');
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    ctx.stdout(`Replayed ${result.payloads.toLocaleString('en-US')} payloads (${result.events.toLocaleString('en-US')} events) into ${result.orders.toLocaleString('en-US')} orders in ${secs} s.\n`);
    if (result.unreadable.length > 0) {
      ctx.stdout(`${result.unreadable.length} payload(s) cannot be read by this build:\n`);
      for (const u of result.unreadable.slice(0, 20)) ctx.stdout(`  ${u.id}: ${u.error}\n`);
    }
    if (result.differences.length === 0) {
      ctx.stdout('Rebuilt state is identical to live state.\n');
      return EXIT_OK;
    }
    ctx.stdout(`${result.differences.length} order(s) differ from live state:\n`);
    for (const d of result.differences.slice(0, 200)) ctx.stdout(`  ${d.key}: ${d.change}${d.paths.length ? ` (${d.paths.join(', ')})` : ''}\n`);
    if (result.differences.length > 200) ctx.stdout(`  … and ${result.differences.length - 200} more\n`);
    if (result.wroteLive) {
      ctx.stdout('Live state now holds the rebuilt orders.\n');
      return EXIT_OK;
    }
    ctx.stdout("Nothing was changed (shadow). Run again with '--into live' to write the rebuilt orders.\n");
    return EXIT_FAILURE;
  } finally {
    await backend.close();
  }
}
