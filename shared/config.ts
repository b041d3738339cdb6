// The one configuration loader: tieout.config.yaml validated by zod, overlaid with the environment (the only reader of it).
import { existsSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { z } from 'zod';
import { isValidCutoff, isValidTimeZone } from './domain/business-date.ts';
import { CHECK_CODES, isCheckCode, type CheckCode, type CheckConfig } from './domain/checks.ts';
import { canonicalInstant, parseDurationHours } from './domain/instant.ts';
import { parseLedgerTable } from './domain/ledger-table.ts';
import { err, ok, type Result } from './domain/result.ts';
import { AT_KEY, readYamlFile } from './yaml-file.ts';



/** The owners every check defaults to (DESIGN §6); a config file may describe them and add more. */
export const DEFAULT_OWNER_NAMES = ['payments', 'fulfilment', 'finance', 'support', 'data'] as const;

export const DEFAULT_CONFIG_FILE = 'tieout.config.yaml';
export const DEFAULT_RULES_FILE = 'tieout.rules.yaml';
export const DEFAULT_DATA_DIR = '.tieout';
export const DEFAULT_PORT = 8080;

// ---------------------------------------------------------------------------------------------
// The file schema

const NonEmpty = z.string().trim().min(1, 'must not be empty');
const NonEmptyList = (fallback: readonly string[]) => z.array(NonEmpty).default(() => [...fallback]);

/** A YAML key with no value (`report:`) reads as null; treat it as absent so the section's defaults apply. */
const section = <S extends z.ZodType>(schema: S) => z.preprocess((v) => (v === null ? undefined : v), schema);

// `@payments-team`, a user-group mention `<!subteam^S0123>` (optionally `|@handle`), or a user mention `<@U0123>`.
const SLACK_TARGET = /^(@[\w.-]+|<!subteam\^[A-Z0-9]+(\|@?[\w.-]+)?>|<@[UW][A-Z0-9]+>)$/;

const OwnerSchema = section(
  z
    .strictObject({
      slack: z
        .string()
        .regex(SLACK_TARGET, 'must be a Slack handle like @payments-team or a user-group mention like <!subteam^S0123>')
        .optional(),
      description: z.string().optional(),
    })
    .prefault({}),
);

const knownCodes = `known codes: ${CHECK_CODES.join(', ')}`;

const WindowsSchema = z.record(z.string(), z.unknown()).transform((raw, ctx) => {
  const out: Partial<Record<CheckCode, number | null>> = {};
  for (const [code, value] of Object.entries(raw)) {
    if (!isCheckCode(code)) {
      ctx.addIssue({ code: 'custom', path: [code], params: AT_KEY, message: `unknown check code; ${knownCodes}` });
      continue;
    }
    const hours = typeof value === 'string' || typeof value === 'number' ? parseDurationHours(value) : undefined;
    if (hours === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [code],
        message: `not a window: write a duration such as 6h, 48h or 5d, a number of hours, or none (got ${JSON.stringify(value)})`,
      });
      continue;
    }
    out[code] = hours;
  }
  return out;
});

const CheckOwnersSchema = z.record(z.string(), NonEmpty).transform((raw, ctx) => {
  const out: Partial<Record<CheckCode, string>> = {};
  for (const [code, owner] of Object.entries(raw)) {
    if (!isCheckCode(code)) ctx.addIssue({ code: 'custom', path: [code], params: AT_KEY, message: `unknown check code; ${knownCodes}` });
    else out[code] = owner;
  }
  return out;
});

const HttpUrl = NonEmpty.refine(isHttpUrl, 'must be an http:// or https:// URL');

/** A duration for people (`1d`, `36h`, `90m`, a number of hours), as hours; `none` is not one. */
const Duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const hours = parseDurationHours(value);
  if (hours === undefined || hours === null) {
    ctx.addIssue({ code: 'custom', message: `not a duration: write one such as 1d, 36h or 90m, or a number of hours (got ${JSON.stringify(value)})` });
    return z.NEVER;
  }
  return hours;
});

/** An instant with a zone, or a date (midnight UTC), as a canonical instant. */
const InstantOrDate = z.string().transform((value, ctx) => {
  const instant = instantOrDate(value);
  if (instant === undefined) {
    ctx.addIssue({ code: 'custom', message: `must be an ISO 8601 instant with a time zone (2026-01-01T00:00:00Z) or a date YYYY-MM-DD (got ${JSON.stringify(value)})` });
    return z.NEVER;
  }
  return instant;
});

const LedgerTableName = NonEmpty.superRefine((value, ctx) => {
  const parsed = parseLedgerTable(value);
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.errors.join('; ') });
});
const Email = NonEmpty.regex(/^[^\s@,]+@[^\s@,]+$/, 'must be an email address (a service account such as tieout-scheduler@<project>.iam.gserviceaccount.com)');
/** One value or a list (`oidcAudience: https://x.run.app` or `[https://a, https://b]`). */
const OneOrMore = <S extends z.ZodType>(item: S) => z.union([item, z.array(item).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]) as z.output<S>[]);

const GcpFileSchema = z.strictObject({
  projectId: NonEmpty.optional(),
  region: NonEmpty.optional(),
  topic: NonEmpty.optional(),
  subscription: NonEmpty.optional(),
  database: NonEmpty.optional(),
  dataset: NonEmpty.optional(),
  bigqueryEndpoint: HttpUrl.optional(),
  oidcAudience: OneOrMore(NonEmpty).optional(),
  oidcServiceAccounts: OneOrMore(Email).optional(),
  oidcCertsUrl: HttpUrl.optional(),
  oidcPlatformVerified: z.boolean().optional(),
});

/** Which service `tieout serve` runs (`TIEOUT_SERVICE`): all of them in one process, or one per Cloud Run service. */
export const SERVICES = ['all', 'ingest', 'matcher', 'nightly-report'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** How the matcher receives events: it pulls from the bus, or Pub/Sub pushes them to `POST /pubsub/push` (gcp only). */
export const MATCHER_DELIVERIES = ['pull', 'push'] as const;
export type MatcherDelivery = (typeof MATCHER_DELIVERIES)[number];

/** The schema of tieout.config.yaml: unknown keys are errors, every omitted setting takes its documented default. */
export const ConfigFileSchema = z
  .strictObject({
    backend: z.enum(['embedded', 'gcp']).default('embedded'),
    dataDir: NonEmpty.optional(),
    rulesPath: NonEmpty.optional(),
    timeZone: z
      .string()
      .refine(isValidTimeZone, 'not a known IANA time zone (e.g. UTC, Europe/Berlin, America/New_York)')
      .default('UTC'),
    cutoff: z.string().refine(isValidCutoff, 'must be a local time HH:MM from 00:00 to 23:59').default('06:00'),
    windows: section(WindowsSchema.prefault({})),
    owners: section(z.record(NonEmpty, OwnerSchema).prefault({})),
    checkOwners: section(CheckOwnersSchema.prefault({})),
    processor: section(
      z
        .strictObject({
          gateways: NonEmptyList(['stripe']),
          metadataKeys: NonEmptyList(['order_number', 'order_id', 'order']),
        })
        .prefault({}),
    ),
    keys: section(
      z
        .strictObject({
          stripPrefixes: NonEmptyList(['#']),
          stripSuffixes: NonEmptyList([]),
          logisticsReferencePrefixes: NonEmptyList([]),
          caseSensitive: z.boolean().default(false),
        })
        .prefault({}),
    ),
    settlement: section(z.strictObject({ enabled: z.boolean().default(false) }).prefault({})),
    warehouse: section(
      z
        .strictObject({
          columns: section(
            z
              .strictObject({
                entryId: NonEmpty.default('entry_id'),
                orderId: NonEmpty.default('order_id'),
                entryType: NonEmpty.default('entry_type'),
                amount: NonEmpty.default('amount'),
                currency: NonEmpty.default('currency'),
                bookedAt: NonEmpty.default('booked_at'),
              })
              .prefault({}),
          ),
          ledgerTable: LedgerTableName.optional(),
          pull: section(
            z
              .strictObject({
                since: InstantOrDate.default('1970-01-01T00:00:00.000Z'),
                lookback: Duration.default(24),
                pageSize: z.number().int().min(1).max(100_000).default(1000),
                project: NonEmpty.regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'must be a Google Cloud project id').optional(),
                location: NonEmpty.optional(),
                applyTimeout: Duration.default(2 / 60),
              })
              .prefault({}),
          ),
        })
        .prefault({}),
    ),
    report: section(
      z
        .strictObject({
          escalateAmount: z.number().int('must be a whole number of minor units').min(0).optional(),
          escalateAgeHours: z.number().min(0).optional(),
        })
        .prefault({}),
    ),
    narration: section(
      z
        .strictObject({
          model: NonEmpty.default('claude-sonnet-4-5'),
          timeoutMs: z.number().int().positive().default(20_000),
          maxTokens: z.number().int().positive().default(8_000),
        })
        .prefault({}),
    ),
    slack: section(z.strictObject({ channel: NonEmpty.optional() }).prefault({})),
    ingest: section(
      z
        .strictObject({
          maxBodyBytes: z.number().int().min(1024).default(5 * 1024 * 1024),
        })
        .prefault({}),
    ),
    matcher: section(
      z
        .strictObject({
          // Default by backend (see EMBEDDED_BATCH_SIZE): absent here so loadConfig can tell.
          batchSize: z.number().int().min(1).max(50_000).optional(),
          leaseSeconds: z.number().min(1).max(600).default(30),
          delivery: z.enum(MATCHER_DELIVERIES).default('pull'),
        })
        .prefault({}),
    ),
    gcp: section(GcpFileSchema.optional()),
  })
  .superRefine(
    (file, ctx) => {
      // Runs even when other keys failed, so an unknown owner is listed with every other problem.
      const owners: unknown = file.owners;
      const checkOwners: unknown = file.checkOwners;
      if (!isRecord(checkOwners)) return;
      const known = new Set<string>([...DEFAULT_OWNER_NAMES, ...(isRecord(owners) ? Object.keys(owners) : [])]);
      for (const [code, owner] of Object.entries(checkOwners)) {
        if (typeof owner === 'string' && !known.has(owner)) {
          ctx.addIssue({
            code: 'custom',
            path: ['checkOwners', code],
            message: `unknown owner ${JSON.stringify(owner)}; define it under owners or use one of ${[...known].join(', ')}`,
          });
        }
      }
    },
    { when: (payload) => isRecord(payload.value) },
  );

export type ConfigFile = z.output<typeof ConfigFileSchema>;

// ---------------------------------------------------------------------------------------------
// The resolved configuration

export type OwnerConfig = { readonly slack?: string; readonly description?: string };

/** The six names every GCP deployment needs (all required when `backend` is `gcp`). */
export type GcpNames = {
  readonly projectId: string;
  readonly region: string;
  readonly topic: string;
  readonly subscription: string;
  readonly database: string;
  readonly dataset: string;
};

/**
 * Who may call the routes Google calls (POST /run from Cloud Scheduler, the Pub/Sub push endpoints):
 * a Google-signed OIDC ID token for one of `audiences`, from one of `serviceAccounts` when any are listed.
 */
export type OidcConfig = {
  /** Accepted `aud` values (the service's URL); none means the OIDC routes are disabled. */
  readonly audiences: readonly string[];
  /** Accepted `email` claims (service accounts); none means any Google-signed token for the audience. */
  readonly serviceAccounts: readonly string[];
  /** Where Google's token signing keys are fetched (PEM map); Google's own URL when absent. For tests. */
  readonly certsUrl: string | undefined;
  /**
   * The service requires authentication on Cloud Run, whose front end checks the token and forwards it with
   * its signature removed: such a token is accepted on its claims. Never set this on a public service.
   */
  readonly platformVerified: boolean;
};

/** The Google Cloud settings: the six names, where the emulators are (tests, local work), and OIDC. */
export type GcpConfig = GcpNames & {
  /** `PUBSUB_EMULATOR_HOST`: the Pub/Sub emulator's host:port; topics and subscriptions are then created on first use. */
  readonly pubsubEmulatorHost?: string;
  /** `FIRESTORE_EMULATOR_HOST`: the Firestore emulator's host:port. */
  readonly firestoreEmulatorHost?: string;
  /** `gcp.bigqueryEndpoint` / `TIEOUT_BIGQUERY_ENDPOINT`: a local BigQuery API (tests and emulation only). */
  readonly bigqueryEndpoint?: string;
  readonly oidc: OidcConfig;
};

/**
 * The warehouse ledger pull (DESIGN §3): `sql/feeds/warehouse.sql` run against `table` in BigQuery,
 * incrementally from a watermark kept in the archive (services/ingest/ledger-watermark.ts).
 */
export type LedgerPullConfig = {
  /** `warehouse.ledgerTable` / `TIEOUT_WAREHOUSE_LEDGER_TABLE`: the ledger, project.dataset.table (validated). */
  readonly table: string;
  /** The project query jobs run in (and are billed to): `warehouse.pull.project`, else the gcp project, else the ledger's. */
  readonly project: string;
  /** Where the first pull starts (entries booked after it): `warehouse.pull.since`, default the epoch (the whole ledger). */
  readonly since: string;
  /** How far behind the stored watermark each pull reads again, for entries committed late (default 24). */
  readonly lookbackHours: number;
  /** Rows per result page read from BigQuery. */
  readonly pageSize: number;
  /** The BigQuery location of the ledger's dataset, for query jobs; BigQuery infers it when absent. */
  readonly location: string | undefined;
  /** `TIEOUT_BIGQUERY_ENDPOINT`: a local BigQuery API (tests and emulation only). */
  readonly bigqueryEndpoint: string | undefined;
  /** How long the nightly run waits for the matcher to apply what the pull published (default 120). */
  readonly applyTimeoutSeconds: number;
};

/** Values only the environment provides; never printed (see `redactConfig`). */
export type Secrets = {
  /** Shopify webhook signing secrets; more than one while a secret is being rotated. */
  readonly shopify: readonly string[];
  /** Stripe `whsec_` endpoint secrets. */
  readonly stripe: readonly string[];
  /** ShipBob (Standard Webhooks) `whsec_` secrets. */
  readonly shipbob: readonly string[];
  /** Bearer token for the order API and the feed endpoints. */
  readonly apiToken: string | undefined;
  readonly slackBotToken: string | undefined;
  readonly anthropicApiKey: string | undefined;
};

/** The validated configuration every command and service runs with; paths are absolute. */
export type Config = {
  /** The config file that was read, if any. */
  readonly configPath: string | undefined;
  readonly backend: 'embedded' | 'gcp';
  readonly dataDir: string;
  readonly rulesPath: string;
  readonly timeZone: string;
  readonly cutoff: string;
  /** Per-check window overrides in hours; null means the break has no window (never timing). */
  readonly windows: Readonly<Partial<Record<CheckCode, number | null>>>;
  /** Every owner: the five defaults plus any the file adds. */
  readonly owners: Readonly<Record<string, OwnerConfig>>;
  readonly checkOwners: Readonly<Partial<Record<CheckCode, string>>>;
  readonly processor: { readonly gateways: readonly string[]; readonly metadataKeys: readonly string[] };
  readonly keys: {
    readonly stripPrefixes: readonly string[];
    readonly stripSuffixes: readonly string[];
    readonly logisticsReferencePrefixes: readonly string[];
    readonly caseSensitive: boolean;
  };
  readonly settlement: { readonly enabled: boolean };
  readonly warehouse: {
    /** The warehouse ledger pull from BigQuery, when a ledger table is configured. */
    readonly ledger?: LedgerPullConfig | undefined;
    readonly columns: {
      readonly entryId: string;
      readonly orderId: string;
      readonly entryType: string;
      readonly amount: string;
      readonly currency: string;
      readonly bookedAt: string;
    };
  };
  readonly report: { readonly escalateAmount?: number; readonly escalateAgeHours?: number };
  readonly narration: { readonly model: string; readonly timeoutMs: number; readonly maxTokens: number };
  readonly slack: { readonly channel: string | undefined };
  /** Ingest: the largest request body accepted (413 above it). */
  readonly ingest: { readonly maxBodyBytes: number };
  /** Matcher batching: events per transaction, how long a pulled batch is leased, and pull or push delivery. */
  readonly matcher: { readonly batchSize: number; readonly leaseSeconds: number; readonly delivery: MatcherDelivery };
  /** `TIEOUT_SERVICE`: the service `tieout serve` runs (`all` in one process by default). */
  readonly service: ServiceName;
  /** Present when every GCP setting is known; always present when `backend` is `gcp`. */
  readonly gcp: GcpConfig | undefined;
  readonly port: number;
  readonly secrets: Secrets;
};

export type ConfigInput = {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** `--config`: must exist when given. */
  readonly configPath?: string | undefined;
  /** `--rules` */
  readonly rulesPath?: string | undefined;
  /** `--data-dir`: overrides TIEOUT_DATA_DIR and the file. */
  readonly dataDir?: string | undefined;
};

const GCP_ENV: Readonly<Record<keyof GcpNames, string>> = {
  projectId: 'GOOGLE_CLOUD_PROJECT',
  region: 'TIEOUT_GCP_REGION',
  topic: 'TIEOUT_PUBSUB_TOPIC',
  subscription: 'TIEOUT_PUBSUB_SUBSCRIPTION',
  database: 'TIEOUT_FIRESTORE_DATABASE',
  dataset: 'TIEOUT_BQ_DATASET',
};

/**
 * Events the matcher folds per transaction when the file does not say. Embedded: large batches
 * rewrite each order document fewer times (the matcher's main cost) and run in a thread with a
 * capped heap, so memory stays bounded. Google Cloud: Pub/Sub pulls at most 1,000 messages a
 * request and a Firestore transaction should stay small.
 */
export const EMBEDDED_BATCH_SIZE = 30_000;
export const GCP_BATCH_SIZE = 2_000;
/**
 * The most events the matcher takes per transaction in `tieout serve` when ingest runs in the same
 * process on the embedded backend. Its lease and ack are write transactions on the bus file, which
 * ingest's publish also writes: 30,000 messages held it for about 230 ms (the pull, when it still
 * read the messages inside the lock) and 105 ms (ack), and every webhook in flight waits; 2,000
 * held it for 13 and 9 ms (ingest p99 at 256 connections: 203 ms → 79 ms, BENCHMARKS.md §7).
 * 8,000 measured worse again (p99 69 ms) with the lease-only pull. `tieout match` keeps `matcher.batchSize`.
 */
export const SERVE_MATCHER_BATCH_SIZE = 2_000;

/**
 * Loads the configuration: the YAML file (the named one, else `tieout.config.yaml` in `cwd` when
 * present), then the environment over it, then the explicit inputs over both. Paths resolve
 * against `cwd`. Returns every problem at once — file errors with their line, then environment errors.
 */
export function loadConfig(input: ConfigInput): Result<Config> {
  const { cwd } = input;
  const env = (name: string): string | undefined => {
    const value = input.env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const errors: string[] = [];

  // 1. The file.
  const explicitPath = input.configPath === undefined ? undefined : resolve(cwd, input.configPath);
  const defaultPath = resolve(cwd, DEFAULT_CONFIG_FILE);
  const configPath = explicitPath ?? (existsSync(defaultPath) ? defaultPath : undefined);
  let file: ConfigFile | undefined;
  if (configPath === undefined) {
    file = ConfigFileSchema.parse({});
  } else {
    const read = readYamlFile(configPath, ConfigFileSchema, displayPath(cwd, configPath));
    if (read.ok) file = read.value;
    else errors.push(...read.errors);
  }

  // 2. The environment.
  const timeZone = env('TIEOUT_TIME_ZONE');
  if (timeZone !== undefined && !isValidTimeZone(timeZone)) {
    errors.push(`TIEOUT_TIME_ZONE: not a known IANA time zone: ${JSON.stringify(timeZone)}`);
  }
  const cutoff = env('TIEOUT_CUTOFF');
  if (cutoff !== undefined && !isValidCutoff(cutoff)) {
    errors.push(`TIEOUT_CUTOFF: must be a local time HH:MM from 00:00 to 23:59, got ${JSON.stringify(cutoff)}`);
  }
  const portText = env('PORT');
  let port = DEFAULT_PORT;
  if (portText !== undefined) {
    const n = /^\d+$/.test(portText) ? Number(portText) : Number.NaN;
    if (Number.isInteger(n) && n >= 1 && n <= 65_535) port = n;
    else errors.push(`PORT: must be an integer from 1 to 65535, got ${JSON.stringify(portText)}`);
  }

  // Checked here, with the file's problems: this name is spliced into the feed query's text.
  const ledgerTableEnv = env('TIEOUT_WAREHOUSE_LEDGER_TABLE');
  if (ledgerTableEnv !== undefined) {
    const parsed = parseLedgerTable(ledgerTableEnv);
    if (!parsed.ok) errors.push(`TIEOUT_WAREHOUSE_LEDGER_TABLE: ${parsed.errors.join('; ')}`);
  }

  if (file === undefined) return err(...errors);

  // 3. GCP settings: the environment fills or overrides the file; all six names are needed for the gcp backend.
  const gcpDraft: Partial<Record<keyof GcpNames, string>> = {};
  for (const key of Object.keys(GCP_ENV) as (keyof GcpNames)[]) {
    const value = env(GCP_ENV[key]) ?? file.gcp?.[key];
    if (value !== undefined) gcpDraft[key] = value;
  }
  const missingGcp = (Object.keys(GCP_ENV) as (keyof GcpNames)[]).filter((key) => gcpDraft[key] === undefined);
  if (file.backend === 'gcp') {
    for (const key of missingGcp) {
      errors.push(`gcp.${key}: required when backend is gcp (set it in the config file or in ${GCP_ENV[key]})`);
    }
  }
  const bigqueryEndpoint = env('TIEOUT_BIGQUERY_ENDPOINT') ?? file.gcp?.bigqueryEndpoint;
  if (bigqueryEndpoint !== undefined && !isHttpUrl(bigqueryEndpoint)) errors.push(`TIEOUT_BIGQUERY_ENDPOINT: must be an http:// or https:// URL, got ${JSON.stringify(bigqueryEndpoint)}`);
  const ledgerTable = ledgerTableEnv ?? file.warehouse.ledgerTable;
  const oidcCertsUrl = env('TIEOUT_OIDC_CERTS_URL') ?? file.gcp?.oidcCertsUrl;
  if (oidcCertsUrl !== undefined && !isHttpUrl(oidcCertsUrl)) errors.push(`TIEOUT_OIDC_CERTS_URL: must be an http:// or https:// URL, got ${JSON.stringify(oidcCertsUrl)}`);
  const audiencesEnv = env('TIEOUT_OIDC_AUDIENCE');
  const oidcAudiences = audiencesEnv !== undefined ? commaList(audiencesEnv) : (file.gcp?.oidcAudience ?? []);
  const accountsEnv = env('TIEOUT_OIDC_SERVICE_ACCOUNT');
  const oidcAccounts = accountsEnv !== undefined ? commaList(accountsEnv) : (file.gcp?.oidcServiceAccounts ?? []);
  for (const account of accountsEnv !== undefined ? oidcAccounts : []) {
    if (!/^[^\s@,]+@[^\s@,]+$/.test(account)) errors.push(`TIEOUT_OIDC_SERVICE_ACCOUNT: ${JSON.stringify(account)} is not an email address (a service account such as tieout-scheduler@<project>.iam.gserviceaccount.com)`);
  }
  const platformVerifiedEnv = env('TIEOUT_OIDC_PLATFORM_VERIFIED');
  let platformVerified = file.gcp?.oidcPlatformVerified ?? false;
  if (platformVerifiedEnv !== undefined) {
    const b = parseBoolean(platformVerifiedEnv);
    if (b === undefined) errors.push(`TIEOUT_OIDC_PLATFORM_VERIFIED: must be true or false, got ${JSON.stringify(platformVerifiedEnv)}`);
    else platformVerified = b;
  }

  // 4. Which service runs, and how the matcher gets its events.
  const serviceText = env('TIEOUT_SERVICE');
  let service: ServiceName = 'all';
  if (serviceText !== undefined) {
    if ((SERVICES as readonly string[]).includes(serviceText)) service = serviceText as ServiceName;
    else errors.push(`TIEOUT_SERVICE: must be one of ${SERVICES.join(', ')}, got ${JSON.stringify(serviceText)}`);
  }
  const deliveryText = env('TIEOUT_MATCHER_DELIVERY');
  let delivery: MatcherDelivery = file.matcher.delivery;
  if (deliveryText !== undefined) {
    if ((MATCHER_DELIVERIES as readonly string[]).includes(deliveryText)) delivery = deliveryText as MatcherDelivery;
    else errors.push(`TIEOUT_MATCHER_DELIVERY: must be one of ${MATCHER_DELIVERIES.join(', ')}, got ${JSON.stringify(deliveryText)}`);
  }
  if (delivery === 'push' && file.backend !== 'gcp') errors.push('matcher.delivery: push needs backend gcp (Pub/Sub pushes to POST /pubsub/push); the embedded bus is pulled');

  if (errors.length > 0) return err(...errors);
  const pubsubEmulatorHost = env('PUBSUB_EMULATOR_HOST');
  const firestoreEmulatorHost = env('FIRESTORE_EMULATOR_HOST');
  const gcp: GcpConfig | undefined =
    missingGcp.length === 0
      ? {
          ...(gcpDraft as GcpNames),
          ...(pubsubEmulatorHost !== undefined ? { pubsubEmulatorHost } : {}),
          ...(firestoreEmulatorHost !== undefined ? { firestoreEmulatorHost } : {}),
          ...(bigqueryEndpoint !== undefined ? { bigqueryEndpoint } : {}),
          oidc: { audiences: oidcAudiences, serviceAccounts: oidcAccounts, certsUrl: oidcCertsUrl, platformVerified },
        }
      : undefined;

  const owners: Record<string, OwnerConfig> = {};
  for (const name of DEFAULT_OWNER_NAMES) owners[name] = {};
  for (const [name, owner] of Object.entries(file.owners)) owners[name] = dropUndefined(owner);

  const dataDir = input.dataDir ?? env('TIEOUT_DATA_DIR') ?? file.dataDir ?? DEFAULT_DATA_DIR;
  const pull = file.warehouse.pull;
  const ledgerParsed = ledgerTable === undefined ? undefined : parseLedgerTable(ledgerTable);
  const ledger: LedgerPullConfig | undefined =
    ledgerParsed?.ok === true
      ? {
          table: ledgerParsed.value.name,
          project: pull.project ?? gcpDraft.projectId ?? ledgerParsed.value.project,
          since: pull.since,
          lookbackHours: pull.lookback,
          pageSize: pull.pageSize,
          location: pull.location,
          bigqueryEndpoint,
          applyTimeoutSeconds: Math.round(pull.applyTimeout * 3600),
        }
      : undefined;
  const rulesPath = input.rulesPath ?? file.rulesPath ?? DEFAULT_RULES_FILE;

  return ok({
    configPath,
    backend: file.backend,
    dataDir: resolve(cwd, dataDir),
    rulesPath: resolve(cwd, rulesPath),
    timeZone: timeZone ?? file.timeZone,
    cutoff: cutoff ?? file.cutoff,
    windows: file.windows,
    owners,
    checkOwners: file.checkOwners,
    processor: file.processor,
    keys: file.keys,
    settlement: file.settlement,
    warehouse: { columns: file.warehouse.columns, ...(ledger !== undefined ? { ledger } : {}) },
    report: dropUndefined(file.report),
    narration: file.narration,
    slack: { channel: env('TIEOUT_SLACK_CHANNEL') ?? file.slack.channel },
    ingest: file.ingest,
    matcher: { ...file.matcher, batchSize: file.matcher.batchSize ?? (file.backend === 'gcp' ? GCP_BATCH_SIZE : EMBEDDED_BATCH_SIZE), delivery },
    service,
    gcp,
    port,
    secrets: {
      shopify: commaList(env('TIEOUT_SHOPIFY_SECRET')),
      stripe: commaList(env('TIEOUT_STRIPE_SECRET')),
      shipbob: commaList(env('TIEOUT_SHIPBOB_SECRET')),
      apiToken: env('TIEOUT_API_TOKEN'),
      slackBotToken: env('SLACK_BOT_TOKEN'),
      anthropicApiKey: env('ANTHROPIC_API_KEY'),
    },
  });
}

/** A copy safe to print: every secret becomes `'<set>'` when present and undefined when not. */
export type RedactedConfig = Omit<Config, 'secrets'> & { readonly secrets: { readonly [K in keyof Secrets]: '<set>' | undefined } };

/** Returns a copy of the configuration with every secret replaced by `'<set>'` (or undefined when unset). */
export function redactConfig(config: Config): RedactedConfig {
  const s = config.secrets;
  const mark = (value: string | readonly string[] | undefined): '<set>' | undefined =>
    value === undefined || value.length === 0 ? undefined : '<set>';
  return {
    ...config,
    secrets: {
      shopify: mark(s.shopify),
      stripe: mark(s.stripe),
      shipbob: mark(s.shipbob),
      apiToken: mark(s.apiToken),
      slackBotToken: mark(s.slackBotToken),
      anthropicApiKey: mark(s.anthropicApiKey),
    },
  };
}

/** A comma-separated list (secrets while one is rotated, OIDC audiences and accounts), trimmed, empties dropped. */
function commaList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Names a file relative to the working directory when it lies inside it, so messages stay short. */
function displayPath(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** An ISO instant with a zone, or a date `YYYY-MM-DD` as midnight UTC. */
export function instantOrDate(value: string): string | undefined {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return canonicalInstant(`${value}T00:00:00Z`);
  return canonicalInstant(value);
}

function parseBoolean(text: string): boolean | undefined {
  const t = text.toLowerCase();
  return t === 'true' || t === '1' || t === 'yes' ? true : t === 'false' || t === '0' || t === 'no' ? false : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** The part of the configuration the checks read. */
export function checkConfigOf(config: Config): CheckConfig {
  return {
    windows: config.windows,
    owners: config.checkOwners,
    processorGateways: config.processor.gateways,
    settlementEnabled: config.settlement.enabled,
  };
}

/** Whether `tieout serve` runs `name` under this configuration (`TIEOUT_SERVICE` unset or `all` runs every one). */
export function runsService(config: Pick<Config, 'service'>, name: Exclude<ServiceName, 'all'>): boolean {
  return config.service === 'all' || config.service === name;
}

/**
 * What `tieout serve` needs beyond a valid configuration (every problem, for exit code 2): with the gcp
 * backend, the routes Google calls — POST /run, and POST /pubsub/push when the matcher is push-fed —
 * accept only OIDC tokens for the service's audience, so an audience must be set.
 */
export function serveProblems(config: Config): string[] {
  if (config.backend !== 'gcp' || config.gcp === undefined) return [];
  const needs: string[] = [];
  if (runsService(config, 'nightly-report')) needs.push('POST /run (Cloud Scheduler)');
  if (runsService(config, 'matcher') && config.matcher.delivery === 'push') needs.push('POST /pubsub/push (Pub/Sub push)');
  if (needs.length === 0 || config.gcp.oidc.audiences.length > 0) return [];
  return [`gcp.oidcAudience: required by tieout serve with backend gcp for ${needs.join(' and ')}; set it to the service's URL in the config file or in TIEOUT_OIDC_AUDIENCE`];
}
