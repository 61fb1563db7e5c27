// Tables and buckets from shared/schema/tables.json, plus the site and access-log buckets.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { DailyBackup } from './backup';
import type { StageConfig } from './config';
import { acknowledge } from './nag';
import type { Backup, BucketSpec, KeyType, Projection, Schema, TableSpec } from './schema';

/** Why a table has no point-in-time recovery (cdk-nag AwsSolutions-DDB3), by its schema's `backup`. */
/** How long a table of personal data can be restored to a point in time (DynamoDB's default is 35 days). */
const PERSONAL_DATA_RECOVERY_DAYS = 7;

const WITHOUT_POINT_IN_TIME: Partial<Record<Backup, string>> = {
  daily:
    'Point-in-time recovery would keep, for 35 days, the second each item was written, where an answer holds only its day: two restores a second apart would tell when someone answered. Backed up once a day with AWS Backup instead (lib/backup.ts).',
  none: 'Counters that live minutes and are deleted by TTL (per keyed address and minute): point-in-time recovery would keep them restorable for 35 days, and there is nothing worth restoring.',
};

const ATTRIBUTE_TYPES: Record<KeyType, dynamodb.AttributeType> = {
  S: dynamodb.AttributeType.STRING,
  N: dynamodb.AttributeType.NUMBER,
  B: dynamodb.AttributeType.BINARY,
};

const PROJECTION_TYPES: Record<Projection, dynamodb.ProjectionType> = {
  KEYS_ONLY: dynamodb.ProjectionType.KEYS_ONLY,
  INCLUDE: dynamodb.ProjectionType.INCLUDE,
  ALL: dynamodb.ProjectionType.ALL,
};

export interface DataProps {
  readonly config: StageConfig;
  readonly schema: Schema;
}

export interface DeployedTable {
  readonly spec: TableSpec;
  readonly table: dynamodb.Table;
  /** Set for personal-data tables, which are encrypted with their own key. */
  readonly key?: kms.Key;
}

export class Data extends Construct {
  readonly tables = new Map<string, DeployedTable>();
  readonly buckets = new Map<string, s3.Bucket>();
  private readonly bucketSpecs = new Map<string, BucketSpec>();
  readonly siteBucket: s3.Bucket;
  readonly accessLogsBucket: s3.Bucket;
  /** The daily backup of the tables whose schema says `"backup": "daily"`, if any does. */
  readonly dailyBackup?: DailyBackup;

  constructor(scope: Construct, id: string, props: DataProps) {
    super(scope, id);
    const { config, schema } = props;
    const keep = config.isProd ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    for (const spec of schema.tables) {
      const cid = pascal(spec.name);
      // Personal data (contacts) gets a customer-managed key: reading it needs kms:Decrypt
      // on that key as well as the table grant, so a too-broad DynamoDB grant elsewhere
      // still cannot read contacts, and CloudTrail shows every use of the key.
      const key = spec.personal_data
        ? new kms.Key(this, `${cid}Key`, {
            description: `${config.prefix}: encrypts the ${spec.name} table (personal data)`,
            enableKeyRotation: true,
            removalPolicy: RemovalPolicy.RETAIN,
          })
        : undefined;
      const recovery = spec.backup ?? 'point_in_time';
      const table = new dynamodb.Table(this, `${cid}Table`, {
        tableName: `${config.prefix}-${spec.name}`,
        partitionKey: { name: spec.partition_key.name, type: ATTRIBUTE_TYPES[spec.partition_key.type] },
        sortKey: spec.sort_key && { name: spec.sort_key.name, type: ATTRIBUTE_TYPES[spec.sort_key.type] },
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        // Point-in-time recovery unless the schema says otherwise (`backup`, lib/schema.ts):
        // the answers and rate_limits must not be restorable to the second. Personal data
        // deleted (a pending contact's TTL, a removed contact) is restorable only a week.
        pointInTimeRecoverySpecification: {
          pointInTimeRecoveryEnabled: recovery === 'point_in_time',
          recoveryPeriodInDays: recovery === 'point_in_time' && spec.personal_data ? PERSONAL_DATA_RECOVERY_DAYS : undefined,
        },
        encryption: key ? dynamodb.TableEncryption.CUSTOMER_MANAGED : dynamodb.TableEncryption.AWS_MANAGED,
        encryptionKey: key,
        timeToLiveAttribute: spec.ttl_attribute,
        deletionProtection: config.isProd,
        removalPolicy: keep,
      });
      const withoutPointInTime = WITHOUT_POINT_IN_TIME[recovery];
      if (withoutPointInTime) acknowledge(table, 'AwsSolutions-DDB3', withoutPointInTime);
      for (const index of spec.indexes ?? []) {
        table.addGlobalSecondaryIndex({
          indexName: index.name,
          partitionKey: { name: index.partition_key.name, type: ATTRIBUTE_TYPES[index.partition_key.type] },
          sortKey: index.sort_key && { name: index.sort_key.name, type: ATTRIBUTE_TYPES[index.sort_key.type] },
          projectionType: PROJECTION_TYPES[index.projection],
          nonKeyAttributes: index.projection === 'INCLUDE' ? [...index.non_key_attributes!] : undefined,
        });
      }
      this.tables.set(spec.name, { spec, table, key });
    }

    const daily = [...this.tables.values()].filter((t) => t.spec.backup === 'daily').map((t) => t.table);
    if (daily.length > 0) this.dailyBackup = new DailyBackup(this, 'DailyBackup', { config, tables: daily });

    // Server access logs of the other buckets. It is the end of the chain: logging it
    // into itself (or another bucket) would only log the logging.
    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogsBucket', {
      ...bucketDefaults,
      versioned: false,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(config.isProd ? 365 : 30) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const logged = (name: string): s3.BucketProps => ({
      ...bucketDefaults,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: `${name}/`,
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(90) }],
      // Buckets are kept on stack deletion, in dev too (S3 refuses to delete a non-empty
      // bucket, and an auto-delete custom resource is one more Lambda to secure).
      removalPolicy: RemovalPolicy.RETAIN,
    });

    for (const spec of schema.buckets) {
      this.bucketSpecs.set(spec.name, spec);
      this.buckets.set(spec.name, new s3.Bucket(this, `${pascal(spec.name)}Bucket`, logged(spec.name)));
    }
    this.siteBucket = new s3.Bucket(this, 'SiteBucket', logged('site'));
  }

  table(name: string): DeployedTable {
    const t = this.tables.get(name);
    if (!t) throw new Error(`table ${name} is not in shared/schema/tables.json`);
    return t;
  }

  bucketSpec(name: string): BucketSpec {
    const b = this.bucketSpecs.get(name);
    if (!b) throw new Error(`bucket ${name} is not in shared/schema/tables.json`);
    return b;
  }

  bucket(name: string): s3.Bucket {
    const b = this.buckets.get(name);
    if (!b) throw new Error(`bucket ${name} is not in shared/schema/tables.json`);
    return b;
  }
}

const bucketDefaults: s3.BucketProps = {
  blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  encryption: s3.BucketEncryption.S3_MANAGED,
  enforceSSL: true,
  minimumTLSVersion: 1.2,
  versioned: true,
  objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
};

export function pascal(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((p) => p[0]!.toUpperCase() + p.slice(1))
    .join('');
}
