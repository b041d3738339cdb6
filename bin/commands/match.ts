// `tieout match`: apply everything pending on the bus to order state, then exit.
import { openBackend } from '#shared/backend.ts';
import { createLogger } from '#shared/log.ts';
import { MATCHER_SUBSCRIPTION } from '#shared/ports/event-bus.ts';
import { drainInThread } from '../../services/matcher/thread.ts';
import { EXIT_FAILURE, EXIT_OK, type CommandContext } from './context.ts';

const plural = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

/** Drains the bus into order state and prints what it applied. */
export async function runMatch(ctx: CommandContext): Promise<number> {
  const backend = await openBackend(ctx.config);
  try {
    const started = Date.now();
    let told = false;
    // In a thread with a capped heap, so large batches (the embedded default) keep memory bounded.
    const s = await drainInThread({
      config: ctx.config,
      log: createLogger({ name: 'matcher', level: 'warn' }),
      logLevel: 'warn',
      onWait: (leased) => {
        if (!told) ctx.stderr(`Waiting for ${leased} message(s) leased by a matcher that stopped; they return when the lease ends (${ctx.config.matcher.leaseSeconds} s at most).\n`);
        told = true;
      },
    });
    const dead = (await backend.bus.stats(MATCHER_SUBSCRIPTION)).deadLettered;
    const secs = (Date.now() - started) / 1000;
    if (s.received === 0) ctx.stdout('Nothing pending on the bus.\n');
    else
      ctx.stdout(
        `Applied ${plural(s.applied, 'event')} to ${plural(s.orders.size, 'order')} in ${secs.toFixed(1)} s` +
          ` (${s.duplicates.toLocaleString('en-US')} duplicates ignored, ${s.merged} provisional records merged into orders` +
          `${s.rejected ? `, ${s.rejected} messages rejected` : ''}).\n`,
      );
    if (dead > 0) ctx.stdout(`${dead} message${dead === 1 ? ' is' : 's are'} in the dead letters; they are listed in the nightly report.\n`);
    return s.rejected > 0 ? EXIT_FAILURE : EXIT_OK;
  } finally {
    await backend.close();
  }
}
