// A fresh embedded data directory with its configuration and backend, for tests of threads and CLI pieces.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openBackend, type Backend } from '#shared/backend.ts';
import { loadConfig, type Config } from '#shared/config.ts';

export type EmbeddedFixture = { readonly dir: string; readonly config: Config; readonly backend: Backend; cleanup(): Promise<void> };

/** Creates a temporary data dir, the default configuration pointing at it, and the backend opened on it. */
export async function openEmbeddedFixture(prefix = 'tieout-test-'): Promise<EmbeddedFixture> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const loaded = loadConfig({ env: {}, cwd: dir, dataDir: dir });
  if (!loaded.ok) throw new Error(loaded.errors.join('; '));
  const backend = await openBackend(loaded.value);
  return {
    dir,
    config: loaded.value,
    backend,
    async cleanup() {
      await backend.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
