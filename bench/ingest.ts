// The ingest case: `tieout serve` in a child process, driven by wrk (or autocannon) with signed webhooks.
//
// The server is the real command (`bin/tieout.ts serve`): ingest, matcher, order API and the
// nightly scheduler in one process on one port, over the embedded SQLite backend in a temporary
// data directory. Every request is a distinct, correctly signed Shopify or Stripe webhook
// (bench/webhooks.ts); the server verifies it, normalizes it, archives the raw payload and its
// canonical events and publishes them on the bus (both `synchronous = FULL`) before answering 200.
// Afterwards the archive is opened and checked against what the client saw answered.
//
// The load generator is wrk (C; Debian's `wrk` package) when it is on the PATH: it sends requests
// built and signed beforehand (bench/wrk-webhooks.lua) and costs the shared cores about 10 µs of CPU
// per request. Without it, autocannon (npm) builds and signs each request as it goes, for about 50 µs.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSqliteArchive } from '#shared/adapters/sqlite/archive.ts';
import { createSqliteEventBus } from '#shared/adapters/sqlite/event-bus.ts';
import { createSqliteOrderStateStore } from '#shared/adapters/sqlite/order-state-store.ts';
import { embeddedPaths, MAX_ATTEMPTS } from '#shared/backend.ts';
import { MATCHER_SUBSCRIPTION } from '#shared/ports/event-bus.ts';
import { fileSize, loadSampler, mb, round, type Measured } from './measure.ts';
import { BENCH_SECRETS, createTraffic, type TrafficSummary, type WebhookRequest } from './webhooks.ts';

// ---- the load generators ------------------------------------------------------------------------------

export type Client = 'wrk' | 'autocannon';

/** wrk's path when it is installed (on the PATH), else undefined. */
export function wrkPath(): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) if (dir !== '' && existsSync(join(dir, 'wrk'))) return join(dir, 'wrk');
  return undefined;
}

/**
 * Requests built per second of a wrk run: each is sent once, so the file must outlast the fastest
 * server; a run that wraps around is rejected (more answers than distinct requests).
 */
const WRK_MAX_RATE = 14_000;
const WRK_SCRIPT = fileURLToPath(new URL('./wrk-webhooks.lua', import.meta.url));

// autocannon (CommonJS, no type declarations): the part of its API used here.

type AcRequest = {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  setupRequest?: (request: AcRequest, context: Record<string, unknown>) => AcRequest;
  onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
};
type AcHistogram = { average: number; mean: number; stddev: number; min: number; max: number; p50: number; p90: number; p97_5: number; p99: number; p99_9: number; total: number; sent: number };
type AcResult = {
  latency: AcHistogram;
  requests: AcHistogram;
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  statusCodeStats: Record<string, { count: number }>;
};
type AcOptions = { url: string; connections: number; duration: number; pipelining: number; timeout: number; requests: AcRequest[] };
const autocannon = createRequire(import.meta.url)('autocannon') as (options: AcOptions) => Promise<AcResult> & { stop(): void };

// ---- results --------------------------------------------------------------------------------------

type Latency = { p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
type Drive = {
  /** The client's measured duration, and the wall time of the whole call (connecting and stopping included). */
  seconds: number;
  wallSeconds: number;
  built: number;
  responses: number;
  ok: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  errors: number;
  timeouts: number;
  requestsPerSecond: number;
  /** Milliseconds, measured by this client from building each request to its response (µs resolution). */
  latencyMs: Latency;
  /** The load generator, and its own figures (autocannon's in whole milliseconds; wrk's are the latency above). */
  client: { tool: Client; requestsPerSecondMean: number; latencyMs: { p50: number; p99: number; max: number; mean: number } };
  clientCpuSeconds: number;
  /** All threads of the server process (event loop, libuv pool, GC helpers). */
  serverCpuSeconds: number;
  /**
   * The server's event-loop thread over the run: on a CPU, runnable but waiting for a CPU (other
   * work on the machine), and off the CPU the rest of the time (blocked in a syscall, mostly the
   * fsyncs of the FULL commits, or idle in epoll).
   */
  serverMainThread: { cpuSeconds: number; runQueueSeconds: number; offCpuSeconds: number };
  load: Measured['load'];
};
export type IngestResult = {
  client: Client;
  /** The services `tieout serve` ran: all (the matcher folding alongside, on the same cores) or ingest alone. */
  service: 'all' | 'ingest';
  connections: number;
  /** The matcher batch size written to the server's configuration ('default': none; serve running ingest too takes at most 2,000). */
  matcherBatchSize: number | 'default';
  durationSeconds: number;
  warmupSeconds: number;
  traffic: TrafficSummary;
  warmup: Drive;
  run: Drive;
  server: {
    peakRssMb: number;
    startSeconds: number;
    stopSeconds: number;
    exitCode: number | null;
    counters: unknown;
    /** Service all: events the matcher had not applied when the load stopped, and the seconds it then took to apply them. */
    matcherCatchUp?: { backlogAtEnd: number; seconds: number; caughtUp: boolean };
    matcherBacklog: { pending: number; leased: number; deadLettered: number };
    stateDocs: number;
  };
  archive: {
    raw: number;
    events: number;
    quarantined: number;
    /** 2xx responses (warm-up and run) whose id is in the archive: must equal okIds. */
    okIdsArchived: number;
    okIds: number;
    /** Archived ids the client never saw answered: requests in flight when a run stopped (at most one per connection per run). */
    archivedWithoutResponse: number;
    /** Archived ids the client never built: must be 0. */
    unknownIds: number;
    verified: boolean;
    files: Record<string, number>;
  };
};

// ---- helpers --------------------------------------------------------------------------------------

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TIEOUT = join(ROOT, 'bin', 'tieout.ts');
const log = (line: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** User + system CPU seconds of a process so far (all its threads), from /proc. */
function procCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of stat (utime, stime) are the 12th and 13th after the command name, in clock ticks (100/s).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * The server's main thread (the event loop, where node:sqlite runs every statement and COMMIT)
 * from /proc/PID/task/PID/schedstat: seconds on a CPU and seconds runnable but waiting for one.
 */
function mainThreadSched(pid: number): { cpu: number; wait: number } {
  const [cpu, wait] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
  return { cpu: (cpu ?? 0) / 1e9, wait: (wait ?? 0) / 1e9 };
}

/** The kernel's RSS high-water mark of a process (VmHWM), in MB. */
function procPeakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? mb(Number(m[1]) * 1024) : 0;
}

function percentiles(samples: Float64Array): Latency {
  const s = samples.slice().sort();
  const at = (q: number) => round(s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0, 2);
  let sum = 0;
  for (const x of s) sum += x;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999), max: round(s[s.length - 1] ?? 0, 2), mean: round(sum / Math.max(1, s.length), 2) };
}

async function waitHealthy(url: string, child: ChildProcess, logPath: string, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`tieout serve exited with ${child.exitCode} before it was healthy:\n${readFileSync(logPath, 'utf8').slice(-4000)}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`tieout serve was not healthy after ${timeoutMs / 1000} s`);
}

/**
 * Starts watching the server over one drive: all its CPU, its event-loop thread's scheduling, and
 * the machine's load; `stop` gives them over the window.
 */
function watchServer(pid: number) {
  const cpu0 = procCpuSeconds(pid);
  const sched0 = mainThreadSched(pid);
  const load = loadSampler();
  const t0 = performance.now();
  return {
    stop(): Pick<Drive, 'serverCpuSeconds' | 'serverMainThread' | 'load' | 'wallSeconds'> {
      const wall = (performance.now() - t0) / 1000;
      const serverCpu = procCpuSeconds(pid) - cpu0;
      const sched1 = mainThreadSched(pid);
      const cpu = sched1.cpu - sched0.cpu;
      const wait = sched1.wait - sched0.wait;
      return {
        serverCpuSeconds: round(serverCpu, 2),
        serverMainThread: { cpuSeconds: round(cpu, 2), runQueueSeconds: round(wait, 2), offCpuSeconds: round(wall - cpu - wait, 2) },
        load: load.stop(),
        wallSeconds: round(wall, 2),
      };
    },
  };
}

/** Tallies the answers of one drive: each status, and the payload id of each 2xx (into `okIds`). */
function tally(okIds: Set<string>) {
  const statusCodes: Record<string, number> = {};
  let responses = 0;
  let ok = 0;
  return {
    add(status: number, body: string): void {
      responses++;
      statusCodes[status] = (statusCodes[status] ?? 0) + 1;
      if (status < 200 || status >= 300) return;
      ok++;
      const answer = JSON.parse(body) as { accepted?: string; quarantined?: string };
      const id = answer.accepted ?? answer.quarantined;
      if (id !== undefined) okIds.add(id);
    },
    totals: () => ({ responses, ok, non2xx: responses - ok, statusCodes }),
  };
}

/**
 * Drives the server for `seconds` with `connections` keep-alive connections, one request in flight
 * on each (no pipelining). Each request is built (and, for Stripe, signed with the current second)
 * just before it is sent; the ids of 2xx answers are collected from the response bodies.
 */
async function drive(base: string, next: () => WebhookRequest, seconds: number, connections: number, serverPid: number, okIds: Set<string>, builtIds: Set<string>): Promise<Drive> {
  const latencies = new Float64Array(Math.max(1_000_000, seconds * 60_000));
  let n = 0;
  let built = 0;
  const answers = tally(okIds);
  const request: AcRequest = {
    method: 'POST',
    setupRequest(req, context) {
      const r = next();
      built++;
      builtIds.add(r.rawId);
      context['t0'] = performance.now();
      return { ...req, method: 'POST', path: r.path, headers: r.headers, body: r.body };
    },
    onResponse(status, body, context) {
      const t0 = context['t0'];
      if (typeof t0 === 'number' && n < latencies.length) latencies[n++] = performance.now() - t0;
      answers.add(status, body);
    },
  };
  const cpu0 = process.cpuUsage();
  const server = watchServer(serverPid);
  const result = await autocannon({ url: base, connections, duration: seconds, pipelining: 1, timeout: 30, requests: [request] });
  const cpu = process.cpuUsage(cpu0);
  const watched = server.stop();
  const { ok, ...counts } = answers.totals();
  return {
    seconds: round(result.duration, 2),
    built,
    ok,
    ...counts,
    errors: result.errors,
    timeouts: result.timeouts,
    requestsPerSecond: Math.round(ok / result.duration),
    latencyMs: percentiles(latencies.subarray(0, n)),
    client: { tool: 'autocannon', requestsPerSecondMean: Math.round(result.requests.mean), latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max, mean: round(result.latency.mean, 2) } },
    clientCpuSeconds: round((cpu.user + cpu.system) / 1e6, 2),
    ...watched,
  };
}

/** What wrk-webhooks.lua prints when the run is done. */
type WrkDone = {
  durationUs: number;
  requests: number;
  loaded: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  latencyUs: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
  cpuSeconds: number;
};

/**
 * Drives the server with wrk for `seconds`: `connections` keep-alive connections, one request in
 * flight on each. The requests are built and signed first (Stripe's `t=` is the second each was
 * built, well within its 300 s tolerance) into a file wrk loads before it starts the clock; every
 * response's status and body come back in a second file, for the ids of what was answered.
 */
async function driveWrk(wrk: string, base: string, next: () => WebhookRequest, seconds: number, connections: number, serverPid: number, okIds: Set<string>, builtIds: Set<string>, workDir: string): Promise<Drive> {
  const requestsPath = join(workDir, `wrk-requests-${Date.now()}.txt`);
  const responsesPath = join(workDir, `wrk-responses-${Date.now()}.txt`);
  const built = Math.ceil(WRK_MAX_RATE * seconds);
  const file = createWriteStream(requestsPath);
  for (let i = 0; i < built; i++) {
    const r = next();
    builtIds.add(r.rawId);
    const body = Buffer.from(r.body);
    let head = `POST ${r.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n`;
    for (const [k, v] of Object.entries(r.headers)) head += `${k}: ${v}\r\n`;
    head += `Content-Length: ${body.length}\r\n\r\n`;
    const length = Buffer.byteLength(head) + body.length;
    file.write(`${length}\n${head}`);
    if (!file.write(body)) await once(file, 'drain');
  }
  file.end();
  await once(file, 'finish');

  try {
    const child = spawn(wrk, ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '30s', '-s', WRK_SCRIPT, base, '--', requestsPath, responsesPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    // The script says on stderr when it has loaded the requests; wrk starts its clock then: measure from there.
    let server: ReturnType<typeof watchServer> | undefined;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (server === undefined && stderr.includes('wrk-webhooks: loaded')) server = watchServer(serverPid);
    });
    const [code] = (await once(child, 'exit')) as [number | null];
    if (code !== 0 || server === undefined) throw new Error(`wrk exited with ${code}: ${stderr}${stdout}`);
    const watched = server.stop();
    const line = stdout.split('\n').find((l) => l.startsWith('{"durationUs"'));
    if (line === undefined) throw new Error(`wrk printed no summary:\n${stdout}`);
    const done = JSON.parse(line) as WrkDone;

    const answers = tally(okIds);
    for (const row of readFileSync(responsesPath, 'utf8').split('\n')) {
      if (row === '') continue;
      const space = row.indexOf(' ');
      answers.add(Number(row.slice(0, space)), row.slice(space + 1));
    }
    const { ok, responses, ...counts } = answers.totals();
    if (done.loaded !== built) throw new Error(`wrk loaded ${done.loaded} of ${built} requests`);
    if (responses > built) throw new Error(`wrk got ${responses} answers to ${built} distinct requests: it sent some twice; raise WRK_MAX_RATE`);
    const ms = (us: number) => round(us / 1000, 2);
    const duration = done.durationUs / 1e6;
    return {
      seconds: round(duration, 2),
      built,
      responses,
      ok,
      ...counts,
      errors: done.errors.connect + done.errors.read + done.errors.write,
      timeouts: done.errors.timeout,
      requestsPerSecond: Math.round(ok / duration),
      latencyMs: { p50: ms(done.latencyUs.p50), p90: ms(done.latencyUs.p90), p99: ms(done.latencyUs.p99), p999: ms(done.latencyUs.p999), max: ms(done.latencyUs.max), mean: ms(done.latencyUs.mean) },
      client: { tool: 'wrk', requestsPerSecondMean: Math.round(done.requests / duration), latencyMs: { p50: ms(done.latencyUs.p50), p99: ms(done.latencyUs.p99), max: ms(done.latencyUs.max), mean: ms(done.latencyUs.mean) } },
      clientCpuSeconds: round(done.cpuSeconds, 2),
      ...watched,
    };
  } finally {
    rmSync(requestsPath, { force: true });
    rmSync(responsesPath, { force: true });
  }
}

// ---- the phase --------------------------------------------------------------------------------------

export async function ingestPhase(options: { client: Client; service: 'all' | 'ingest'; durationSeconds: number; warmupSeconds: number; connections: number; profileDir?: string; dir?: string; keep?: boolean; matcherBatchSize?: number }): Promise<IngestResult> {
  const wrk = options.client === 'wrk' ? wrkPath() : undefined;
  if (options.client === 'wrk' && wrk === undefined) throw new Error('--client wrk: wrk is not on the PATH (Debian: apt-get install wrk)');
  const root = options.dir ?? mkdtempSync(join(tmpdir(), 'tieout-bench-ingest-'));
  const dataDir = join(root, 'data');
  const cwd = join(root, 'cwd');
  if (existsSync(dataDir)) throw new Error(`${dataDir} already exists: the ingest case needs a fresh data dir`);
  mkdirSync(cwd, { recursive: true });
  // The server reads tieout.config.yaml from its working directory: only written to try another matcher batch size.
  if (options.matcherBatchSize !== undefined) writeFileSync(join(cwd, 'tieout.config.yaml'), `matcher:\n  batchSize: ${options.matcherBatchSize}\n`);
  const logPath = join(root, 'serve.log');
  const port = await freePort();

  const traffic = createTraffic({ run: 1 });
  traffic.selfCheck();
  const warmTraffic = createTraffic({ run: 2 });
  const summary = traffic.summary();
  log(`ingest: ${summary.templates.shopify} Shopify order and ${summary.templates.stripe} Stripe templates; bodies avg ${summary.bytes.shopify.avg} B (Shopify), ${summary.bytes.stripe.avg} B (Stripe), ${summary.bytes.mix} B mixed`);

  // A clean environment: no TIEOUT_* settings from the caller's shell leak into the server.
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('TIEOUT_')) env[k] = v;
  Object.assign(env, { PORT: String(port), TIEOUT_SHOPIFY_SECRET: BENCH_SECRETS.shopify, TIEOUT_STRIPE_SECRET: BENCH_SECRETS.stripe });
  // `--service ingest`: only the ingest service, as deployed when the matcher runs elsewhere (its own machine, or Cloud Run).
  if (options.service === 'ingest') env['TIEOUT_SERVICE'] = 'ingest';
  // One profile per thread (event loop, writer, matcher): Node names them CPU.<date>.<time>.<pid>.<thread>.<seq>.
  const execArgv = options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : [];
  const logFd = openSync(logPath, 'w');
  const t0 = performance.now();
  const child = spawn(process.execPath, [...execArgv, TIEOUT, 'serve', '--data-dir', dataDir], { cwd, env, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const pid = child.pid as number;
  let result: IngestResult;
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitHealthy(`${base}/healthz`, child, logPath);
    const startSeconds = round((performance.now() - t0) / 1000, 2);
    log(`ingest: tieout serve (pid ${pid}) healthy on 127.0.0.1:${port} after ${startSeconds} s`);

    const okIds = new Set<string>();
    const builtIds = new Set<string>();
    log(`ingest: warm-up, ${options.warmupSeconds} s with ${options.connections} connections`);
    const driveWith = (next: () => WebhookRequest, seconds: number) =>
      wrk !== undefined ? driveWrk(wrk, base, next, seconds, options.connections, pid, okIds, builtIds, root) : drive(base, next, seconds, options.connections, pid, okIds, builtIds);
    const warmup = await driveWith(warmTraffic.next, options.warmupSeconds);
    log(`ingest: warm-up ${warmup.requestsPerSecond}/s, p99 ${warmup.latencyMs.p99} ms`);
    await sleep(1000);
    log(`ingest: run, ${options.durationSeconds} s with ${options.connections} connections`);
    const run = await driveWith(traffic.next, options.durationSeconds);
    log(`ingest: ${run.ok} webhooks answered 2xx in ${run.seconds} s = ${run.requestsPerSecond}/s; latency p50 ${run.latencyMs.p50} ms, p99 ${run.latencyMs.p99} ms, max ${run.latencyMs.max} ms; non-2xx ${run.non2xx}`);

    const counters = await (await fetch(`${base}/ingest/stats`)).json();
    // With the matcher running alongside: what it had left when the load stopped, and how long it took to catch up.
    let matcherCatchUp: IngestResult['server']['matcherCatchUp'];
    if (options.service === 'all') {
      const bus = createSqliteEventBus({ path: embeddedPaths(dataDir).bus, subscriptions: [MATCHER_SUBSCRIPTION], maxAttempts: MAX_ATTEMPTS });
      const backlog = async () => {
        const { pending, leased } = await bus.stats(MATCHER_SUBSCRIPTION);
        return pending + leased;
      };
      const atEnd = await backlog();
      const c0 = performance.now();
      while ((await backlog()) > 0 && performance.now() - c0 < 300_000) await sleep(100);
      matcherCatchUp = { backlogAtEnd: atEnd, seconds: round((performance.now() - c0) / 1000, 1), caughtUp: (await backlog()) === 0 };
      await bus.close();
      log(`ingest: the matcher had ${atEnd} events left when the load stopped; ${matcherCatchUp.caughtUp ? `caught up in ${matcherCatchUp.seconds} s` : 'NOT caught up after 300 s'}`);
    }
    const peakRssMb = procPeakRssMb(pid);
    const stop0 = performance.now();
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const exitCode = await Promise.race([exited, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 30_000)))]);
    clearTimeout(timer);
    if (exitCode === 'timeout') {
      child.kill('SIGKILL');
      throw new Error('tieout serve did not stop within 30 s of SIGTERM');
    }
    const stopSeconds = round((performance.now() - stop0) / 1000, 2);
    log(`ingest: server stopped (exit ${exitCode}) ${stopSeconds} s after SIGTERM; checking the archive`);

    const paths = embeddedPaths(dataDir);
    const archive = createSqliteArchive({ path: paths.archive });
    let raw = 0;
    let okIdsArchived = 0;
    let archivedWithoutResponse = 0;
    let unknownIds = 0;
    for await (const r of archive.scanRaw({}, 5000)) {
      raw++;
      if (okIds.has(r.id)) okIdsArchived++;
      else if (builtIds.has(r.id)) archivedWithoutResponse++;
      else unknownIds++;
    }
    const events = await archive.countEvents();
    const quarantined = (await archive.listQuarantine()).length;
    await archive.close();
    const bus = createSqliteEventBus({ path: paths.bus, subscriptions: [MATCHER_SUBSCRIPTION], maxAttempts: MAX_ATTEMPTS });
    const matcherBacklog = await bus.stats(MATCHER_SUBSCRIPTION);
    await bus.close();
    const store = createSqliteOrderStateStore({ path: paths.state });
    const stateDocs = await store.count();
    await store.close();
    const verified = okIdsArchived === okIds.size && unknownIds === 0 && quarantined === 0 && archivedWithoutResponse <= 2 * options.connections;
    result = {
      client: options.client,
      service: options.service,
      connections: options.connections,
      matcherBatchSize: options.matcherBatchSize ?? 'default',
      durationSeconds: options.durationSeconds,
      warmupSeconds: options.warmupSeconds,
      traffic: summary,
      warmup,
      run,
      server: { peakRssMb, startSeconds, stopSeconds, exitCode, counters, ...(matcherCatchUp ? { matcherCatchUp } : {}), matcherBacklog, stateDocs },
      archive: { raw, events, quarantined, okIdsArchived, okIds: okIds.size, archivedWithoutResponse, unknownIds, verified, files: { bus: fileSize(paths.bus), archive: fileSize(paths.archive), state: fileSize(paths.state) } },
    };
    log(`ingest: archive holds ${raw} raw payloads and ${events} events; ${okIdsArchived}/${okIds.size} answered ids archived, ${archivedWithoutResponse} in flight at a stop, ${unknownIds} unknown, ${quarantined} quarantined: ${verified ? 'ok' : 'MISMATCH'}`);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (!options.keep && options.dir === undefined) rmSync(root, { recursive: true, force: true });
    else log(`ingest: data and server log kept in ${root}`);
  }
  return result;
}

export const INGEST_PROFILE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'profiles');
