// `tieout order <key>`: what every source says about one order, its breaks, timeline and past reports.
import { checkConfigOf } from '#shared/config.ts';
import { openBackend } from '#shared/backend.ts';
import { latestBusinessDate } from '#shared/domain/business-date.ts';
import { loadRules } from '#shared/rules-file.ts';
import { buildOrderView, findOrder, renderOrderText } from '../../services/matcher/order-view.ts';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type CommandContext } from './context.ts';

/** Prints one order as text, or JSON with `--json`; exit 1 when no order is known by that key. */
export async function runOrder(ctx: CommandContext, key: string, options: { readonly json?: boolean }): Promise<number> {
  const rules = loadRules(ctx.config.rulesPath);
  if (!rules.ok) {
    ctx.stderr(`tieout order: invalid rules file:\n${rules.errors.map((e) => `  ${e}\n`).join('')}`);
    return EXIT_USAGE;
  }
  const backend = await openBackend(ctx.config);
  try {
    const stored = await findOrder(backend.store, key, ctx.config.keys);
    if (!stored) {
      ctx.stderr(`tieout order: no order known as ${JSON.stringify(key)} (try the order number, or a payment, charge or Shopify id)\n`);
      return EXIT_FAILURE;
    }
    const asOf = ctx.now();
    const view = await buildOrderView(stored, {
      archive: backend.archive,
      rules: rules.value,
      checkConfig: checkConfigOf(ctx.config),
      asOf,
      businessDate: latestBusinessDate(asOf, { timeZone: ctx.config.timeZone, cutoff: ctx.config.cutoff }),
    });
    ctx.stdout(options.json ? `${JSON.stringify(view, null, 2)}\n` : renderOrderText(view));
    return EXIT_OK;
  } finally {
    await backend.close();
  }
}
