// What every CLI command runs with: the loaded configuration and the output streams, plus the exit codes.
import { loadConfig, type Config } from '#shared/config.ts';
import { err, ok, type Result } from '#shared/domain/result.ts';

/** Exit codes of every command (DESIGN §9). */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** The process as the CLI sees it; tests pass plain values instead of `process`. */
export type CliIo = {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Writes text as given (callers add the newline). */
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
  /** The clock, as an ISO instant; tests pass a fixed one. */
  readonly now?: () => string;
  /** Whether stderr is a terminal (progress redraws in place). */
  readonly isTty?: boolean;
};

/** The global options, as commander names them. */
export type GlobalOptions = { readonly config?: string; readonly rules?: string; readonly dataDir?: string };

/** Everything a command's implementation receives; it returns its exit code. */
export type CommandContext = {
  readonly config: Config;
  readonly cwd: string;
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
  /** The current instant (the CLI's one reading of the clock). */
  readonly now: () => string;
};

/** Loads the configuration for one invocation; on failure, every problem is returned. */
export function loadCommandContext(io: CliIo, options: GlobalOptions): Result<CommandContext> {
  const loaded = loadConfig({
    env: io.env,
    cwd: io.cwd,
    configPath: options.config,
    rulesPath: options.rules,
    dataDir: options.dataDir,
  });
  if (!loaded.ok) return err(...loaded.errors);
  return ok({ config: loaded.value, cwd: io.cwd, stdout: io.stdout, stderr: io.stderr, now: io.now ?? (() => new Date().toISOString()) });
}

