// `tieout import <system> <file>...`: feed files through the same archive-and-publish path as webhooks.
import { openBackend } from '#shared/backend.ts';
import { normalizeContextOf } from '#shared/sources/context.ts';
import { importFile } from '../../services/ingest/files.ts';
import { EXIT_FAILURE, EXIT_OK, type CommandContext } from './context.ts';

const n = (x: number) => x.toLocaleString('en-US');

/** Imports each file, printing counts per file; exit 1 if any file was unreadable. */
export async function runImport(ctx: CommandContext, system: string, files: readonly string[], options: { readonly verify?: boolean }, isTty = false): Promise<number> {
  const backend = await openBackend(ctx.config);
  let failed = false;
  try {
    for (const file of files) {
      // Progress only for files that take a while: first line after a second, then every second.
      let last = Date.now();
      let printed = false;
      const result = await importFile(
        { archive: backend.archive, bus: backend.bus, normalize: normalizeContextOf(ctx.config), now: ctx.now },
        system,
        file,
        {
          verify: options.verify ?? false,
          secrets: { shopify: ctx.config.secrets.shopify, stripe: ctx.config.secrets.stripe, shipbob: ctx.config.secrets.shipbob },
          onProgress: (items, fraction) => {
            const t = Date.now();
            if (t - last < 1000) return;
            last = t;
            printed = true;
            const pct = fraction === undefined ? '' : ` (${Math.floor(fraction * 100)}%)`;
            ctx.stderr(`${isTty ? '\r' : ''}${file}: ${n(items)} items${pct}${isTty ? '' : '\n'}`);
          },
        },
      );
      if (isTty && printed) ctx.stderr('\n');
      if (!result.ok) {
        failed = true;
        for (const e of result.errors) ctx.stderr(`tieout import: ${e}\n`);
        continue;
      }
      const s = result.value;
      ctx.stdout(
        `${file}: ${n(s.items)} items, ${n(s.events)} events archived and published, ${n(s.duplicates)} already imported, ${n(s.quarantined)} quarantined` +
          `${options.verify ? `, ${n(s.refused)} refused (bad signature)` : ''}.\n`,
      );
      for (const q of s.quarantine.slice(0, 20)) ctx.stdout(`  quarantined ${file}:${q.line}: ${q.error}\n`);
      if (s.quarantine.length > 20) ctx.stdout(`  … ${s.quarantined - 20} more in quarantine\n`);
    }
    if (!failed) ctx.stdout("Run 'tieout match' to apply them (tieout serve applies them as they arrive).\n");
    return failed ? EXIT_FAILURE : EXIT_OK;
  } finally {
    await backend.close();
  }
}
