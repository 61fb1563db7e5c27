// The one definition of tables and buckets is shared/schema/tables.json (also used by
// the local stack and the Rust code). The CDK app reads it; nothing here repeats it.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

export type KeyType = 'S' | 'N' | 'B';

export interface KeySpec {
  readonly name: string;
  readonly type: KeyType;
}

export type Projection = 'KEYS_ONLY' | 'INCLUDE' | 'ALL';

/**
 * A global secondary index. The projection is `KEYS_ONLY`, `ALL`, or `INCLUDE` with the
 * `non_key_attributes` it copies besides the keys (such as the answers' `date`, and never
 * the answers themselves): an index a function may query is all of the table it can read.
 */
export interface IndexSpec {
  readonly name: string;
  readonly partition_key: KeySpec;
  readonly sort_key?: KeySpec;
  readonly projection: Projection;
  /** With `INCLUDE` only, and then at least one. */
  readonly non_key_attributes?: readonly string[];
  readonly description?: string;
}

/**
 * How a table can be restored. `point_in_time` (the default): DynamoDB's point-in-time
 * recovery, to any second of the last 35 days. `daily`: no point-in-time recovery, a
 * backup once a day with AWS Backup instead, for a table where the second an item was
 * written must not be kept (the answers hold only their day). `none`: nothing, for
 * short-lived items whose TTL is the point (rate_limits).
 */
export type Backup = 'point_in_time' | 'daily' | 'none';

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
  readonly backup?: Backup;
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
const PROJECTIONS: readonly string[] = ['KEYS_ONLY', 'INCLUDE', 'ALL'];
const BACKUPS: readonly unknown[] = ['point_in_time', 'daily', 'none'];

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
    if (table.backup !== undefined && !BACKUPS.includes(table.backup)) {
      throw new Error(`${file}: tables[${i}] backup: point_in_time|daily|none, not ${JSON.stringify(table.backup)}`);
    }
    names.add(table.name);
    return {
      ...table,
      partition_key: checkKey(`tables[${i}].partition_key`, table.partition_key),
      sort_key: table.sort_key === undefined ? undefined : checkKey(`tables[${i}].sort_key`, table.sort_key),
      indexes: (table.indexes ?? []).map((index, j) => {
        const where = `tables[${i}].indexes[${j}]`;
        if (typeof index.name !== 'string' || !PROJECTIONS.includes(String(index.projection))) {
          throw new Error(`${file}: ${where} needs a name and a projection KEYS_ONLY|INCLUDE|ALL`);
        }
        const attributes: unknown = index.non_key_attributes;
        if (index.projection === 'INCLUDE') {
          if (
            !Array.isArray(attributes) ||
            attributes.length === 0 ||
            !attributes.every((a) => typeof a === 'string' && a !== '') ||
            new Set(attributes).size !== attributes.length
          ) {
            throw new Error(`${file}: ${where} projection INCLUDE needs non_key_attributes, a list of distinct attribute names`);
          }
        } else if (attributes !== undefined) {
          throw new Error(`${file}: ${where} non_key_attributes go with projection INCLUDE only, not ${index.projection}`);
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
