// The one definition of tables and buckets is shared/schema/tables.json (also used by
// the local stack and the Rust code). The CDK app reads it; nothing here repeats it.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

export type KeyType = 'S' | 'N' | 'B';

export interface KeySpec {
  readonly name: string;
  readonly type: KeyType;
}

/** A global secondary index; the projection is `KEYS_ONLY` or `ALL`. */
export interface IndexSpec {
  readonly name: string;
  readonly partition_key: KeySpec;
  readonly sort_key?: KeySpec;
  readonly projection: 'KEYS_ONLY' | 'ALL';
  readonly description?: string;
}

export interface TableSpec {
  readonly name: string;
  /** The environment variable that carries the deployed table's name. */
  readonly env: string;
  readonly local_name: string;
  readonly description?: string;
  readonly partition_key: KeySpec;
  readonly sort_key?: KeySpec;
  readonly ttl_attribute?: string;
  readonly personal_data?: boolean;
  readonly indexes?: readonly IndexSpec[];
}

export interface BucketSpec {
  readonly name: string;
  readonly env: string;
  readonly local_name: string;
  readonly description?: string;
}

export interface Schema {
  readonly tables: readonly TableSpec[];
  readonly buckets: readonly BucketSpec[];
}

/** Path of the schema, from this file: infra/lib -> repo root -> shared/schema. */
export const SCHEMA_PATH = path.resolve(__dirname, '..', '..', 'shared', 'schema', 'tables.json');

const KEY_TYPES: readonly string[] = ['S', 'N', 'B'];

function checkKey(where: string, key: unknown): KeySpec {
  const k = key as Partial<KeySpec> | undefined;
  if (!k || typeof k.name !== 'string' || !k.name || !KEY_TYPES.includes(String(k.type))) {
    throw new Error(`${SCHEMA_PATH}: ${where} needs {name, type: S|N|B}`);
  }
  return { name: k.name, type: k.type as KeyType };
}

/** Reads and checks the schema (fails synth loudly on a malformed file). */
export function loadSchema(file: string = SCHEMA_PATH): Schema {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as { tables?: unknown[]; buckets?: unknown[] };
  if (!Array.isArray(raw.tables) || !Array.isArray(raw.buckets)) {
    throw new Error(`${file}: expected {"tables": [...], "buckets": [...]}`);
  }
  const names = new Set<string>();
  const tables = raw.tables.map((t, i) => {
    const table = t as Partial<TableSpec>;
    if (typeof table.name !== 'string' || typeof table.env !== 'string') {
      throw new Error(`${file}: tables[${i}] needs a name and an env`);
    }
    if (names.has(table.name)) throw new Error(`${file}: duplicate table ${table.name}`);
    names.add(table.name);
    return {
      ...table,
      partition_key: checkKey(`tables[${i}].partition_key`, table.partition_key),
      sort_key: table.sort_key === undefined ? undefined : checkKey(`tables[${i}].sort_key`, table.sort_key),
      indexes: (table.indexes ?? []).map((index, j) => {
        const where = `tables[${i}].indexes[${j}]`;
        if (typeof index.name !== 'string' || !['KEYS_ONLY', 'ALL'].includes(String(index.projection))) {
          throw new Error(`${file}: ${where} needs a name and a projection KEYS_ONLY|ALL`);
        }
        return {
          ...index,
          partition_key: checkKey(`${where}.partition_key`, index.partition_key),
          sort_key: index.sort_key === undefined ? undefined : checkKey(`${where}.sort_key`, index.sort_key),
        };
      }),
    } as TableSpec;
  });
  const buckets = raw.buckets.map((b, i) => {
    const bucket = b as Partial<BucketSpec>;
    if (typeof bucket.name !== 'string' || typeof bucket.env !== 'string') {
      throw new Error(`${file}: buckets[${i}] needs a name and an env`);
    }
    return bucket as BucketSpec;
  });
  return { tables, buckets };
}
