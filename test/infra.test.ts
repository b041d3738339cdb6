// infra/ as declared: every Terraform file parses (@cdktf/hcl2json, HashiCorp's HCL parser), and
// the deployment the design needs is there — bus, archive, order state, services, scheduler,
// secrets without values, least-privilege identities — plus the image and the emulators.
//
// No Terraform binary is available here, so this is not `terraform validate`: it checks the
// parsed structure, that every var./local./resource reference resolves to a declaration, and
// the facts the design depends on. The single message transform is executed on a real event.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import { parse } from '@cdktf/hcl2json';
import { parse as parseYaml } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { firestoreOrderStateIndexes } from '#shared/adapters/gcp/firestore-order-state-store.ts';
import { deadLetterSubscriptionOf } from '#shared/backend.ts';
import { WAREHOUSE_FEED_SQL } from '#shared/adapters/gcp/bigquery-ledger.ts';
import { loadConfig, MATCHER_DELIVERIES, serveProblems, SERVICES } from '#shared/config.ts';
import { LEDGER_TABLE_PATTERN, parseLedgerTable } from '#shared/domain/ledger-table.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const INFRA = join(ROOT, 'infra');

type Block = Record<string, unknown>;
type Doc = Record<string, unknown>;

function filesUnder(dir: string, test: (name: string) => boolean): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== '.terraform' && name !== 'node_modules') out.push(...filesUnder(path, test));
    } else if (test(name)) out.push(path);
  }
  return out;
}

const TF_FILES = filesUnder(INFRA, (n) => n.endsWith('.tf'));
const read = (path: string): string => readFileSync(path, 'utf8');
const rel = (path: string): string => relative(ROOT, path);

/** Every parsed file, and all of them merged: resource/data/variable/output by type and name, locals merged. */
type Merged = {
  readonly files: Map<string, Doc>;
  readonly resources: Map<string, Map<string, Block>>;
  readonly data: Map<string, Map<string, Block>>;
  readonly variables: Map<string, Block>;
  readonly outputs: Map<string, Block>;
  readonly locals: Block;
  readonly providers: Map<string, Block>;
  readonly terraform: Block[];
};

async function parseAll(): Promise<Merged> {
  const merged: Merged = {
    files: new Map(),
    resources: new Map(),
    data: new Map(),
    variables: new Map(),
    outputs: new Map(),
    locals: {},
    providers: new Map(),
    terraform: [],
  };
  for (const file of TF_FILES) {
    const doc = (await parse(rel(file), read(file))) as Doc;
    merged.files.set(rel(file), doc);
    for (const [kind, target] of [
      ['resource', merged.resources],
      ['data', merged.data],
    ] as const) {
      for (const [type, byName] of Object.entries((doc[kind] ?? {}) as Record<string, Record<string, Block[]>>)) {
        const map = target.get(type) ?? new Map<string, Block>();
        for (const [name, blocks] of Object.entries(byName)) {
          if (map.has(name)) throw new Error(`${kind} ${type}.${name} declared twice`);
          map.set(name, first(blocks));
        }
        target.set(type, map);
      }
    }
    for (const [name, blocks] of Object.entries((doc['variable'] ?? {}) as Record<string, Block[]>)) merged.variables.set(name, first(blocks));
    for (const [name, blocks] of Object.entries((doc['output'] ?? {}) as Record<string, Block[]>)) merged.outputs.set(name, first(blocks));
    for (const [name, blocks] of Object.entries((doc['provider'] ?? {}) as Record<string, Block[]>)) merged.providers.set(name, first(blocks));
    for (const locals of (doc['locals'] ?? []) as Block[]) {
      for (const [key, value] of Object.entries(locals)) {
        if (key in merged.locals) throw new Error(`local.${key} declared twice`);
        merged.locals[key] = value;
      }
    }
    merged.terraform.push(...((doc['terraform'] ?? []) as Block[]));
  }
  return merged;
}

function first(blocks: Block[] | undefined): Block {
  const b = blocks?.[0];
  if (b === undefined) throw new Error('empty block list');
  return b;
}

/** The single nested block `key` of a block (blocks parse as one-element arrays). */
function block(parent: Block | undefined, key: string): Block {
  const value = parent?.[key];
  if (!Array.isArray(value) || value.length === 0) throw new Error(`no ${key} block`);
  return value[0] as Block;
}

function blocksOf(parent: Block | undefined, key: string): Block[] {
  const value = parent?.[key];
  return Array.isArray(value) ? (value as Block[]) : [];
}

/** Every value stored under `key` anywhere below `node` (dynamic block contents included). */
function deep(node: unknown, key: string): unknown[] {
  const out: unknown[] = [];
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) n.forEach(walk);
    else if (n !== null && typeof n === 'object') {
      for (const [k, v] of Object.entries(n)) {
        if (k === key) out.push(v);
        walk(v);
      }
    }
  };
  walk(node);
  return out;
}

/** Every string anywhere below `node`. */
function strings(node: unknown): string[] {
  if (typeof node === 'string') return [node];
  if (Array.isArray(node)) return node.flatMap(strings);
  if (node !== null && typeof node === 'object') return Object.values(node).flatMap(strings);
  return [];
}

let tf: Merged;
const resource = (type: string, name: string): Block => {
  const r = tf.resources.get(type)?.get(name);
  if (r === undefined) throw new Error(`resource ${type}.${name} is not declared`);
  return r;
};
const resourcesOf = (type: string): Map<string, Block> => tf.resources.get(type) ?? new Map();

beforeAll(async () => {
  tf = await parseAll();
});

describe('Terraform files', () => {
  it('there are Terraform files for every part of the deployment', () => {
    const names = TF_FILES.map((f) => rel(f));
    for (const expected of ['main.tf', 'variables.tf', 'outputs.tf', 'versions.tf', 'pubsub.tf', 'bigquery.tf', 'firestore.tf', 'run.tf', 'scheduler.tf', 'secrets.tf', 'iam.tf']) {
      expect(names).toContain(`infra/${expected}`);
    }
  });

  it.each(TF_FILES.map((f) => [rel(f), f]))('%s parses', async (_name, file) => {
    const doc = await parse(rel(file), read(file));
    expect(Object.keys(doc).length).toBeGreaterThan(0);
  });

  it('terraform.tfvars.example parses and sets no secret', async () => {
    const doc = await parse('terraform.tfvars.example', read(join(INFRA, 'terraform.tfvars.example')));
    expect(doc['project_id']).toBeTypeOf('string');
    expect(Object.keys(doc).some((k) => /secret|token|key/i.test(k))).toBe(false);
  });

  it('uses the google provider from hashicorp/google, state in GCS', () => {
    const providers = tf.terraform.flatMap((t) => blocksOf(t, 'required_providers'));
    const google = providers.map((p) => p['google'] as Block | undefined).find((g) => g !== undefined);
    expect(google?.['source']).toBe('hashicorp/google');
    expect(tf.providers.has('google')).toBe(true);
    expect(tf.terraform.some((t) => t['backend'] !== undefined && JSON.stringify(t['backend']).includes('gcs'))).toBe(true);
  });

  it('every var., local. and resource reference resolves to a declaration', () => {
    const missing: string[] = [];
    for (const [file, doc] of tf.files) {
      const text = strings(doc).join('\n');
      for (const m of text.matchAll(/\bvar\.([A-Za-z_][\w-]*)/g)) if (!tf.variables.has(m[1] as string)) missing.push(`${file}: var.${m[1]}`);
      for (const m of text.matchAll(/\blocal\.([A-Za-z_][\w]*)/g)) if (!(String(m[1]) in tf.locals)) missing.push(`${file}: local.${m[1]}`);
      for (const m of text.matchAll(/(?<![\w.])(google_[a-z0-9_]+)\.([a-z0-9_]+)/g)) {
        if (!resourcesOf(m[1] as string).has(m[2] as string)) missing.push(`${file}: ${m[1]}.${m[2]}`);
      }
      for (const m of text.matchAll(/\bdata\.(google_[a-z0-9_]+)\.([a-z0-9_]+)/g)) {
        if (!(tf.data.get(m[1] as string)?.has(m[2] as string) ?? false)) missing.push(`${file}: data.${m[1]}.${m[2]}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('every file() and templatefile() path exists', () => {
    const missing: string[] = [];
    for (const [file, doc] of tf.files) {
      for (const s of strings(doc)) {
        for (const m of s.matchAll(/(?:templatefile|file)\("(?:\$\{(?:path\.module|local\.sql_dir)\})\/([^"]+)"/g)) {
          const base = s.includes('local.sql_dir') && m[0].includes('local.sql_dir') ? join(ROOT, 'sql') : INFRA;
          try {
            statSync(join(base, m[1] as string));
          } catch {
            missing.push(`${file}: ${m[0]}`);
          }
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('every variable has a description and a type', () => {
    for (const [name, v] of tf.variables) {
      expect(v['description'], name).toBeTypeOf('string');
      expect(v['type'], name).toBeDefined();
    }
  });
});

describe('Pub/Sub', () => {
  it('declares the events topic and its dead-letter topic, with the longest retention', () => {
    const events = resource('google_pubsub_topic', 'events');
    const dead = resource('google_pubsub_topic', 'dead_letter');
    expect(events['name']).toBe('${var.topic}');
    expect(tf.variables.get('topic')?.['default']).toBe('events');
    expect(String(dead['name'])).toContain('dead-letter');
    expect(events['message_retention_duration']).toBe('2678400s');
  });

  it('the matcher subscription: ordering on, ack deadline, exponential backoff, dead letters after 10-20 attempts, no filter', () => {
    const sub = resource('google_pubsub_subscription', 'matcher');
    expect(sub['name']).toBe('${var.subscription}');
    expect(sub['topic']).toBe('${google_pubsub_topic.events.id}');
    expect(sub['enable_message_ordering']).toBe(true);
    expect(sub['ack_deadline_seconds']).toBeGreaterThanOrEqual(10);
    expect(sub['filter'] ?? '').toBe('');
    const retry = block(sub, 'retry_policy');
    expect(retry['minimum_backoff']).toMatch(/^\$\{local\.retry_minimum_backoff\}$|^\d+s$/);
    expect(retry['maximum_backoff']).toBeDefined();
    const dlq = block(sub, 'dead_letter_policy');
    expect(dlq['dead_letter_topic']).toBe('${google_pubsub_topic.dead_letter.id}');
    expect(dlq['max_delivery_attempts']).toBe('${var.max_delivery_attempts}');
    const attempts = tf.variables.get('max_delivery_attempts');
    expect(attempts?.['default']).toBeGreaterThanOrEqual(10);
    expect(attempts?.['default']).toBeLessThanOrEqual(20);
    expect(String(block(attempts, 'validation')['condition'])).toMatch(/>= 10.*<= 20/);
    expect(block(sub, 'expiration_policy')['ttl']).toBe('');
  });

  it('the backoff bounds are durations with minimum below maximum', () => {
    const min = String(tf.locals['retry_minimum_backoff']);
    const max = String(tf.locals['retry_maximum_backoff']);
    expect(min).toMatch(/^\d+s$/);
    expect(max).toMatch(/^\d+s$/);
    expect(Number.parseInt(min)).toBeLessThan(Number.parseInt(max));
    expect(Number.parseInt(max)).toBeLessThanOrEqual(600);
  });

  it('push delivery goes to the matcher Cloud Run /pubsub/push with an OIDC token', () => {
    const sub = resource('google_pubsub_subscription', 'matcher');
    const push = deep(sub, 'push_config').flat() as Block[];
    expect(push.length).toBeGreaterThan(0);
    const content = push.flatMap((p) => blocksOf(p, 'content'));
    const config = content[0] ?? push[0];
    expect(config?.['push_endpoint']).toBe('${google_cloud_run_v2_service.matcher.uri}/pubsub/push');
    const oidc = block(config, 'oidc_token');
    expect(oidc['service_account_email']).toBe('${google_service_account.pubsub_push.email}');
    expect(oidc['audience']).toBe('${local.service_urls.matcher}');
  });

  it('a BigQuery subscription writes every event into the events table, with dead letters', () => {
    const sub = resource('google_pubsub_subscription', 'events_archive');
    expect(sub['topic']).toBe('${google_pubsub_topic.events.id}');
    const bq = block(sub, 'bigquery_config');
    expect(String(bq['table'])).toContain('google_bigquery_table.events.table_id');
    expect(bq['use_table_schema'] === true || bq['write_metadata'] === true).toBe(true);
    expect(block(sub, 'dead_letter_policy')['dead_letter_topic']).toBe('${google_pubsub_topic.dead_letter.id}');
    expect(blocksOf(sub, 'retry_policy')).toHaveLength(1);
    const udf = block(block(sub, 'message_transforms'), 'javascript_udf');
    expect(udf['function_name']).toBe('toEventRow');
    expect(udf['code']).toBe('${file("${path.module}/transforms/event_row.js")}');
  });

  it('dead letters are archived in BigQuery and can be listed and requeued', () => {
    const archive = resource('google_pubsub_subscription', 'dead_letter_archive');
    expect(archive['topic']).toBe('${google_pubsub_topic.dead_letter.id}');
    expect(String(block(archive, 'bigquery_config')['table'])).toContain('google_bigquery_table.dead_letters');
    expect(block(archive, 'bigquery_config')['write_metadata']).toBe(true);
    expect(resource('google_pubsub_subscription', 'dead_letter')['topic']).toBe('${google_pubsub_topic.dead_letter.id}');
  });
});

describe('the single message transform (infra/transforms/event_row.js)', () => {
  type Transform = (message: { data: string; attributes: Record<string, string> }, metadata: Record<string, string>) => { data: string; attributes?: Record<string, string> };
  const load = (): Transform => {
    const sandbox: Record<string, unknown> = {};
    runInNewContext(`${read(join(INFRA, 'transforms/event_row.js'))}\nthis.toEventRow = toEventRow;`, sandbox);
    return sandbox['toEventRow'] as Transform;
  };
  const schema = (): { name: string; mode: string }[] => JSON.parse(read(join(INFRA, 'schemas/events.json'))) as { name: string; mode: string }[];
  const METADATA = new Set(['subscription_name', 'message_id', 'publish_time', 'attributes']);

  const event = {
    id: 'stripe:evt_1',
    source: 'processor',
    system: 'stripe',
    kind: 'payment',
    refs: ['payment:pi_1', 'order:80213'],
    occurredAt: '2026-11-25T10:00:00.000Z',
    receivedAt: '2026-11-25T10:00:01.250Z',
    data: { paymentId: 'pi_1' },
  };

  it('maps a canonical event onto exactly the events columns (metadata aside), every required one set', () => {
    const out = load()({ data: JSON.stringify(event), attributes: { eventId: event.id, system: 'stripe', kind: 'payment', rawId: 'stripe:evt_1' } }, {});
    const row = JSON.parse(out.data) as Record<string, unknown>;
    const columns = schema().filter((c) => !METADATA.has(c.name));
    expect(Object.keys(row).sort()).toEqual(columns.map((c) => c.name).sort());
    for (const c of columns) if (c.mode === 'REQUIRED') expect(row[c.name], c.name).not.toBeNull();
    expect(row).toMatchObject({
      event_id: 'stripe:evt_1',
      raw_id: 'stripe:evt_1',
      system: 'stripe',
      kind: 'payment',
      order_key: '80213',
      occurred_at: Date.parse(event.occurredAt) * 1000,
      received_at: Date.parse(event.receivedAt) * 1000,
    });
    expect(row['data']).toEqual(event);
    expect(out.attributes).toMatchObject({ eventId: 'stripe:evt_1' });
  });

  it('leaves order_key and raw_id null when the event names no order and no raw id travels', () => {
    const out = load()({ data: JSON.stringify({ ...event, refs: ['payment:pi_1'] }), attributes: { eventId: event.id } }, {});
    expect(JSON.parse(out.data)).toMatchObject({ order_key: null, raw_id: null });
  });

  it('passes anything that is not a canonical event through unchanged (it then dead-letters, not vanishes)', () => {
    const message = { data: 'not json', attributes: {} };
    expect(load()(message, {})).toBe(message);
  });
});

describe('BigQuery', () => {
  const TABLES = ['events', 'raw', 'quarantine', 'runs', 'run_exceptions', 'dead_letters'];
  const VIEWS = ['events_dedup', 'runs_latest', 'exceptions_by_night_and_owner', 'exception_aging', 'rule_hits'];

  it('declares the archive dataset', () => {
    const ds = resource('google_bigquery_dataset', 'archive');
    expect(ds['dataset_id']).toBe('${var.dataset}');
    expect(ds['delete_contents_on_destroy']).toBe(false);
  });

  it('declares every table of sql/tables, each from its schema file, partitioned and clustered', () => {
    const sqlTables = readdirSync(join(ROOT, 'sql/tables')).filter((f) => f.endsWith('.sql')).map((f) => f.replace(/\.sql$/, ''));
    expect(sqlTables.sort()).toEqual([...TABLES].sort());
    for (const name of TABLES) {
      const t = resource('google_bigquery_table', name);
      expect(t['table_id']).toBe(name);
      expect(t['dataset_id']).toBe('${google_bigquery_dataset.archive.dataset_id}');
      expect(t['schema']).toBe(`\${file("\${path.module}/schemas/${name}.json")}`);
      expect(block(t, 'time_partitioning')['field'], name).toBeTypeOf('string');
      expect(Array.isArray(t['clustering']), name).toBe(true);
    }
    const events = resource('google_bigquery_table', 'events');
    expect(block(events, 'time_partitioning')).toEqual({ type: 'DAY', field: 'received_at' });
    expect(events['clustering']).toEqual(['order_key', 'kind']);
  });

  it('declares every view of sql/views from its file, in standard SQL', () => {
    const sqlViews = readdirSync(join(ROOT, 'sql/views')).filter((f) => f.endsWith('.sql')).map((f) => f.replace(/\.sql$/, ''));
    expect(sqlViews.sort()).toEqual([...VIEWS].sort());
    for (const name of VIEWS) {
      const view = block(resource('google_bigquery_table', name), 'view');
      expect(view['query']).toBe(`\${templatefile("\${local.sql_dir}/views/${name}.sql", local.sql_vars)}`);
      expect(view['use_legacy_sql']).toBe(false);
    }
    expect(tf.locals['sql_dir']).toBe('${path.module}/../sql');
  });
});

describe('Firestore', () => {
  it('declares a native-mode database', () => {
    const db = resource('google_firestore_database', 'main');
    expect(db['type']).toBe('FIRESTORE_NATIVE');
    expect(db['name']).toBe('${var.firestore_database}');
  });

  it('has a composite index for the open-orders query (open, then key)', () => {
    const index = resource('google_firestore_index', 'orders_open_by_key');
    expect(blocksOf(index, 'fields').map((f) => f['field_path'])).toEqual(['open', 'key']);
    expect(index['database']).toBe('${google_firestore_database.main.name}');
  });

  it('indexes exactly what the Firestore adapter needs: its composite index and its single-field exemptions, on its collections', () => {
    const wanted = firestoreOrderStateIndexes();
    const index = resource('google_firestore_index', 'orders_open_by_key');
    const collection = (expr: unknown): string => String(tf.locals[String(expr).replace(/^\$\{local\.(\w+)\}$/, '$1')]);
    expect([{ collection: collection(index['collection']), fields: blocksOf(index, 'fields').map((f) => ({ field: f['field_path'], order: f['order'] })) }]).toEqual(wanted.composite);
    const exempt = [...resourcesOf('google_firestore_field').values()].map((f) => {
      expect(block(f, 'index_config'), String(f['field'])).toEqual({});
      return { collection: collection(f['collection']), field: f['field'] };
    });
    expect(exempt).toEqual(expect.arrayContaining([...wanted.exempt]));
    expect(exempt).toHaveLength(wanted.exempt.length);
  });
});

describe('Cloud Run', () => {
  const SERVICES = { ingest: 'ingest', matcher: 'matcher', nightly_report: 'nightly-report' } as const;
  const GCP_ENV = ['GOOGLE_CLOUD_PROJECT', 'TIEOUT_GCP_REGION', 'TIEOUT_PUBSUB_TOPIC', 'TIEOUT_PUBSUB_SUBSCRIPTION', 'TIEOUT_FIRESTORE_DATABASE', 'TIEOUT_BQ_DATASET'];

  it.each(Object.entries(SERVICES))('%s: its own account, min and max instances, concurrency, CPU and memory', (key, service) => {
    const svc = resource('google_cloud_run_v2_service', key);
    const template = block(svc, 'template');
    expect(template['service_account']).toBe(`\${google_service_account.${key}.email}`);
    const scaling = block(template, 'scaling');
    expect(scaling['min_instance_count']).toBeDefined();
    expect(scaling['max_instance_count']).toBeDefined();
    expect(template['max_instance_request_concurrency']).toBeDefined();
    const container = block(template, 'containers');
    expect(container['image']).toBe('${var.image}');
    expect(container['args']).toBe('${local.serve_args}');
    const limits = block(container, 'resources')['limits'] as Block;
    expect(Object.keys(limits).sort()).toEqual(['cpu', 'memory']);
    const env = blocksOf(container, 'env');
    expect(env).toContainEqual({ name: 'TIEOUT_SERVICE', value: service });
    expect(env.some((e) => e['name'] === 'PORT')).toBe(false); // Cloud Run sets PORT
    const dynamicEnv = deep(container['dynamic'], 'env').flat() as Block[];
    expect(dynamicEnv.some((d) => String(d['for_each']) === `\${local.service_env.${key}}`)).toBe(true);
    const secretEnv = dynamicEnv.find((d) => String(d['for_each']) === `\${toset(local.service_secrets.${key})}`);
    expect(secretEnv, 'secret env from local.service_secrets').toBeDefined();
    const ref = block(block(block(secretEnv, 'content'), 'value_source'), 'secret_key_ref');
    expect(ref).toEqual({ secret: '${google_secret_manager_secret.secret[env.value].secret_id}', version: 'latest' });
  });

  it('sets backend gcp settings: the six gcp variables, time zone and cutoff', () => {
    const env = tf.locals['gcp_env'] as Record<string, string>;
    expect(Object.keys(env)).toEqual(expect.arrayContaining([...GCP_ENV, 'TIEOUT_TIME_ZONE', 'TIEOUT_CUTOFF']));
    expect(env['TIEOUT_TIME_ZONE']).toBe('${var.time_zone}');
    expect(env['TIEOUT_CUTOFF']).toBe('${var.cutoff}');
  });

  it('the configuration file the services run with loads as backend gcp with those variables', () => {
    const env = Object.fromEntries(GCP_ENV.map((k) => [k, `value-of-${k}`]));
    const loaded = loadConfig({ env: { ...env, TIEOUT_TIME_ZONE: 'America/New_York', TIEOUT_CUTOFF: '06:00' }, cwd: ROOT, configPath: 'infra/tieout.config.gcp.yaml' });
    expect(loaded.ok ? loaded.value.backend : loaded.errors).toBe('gcp');
    if (loaded.ok) expect(loaded.value.gcp?.dataset).toBe('value-of-TIEOUT_BQ_DATASET');
    expect(tf.locals['serve_args']).toEqual(['serve', '--config', '${local.config_mount}/tieout.config.yaml', '--rules', '${local.config_mount}/tieout.rules.yaml']);
  });

  it('pull delivery keeps a matcher running with CPU always allocated', () => {
    const template = block(resource('google_cloud_run_v2_service', 'matcher'), 'template');
    expect(String(block(template, 'scaling')['min_instance_count'])).toContain('max(1,');
    expect(block(block(template, 'containers'), 'resources')['cpu_idle']).toBe('${var.matcher_delivery == "push"}');
  });

  it('the service sizes have sane defaults (the report: one instance, one request)', () => {
    const defaults = (name: string): string => String(tf.variables.get(name)?.['type']);
    expect(defaults('ingest')).toMatch(/min_instances = optional\(number, 1\)/);
    expect(defaults('matcher')).toMatch(/min_instances = optional\(number, 1\)/);
    expect(defaults('nightly_report')).toMatch(/max_instances = optional\(number, 1\)/);
    expect(defaults('nightly_report')).toMatch(/concurrency\s+= optional\(number, 1\)/);
  });
});

describe('the services, the image and the application agree', () => {
  const SERVICE_KEYS = { ingest: 'ingest', matcher: 'matcher', nightly_report: 'nightly-report' } as const;
  const CONFIG_SOURCE = read(join(ROOT, 'shared/config.ts'));

  /** `expr` without its `${...}` wrapper. */
  const bare = (expr: unknown): string => String(expr).replace(/^\$\{([\s\S]*)\}$/, '$1').trim();
  /** A Terraform map literal's `KEY = value` pairs (values as written). */
  const pairs = (text: string): Record<string, string> => Object.fromEntries([...text.matchAll(/^\s*([A-Z][A-Z0-9_]*)\s*=\s*(.+?)\s*$/gm)].map((m) => [m[1] as string, m[2] as string]));
  /** The one-entry maps a `merge(...)` adds when a variable is set (`var.x == "" ? {} : { KEY = var.x }`). */
  const optionalPairs = (text: string): Record<string, string> => Object.fromEntries([...text.matchAll(/\{\s*([A-Z][A-Z0-9_]*)\s*=\s*([^}]+?)\s*\}/g)].map((m) => [m[1] as string, m[2] as string]));
  /** The environment a service gets besides its secrets: local.service_env.<key>, with the local it merges resolved. */
  const envOf = (key: keyof typeof SERVICE_KEYS): Record<string, string> => {
    const expr = bare((tf.locals['service_env'] as Record<string, string>)[key]);
    const base = /^merge\(local\.(\w+),/.exec(expr)?.[1] as string;
    const baseEnv = base === 'report_env' ? { ...(tf.locals['gcp_env'] as Record<string, string>), ...optionalPairs(bare(tf.locals['report_env'])) } : (tf.locals[base] as Record<string, string>);
    return { ...Object.fromEntries(Object.entries(baseEnv).map(([k, v]) => [k, bare(v)])), ...pairs(expr) };
  };
  const containerEnv = (key: keyof typeof SERVICE_KEYS): Block[] => blocksOf(block(block(resource('google_cloud_run_v2_service', key), 'template'), 'containers'), 'env');

  it('TIEOUT_SERVICE: each Cloud Run service names one service tieout serve knows, together all three, and the image defaults to all', () => {
    const named = Object.keys(SERVICE_KEYS).map((key) => containerEnv(key as keyof typeof SERVICE_KEYS).find((e) => e['name'] === 'TIEOUT_SERVICE')?.['value']);
    expect(named).toEqual(['ingest', 'matcher', 'nightly-report']);
    for (const name of named) expect(SERVICES).toContain(name);
    const dockerDefault = /^ENV TIEOUT_SERVICE=(\S+)$/m.exec(read(join(INFRA, 'Dockerfile')))?.[1];
    expect(dockerDefault).toBe('all');
    expect(SERVICES).toContain(dockerDefault);
  });

  it('every environment variable a service is given is one the configuration loader reads', () => {
    for (const key of Object.keys(SERVICE_KEYS) as (keyof typeof SERVICE_KEYS)[]) {
      const names = [...Object.keys(envOf(key)), ...containerEnv(key).map((e) => String(e['name'])), ...(tf.locals['secret_names'] as string[])];
      for (const name of names.filter((n) => n !== 'TIEOUT_CONFIG_REVISION')) expect(CONFIG_SOURCE, `${key}: ${name}`).toContain(`'${name}'`);
    }
  });

  it('the matcher is told its delivery (pull or push), the values the application accepts', () => {
    expect(envOf('matcher')['TIEOUT_MATCHER_DELIVERY']).toBe('var.matcher_delivery');
    expect(String(block(tf.variables.get('matcher_delivery'), 'validation')['condition'])).toBe(`\${contains(${JSON.stringify([...MATCHER_DELIVERIES]).replace(/,/g, ', ')}, var.matcher_delivery)}`);
  });

  it('OIDC: each sender mints tokens for the audience and from the account its receiver checks', () => {
    const urls = tf.locals['service_urls'] as Record<string, string>;
    for (const [key, name] of Object.entries({ ingest: 'ingest', matcher: 'matcher', nightly_report: 'nightly-report' }))
      expect(urls[key]).toBe(`https://\${var.name_prefix}-${name}-\${data.google_project.this.number}.\${var.region}.run.app`);
    const senders: [keyof typeof SERVICE_KEYS, Block][] = [
      ['nightly_report', block(block(resource('google_cloud_scheduler_job', 'nightly_report'), 'http_target'), 'oidc_token')],
      ['matcher', block((deep(resource('google_pubsub_subscription', 'matcher'), 'push_config').flat() as Block[]).flatMap((p) => blocksOf(p, 'content'))[0], 'oidc_token')],
      ['ingest', block(block(resource('google_pubsub_subscription', 'shopify_ingest'), 'push_config'), 'oidc_token')],
    ];
    for (const [receiver, token] of senders) {
      const env = envOf(receiver);
      expect(bare(token['audience']), receiver).toBe(env['TIEOUT_OIDC_AUDIENCE']);
      expect(bare(token['service_account_email']), receiver).toBe(env['TIEOUT_OIDC_SERVICE_ACCOUNT']);
    }
  });

  it('only services behind Cloud Run authentication accept tokens whose signature Cloud Run removed', () => {
    expect(envOf('matcher')['TIEOUT_OIDC_PLATFORM_VERIFIED']).toBe('"true"');
    expect(envOf('nightly_report')['TIEOUT_OIDC_PLATFORM_VERIFIED']).toBe('"true"');
    expect(envOf('ingest')['TIEOUT_OIDC_PLATFORM_VERIFIED']).toBe('var.ingest_public ? "false" : "true"');
    const publicGrants = [...resourcesOf('google_cloud_run_v2_service_iam_member').values()].filter((b) => b['member'] === 'allUsers').map((b) => b['name']);
    expect(publicGrants).not.toContain('${google_cloud_run_v2_service.matcher.name}');
    expect(publicGrants).not.toContain('${google_cloud_run_v2_service.nightly_report.name}');
  });

  it('each service, given its environment, loads the configuration and has what tieout serve needs', () => {
    const values = (env: Record<string, string>, delivery: string) =>
      Object.fromEntries(
        Object.entries(env).map(([k, v]) => [
          k,
          v === 'var.matcher_delivery'
            ? delivery
            : v === 'var.warehouse_ledger_table'
              ? 'acme-finance.ledger.entries'
              : v.startsWith('"')
                ? JSON.parse(v)
                : v.startsWith('var.ingest_public')
                  ? 'false'
                  : v.includes('.email')
                    ? 'sa@acme-prod.iam.gserviceaccount.com'
                    : v.startsWith('local.service_urls')
                      ? 'https://svc.run.app'
                      : 'x',
        ]),
      );
    for (const key of Object.keys(SERVICE_KEYS) as (keyof typeof SERVICE_KEYS)[]) {
      for (const delivery of MATCHER_DELIVERIES) {
        const env = { ...values(envOf(key), delivery), TIEOUT_SERVICE: SERVICE_KEYS[key], TIEOUT_TIME_ZONE: 'UTC', TIEOUT_CUTOFF: '06:00' };
        const loaded = loadConfig({ env, cwd: ROOT, configPath: 'infra/tieout.config.gcp.yaml' });
        expect(loaded.ok ? [] : loaded.errors, `${key} (${delivery})`).toEqual([]);
        if (loaded.ok) expect(serveProblems(loaded.value), `${key} (${delivery})`).toEqual([]);
      }
    }
  });

  it('the warehouse ledger: only the nightly report is given the table (when set), which the application reads as its ledger', () => {
    expect(envOf('nightly_report')['TIEOUT_SLACK_CHANNEL']).toBe('var.slack_channel');
    expect(envOf('nightly_report')['TIEOUT_WAREHOUSE_LEDGER_TABLE']).toBe('var.warehouse_ledger_table');
    expect(bare(tf.locals['report_env'])).toMatch(/var\.warehouse_ledger_table == "" \? \{\} : \{ TIEOUT_WAREHOUSE_LEDGER_TABLE = var\.warehouse_ledger_table \}/);
    expect(envOf('ingest')['TIEOUT_WAREHOUSE_LEDGER_TABLE']).toBeUndefined();
    expect(envOf('matcher')['TIEOUT_WAREHOUSE_LEDGER_TABLE']).toBeUndefined();
    const gcp = { GOOGLE_CLOUD_PROJECT: 'acme-prod', TIEOUT_GCP_REGION: 'europe-west1', TIEOUT_PUBSUB_TOPIC: 'events', TIEOUT_PUBSUB_SUBSCRIPTION: 'events-matcher', TIEOUT_FIRESTORE_DATABASE: 'tieout', TIEOUT_BQ_DATASET: 'tieout' };
    const loaded = loadConfig({ env: { ...gcp, TIEOUT_WAREHOUSE_LEDGER_TABLE: 'acme-finance.ledger.entries' }, cwd: ROOT, configPath: 'infra/tieout.config.gcp.yaml' });
    expect(loaded.ok ? loaded.value.warehouse.ledger : loaded.errors).toMatchObject({ table: 'acme-finance.ledger.entries', project: 'acme-prod' });
  });

  it('the warehouse ledger: the service that pulls holds what the pull needs, only when a ledger is set, and no one else reads the ledger', () => {
    const read = resource('google_bigquery_table_iam_member', 'ledger_pull_reads_ledger');
    expect(read).toMatchObject({
      count: '${var.warehouse_ledger_table == "" ? 0 : 1}',
      project: '${local.ledger_parts[0]}',
      dataset_id: '${local.ledger_parts[1]}',
      table_id: '${local.ledger_parts[2]}',
      role: 'roles/bigquery.dataViewer',
      member: '${local.service_members.nightly_report}',
    });
    expect(tf.locals['ledger_parts']).toBe('${split(".", var.warehouse_ledger_table)}');
    const writes = resource('google_bigquery_table_iam_member', 'ledger_pull_writes');
    expect(writes).toMatchObject({ role: 'roles/bigquery.dataEditor', member: '${local.service_members.nightly_report}' });
    expect(String(writes['for_each'])).toMatch(/^\$\{var\.warehouse_ledger_table == "" \? \{\} : \{/);
    for (const table of ['raw', 'events', 'quarantine']) expect(String(writes['for_each'])).toContain(`google_bigquery_table.${table}.table_id`);
    expect(resource('google_pubsub_topic_iam_member', 'ledger_pull_publishes')).toMatchObject({
      count: '${var.warehouse_ledger_table == "" ? 0 : 1}',
      topic: '${google_pubsub_topic.events.id}',
      role: 'roles/pubsub.publisher',
      member: '${local.service_members.nightly_report}',
    });
    const ledgerGrants = [...resourcesOf('google_bigquery_table_iam_member')].filter(([, b]) => strings(b).some((x) => x.includes('local.ledger_parts')));
    expect(ledgerGrants.map(([name, b]) => [name, b['member']])).toEqual([['ledger_pull_reads_ledger', '${local.service_members.nightly_report}']]);
  });

  it('the warehouse ledger: Terraform and the application accept and refuse the same table names', () => {
    const condition = String(block(tf.variables.get('warehouse_ledger_table'), 'validation')['condition']);
    const pattern = /regex\("([^"]+)", var\.warehouse_ledger_table\)/.exec(condition)?.[1];
    expect(pattern).toBe(LEDGER_TABLE_PATTERN);
    const terraform = new RegExp(pattern as string);
    const names = [
      'acme-finance.ledger.entries',
      'acme-prod-1.finance_2026.gl_entries-v2',
      'tieout-test.ledger.entries',
      'acme.ledger.entries', // project ids have 6 to 30 characters
      'Acme-finance.ledger.entries',
      'acme-finance-.ledger.entries',
      'acme-finance.ledger',
      'acme-finance.ledger.entries.extra',
      'example.com:acme.ledger.entries',
      'acme-finance.ledger.entries`; DROP TABLE x; --',
      'acme-finance.ledger.entries` WHERE TRUE OR `a',
      "acme-finance.ledger.entries'",
      'acme-finance.ledger.en tries',
      'acme-finance.ledger.entries\n',
      'acme-finance.led-ger.entries',
      'acme-finance.ledger.entries$20260101',
      'acme-finance.ledger./*x*/entries',
      '',
    ];
    for (const name of names) expect(parseLedgerTable(name).ok, JSON.stringify(name)).toBe(terraform.test(name));
    expect(names.filter((name) => parseLedgerTable(name).ok)).toEqual(['acme-finance.ledger.entries', 'acme-prod-1.finance_2026.gl_entries-v2', 'tieout-test.ledger.entries']);
  });

  it('the warehouse ledger: the image carries the feed query the pull reads at run time', () => {
    expect(fileURLToPath(WAREHOUSE_FEED_SQL)).toBe(join(ROOT, 'sql/feeds/warehouse.sql'));
    expect(read(join(INFRA, 'Dockerfile'))).toMatch(/^COPY sql\/feeds \.\/sql\/feeds$/m);
    expect(read(join(INFRA, 'Dockerfile.dockerignore')).split('\n')).toContain('!sql/feeds/');
  });

  it("the matcher's dead-letter pull subscription has the name the application uses", () => {
    expect(resource('google_pubsub_subscription', 'dead_letter')['name']).toBe(deadLetterSubscriptionOf('${var.subscription}'));
    expect(resource('google_pubsub_topic', 'dead_letter')['name']).toBe('${var.topic}-dead-letter');
  });

  it("Shopify's Pub/Sub delivery: an optional topic Shopify may publish to, pushed to ingest's /pubsub/shopify with dead letters", () => {
    const topic = resource('google_pubsub_topic', 'shopify');
    expect(topic['count']).toBe('${var.shopify_pubsub_delivery ? 1 : 0}');
    const sub = resource('google_pubsub_subscription', 'shopify_ingest');
    expect(sub['topic']).toBe('${google_pubsub_topic.shopify[0].id}');
    expect(block(sub, 'push_config')['push_endpoint']).toBe('${google_cloud_run_v2_service.ingest.uri}/pubsub/shopify');
    expect(block(sub, 'dead_letter_policy')['dead_letter_topic']).toBe('${google_pubsub_topic.dead_letter.id}');
    expect(resource('google_pubsub_topic_iam_member', 'shopify_publishes')).toMatchObject({ role: 'roles/pubsub.publisher', member: 'serviceAccount:${var.shopify_pubsub_service_account}' });
    expect(String(resource('google_service_account_iam_member', 'pubsub_mints_push_tokens')['count'])).toContain('var.shopify_pubsub_delivery');
  });
});

describe('Cloud Scheduler', () => {
  it('calls POST /run on the nightly report with an OIDC token, at the cutoff in the business time zone', () => {
    const job = resource('google_cloud_scheduler_job', 'nightly_report');
    expect(job['time_zone']).toBe('${var.time_zone}');
    expect(job['schedule']).toBe('${local.night_schedule}');
    const target = block(job, 'http_target');
    expect(target['http_method']).toBe('POST');
    expect(target['uri']).toBe('${google_cloud_run_v2_service.nightly_report.uri}/run');
    const oidc = block(target, 'oidc_token');
    expect(oidc['service_account_email']).toBe('${google_service_account.scheduler.email}');
    expect(oidc['audience']).toBe('${local.service_urls.nightly_report}');
    expect(tf.variables.get('time_zone')?.['default']).toBe('UTC');
    expect(tf.variables.get('cutoff')?.['default']).toBe('06:00');
    expect(String(tf.locals['night_schedule'])).toContain('local.run_minute');
    expect(String(tf.locals['cutoff_minute'])).toContain('var.cutoff');
  });
});

describe('secrets', () => {
  const SECRETS = ['TIEOUT_SHOPIFY_SECRET', 'TIEOUT_STRIPE_SECRET', 'TIEOUT_SHIPBOB_SECRET', 'TIEOUT_API_TOKEN', 'SLACK_BOT_TOKEN', 'ANTHROPIC_API_KEY'];

  it('declares one Secret Manager secret per secret environment variable', () => {
    expect(tf.locals['secret_names']).toEqual(SECRETS);
    const secret = resource('google_secret_manager_secret', 'secret');
    expect(secret['for_each']).toBe('${toset(local.secret_names)}');
    expect(secret['secret_id']).toBe('${each.key}');
  });

  it('never holds a secret value: no secret versions, no secret data, no literal secret env', () => {
    expect(resourcesOf('google_secret_manager_secret_version').size).toBe(0);
    for (const [file, doc] of tf.files) {
      expect(deep(doc, 'secret_data'), file).toEqual([]);
      for (const env of deep(doc, 'env').flat() as Block[]) {
        if (SECRETS.includes(String(env['name']))) expect(env['value'], `${file}: ${String(env['name'])}`).toBeUndefined();
      }
    }
  });

  it('no file under infra/ contains anything shaped like a credential', () => {
    const PATTERNS = [/whsec_[A-Za-z0-9]{8,}/, /\bsk_(live|test)_[A-Za-z0-9]{8,}/, /\bxox[abprs]-[A-Za-z0-9-]{8,}/, /\bsk-ant-[A-Za-z0-9-]{8,}/, /\bshpss_[a-f0-9]{8,}/, /-----BEGIN [A-Z ]*PRIVATE KEY-----/, /"private_key"\s*:/];
    for (const file of filesUnder(INFRA, () => true)) {
      const text = read(file);
      for (const p of PATTERNS) expect(p.test(text), `${rel(file)} matches ${p}`).toBe(false);
    }
  });

  it('each service reads only its own secrets', () => {
    const grants = tf.locals['service_secrets'] as Record<string, unknown>;
    expect(grants['ingest']).toEqual(['TIEOUT_SHOPIFY_SECRET', 'TIEOUT_STRIPE_SECRET', 'TIEOUT_SHIPBOB_SECRET', 'TIEOUT_API_TOKEN']);
    expect(grants['matcher']).toEqual(['TIEOUT_API_TOKEN']);
    const report = String(grants['nightly_report']);
    expect(report).toContain('SLACK_BOT_TOKEN');
    expect(report).toContain('ANTHROPIC_API_KEY');
    expect(report).not.toMatch(/SHOPIFY|STRIPE|SHIPBOB/);
    const access = resource('google_secret_manager_secret_iam_member', 'access');
    expect(access['for_each']).toBe('${local.secret_grants}');
    expect(access['role']).toBe('roles/secretmanager.secretAccessor');
    expect(access['member']).toBe('${local.service_members[each.value.service]}');
    expect(access['secret_id']).toBe('${google_secret_manager_secret.secret[each.value.secret].id}');
  });
});

describe('identities and least privilege', () => {
  it('declares one service account per service, plus the scheduler and the push identity', () => {
    expect([...resourcesOf('google_service_account').keys()].sort()).toEqual(['ingest', 'matcher', 'nightly_report', 'pubsub_push', 'scheduler']);
  });

  it('grants no basic role and no project-wide role beyond jobs and the conditioned Firestore roles', () => {
    for (const [file, doc] of tf.files) {
      for (const role of deep(doc, 'role')) expect(String(role), file).not.toMatch(/^roles\/(owner|editor|viewer)$/);
    }
    for (const [name, binding] of resourcesOf('google_project_iam_member')) {
      const role = String(binding['role']);
      expect(['roles/bigquery.jobUser', 'roles/datastore.user', 'roles/datastore.viewer'], name).toContain(role);
      if (role.startsWith('roles/datastore.')) expect(block(binding, 'condition')['expression']).toBe('${local.firestore_database_condition}');
    }
    expect(String(tf.locals['firestore_database_condition'])).toContain('databases/${google_firestore_database.main.name}');
  });

  it('ingest publishes to the topic; the matcher subscribes and uses Firestore; the report only reads Firestore', () => {
    const publish = resource('google_pubsub_topic_iam_member', 'ingest_publishes');
    expect(publish).toMatchObject({ topic: '${google_pubsub_topic.events.id}', role: 'roles/pubsub.publisher', member: '${local.service_members.ingest}' });
    const consume = resource('google_pubsub_subscription_iam_member', 'matcher_consumes');
    expect(consume).toMatchObject({ subscription: '${google_pubsub_subscription.matcher.id}', role: 'roles/pubsub.subscriber', member: '${local.service_members.matcher}' });
    expect(resource('google_project_iam_member', 'matcher_order_state')).toMatchObject({ role: 'roles/datastore.user', member: '${local.service_members.matcher}' });
    expect(resource('google_project_iam_member', 'nightly_report_order_state')).toMatchObject({ role: 'roles/datastore.viewer', member: '${local.service_members.nightly_report}' });
  });

  it('BigQuery: writers edit only their tables; readers view; every service may run jobs', () => {
    expect(resource('google_bigquery_table_iam_member', 'ingest_writes')['role']).toBe('roles/bigquery.dataEditor');
    const tables = (name: string): string[] => Object.keys(resource('google_bigquery_table_iam_member', name)['for_each'] as Block).sort();
    expect(tables('ingest_writes')).toEqual(['events', 'quarantine', 'raw']);
    expect(tables('nightly_report_writes')).toEqual(['run_exceptions', 'runs']);
    expect(tables('pubsub_writes')).toEqual(['dead_letters', 'events']);
    expect(resource('google_bigquery_dataset_iam_member', 'reads_archive')['role']).toBe('roles/bigquery.dataViewer');
    expect(resource('google_project_iam_member', 'bigquery_jobs')).toMatchObject({ role: 'roles/bigquery.jobUser', for_each: '${local.service_members}' });
    expect(String(resource('google_bigquery_table_iam_member', 'pubsub_writes')['member'])).toBe('${local.pubsub_service_agent}');
  });

  it('Pub/Sub may dead-letter: publisher on the dead-letter topic, subscriber on the source subscriptions', () => {
    expect(resource('google_pubsub_topic_iam_member', 'pubsub_dead_letters')).toMatchObject({ topic: '${google_pubsub_topic.dead_letter.id}', role: 'roles/pubsub.publisher', member: '${local.pubsub_service_agent}' });
    const acks = resource('google_pubsub_subscription_iam_member', 'pubsub_acks_dead_letters');
    expect(acks['role']).toBe('roles/pubsub.subscriber');
    expect(Object.values(acks['for_each'] as Record<string, string>).sort()).toEqual(['${google_pubsub_subscription.events_archive.id}', '${google_pubsub_subscription.matcher.id}']);
  });

  it('the scheduler may invoke the nightly report and nothing else', () => {
    const schedulerBindings = [...tf.resources.entries()].flatMap(([type, byName]) =>
      [...byName.entries()].filter(([, b]) => strings(b).some((s) => s.includes('google_service_account.scheduler.email'))).map(([name, b]) => ({ type, name, b })),
    );
    const grants = schedulerBindings.filter((x) => x.type.endsWith('_iam_member'));
    expect(grants.map((g) => `${g.type}.${g.name}`)).toEqual(['google_cloud_run_v2_service_iam_member.scheduler_invokes_report']);
    const grant = grants[0]?.b;
    expect(grant).toMatchObject({ role: 'roles/run.invoker', name: '${google_cloud_run_v2_service.nightly_report.name}' });
  });

  it('the push identity may invoke the matcher only, and only in push mode', () => {
    const grant = resource('google_cloud_run_v2_service_iam_member', 'push_invokes_matcher');
    expect(grant).toMatchObject({ role: 'roles/run.invoker', name: '${google_cloud_run_v2_service.matcher.name}', count: '${var.matcher_delivery == "push" ? 1 : 0}' });
  });

  it('only ingest is public (webhooks authenticate by signature)', () => {
    const publicGrants = [...resourcesOf('google_cloud_run_v2_service_iam_member').entries()].filter(([, b]) => b['member'] === 'allUsers');
    expect(publicGrants.map(([name, b]) => [name, b['name']])).toEqual([['ingest_public', '${google_cloud_run_v2_service.ingest.name}']]);
  });
});

describe('image and emulators', () => {
  it('the Dockerfile builds on Node 24, installs production dependencies only, and runs tieout serve', () => {
    const text = read(join(INFRA, 'Dockerfile'));
    const froms = [...text.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);
    expect(froms.length).toBeGreaterThan(0);
    for (const image of froms) expect(image).toMatch(/^node:24([.-]|$)/);
    expect(text).toMatch(/npm ci --omit=dev/);
    expect(text).toMatch(/^ENTRYPOINT \["node", "bin\/tieout\.ts"\]$/m);
    expect(text).toMatch(/^CMD \["serve"\]$/m);
    expect(text).toMatch(/^USER node$/m);
    expect(text).not.toMatch(/\b(tsc|npm run build)\b/); // no build step: Node 24 strips types
  });

  it('the build context filter lets in only the sources and the lockfile', () => {
    const lines = read(join(INFRA, 'Dockerfile.dockerignore')).split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
    expect(lines[0]).toBe('*');
    expect(lines).toEqual(expect.arrayContaining(['!package.json', '!package-lock.json', '!bin/', '!shared/', '!services/', '!sql/feeds/', '**/*.test.ts']));
  });

  it('compose runs the Pub/Sub and Firestore emulators from the google-cloud-cli image, with ports', () => {
    const compose = parseYaml(read(join(INFRA, 'compose.emulators.yaml'))) as { services: Record<string, { image: string; command: string[]; ports: string[] }> };
    for (const [name, port] of [
      ['pubsub', '8085'],
      ['firestore', '8086'],
    ] as const) {
      const svc = compose.services[name];
      expect(svc?.image).toMatch(/google-cloud-cli/);
      expect(svc?.command.join(' ')).toContain(`emulators ${name} start`);
      expect(svc?.ports).toContain(`${port}:${port}`);
    }
  });

  it('the infra README points to the deployment guide', () => {
    expect(read(join(INFRA, 'README.md'))).toContain('docs/deploy-gcp.md');
  });
});
