// `tieout demo` (and `npm start`): a demo shop's week through the real ingest path, matched and reported.
import { relative } from 'node:path';
import { MIN_DEMO_ORDERS } from '../../services/demo/generator.ts';
import { checkDemoPaths, runDemo } from '../../services/demo/run-demo.ts';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type CommandContext } from './context.ts';

export type DemoOptions = { readonly orders?: number; readonly days?: number; readonly seed?: number };

/** Runs the demo and tells the reader what to try next. */
export async function runDemoCommand(ctx: CommandContext, options: DemoOptions): Promise<number> {
  const problems = checkDemoPaths(ctx.config, ctx.cwd);
  if (problems.length > 0) {
    for (const p of problems) ctx.stderr(`tieout demo: ${p}\n`);
    return EXIT_USAGE;
  }
  const settings = { orders: options.orders ?? 200, days: options.days ?? 7, seed: options.seed ?? 42 };
  if (settings.orders < MIN_DEMO_ORDERS) {
    ctx.stderr(`tieout demo: --orders must be at least ${MIN_DEMO_ORDERS}: the demo plants a break of every kind on its own orders, beside everyday orders that tie.\n`);
    return EXIT_USAGE;
  }
  try {
    ctx.stderr(`tieout demo: a shop's ${settings.days}-day week, ${settings.orders} orders (seed ${settings.seed}), sent through the real ingest path.\n`);
    const result = await runDemo(ctx.config, ctx.cwd, settings, { now: ctx.now, print: ctx.stdout, progress: (t) => ctx.stderr(`  ${t}\n`) });
    const top = result.report.exceptions.find((e) => e.bucket === 'genuine_error') ?? result.report.exceptions[0];
    const dataDir = relative(ctx.cwd, ctx.config.dataDir) || ctx.config.dataDir;
    ctx.stdout(
      [
        '',
        `That was the night of ${result.report.businessDate}: ${result.webhooks.toLocaleString('en-US')} signed webhooks and ${result.files} feed files went through ingest, the matcher and the nightly report in ${result.seconds.toFixed(1)} s.`,
        'Try next:',
        ...[
          ...(top ? [[`npx tieout order ${top.orderKey}`, 'what every system says about that order, and its timeline']] : []),
          ['npx tieout report --format json', 'the same night as JSON (the contract other tools read)'],
          ['npx tieout rules check', 'the accepted edge cases in tieout.rules.yaml and their hits'],
          [`ls ${dataDir}`, 'the embedded data: bus, order state, archive, reports, and demo-truth.json (what was planted)'],
        ].map(([cmd, what]) => `  ${(cmd as string).padEnd(34)} ${what}`),
        '',
      ].join('\n'),
    );
    return EXIT_OK;
  } catch (e) {
    ctx.stderr(`tieout demo: ${(e as Error).message}\n`);
    return EXIT_FAILURE;
  }
}
