// The tieout command line (DESIGN §9): commands, options, help and exit codes, built without touching `process`.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { parseBusinessDate } from '#shared/domain/business-date.ts';
import { canonicalInstant } from '#shared/domain/instant.ts';
import pkg from '../package.json' with { type: 'json' };
import {
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  loadCommandContext,
  type CliIo,
  type CommandContext,
  type GlobalOptions,
} from './commands/context.ts';
import { runAccept, type AcceptOptions } from './commands/accept.ts';
import { runDemoCommand, type DemoOptions } from './commands/demo.ts';
import { runImport } from './commands/import.ts';
import { runReport, type ReportOptions } from './commands/report.ts';
import { runMatch } from './commands/match.ts';
import { runOrder } from './commands/order.ts';
import { runPullWarehouse, type PullOptions } from './commands/pull.ts';
import { runReplay, type ReplayOptions } from './commands/replay.ts';
import { MIN_REPLAY_HEAP_MB, REPLAY_HEAP_MB } from '../services/matcher/replay-thread.ts';
import { runRulesCheck } from './commands/rules-check.ts';
import { runServe } from './commands/serve.ts';

/** A command's implementation: receives the context and its commander command (for arguments and options). */
type CommandBody = (ctx: CommandContext, command: Command) => Promise<number>;

/** The CLI, ready to run once. */
export type CliProgram = {
  readonly program: Command;
  /** Parses `args` (without `node` and the script), runs the command and resolves to the exit code. */
  run(args: readonly string[]): Promise<number>;
};

/**
 * Builds the tieout CLI over the given process values. Help and version exit 0; every usage or
 * configuration error exits 2 with a message on stderr; a failed command exits 1.
 */
export function buildProgram(io: CliIo): CliProgram {
  let exitCode = EXIT_OK;

  // Loads the configuration first, so a bad config fails every command the same way, then runs the body.
  const action =
    (body: CommandBody) =>
    async (...args: unknown[]): Promise<void> => {
      const command = args.at(-1) as Command;
      const loaded = loadCommandContext(io, command.optsWithGlobals<GlobalOptions>());
      if (!loaded.ok) {
        const n = loaded.errors.length;
        io.stderr(`tieout: invalid configuration (${n} problem${n === 1 ? '' : 's'}):\n`);
        for (const e of loaded.errors) io.stderr(`  ${e}\n`);
        exitCode = EXIT_USAGE;
        return;
      }
      exitCode = await body(loaded.value, command);
    };

  // Settings made before `.command()` are inherited by every subcommand.
  const program = new Command('tieout')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr, outputError: (text, write) => write(text) })
    .description(
      'Ties out every order across storefront (Shopify), payment processor (Stripe), books (finance warehouse) and 3PL (ShipBob), and reports what does not tie.',
    )
    .version(pkg.version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'display help')
    .option('--config <file>', 'configuration file (default: tieout.config.yaml in the working directory, if present)')
    .option('--rules <file>', 'rules file (default: tieout.rules.yaml in the working directory)')
    .option('--data-dir <dir>', 'embedded data directory (default: .tieout in the working directory; env TIEOUT_DATA_DIR)')
    .addHelpText(
      'after',
      '\nPaths resolve against the working directory. Exit codes: 0 ok, 1 failure, 2 usage or configuration error.\n' +
        "Run 'tieout <command> --help' for a command's options.",
    );

  program
    .command('demo')
    .summary('generate a week of realistic traffic with planted breaks, reconcile it and print the report')
    .description(
      'generate a realistic week of Shopify, Stripe, ShipBob and warehouse traffic with planted breaks, send it through ingest, match it and print the nightly report',
    )
    .option('--orders <n>', 'number of orders to generate (default 200)', positiveInteger)
    .option('--days <d>', 'number of days of traffic (default 7)', positiveInteger)
    .option('--seed <s>', 'seed for the generator, for a repeatable run (default 42)', wholeNumber)
    .action(action((ctx, command) => runDemoCommand(ctx, command.opts<DemoOptions>())));

  program
    .command('serve')
    .summary('run ingest, matcher, order API and nightly scheduler in one process')
    .description(
      'run ingest, matcher, order API and the nightly scheduler in one process, every HTTP route on one port (PORT, default 8080); ' +
        'TIEOUT_SERVICE=ingest|matcher|nightly-report runs only that service (one per Cloud Run service)',
    )
    .action(action((ctx) => runServe(ctx)));

  program
    .command('import')
    .summary('import feed files from a source system')
    .description(
      'import feed files: Shopify orders export JSON, Stripe event lists or NDJSON, ShipBob webhook bodies, warehouse CSV, Stripe itemized payout reconciliation CSV, recorded deliveries (NDJSON of {headers, body})',
    )
    .argument('<system>', 'where the files come from: shopify, stripe, shipbob, warehouse, deliveries (recorded webhooks of any sender) or canonical')
    .argument('<file...>', 'one or more files')
    .option('--verify', 'check signatures of recorded deliveries (imported files are trusted otherwise)')
    .action(action((ctx, command) => runImport(ctx, command.args[0] as string, command.args.slice(1), command.opts<{ verify?: boolean }>(), io.isTty ?? false)));

  const pull = program
    .command('pull')
    .summary('pull a feed that is read rather than pushed (the warehouse ledger from BigQuery)')
    .description('pull a feed that is read rather than pushed: the warehouse ledger from BigQuery');
  pull
    .command('warehouse')
    .summary('pull the warehouse ledger from BigQuery since its watermark')
    .description(
      'run sql/feeds/warehouse.sql against the configured ledger (warehouse.ledgerTable / TIEOUT_WAREHOUSE_LEDGER_TABLE) for the entries booked since the stored watermark ' +
        '(less the lookback), archive and publish them like a ledger CSV, quarantine bad rows, and move the watermark',
    )
    .addOption(new Option('--since <instant>', 'read the entries booked after this ISO 8601 instant instead of the watermark (a backfill or a new start)').argParser(instant))
    .option('--dry-run', 'read and check the rows, print what a pull would do, and store nothing')
    .action(action((ctx, command) => runPullWarehouse(ctx, command.opts<PullOptions>())));

  program
    .command('match')
    .summary('apply everything pending on the bus, then exit')
    .description('apply every event pending on the bus to order state, then exit (embedded backend)')
    .action(action(runMatch));

  program
    .command('report')
    .summary('build the nightly report; print it, or post and record it')
    .description(
      'build the nightly report for a business date (default: the latest date whose cutoff has passed); prints it and records nothing unless --post',
    )
    .addOption(new Option('--date <date>', 'business date YYYY-MM-DD, evaluated as of the cutoff after it').argParser(date).conflicts('asOf'))
    .addOption(new Option('--as-of <instant>', 'evaluate as of this ISO 8601 instant instead of a cutoff').argParser(instant))
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'markdown', 'json', 'slack']).default('text'))
    .option('--post', 'post the report (Slack when configured, else the terminal and a file under the data dir) and record the run')
    .option('--force', 'post again even if this business date was already posted')
    .action(action((ctx, command) => runReport(ctx, command.opts<ReportOptions>())));

  program
    .command('order')
    .summary('show everything known about one order')
    .description('show what every source says about one order, its open breaks, its event timeline and what past reports said')
    .argument('<key>', 'order key (the storefront order number, e.g. 80213) or a provisional key')
    .option('--json', 'print JSON instead of text')
    .action(action((ctx, command) => runOrder(ctx, command.args[0] as string, command.opts<{ json?: boolean }>())));

  program
    .command('replay')
    .summary('replay archived payloads and show what differs from live state')
    .description('re-normalize archived raw payloads with this build, fold them into a fresh state and print what differs from live state')
    .option('--from <date>', 'first business date to replay (YYYY-MM-DD)', date)
    .option('--to <date>', 'last business date to replay (YYYY-MM-DD)', date)
    .option('--order <key>', 'replay only this order')
    .addOption(new Option('--into <target>', 'fold into a shadow state, or into live state').choices(['shadow', 'live']).default('shadow'))
    .option('--quarantine', 'first retry quarantined payloads with this build: what now reads is archived, published and resolved')
    .option('--heap-mb <mb>', `heap of the replay thread in MB (default ${REPLAY_HEAP_MB}); if it is not enough, replay runs again without a cap`, heapMb)
    .action(action((ctx, command) => runReplay(ctx, command.opts<ReplayOptions>(), io.isTty ?? false)));

  program
    .command('accept')
    .summary('accept an exception as a known edge case by writing a rule')
    .description('accept an exception as a known edge case by writing a rule for it to the rules file, so it never pages again')
    .argument('<exception-id>', 'the exception id, <orderKey>:<code> (e.g. 80213:captured_not_shipped)')
    .requiredOption('--reason <text>', 'why this is acceptable (kept in the rule)')
    .option('--owner <owner>', 'who owns the rule')
    .option('--expires <date>', 'date the rule stops matching (YYYY-MM-DD)', date)
    .action(action((ctx, command) => runAccept(ctx, command.args[0] as string, command.opts<AcceptOptions>())));

  const rules = program.command('rules').description('work with the rules file (tieout.rules.yaml)');
  rules
    .command('check')
    .description('validate the rules file and list every problem with its line')
    .action(action(runRulesCheck));

  // Each command's usage errors point at that command's own help.
  const hint = (command: Command, path: string): void => {
    command.showHelpAfterError(`(run '${path} --help' for usage)`);
    for (const sub of command.commands) hint(sub, `${path} ${sub.name()}`);
  };
  hint(program, 'tieout');

  return {
    program,
    async run(args) {
      try {
        await program.parseAsync([...args], { from: 'user' });
        return exitCode;
      } catch (e) {
        if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
        io.stderr(`tieout: ${e instanceof Error ? e.message : String(e)}\n`);
        return EXIT_FAILURE;
      }
    },
  };
}

function positiveInteger(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new InvalidArgumentError('must be a whole number of at least 1.');
  return Number(text);
}

function heapMb(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < MIN_REPLAY_HEAP_MB) throw new InvalidArgumentError(`must be a whole number of at least ${MIN_REPLAY_HEAP_MB}.`);
  return Number(text);
}

function wholeNumber(text: string): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw new InvalidArgumentError('must be a whole number.');
  return Number(text);
}

function date(text: string): string {
  const parsed = parseBusinessDate(text);
  if (!parsed.ok) throw new InvalidArgumentError(`${parsed.errors.join('; ')}.`);
  return parsed.value;
}

function instant(text: string): string {
  const canonical = canonicalInstant(text);
  if (canonical === undefined) throw new InvalidArgumentError('must be an ISO 8601 instant with a time zone, e.g. 2026-11-26T06:00:00Z.');
  return canonical;
}
