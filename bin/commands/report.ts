// `tieout report`: build a night's report; print it, or post and record it (`--post`).
import { openBackend } from '#shared/backend.ts';
import { createLogger } from '#shared/log.ts';
import { loadRules } from '#shared/rules-file.ts';
import { computeReport, runNight } from '../../services/nightly-report/run.ts';
import { renderJson, renderMarkdown, renderText } from '../../services/nightly-report/render.ts';
import { renderSlack } from '../../services/nightly-report/render-slack.ts';
import { nightlyDeps, notifierFrom } from '../../services/nightly-report/service.ts';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type CommandContext } from './context.ts';

export type ReportOptions = { readonly date?: string; readonly asOf?: string; readonly format: 'text' | 'markdown' | 'json' | 'slack'; readonly post?: boolean; readonly force?: boolean };

/** Prints the report in the chosen format; with `--post`, posts it once per business date and records the run. */
export async function runReport(ctx: CommandContext, options: ReportOptions): Promise<number> {
  const rules = loadRules(ctx.config.rulesPath);
  if (!rules.ok) {
    ctx.stderr(`tieout report: invalid rules file:\n${rules.errors.map((e) => `  ${e}\n`).join('')}`);
    return EXIT_USAGE;
  }
  const log = createLogger({ name: 'report', level: 'warn' });
  const backend = await openBackend(ctx.config);
  try {
    const deps = nightlyDeps(ctx.config, backend, rules.value, log, ctx.now);
    const selection = { ...(options.date ? { date: options.date } : {}), ...(options.asOf ? { asOf: options.asOf } : {}) };
    if (options.post) {
      // The terminal rendering is the file notifier's own output; Slack posts print a short confirmation.
      const notifier = notifierFrom(ctx.config, log, (text) => ctx.stdout(options.format === 'text' ? text : ''));
      const outcome = await runNight({ ...deps, notifier }, { ...selection, force: options.force ?? false });
      if (outcome.kind === 'skipped') {
        ctx.stderr(`tieout report: ${outcome.businessDate} was already posted (${outcome.previous.postedTo}, run ${outcome.previous.runId}); use --force to post again.\n`);
        return EXIT_OK;
      }
      if (options.format !== 'text') ctx.stdout(render(outcome.report, options.format));
      ctx.stderr(`Posted to ${outcome.postedTo}; recorded as ${outcome.report.runId}.\n`);
      return EXIT_OK;
    }
    ctx.stdout(render(await computeReport(deps, selection), options.format));
    return EXIT_OK;
  } catch (e) {
    ctx.stderr(`tieout report: ${(e as Error).message}\n`);
    return EXIT_FAILURE;
  } finally {
    await backend.close();
  }
}

function render(report: Parameters<typeof renderText>[0], format: ReportOptions['format']): string {
  if (format === 'json') return renderJson(report);
  if (format === 'markdown') return renderMarkdown(report);
  if (format === 'slack') return `${JSON.stringify(renderSlack(report), null, 2)}\n`;
  return renderText(report);
}
