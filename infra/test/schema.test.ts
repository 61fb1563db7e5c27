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
    backup?: string;
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

    it(`${t.name}: on-demand, point-in-time recovery as the schema says, encrypted`, () => {
      const actual = byName.get(t.name)!;
      assert.equal(actual.BillingMode, 'PAY_PER_REQUEST');
      const pointInTime = (t.backup ?? 'point_in_time') === 'point_in_time';
      assert.deepEqual(actual.PointInTimeRecoverySpecification, {
        PointInTimeRecoveryEnabled: pointInTime,
        ...(pointInTime && t.personal_data ? { RecoveryPeriodInDays: 7 } : {}),
      });
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

// Point-in-time recovery restores a table to any second of the last 35 days. Restoring
// the answers table at T and at T + 1 s tells the second an answer was stored, where the
// answer itself holds only its day; rate_limits' counts per keyed address and minute
// would outlive their TTL by 35 days. So these two have none, the answers are backed up
// once a day instead, and rate_limits (counters that live minutes) not at all.
describe('recovery: no copy of the answers finer than a day', () => {
  const NO_POINT_IN_TIME = ['answers', 'rate_limits'];
  const { survey } = templates();
  const tables = resourcesOf(survey, 'AWS::DynamoDB::Table');
  const tableId = (name: string) =>
    Object.entries(tables).find(([, t]) => t.Properties.TableName === `survey-dev-${name}`)![0];
  const plans = Object.values(resourcesOf(survey, 'AWS::Backup::BackupPlan')).map((p) => p.Properties.BackupPlan);
  const rules = plans.flatMap((p) => p.BackupPlanRule);
  const selections = Object.values(resourcesOf(survey, 'AWS::Backup::BackupSelection')).map((s) => s.Properties.BackupSelection);
  const selected = selections.flatMap((s) => s.Resources ?? []);

  it('answers and rate_limits have no point-in-time recovery, and the schema says why', () => {
    for (const name of NO_POINT_IN_TIME) {
      assert.deepEqual(tables[tableId(name)]!.Properties.PointInTimeRecoverySpecification, { PointInTimeRecoveryEnabled: false }, name);
    }
    const schema = new Map(loadSchema().tables.map((t) => [t.name, t]));
    assert.equal(schema.get('answers')!.backup, 'daily');
    assert.equal(schema.get('rate_limits')!.backup, 'none');
  });

  it('every other table keeps point-in-time recovery, 35 days, or 7 where it holds personal data', () => {
    const others = expected.tables.filter((t) => !NO_POINT_IN_TIME.includes(t.name));
    assert.ok(others.length > 0);
    const personal = others.filter((t) => t.personal_data).map((t) => t.name);
    assert.deepEqual(personal, ['contacts', 'recipients']);
    for (const { name, personal_data } of others) {
      // A contact or recipient deleted (by TTL, or by IMDi) stays restorable for the
      // recovery period: a week, not five.
      const recovery = personal_data
        ? { PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 7 }
        : { PointInTimeRecoveryEnabled: true };
      assert.deepEqual(tables[tableId(name)]!.Properties.PointInTimeRecoverySpecification, recovery, name);
    }
  });

  it('one daily backup plan selects the answers table and nothing else; rate_limits has no backup', () => {
    assert.equal(plans.length, 1);
    assert.equal(selections.length, 1);
    assert.deepEqual(selected, [{ 'Fn::GetAtt': [tableId('answers'), 'Arn'] }]);
    assert.deepEqual(selections[0]!.ListOfTags ?? [], [], 'no selection by tag, which could pull in other tables');
    assert.ok(!JSON.stringify(selections).includes(tableId('rate_limits')));
  });

  it('nothing finer than a day: one rule, at midnight in Norway, where the date changes, never continuous', () => {
    assert.equal(rules.length, 1);
    const [rule] = rules;
    assert.equal(rule.ScheduleExpression, 'cron(0 0 * * ? *)');
    assert.equal(rule.ScheduleExpressionTimezone, 'Europe/Oslo');
    // The job must start within the first hour of the day (AWS's shortest window).
    assert.equal(rule.StartWindowMinutes, 60);
    assert.notEqual(rule.EnableContinuousBackup, true);
    assert.equal(rule.Lifecycle.DeleteAfterDays, 35);
    assert.equal(rule.CopyActions, undefined);
  });

  it('the vault is encrypted with a key of its own, which rotates', () => {
    const vaults = Object.entries(resourcesOf(survey, 'AWS::Backup::BackupVault'));
    assert.equal(vaults.length, 1);
    const [vaultId, vault] = vaults[0]!;
    assert.equal(vault.Properties.BackupVaultName, 'survey-dev-backups');
    assert.deepEqual(rules[0].TargetBackupVault, { 'Fn::GetAtt': [vaultId, 'BackupVaultName'] });
    const keyId = vault.Properties.EncryptionKeyArn['Fn::GetAtt'][0];
    const key = resourcesOf(survey, 'AWS::KMS::Key')[keyId]!;
    assert.equal(key.Properties.EnableKeyRotation, true);
    const usedElsewhere = Object.values(tables).some((t) => JSON.stringify(t).includes(keyId));
    assert.ok(!usedElsewhere, 'the vault key is not a table key');
  });

  it('in prod the vault and its key are kept if the stack is deleted, as the tables are', () => {
    const prod = templates({ stage: 'prod' }).survey;
    const [vaultId, vault] = Object.entries(resourcesOf(prod, 'AWS::Backup::BackupVault'))[0]!;
    assert.ok(vaultId);
    assert.equal(vault.DeletionPolicy, 'Retain');
    const key = resourcesOf(prod, 'AWS::KMS::Key')[vault.Properties.EncryptionKeyArn['Fn::GetAtt'][0]]!;
    assert.equal(key.DeletionPolicy, 'Retain');
    const answers = Object.values(resourcesOf(prod, 'AWS::DynamoDB::Table')).find((t) => t.Properties.TableName === 'survey-prod-answers')!;
    assert.equal(answers.Properties.DeletionProtectionEnabled, true);
  });
});

describe('backup in the schema', () => {
  const file = (backup: unknown): string => {
    const f = path.join(require('node:os').tmpdir(), `schema-${process.pid}-${Math.random().toString(36).slice(2)}.json`);
    const table = { name: 't', env: 'T_TABLE', local_name: 't', partition_key: { name: 'id', type: 'S' }, backup };
    require('node:fs').writeFileSync(f, JSON.stringify({ tables: [table], buckets: [] }));
    return f;
  };

  it('point_in_time, daily and none are read as they are', () => {
    for (const backup of ['point_in_time', 'daily', 'none']) {
      assert.equal(loadSchema(file(backup)).tables[0]!.backup, backup);
    }
  });

  it('rejects anything else', () => {
    for (const backup of ['hourly', '', 1, true]) {
      assert.throws(() => loadSchema(file(backup)), /backup: point_in_time\|daily\|none/, String(backup));
    }
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
