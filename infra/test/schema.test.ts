// The tables are created from shared/schema/tables.json and nothing else.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { loadSchema, SCHEMA_PATH } from '../lib/schema';
import { resourcesOf, templates } from './helpers';

// Read independently of lib/schema.ts, straight from the repository's file.
const schemaFile = path.resolve(__dirname, '..', '..', 'shared', 'schema', 'tables.json');
const expected = JSON.parse(readFileSync(schemaFile, 'utf8')) as {
  tables: {
    name: string;
    partition_key: { name: string; type: string };
    sort_key?: { name: string; type: string };
    ttl_attribute?: string;
    personal_data?: boolean;
    indexes?: {
      name: string;
      partition_key: { name: string; type: string };
      sort_key?: { name: string; type: string };
      projection: string;
      non_key_attributes?: string[];
    }[];
  }[];
  buckets: { name: string }[];
};

describe('tables from shared/schema/tables.json', () => {
  const { survey } = templates();
  const tables = Object.values(resourcesOf(survey, 'AWS::DynamoDB::Table')).map((r) => r.Properties);
  const byName = new Map(tables.map((t) => [String(t.TableName).replace(/^survey-dev-/, ''), t]));

  it('the app reads the schema file of the repository', () => {
    assert.equal(SCHEMA_PATH, schemaFile);
    assert.deepEqual(loadSchema().tables.map((t) => t.name), expected.tables.map((t) => t.name));
  });

  it('creates exactly the tables of the schema', () => {
    assert.deepEqual([...byName.keys()].sort(), expected.tables.map((t) => t.name).sort());
  });

  for (const t of expected.tables) {
    it(`${t.name}: key names and types, indexes, TTL`, () => {
      const actual = byName.get(t.name);
      assert.ok(actual, `table ${t.name} missing`);
      const keySchema = [{ AttributeName: t.partition_key.name, KeyType: 'HASH' }];
      const attributes = [{ AttributeName: t.partition_key.name, AttributeType: t.partition_key.type }];
      if (t.sort_key) {
        keySchema.push({ AttributeName: t.sort_key.name, KeyType: 'RANGE' });
        attributes.push({ AttributeName: t.sort_key.name, AttributeType: t.sort_key.type });
      }
      for (const index of t.indexes ?? []) {
        for (const key of [index.partition_key, index.sort_key]) {
          if (key && !attributes.some((a) => a.AttributeName === key.name)) {
            attributes.push({ AttributeName: key.name, AttributeType: key.type });
          }
        }
      }
      const indexes = (actual.GlobalSecondaryIndexes ?? []).map((g: any) => ({
        name: g.IndexName,
        keys: g.KeySchema.map((k: any) => `${k.AttributeName}:${k.KeyType}`),
        projection: g.Projection.ProjectionType,
        nonKey: g.Projection.NonKeyAttributes,
      }));
      assert.deepEqual(
        indexes,
        (t.indexes ?? []).map((index) => ({
          name: index.name,
          keys: [`${index.partition_key.name}:HASH`, ...(index.sort_key ? [`${index.sort_key.name}:RANGE`] : [])],
          projection: index.projection,
          nonKey: index.non_key_attributes,
        })),
      );
      assert.deepEqual(actual.KeySchema, keySchema);
      assert.deepEqual(
        [...actual.AttributeDefinitions].sort((a: any, b: any) => a.AttributeName.localeCompare(b.AttributeName)),
        attributes.sort((a, b) => a.AttributeName.localeCompare(b.AttributeName)),
      );
      if (t.ttl_attribute) {
        assert.deepEqual(actual.TimeToLiveSpecification, { AttributeName: t.ttl_attribute, Enabled: true });
      } else {
        assert.equal(actual.TimeToLiveSpecification, undefined);
      }
    });

    it(`${t.name}: on-demand, point-in-time recovery, encrypted`, () => {
      const actual = byName.get(t.name)!;
      assert.equal(actual.BillingMode, 'PAY_PER_REQUEST');
      assert.deepEqual(actual.PointInTimeRecoverySpecification, { PointInTimeRecoveryEnabled: true });
      assert.equal(actual.SSESpecification?.SSEEnabled, true);
      if (t.personal_data) {
        // Personal data under a customer-managed key of its own.
        assert.equal(actual.SSESpecification.SSEType, 'KMS');
        assert.ok(actual.SSESpecification.KMSMasterKeyId, 'personal data needs its own KMS key');
      }
    });
  }

  it('creates the schema buckets plus the site and access-log buckets, all private', () => {
    const buckets = Object.values(resourcesOf(survey, 'AWS::S3::Bucket')).map((r) => r.Properties);
    assert.equal(buckets.length, expected.buckets.length + 2);
    for (const b of buckets) {
      assert.deepEqual(b.PublicAccessBlockConfiguration, {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
    }
  });

  it('rejects a malformed schema file', () => {
    const bad = path.join(require('node:os').tmpdir(), `bad-schema-${process.pid}.json`);
    require('node:fs').writeFileSync(bad, JSON.stringify({ tables: [{ name: 'x', env: 'X', partition_key: { name: 'id', type: 'Q' } }], buckets: [] }));
    assert.throws(() => loadSchema(bad), /partition_key/);
  });

  it("the answers' by_unit index holds the keys and the day each answer arrived, never the answers", () => {
    const answers = byName.get('answers')!;
    const index = answers.GlobalSecondaryIndexes.find((g: any) => g.IndexName === 'by_unit');
    assert.deepEqual(index.Projection, { ProjectionType: 'INCLUDE', NonKeyAttributes: ['date'] });
    const spec = loadSchema().tables.find((t) => t.name === 'answers')!.indexes!.find((i) => i.name === 'by_unit')!;
    assert.equal(spec.projection, 'INCLUDE');
    assert.deepEqual(spec.non_key_attributes, ['date']);
  });
});

describe('index projections in the schema', () => {
  const file = (index: Record<string, unknown>): string => {
    const f = path.join(require('node:os').tmpdir(), `schema-${process.pid}-${Math.random().toString(36).slice(2)}.json`);
    const table = {
      name: 't',
      env: 'T_TABLE',
      local_name: 't',
      partition_key: { name: 'id', type: 'S' },
      indexes: [{ name: 'by_x', partition_key: { name: 'x', type: 'S' }, ...index }],
    };
    require('node:fs').writeFileSync(f, JSON.stringify({ tables: [table], buckets: [] }));
    return f;
  };

  it('INCLUDE with a list of attributes is read as it is', () => {
    const [index] = loadSchema(file({ projection: 'INCLUDE', non_key_attributes: ['date', 'lang'] })).tables[0]!.indexes!;
    assert.equal(index!.projection, 'INCLUDE');
    assert.deepEqual(index!.non_key_attributes, ['date', 'lang']);
  });

  it('KEYS_ONLY and ALL are read without attributes', () => {
    for (const projection of ['KEYS_ONLY', 'ALL']) {
      const [index] = loadSchema(file({ projection })).tables[0]!.indexes!;
      assert.equal(index!.projection, projection);
      assert.equal(index!.non_key_attributes, undefined);
    }
  });

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['INCLUDE without attributes', { projection: 'INCLUDE' }, /INCLUDE needs non_key_attributes/],
    ['INCLUDE with an empty list', { projection: 'INCLUDE', non_key_attributes: [] }, /INCLUDE needs non_key_attributes/],
    ['INCLUDE with a non-string', { projection: 'INCLUDE', non_key_attributes: ['date', 3] }, /INCLUDE needs non_key_attributes/],
    ['INCLUDE with an empty name', { projection: 'INCLUDE', non_key_attributes: [''] }, /INCLUDE needs non_key_attributes/],
    ['INCLUDE with a repeated name', { projection: 'INCLUDE', non_key_attributes: ['date', 'date'] }, /INCLUDE needs non_key_attributes/],
    ['INCLUDE with a string, not a list', { projection: 'INCLUDE', non_key_attributes: 'date' }, /INCLUDE needs non_key_attributes/],
    ['KEYS_ONLY with attributes', { projection: 'KEYS_ONLY', non_key_attributes: ['date'] }, /INCLUDE only, not KEYS_ONLY/],
    ['ALL with attributes', { projection: 'ALL', non_key_attributes: ['date'] }, /INCLUDE only, not ALL/],
    ['ALL with an empty list', { projection: 'ALL', non_key_attributes: [] }, /INCLUDE only, not ALL/],
    ['an unknown projection', { projection: 'SOME' }, /projection KEYS_ONLY\|INCLUDE\|ALL/],
  ];
  for (const [name, index, error] of bad) {
    it(`rejects ${name}`, () => {
      assert.throws(() => loadSchema(file(index)), error);
    });
  }
});
