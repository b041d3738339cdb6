import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { unwrap } from './domain/result.ts';
import { loadConfig, redactConfig, runsService, serveProblems, type Config } from './config.ts';

let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'tieout-config-'));
});
afterEach(() => {
  rmSync(cwd, { recursive: true, force: true });
});

const writeConfig = (text: string, name = 'tieout.config.yaml'): string => {
  const path = join(cwd, name);
  writeFileSync(path, text);
  return path;
};

const errorsOf = (result: ReturnType<typeof loadConfig>): readonly string[] => (result.ok ? [] : result.errors);

const GCP_ENV = {
  GOOGLE_CLOUD_PROJECT: 'acme-prod',
  TIEOUT_GCP_REGION: 'europe-west1',
  TIEOUT_PUBSUB_TOPIC: 'events',
  TIEOUT_PUBSUB_SUBSCRIPTION: 'events-matcher',
  TIEOUT_FIRESTORE_DATABASE: '(default)',
  TIEOUT_BQ_DATASET: 'tieout',
};

describe('loadConfig', () => {
  it('gives the documented defaults with an empty environment and no file', () => {
    const config = unwrap(loadConfig({ env: {}, cwd }));
    expect(config).toEqual<Config>({
      configPath: undefined,
      backend: 'embedded',
      dataDir: join(cwd, '.tieout'),
      rulesPath: join(cwd, 'tieout.rules.yaml'),
      timeZone: 'UTC',
      cutoff: '06:00',
      windows: {},
      owners: { payments: {}, fulfilment: {}, finance: {}, support: {}, data: {} },
      checkOwners: {},
      processor: { gateways: ['stripe'], metadataKeys: ['order_number', 'order_id', 'order'] },
      keys: { stripPrefixes: ['#'], stripSuffixes: [], logisticsReferencePrefixes: [], caseSensitive: false },
      settlement: { enabled: false },
      warehouse: {
        columns: {
          entryId: 'entry_id',
          orderId: 'order_id',
          entryType: 'entry_type',
          amount: 'amount',
          currency: 'currency',
          bookedAt: 'booked_at',
        },
      },
      report: {},
      narration: { model: 'claude-sonnet-4-5', timeoutMs: 20_000, maxTokens: 8_000 },
      slack: { channel: undefined },
      ingest: { maxBodyBytes: 5 * 1024 * 1024 },
      matcher: { batchSize: 30000, leaseSeconds: 30, delivery: 'pull' },
      service: 'all',
      gcp: undefined,
      port: 8080,
      secrets: { shopify: [], stripe: [], shipbob: [], apiToken: undefined, slackBotToken: undefined, anthropicApiKey: undefined },
    });
  });

  it('reads tieout.config.yaml from the working directory: windows, owners, sections, relative paths', () => {
    const path = writeConfig(
      [
        'timeZone: America/New_York',
        'cutoff: "07:30"',
        'dataDir: var/tieout',
        'rulesPath: config/rules.yaml',
        'windows:',
        '  captured_not_shipped: 72h',
        '  unsettled: 5d',
        '  payment_missing: 12',
        '  dispute_open: none',
        'owners:',
        '  payments:',
        '    slack: "<!subteam^S0123>"',
        '    description: Payments team',
        '  warehouse-ops:',
        '    slack: "@warehouse"',
        '  data:',
        'checkOwners:',
        '  quantity_mismatch: warehouse-ops',
        'processor:',
        '  gateways: [stripe, shopify_payments]',
        'keys:',
        '  logisticsReferencePrefixes: ["SB-"]',
        'warehouse:',
        '  columns:',
        '    amount: amount_major',
        'settlement:',
        '  enabled: true',
        'report:',
        '  escalateAmount: 50000',
        'narration:',
        '',
      ].join('\n'),
    );
    const config = unwrap(loadConfig({ env: {}, cwd }));
    expect(config.configPath).toBe(path);
    expect(config.timeZone).toBe('America/New_York');
    expect(config.cutoff).toBe('07:30');
    expect(config.dataDir).toBe(join(cwd, 'var', 'tieout'));
    expect(config.rulesPath).toBe(join(cwd, 'config', 'rules.yaml'));
    expect(config.windows).toEqual({ captured_not_shipped: 72, unsettled: 120, payment_missing: 12, dispute_open: null });
    expect(config.owners).toEqual({
      payments: { slack: '<!subteam^S0123>', description: 'Payments team' },
      fulfilment: {},
      finance: {},
      support: {},
      data: {},
      'warehouse-ops': { slack: '@warehouse' },
    });
    expect(config.checkOwners).toEqual({ quantity_mismatch: 'warehouse-ops' });
    expect(config.processor).toEqual({ gateways: ['stripe', 'shopify_payments'], metadataKeys: ['order_number', 'order_id', 'order'] });
    expect(config.keys.logisticsReferencePrefixes).toEqual(['SB-']);
    expect(config.keys.stripPrefixes).toEqual(['#']);
    expect(config.warehouse.columns.amount).toBe('amount_major');
    expect(config.warehouse.columns.entryId).toBe('entry_id');
    expect(config.settlement.enabled).toBe(true);
    expect(config.report).toEqual({ escalateAmount: 50_000 });
    expect(config.narration.model).toBe('claude-sonnet-4-5');
  });

  it('lets the environment override the file, and the explicit inputs override both', () => {
    writeConfig('timeZone: Europe/Berlin\ncutoff: "05:00"\ndataDir: from-file\nslack:\n  channel: "#file"\n');
    const env = {
      TIEOUT_TIME_ZONE: 'Asia/Tokyo',
      TIEOUT_CUTOFF: '04:00',
      TIEOUT_DATA_DIR: 'from-env',
      TIEOUT_SLACK_CHANNEL: 'C0123',
      PORT: '9090',
    };
    const fromEnv = unwrap(loadConfig({ env, cwd }));
    expect(fromEnv).toMatchObject({ timeZone: 'Asia/Tokyo', cutoff: '04:00', dataDir: join(cwd, 'from-env'), port: 9090 });
    expect(fromEnv.slack.channel).toBe('C0123');

    const fromCli = unwrap(loadConfig({ env, cwd, dataDir: 'from-cli', rulesPath: '/etc/tieout/rules.yaml' }));
    expect(fromCli.dataDir).toBe(join(cwd, 'from-cli'));
    expect(fromCli.rulesPath).toBe('/etc/tieout/rules.yaml');
  });

  it('reads a named config file and resolves it against the working directory', () => {
    mkdirSync(join(cwd, 'conf'));
    writeConfig('cutoff: "08:00"\n', join('conf', 'night.yaml'));
    const config = unwrap(loadConfig({ env: {}, cwd, configPath: 'conf/night.yaml' }));
    expect(config.cutoff).toBe('08:00');
    expect(config.configPath).toBe(join(cwd, 'conf', 'night.yaml'));
  });

  it('fails on a named config file that does not exist', () => {
    expect(errorsOf(loadConfig({ env: {}, cwd, configPath: 'missing.yaml' }))).toEqual(['missing.yaml: file not found']);
  });

  it('lists every problem at once, file problems with their line, then the environment', () => {
    writeConfig(
      [
        'backend: kubernetes', //             1
        'timeZone: Mars/Olympus_Mons', //     2
        'cutoff: "25:00"', //                 3
        'windows:', //                        4
        '  captured_not_shipped: soon', //    5
        '  not_a_check: 6h', //               6
        'owners:', //                         7
        '  payments:', //                     8
        '    slack: payments-team', //        9
        'checkOwners:', //                    10
        '  not_booked: accounting', //        11
        'narration:', //                      12
        '  timeoutMs: -5', //                 13
        'colour: blue', //                    14
        '',
      ].join('\n'),
    );
    const errors = errorsOf(loadConfig({ env: { PORT: 'eighty', TIEOUT_CUTOFF: '6am' }, cwd }));
    expect(errors).toEqual([
      expect.stringMatching(/^tieout\.config\.yaml:1:10: backend: /),
      expect.stringMatching(/^tieout\.config\.yaml:2:11: timeZone: .*time zone/),
      expect.stringMatching(/^tieout\.config\.yaml:3:9: cutoff: .*HH:MM/),
      expect.stringMatching(/^tieout\.config\.yaml:5:25: windows\.captured_not_shipped: not a window/),
      expect.stringMatching(/^tieout\.config\.yaml:6:3: windows\.not_a_check: unknown check code/),
      expect.stringMatching(/^tieout\.config\.yaml:9:12: owners\.payments\.slack: .*Slack handle/),
      expect.stringMatching(/^tieout\.config\.yaml:11:15: checkOwners\.not_booked: unknown owner "accounting"/),
      expect.stringMatching(/^tieout\.config\.yaml:13:14: narration\.timeoutMs: /),
      'tieout.config.yaml:14:1: colour: unknown key',
      expect.stringMatching(/^TIEOUT_CUTOFF: /),
      expect.stringMatching(/^PORT: /),
    ]);
  });

  it('lists every missing GCP setting when the backend is gcp', () => {
    writeConfig('backend: gcp\ngcp:\n  projectId: acme-prod\n  dataset: tieout\n');
    expect(errorsOf(loadConfig({ env: { TIEOUT_GCP_REGION: 'europe-west1' }, cwd }))).toEqual([
      'gcp.topic: required when backend is gcp (set it in the config file or in TIEOUT_PUBSUB_TOPIC)',
      'gcp.subscription: required when backend is gcp (set it in the config file or in TIEOUT_PUBSUB_SUBSCRIPTION)',
      'gcp.database: required when backend is gcp (set it in the config file or in TIEOUT_FIRESTORE_DATABASE)',
    ]);
  });

  it('takes GCP settings from the environment, over the file', () => {
    writeConfig('backend: gcp\ngcp:\n  projectId: from-file\n');
    const config = unwrap(loadConfig({ env: GCP_ENV, cwd }));
    expect(config.backend).toBe('gcp');
    expect(config.gcp).toEqual({
      projectId: 'acme-prod',
      region: 'europe-west1',
      topic: 'events',
      subscription: 'events-matcher',
      database: '(default)',
      dataset: 'tieout',
      oidc: { audiences: [], serviceAccounts: [], certsUrl: undefined, platformVerified: false },
    });
  });

  it('parses secret lists (comma-separated, trimmed, empties dropped) and single secrets', () => {
    const config = unwrap(
      loadConfig({
        env: {
          TIEOUT_SHOPIFY_SECRET: ' shpss_new , shpss_old ,, ',
          TIEOUT_STRIPE_SECRET: 'whsec_abc',
          TIEOUT_SHIPBOB_SECRET: '',
          TIEOUT_API_TOKEN: 'tok',
          SLACK_BOT_TOKEN: 'xoxb-1',
          ANTHROPIC_API_KEY: ' ',
        },
        cwd,
      }),
    );
    expect(config.secrets).toEqual({
      shopify: ['shpss_new', 'shpss_old'],
      stripe: ['whsec_abc'],
      shipbob: [],
      apiToken: 'tok',
      slackBotToken: 'xoxb-1',
      anthropicApiKey: undefined,
    });
  });

  it.each(['0', '65536', '80.5', '-1', 'http', '8080x'])('rejects PORT=%s', (port) => {
    expect(errorsOf(loadConfig({ env: { PORT: port }, cwd }))).toEqual([
      `PORT: must be an integer from 1 to 65535, got ${JSON.stringify(port)}`,
    ]);
  });

  it('rejects an unknown time zone in the environment', () => {
    expect(errorsOf(loadConfig({ env: { TIEOUT_TIME_ZONE: 'Nowhere/Land' }, cwd }))).toEqual([
      'TIEOUT_TIME_ZONE: not a known IANA time zone: "Nowhere/Land"',
    ]);
  });
});

describe('loadConfig: Google Cloud, OIDC and the service to run', () => {
  const gcpFile = () => writeConfig('backend: gcp\n');

  it('gives the matcher batches of 2,000 on Google Cloud and 30,000 embedded, unless the file says otherwise', () => {
    gcpFile();
    expect(unwrap(loadConfig({ env: GCP_ENV, cwd })).matcher.batchSize).toBe(2000);
    writeConfig('backend: gcp\nmatcher:\n  batchSize: 500\n');
    expect(unwrap(loadConfig({ env: GCP_ENV, cwd })).matcher.batchSize).toBe(500);
    writeConfig('matcher:\n  batchSize: 50000\n');
    expect(unwrap(loadConfig({ env: {}, cwd })).matcher.batchSize).toBe(50000);
    writeConfig('matcher:\n  batchSize: 50001\n');
    const r = loadConfig({ env: {}, cwd });
    expect(r.ok).toBe(false);
    expect(r.ok ? [] : r.errors.join('\n')).toMatch(/matcher\.batchSize/);
  });

  it('finds the emulators through the standard variables and BigQuery through TIEOUT_BIGQUERY_ENDPOINT', () => {
    gcpFile();
    const config = unwrap(
      loadConfig({ env: { ...GCP_ENV, PUBSUB_EMULATOR_HOST: '127.0.0.1:8085', FIRESTORE_EMULATOR_HOST: '127.0.0.1:8086', TIEOUT_BIGQUERY_ENDPOINT: 'http://127.0.0.1:9050' }, cwd }),
    );
    expect(config.gcp).toMatchObject({ pubsubEmulatorHost: '127.0.0.1:8085', firestoreEmulatorHost: '127.0.0.1:8086', bigqueryEndpoint: 'http://127.0.0.1:9050' });
  });

  it('reads the OIDC settings from the file, the environment over it (comma-separated lists)', () => {
    writeConfig(
      [
        'backend: gcp',
        'gcp:',
        '  oidcAudience: https://tieout-nightly-report-1.europe-west1.run.app',
        '  oidcServiceAccounts: [tieout-scheduler@acme-prod.iam.gserviceaccount.com]',
        '  oidcPlatformVerified: true',
        '  bigqueryEndpoint: http://localhost:9050',
      ].join('\n'),
    );
    expect(unwrap(loadConfig({ env: GCP_ENV, cwd })).gcp?.oidc).toEqual({
      audiences: ['https://tieout-nightly-report-1.europe-west1.run.app'],
      serviceAccounts: ['tieout-scheduler@acme-prod.iam.gserviceaccount.com'],
      certsUrl: undefined,
      platformVerified: true,
    });
    const env = {
      ...GCP_ENV,
      TIEOUT_OIDC_AUDIENCE: 'https://a.run.app, https://b.run.app',
      TIEOUT_OIDC_SERVICE_ACCOUNT: 'tieout-pubsub-push@acme-prod.iam.gserviceaccount.com,other@acme-prod.iam.gserviceaccount.com',
      TIEOUT_OIDC_CERTS_URL: 'http://127.0.0.1:4000/certs',
      TIEOUT_OIDC_PLATFORM_VERIFIED: 'false',
    };
    expect(unwrap(loadConfig({ env, cwd })).gcp?.oidc).toEqual({
      audiences: ['https://a.run.app', 'https://b.run.app'],
      serviceAccounts: ['tieout-pubsub-push@acme-prod.iam.gserviceaccount.com', 'other@acme-prod.iam.gserviceaccount.com'],
      certsUrl: 'http://127.0.0.1:4000/certs',
      platformVerified: false,
    });
  });

  it('runs every service by default; TIEOUT_SERVICE picks one; the matcher pulls unless told push', () => {
    expect(unwrap(loadConfig({ env: {}, cwd }))).toMatchObject({ service: 'all', matcher: { delivery: 'pull' } });
    for (const service of ['ingest', 'matcher', 'nightly-report', 'all'] as const) expect(unwrap(loadConfig({ env: { TIEOUT_SERVICE: service }, cwd })).service).toBe(service);
    gcpFile();
    expect(unwrap(loadConfig({ env: { ...GCP_ENV, TIEOUT_MATCHER_DELIVERY: 'push' }, cwd })).matcher.delivery).toBe('push');
    writeConfig('backend: gcp\nmatcher:\n  delivery: push\n');
    expect(unwrap(loadConfig({ env: GCP_ENV, cwd })).matcher.delivery).toBe('push');
  });

  it('lists every bad GCP, OIDC and service setting at once', () => {
    gcpFile();
    const env = {
      GOOGLE_CLOUD_PROJECT: 'acme-prod',
      TIEOUT_SERVICE: 'reporter',
      TIEOUT_MATCHER_DELIVERY: 'stream',
      TIEOUT_BIGQUERY_ENDPOINT: 'localhost:9050',
      TIEOUT_OIDC_CERTS_URL: 'ftp://certs',
      TIEOUT_OIDC_SERVICE_ACCOUNT: 'tieout-scheduler',
      TIEOUT_OIDC_PLATFORM_VERIFIED: 'maybe',
    };
    expect(errorsOf(loadConfig({ env, cwd }))).toEqual([
      'gcp.region: required when backend is gcp (set it in the config file or in TIEOUT_GCP_REGION)',
      'gcp.topic: required when backend is gcp (set it in the config file or in TIEOUT_PUBSUB_TOPIC)',
      'gcp.subscription: required when backend is gcp (set it in the config file or in TIEOUT_PUBSUB_SUBSCRIPTION)',
      'gcp.database: required when backend is gcp (set it in the config file or in TIEOUT_FIRESTORE_DATABASE)',
      'gcp.dataset: required when backend is gcp (set it in the config file or in TIEOUT_BQ_DATASET)',
      'TIEOUT_BIGQUERY_ENDPOINT: must be an http:// or https:// URL, got "localhost:9050"',
      'TIEOUT_OIDC_CERTS_URL: must be an http:// or https:// URL, got "ftp://certs"',
      'TIEOUT_OIDC_SERVICE_ACCOUNT: "tieout-scheduler" is not an email address (a service account such as tieout-scheduler@<project>.iam.gserviceaccount.com)',
      'TIEOUT_OIDC_PLATFORM_VERIFIED: must be true or false, got "maybe"',
      'TIEOUT_SERVICE: must be one of all, ingest, matcher, nightly-report, got "reporter"',
      'TIEOUT_MATCHER_DELIVERY: must be one of pull, push, got "stream"',
    ]);
  });

  it('refuses push delivery without the gcp backend, and bad gcp keys in the file with their line', () => {
    expect(errorsOf(loadConfig({ env: { TIEOUT_MATCHER_DELIVERY: 'push' }, cwd }))).toEqual([
      'matcher.delivery: push needs backend gcp (Pub/Sub pushes to POST /pubsub/push); the embedded bus is pulled',
    ]);
    writeConfig('backend: gcp\ngcp:\n  oidcServiceAccounts: [nobody]\n  bigqueryEndpoint: nowhere\n  oidcAudienc: https://x.run.app\n');
    const errors = errorsOf(loadConfig({ env: GCP_ENV, cwd }));
    expect(errors).toEqual([
      'tieout.config.yaml:3:25: gcp.oidcServiceAccounts[0]: must be an email address (a service account such as tieout-scheduler@<project>.iam.gserviceaccount.com)',
      'tieout.config.yaml:4:21: gcp.bigqueryEndpoint: must be an http:// or https:// URL',
      'tieout.config.yaml:5:3: gcp.oidcAudienc: unknown key',
    ]);
  });
});

describe('loadConfig: the warehouse ledger pull', () => {
  it('has no ledger by default', () => {
    expect(unwrap(loadConfig({ env: {}, cwd })).warehouse.ledger).toBeUndefined();
  });

  it('reads the ledger table and the pull settings from the file; the environment names the table over it', () => {
    writeConfig(
      [
        'warehouse:',
        '  ledgerTable: acme-finance.ledger.entries',
        '  pull:',
        '    since: 2026-01-01',
        '    lookback: 36h',
        '    pageSize: 500',
        '    location: EU',
        '    applyTimeout: 5m',
        '',
      ].join('\n'),
    );
    expect(unwrap(loadConfig({ env: {}, cwd })).warehouse.ledger).toEqual({
      table: 'acme-finance.ledger.entries',
      project: 'acme-finance', // no gcp project anywhere: the jobs run in the ledger's project
      since: '2026-01-01T00:00:00.000Z',
      lookbackHours: 36,
      pageSize: 500,
      location: 'EU',
      bigqueryEndpoint: undefined,
      applyTimeoutSeconds: 300,
    });
    const overridden = unwrap(loadConfig({ env: { TIEOUT_WAREHOUSE_LEDGER_TABLE: 'acme-books.gl.entries_v2', GOOGLE_CLOUD_PROJECT: 'acme-prod', TIEOUT_BIGQUERY_ENDPOINT: 'http://127.0.0.1:9050' }, cwd }));
    expect(overridden.warehouse.ledger).toMatchObject({ table: 'acme-books.gl.entries_v2', project: 'acme-prod', bigqueryEndpoint: 'http://127.0.0.1:9050' });
    expect(overridden.warehouse.columns.entryId).toBe('entry_id');
  });

  it('defaults: the whole ledger on the first pull, a one-day lookback, 1,000-row pages, two minutes for the matcher; pull.project wins', () => {
    writeConfig('warehouse:\n  pull:\n    project: acme-billing\n');
    expect(unwrap(loadConfig({ env: { TIEOUT_WAREHOUSE_LEDGER_TABLE: 'acme-finance.ledger.entries', GOOGLE_CLOUD_PROJECT: 'acme-prod' }, cwd })).warehouse.ledger).toEqual({
      table: 'acme-finance.ledger.entries',
      project: 'acme-billing',
      since: '1970-01-01T00:00:00.000Z',
      lookbackHours: 24,
      pageSize: 1000,
      location: undefined,
      bigqueryEndpoint: undefined,
      applyTimeoutSeconds: 120,
    });
  });

  it('refuses a table name that is not project.dataset.table (it is spliced into SQL), in the file with its line and in the environment', () => {
    writeConfig(['warehouse:', '  ledgerTable: "acme-finance.ledger.entries` WHERE TRUE --"', '  pull:', '    lookback: none', '    since: yesterday', ''].join('\n'));
    const errors = errorsOf(loadConfig({ env: { TIEOUT_WAREHOUSE_LEDGER_TABLE: "acme-finance.ledger.entries'; DROP TABLE x" }, cwd }));
    expect(errors).toEqual([
      expect.stringMatching(/^tieout\.config\.yaml:2:16: warehouse\.ledgerTable: .*is not a BigQuery table named project\.dataset\.table/),
      expect.stringMatching(/^tieout\.config\.yaml:4:15: warehouse\.pull\.lookback: not a duration/),
      expect.stringMatching(/^tieout\.config\.yaml:5:12: warehouse\.pull\.since: must be an ISO 8601 instant/),
      expect.stringMatching(/^TIEOUT_WAREHOUSE_LEDGER_TABLE: .*is not a BigQuery table named project\.dataset\.table/),
    ]);
    writeConfig('');
    expect(errorsOf(loadConfig({ env: { TIEOUT_WAREHOUSE_LEDGER_TABLE: 'ledger.entries' }, cwd }))).toEqual([expect.stringMatching(/^TIEOUT_WAREHOUSE_LEDGER_TABLE: /)]);
  });
});

describe('serveProblems', () => {
  const gcpConfig = (env: Record<string, string> = {}) => {
    writeConfig('backend: gcp\n');
    return unwrap(loadConfig({ env: { ...GCP_ENV, ...env }, cwd }));
  };

  it('needs an OIDC audience with the gcp backend wherever Google calls the service: POST /run, and POST /pubsub/push when push-fed', () => {
    expect(serveProblems(gcpConfig())).toEqual([
      "gcp.oidcAudience: required by tieout serve with backend gcp for POST /run (Cloud Scheduler); set it to the service's URL in the config file or in TIEOUT_OIDC_AUDIENCE",
    ]);
    expect(serveProblems(gcpConfig({ TIEOUT_SERVICE: 'matcher', TIEOUT_MATCHER_DELIVERY: 'push' }))).toEqual([expect.stringContaining('for POST /pubsub/push (Pub/Sub push)')]);
    expect(serveProblems(gcpConfig({ TIEOUT_SERVICE: 'nightly-report', TIEOUT_OIDC_AUDIENCE: 'https://r.run.app' }))).toEqual([]);
  });

  it('needs nothing more for a pulling matcher, ingest, or the embedded backend', () => {
    expect(serveProblems(gcpConfig({ TIEOUT_SERVICE: 'matcher' }))).toEqual([]);
    expect(serveProblems(gcpConfig({ TIEOUT_SERVICE: 'ingest' }))).toEqual([]);
    rmSync(join(cwd, 'tieout.config.yaml'));
    expect(serveProblems(unwrap(loadConfig({ env: {}, cwd })))).toEqual([]);
  });

  it('runsService: all runs every service, a name only itself', () => {
    expect(['ingest', 'matcher', 'nightly-report'].map((n) => runsService({ service: 'all' }, n as 'ingest'))).toEqual([true, true, true]);
    expect(['ingest', 'matcher', 'nightly-report'].map((n) => runsService({ service: 'matcher' }, n as 'ingest'))).toEqual([false, true, false]);
  });
});

describe('docs/configuration.md', () => {
  it('has an example that loads as documented', () => {
    const doc = readFileSync(new URL('../docs/configuration.md', import.meta.url), 'utf8');
    const example = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(example).toBeDefined();
    writeConfig(example ?? '');
    const config = unwrap(loadConfig({ env: {}, cwd }));
    expect(config.timeZone).toBe('America/New_York');
    expect(config.windows).toEqual({ captured_not_shipped: 72, not_booked: 72, payment_missing: 12, dispute_open: null });
    expect(config.checkOwners).toEqual({ orphan_payment: 'payments', quantity_mismatch: 'marketplace' });
    expect(config.warehouse.columns).toMatchObject({ amount: 'amount_major', bookedAt: 'posted_at', entryId: 'entry_id' });
    expect(config.warehouse.ledger).toMatchObject({ table: 'acme-finance.ledger.entries', since: '2026-01-01T00:00:00.000Z', lookbackHours: 24 });
  });
});

describe('redactConfig', () => {
  it('replaces every secret, and leaves the rest untouched', () => {
    const config = unwrap(
      loadConfig({ env: { TIEOUT_STRIPE_SECRET: 'whsec_a,whsec_b', SLACK_BOT_TOKEN: 'xoxb-secret' }, cwd }),
    );
    const redacted = redactConfig(config);
    expect(redacted.secrets).toEqual({
      shopify: undefined,
      stripe: '<set>',
      shipbob: undefined,
      apiToken: undefined,
      slackBotToken: '<set>',
      anthropicApiKey: undefined,
    });
    expect(JSON.stringify(redacted)).not.toMatch(/whsec_|xoxb/);
    expect(redacted.dataDir).toBe(config.dataDir);
    expect(config.secrets.stripe).toEqual(['whsec_a', 'whsec_b']);
  });
});
