// The rules file (`tieout.rules.yaml`): read and validated, every problem named with its line.
import { existsSync } from 'node:fs';
import { RulesFileSchema, type Rule } from './domain/rules.ts';
import { ok, type Result } from './domain/result.ts';
import { readYamlFile } from './yaml-file.ts';

/**
 * Loads the rules at `path`. A missing file means no rules (a new install has none yet); a file
 * that does not parse or validate fails with every problem and its line.
 */
export function loadRules(path: string): Result<readonly Rule[]> {
  if (!existsSync(path)) return ok([]);
  const file = readYamlFile(path, RulesFileSchema);
  return file.ok ? ok(file.value.rules) : file;
}
