// `tieout pull warehouse [--since INSTANT] [--dry-run]`: the books' new entries from BigQuery, archived and published.
import { openBackend } from '#shared/backend.ts';
import type { LedgerPullConfig } from '#shared/config.ts';
import type { WarehouseLedger } from '#shared/ports/warehouse-ledger.ts';
import { normalizeContextOf } from '#shared/sources/context.ts';
import { openLedger } from '../../services/ingest/nightly-ledger-pull.ts';
import { pullWarehouseLedger, type PullSummary } from '../../services/ingest/warehouse-pull.ts';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type CommandContext } from './context.ts';

export type PullOptions = { readonly since?: string; readonly dryRun?: boolean };

const n = (x: number) => x.toLocaleString('en-US');
const hours = (h: number) => (h % 24 === 0 ? `${h / 24}d` : `${h}h`);

/** What was read, in words: after which instant, and why that one. */
function readWindow(s: PullSummary, settings: LedgerPullConfig, since: string | undefined): string {
  if (since !== undefined) return `booked after ${s.readAfter} (--since)`;
  if (s.previousWatermark !== null) return `booked after ${s.readAfter} (the watermark ${s.previousWatermark} less the ${hours(settings.lookbackHours)} lookback)`;
  return `booked after ${s.readAfter} (a first pull: warehouse.pull.since)`;
}

/**
 * Pulls the configured ledger once and prints what it read and did. Exit 2 when no ledger table is
 * configured, 1 when the ledger cannot be read or the rows cannot be archived and published (the
 * watermark then stays where it was), 0 otherwise — quarantined rows included, as for an import.
 */
export async function runPullWarehouse(ctx: CommandContext, options: PullOptions, open: (settings: LedgerPullConfig) => Promise<WarehouseLedger> = openLedger): Promise<number> {
  const settings = ctx.config.warehouse.ledger;
  if (settings === undefined) {
    ctx.stderr(
      'tieout pull warehouse: no ledger table is configured: set warehouse.ledgerTable in tieout.config.yaml, or TIEOUT_WAREHOUSE_LEDGER_TABLE, to the ledger as project.dataset.table\n',
    );
    return EXIT_USAGE;
  }
  const backend = await openBackend(ctx.config);
  let ledger: WarehouseLedger | undefined;
  try {
    ledger = await open(settings);
    const dryRun = options.dryRun === true;
    const s = await pullWarehouseLedger(
      { archive: backend.archive, bus: backend.bus, normalize: normalizeContextOf(ctx.config), ledger, now: ctx.now },
      { start: settings.since, lookbackHours: settings.lookbackHours, pageSize: settings.pageSize, dryRun, ...(options.since !== undefined ? { since: options.since } : {}) },
    );
    ctx.stdout(
      `${s.table}: ${n(s.rows)} rows ${readWindow(s, settings, options.since)}: ` +
        `${n(s.events)} events ${dryRun ? 'would be archived and published' : 'archived and published'}, ${n(s.duplicates)} already imported, ${n(s.quarantined)} ${dryRun ? 'would be quarantined' : 'quarantined'}.\n`,
    );
    for (const q of s.quarantine.slice(0, 20)) ctx.stdout(`  quarantined row ${q.row}: ${q.error}\n`);
    if (s.quarantined > 20) ctx.stdout(`  … ${n(s.quarantined - 20)} more in quarantine\n`);
    const moved = s.watermark !== s.previousWatermark;
    ctx.stdout(
      dryRun
        ? `Dry run: nothing archived, published or stored; the watermark stays ${s.previousWatermark ?? 'unset'}${moved ? ` (a pull would move it to ${s.watermark})` : ''}.\n`
        : moved
          ? `Watermark: ${s.previousWatermark ?? 'unset'} → ${s.watermark}.\n`
          : `Watermark unchanged: ${s.watermark ?? 'unset'} (nothing booked later was read).\n`,
    );
    if (!dryRun && s.events > 0) ctx.stdout("Run 'tieout match' to apply them (tieout serve applies them as they arrive).\n");
    return EXIT_OK;
  } catch (e) {
    ctx.stderr(`tieout pull warehouse: ${settings.table}: ${(e as Error).message}\nNothing was stored past the last complete batch; the watermark is unchanged.\n`);
    return EXIT_FAILURE;
  } finally {
    await ledger?.close();
    await backend.close();
  }
}
