// Starts gcloud's Pub/Sub or Firestore emulator on a free loopback port for a contract suite, and stops it without leftovers.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export type EmulatorKind = 'pubsub' | 'firestore';
export type RunningEmulator = { readonly host: string; readonly stop: () => Promise<void> };
export type SkippedEmulator = { readonly skipped: string };

const READY_TIMEOUT_MS = 60_000;
/** Waits for EOF on stdin (our end closed: we died), then ends the emulator's process group ($1). */
const WATCHDOG =
  'read _; kill -TERM -"$1" 2>/dev/null || exit 0; i=0; ' +
  'while kill -0 -"$1" 2>/dev/null && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done; kill -KILL -"$1" 2>/dev/null; exit 0';
const STOP_GRACE_MS = 5_000;

/**
 * Starts `gcloud beta emulators <kind> start` on 127.0.0.1:<free port> and resolves once it answers
 * HTTP; `host` is what `PUBSUB_EMULATOR_HOST` / `FIRESTORE_EMULATOR_HOST` expect. Resolves
 * `{ skipped }` with the reason when gcloud or the emulator component is not installed; rejects
 * when an installed emulator fails to start. `stop()` ends the whole process group it started
 * (gcloud's wrapper and the Java server), SIGTERM then SIGKILL after 5 s.
 */
export async function startEmulator(kind: EmulatorKind): Promise<RunningEmulator | SkippedEmulator> {
  const gcloud = onPath('gcloud');
  if (!gcloud) return { skipped: `gcloud is not installed: no gcloud on PATH, so the ${kind} emulator cannot run` };

  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const args = ['beta', 'emulators', kind, 'start', `--host-port=${host}`];
  if (kind === 'firestore') args.push('--quiet');
  // detached: the emulator gets its own process group (gcloud's Python leads it, the Java server is in it),
  // so stop() can signal all of it at once.
  const child = spawn(gcloud, args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CLOUDSDK_CORE_DISABLE_PROMPTS: '1' },
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not spawn ${gcloud}`);
  // If this process dies without stop() — a timed-out test worker is SIGKILLed and runs no exit handler — the
  // watchdog sees its stdin close and ends the emulator's group. It is its own group, so it outlives us.
  const watchdog = spawn('sh', ['-c', WATCHDOG, 'gcloud-emulator-watchdog', String(pid)], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  watchdog.stdin.on('error', () => undefined);
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void }).unref?.();

  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-8_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited: number | string | null | undefined;
  child.on('exit', (code, signal) => (exited = code ?? signal));

  // If the test process dies without calling stop(), do not leave a Java server behind.
  const killOnExit = (): void => signalGroup(pid, 'SIGKILL');
  process.once('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      signalGroup(pid, 'SIGTERM');
      const deadline = Date.now() + STOP_GRACE_MS;
      while (groupAlive(pid) && Date.now() < deadline) await sleep(100);
      if (groupAlive(pid)) signalGroup(pid, 'SIGKILL');
      process.removeListener('exit', killOnExit);
      watchdog.kill('SIGKILL'); // its job is done; left alone it would signal a group id that may be reused
      child.stdout.destroy();
      child.stderr.destroy();
    })());

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited !== undefined) {
      await stop();
      // A missing component is "not installed here", like a missing gcloud; anything else is a real failure.
      if (/not currently have this command group installed|component.*not installed|install.*component/i.test(output))
        return { skipped: `the gcloud ${kind} emulator component is not installed: ${lastLine(output)}` };
      throw new Error(`gcloud ${kind} emulator exited (${String(exited)}) before answering on ${host}:\n${output}`);
    }
    if (await answers(host)) return { host, stop };
    await sleep(250);
  }
  await stop();
  throw new Error(`gcloud ${kind} emulator did not answer on ${host} within ${READY_TIMEOUT_MS / 1000} s:\n${output}`);
}

/** The executable `name` found on PATH, if any. */
function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** A TCP port that was free a moment ago on the loopback interface. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** True when an HTTP GET / on `host` gets any response (the emulators answer `Ok`). */
function answers(host: string): Promise<boolean> {
  const [hostname, port] = host.split(':') as [string, string];
  return new Promise((resolve) => {
    const req = request({ hostname, port: Number(port), path: '/', method: 'GET', timeout: 1_000 }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 500) < 500);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is already gone
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}
