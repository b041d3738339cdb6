// What every bench phase reports about itself and the machine while it ran.
import { existsSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';

/** Wall and CPU time, peak RSS (kernel high-water mark and a 100 ms sampler) and the 1-minute load average. */
export type Measured = { seconds: number; cpuSeconds: number; peakRssMb: number; sampledPeakRssMb: number; load: { start: number; mean: number; max: number; end: number } };

export const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
export const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Samples the 1-minute load average every second until `stop()`; returns start, mean, max and end. */
export function loadSampler(): { stop(): Measured['load'] } {
  const loads: number[] = [];
  const start = loadavg()[0] as number;
  const timer = setInterval(() => loads.push(loadavg()[0] as number), 1000);
  return {
    stop() {
      clearInterval(timer);
      const end = loadavg()[0] as number;
      const all = [start, ...loads, end];
      return { start: round(start, 2), mean: round(all.reduce((a, b) => a + b, 0) / all.length, 2), max: round(Math.max(...all), 2), end: round(end, 2) };
    },
  };
}

/** Times `fn`, sampling RSS every 100 ms and the 1-minute load average every second. */
export async function measure<T>(fn: () => Promise<T>): Promise<{ value: T } & Measured> {
  let sampled = process.memoryUsage().rss;
  const rss = setInterval(() => (sampled = Math.max(sampled, process.memoryUsage().rss)), 100);
  const load = loadSampler();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  try {
    const value = await fn();
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return {
      value,
      seconds: round(seconds, 2),
      // User + system CPU of this process: with other work on the machine, wall time exceeds it.
      cpuSeconds: round((cpu.user + cpu.system) / 1e6, 2),
      // maxRSS is in kilobytes: the kernel's high-water mark for this process.
      peakRssMb: mb(process.resourceUsage().maxRSS * 1024),
      sampledPeakRssMb: mb(Math.max(sampled, process.memoryUsage().rss)),
      load: load.stop(),
    };
  } finally {
    clearInterval(rss);
    load.stop();
  }
}

/** A SQLite file's size with its WAL. */
export const fileSize = (path: string) => (existsSync(path) ? statSync(path).size : 0) + (existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0);
