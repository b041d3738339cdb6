import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { unwrap } from './domain/result.ts';
import { loadConfig, redactConfig, type Config } from './config.ts';

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
      matcher: { batchSize: 2000, leaseSeconds: 30 },
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
