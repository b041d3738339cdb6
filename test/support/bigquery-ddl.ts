// Reading a BigQuery CREATE TABLE statement (comments and strings already blanked by the caller's lexer):
// shared by the BigQuery fake, which builds its tables from sql/tables, and the SQL checks in test/sql.test.ts.

export type DeclaredColumn = { readonly name: string; readonly type: string; readonly notNull: boolean };
export type CreateTable = {
  readonly table: string;
  readonly ifNotExists: boolean;
  readonly columns: readonly DeclaredColumn[];
  readonly partitionBy: string;
  readonly clusterBy: readonly string[];
};

/** The table name (inside backticks), its columns (type as written), `PARTITION BY` and `CLUSTER BY`. */
export function readCreateTable(code: string): CreateTable {
  const head = /CREATE TABLE(\s+IF NOT EXISTS)?\s+`([^`]+)`\s*\(/i.exec(code);
  if (!head) throw new Error('no CREATE TABLE [IF NOT EXISTS] `...` (');
  let depth = 0;
  let end = -1;
  for (let i = head.index + head[0].length - 1; i < code.length; i++) {
    if (code[i] === '(') depth++;
    else if (code[i] === ')' && --depth === 0) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new Error(`CREATE TABLE ${head[2]}: the column list is not closed`);
  // Split the column list on top-level commas (types like STRUCT<a INT64, b STRING> nest).
  const parts: string[] = [];
  let part = '';
  depth = 0;
  for (const ch of code.slice(head.index + head[0].length, end)) {
    if (ch === '(' || ch === '<') depth++;
    if (ch === ')' || ch === '>') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(part);
      part = '';
    } else part += ch;
  }
  parts.push(part);
  const columns = parts
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p): DeclaredColumn => {
      const m = /^(\w+)\s+([A-Za-z0-9_]+(?:<.*>)?)(.*)$/s.exec(p);
      if (!m) throw new Error(`cannot read column definition: ${p}`);
      return { name: m[1] as string, type: m[2] as string, notNull: /\bNOT NULL\b/i.test(m[3] as string) };
    });
  const tail = code.slice(end + 1);
  const partitionBy = /PARTITION BY\s+(.+?)\s*(?:\n|CLUSTER BY|OPTIONS|;|$)/s.exec(tail)?.[1]?.trim() ?? '';
  const clusterBy = (/CLUSTER BY\s+(.+?)\s*(?:\n|OPTIONS|;|$)/s.exec(tail)?.[1] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  return { table: head[2] as string, ifNotExists: head[1] !== undefined, columns, partitionBy, clusterBy };
}
