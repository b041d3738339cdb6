// The name of the warehouse ledger table (project.dataset.table): the one value ever spliced into feed SQL.
import { err, ok, type Result } from './result.ts';

/**
 * What a ledger table name may be: a Google Cloud project id (6–30 characters: lower-case letters,
 * digits and hyphens, starting with a letter, not ending with a hyphen), a dataset id (letters, digits,
 * underscores) and a table id (letters, digits, underscores, hyphens), joined by dots. BigQuery cannot
 * bind a table name as a parameter, so this name is spliced into the query text: nothing that could
 * end the backtick-quoted name (backticks, quotes, spaces, semicolons, comments, newlines) passes.
 * Domain-scoped projects (`example.com:project`) are not accepted. infra/variables.tf validates
 * `warehouse_ledger_table` with the same pattern (test/infra.test.ts holds the two together).
 */
export const LEDGER_TABLE_PATTERN = '^[a-z][a-z0-9-]{4,28}[a-z0-9][.][A-Za-z0-9_]+[.][A-Za-z0-9_-]+$';
const LEDGER_TABLE = new RegExp(LEDGER_TABLE_PATTERN);

/** A ledger table named in full. */
export type LedgerTable = { readonly project: string; readonly dataset: string; readonly table: string; readonly name: string };

/** Parses `project.dataset.table`; anything else (or over BigQuery's 1,024-character ids) is refused with the reason. */
export function parseLedgerTable(text: string): Result<LedgerTable> {
  if (typeof text !== 'string' || !LEDGER_TABLE.test(text)) {
    return err(
      `${JSON.stringify(text)} is not a BigQuery table named project.dataset.table (project: 6-30 lower-case letters, digits or hyphens; dataset: letters, digits, _; table: letters, digits, _ or -)`,
    );
  }
  const [project, dataset, table] = text.split('.') as [string, string, string];
  if (dataset.length > 1024 || table.length > 1024) return err(`${JSON.stringify(text)}: a dataset or table id is at most 1,024 characters`);
  return ok({ project, dataset, table, name: text });
}
