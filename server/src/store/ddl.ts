// Tables and indexes for the migrations, written as lists of columns so that a migration reads as the
// schema it makes. A column is NOT NULL unless it says otherwise, as nearly all of ours are.
import type {ColumnDataType, ColumnDefinitionBuilder, CreateTableBuilder, Expression, Kysely} from 'kysely';

/** What a column must be besides its type: NOT NULL when left out. */
export type ColumnRule = 'primary key' | 'nullable' | 'unique' | {default: string | number | boolean};

export type Column = readonly [name: string, type: ColumnDataType | Expression<unknown>, rule?: ColumnRule];

/** Table constraints over several columns: [constraint name, columns]. */
export interface TableKeys {
  primaryKey?: readonly [string, string[]];
  unique?: readonly [string, string[]];
}

function applyRule(c: ColumnDefinitionBuilder, rule?: ColumnRule): ColumnDefinitionBuilder {
  if (rule === 'primary key') return c.primaryKey();
  if (rule === 'nullable') return c;
  if (rule === 'unique') return c.notNull().unique();
  if (rule) return c.notNull().defaultTo(rule.default);
  return c.notNull();
}

export async function createTable(
  db: Kysely<unknown>,
  name: string,
  columns: readonly Column[],
  keys: TableKeys = {},
): Promise<void> {
  let table: CreateTableBuilder<string, string> = db.schema.createTable(name).ifNotExists();
  for (const [column, type, rule] of columns) table = table.addColumn(column, type, (c) => applyRule(c, rule));
  if (keys.primaryKey) table = table.addPrimaryKeyConstraint(keys.primaryKey[0], keys.primaryKey[1]);
  if (keys.unique) table = table.addUniqueConstraint(keys.unique[0], keys.unique[1]);
  await table.execute();
}

export async function createIndex(db: Kysely<unknown>, name: string, table: string, columns: string[]): Promise<void> {
  await db.schema.createIndex(name).ifNotExists().on(table).columns(columns).execute();
}
