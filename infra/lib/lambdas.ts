// One RustFunction per FunctionSpec, each with its own role that holds exactly the
// grants the spec lists (no managed policies, no grantReadWriteData).
import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { RustFunction } from 'cargo-lambda-cdk';
import { Construct } from 'constructs';
import type { StageConfig } from './config';
import type { Data } from './data';
import type { TableSpec } from './schema';
import { pascal } from './data';
import type { BucketGrant, FunctionSpec, TableAction } from './functions';
import type { MailQueue } from './mail';
import { acknowledge } from './nag';

/** The Cargo workspace root manifest, from this file (infra/lib -> repo root). */
export const WORKSPACE_MANIFEST = path.resolve(__dirname, '..', '..', 'Cargo.toml');

/** Mail settings for functions with `sendsEmail`. */
export interface MailSettings {
  readonly domain: string;
  /** `Name <address>` at `domain`. */
  readonly from: string;
  readonly configurationSetName: string;
}

export interface LambdasProps {
  readonly config: StageConfig;
  readonly specs: readonly FunctionSpec[];
  readonly data: Data;
  /**
   * HASH_KEY as a CloudFormation dynamic reference ({{resolve:secretsmanager:...}}):
   * see SurveyStack for the trade-off.
   */
  readonly hashKey: string;
  /**
   * ORIGIN_SECRET for every function behind an API route, as a dynamic reference: the
   * value CloudFront sends in X-Origin-Verify (see SurveyStack).
   */
  readonly originSecret: string;
  readonly mail: MailSettings;
  /** Set when a spec has `mail` (SurveyStack makes it for the consumer's timeout). */
  readonly mailQueue?: MailQueue;
}

export interface DeployedFunction {
  readonly spec: FunctionSpec;
  readonly fn: lambda.Function;
  readonly role: iam.Role;
}

const READ_ONLY: readonly TableAction[] = ['GetItem', 'BatchGetItem', 'Query', 'Scan'];

/** Each bucket's functions may only touch keys under its prefix (CONTRACT.md, "Where things land in S3"). */
const BUCKET_PREFIX: Record<string, string> = { content: 'content/', results: 'results/' };

export class Lambdas extends Construct {
  readonly functions: DeployedFunction[] = [];

  constructor(scope: Construct, id: string, props: LambdasProps) {
    super(scope, id);
    const { config, data } = props;
    for (const spec of props.specs) {
      this.functions.push(this.build(spec, config, data, props));
    }
    // Once every function exists: who may invoke whom.
    for (const deployed of this.functions) this.grantInvokes(deployed);
  }

  /** lambda:InvokeFunction on exactly the functions a spec `invokes`, and their names in its environment. */
  private grantInvokes({ spec, fn, role }: DeployedFunction): void {
    for (const name of new Set(spec.invokes ?? [])) {
      const target = this.get(name);
      if (!target || name === spec.name) throw new Error(`${spec.name}: invokes ${name}, which is not another deployed function`);
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: `Invoke${pascal(name)}`,
          actions: ['lambda:InvokeFunction'],
          // The unqualified ARN: the function's $LATEST, no version or alias, no other function.
          resources: [target.fn.functionArn],
        }),
      );
      fn.addEnvironment(invokeEnv(name), target.fn.functionName);
    }
  }

  get(name: string): DeployedFunction | undefined {
    return this.functions.find((f) => f.spec.name === name);
  }

  private build(spec: FunctionSpec, config: StageConfig, data: Data, props: LambdasProps): DeployedFunction {
    const cid = pascal(spec.name);
    const functionName = `${config.prefix}-${spec.name}`;

    const logGroup = new logs.LogGroup(this, `${cid}Logs`, {
      logGroupName: `/aws/lambda/${functionName}`,
      retention: config.logRetention,
      removalPolicy: config.isProd ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    // Own role instead of the default one, which would attach the AWS managed
    // AWSLambdaBasicExecutionRole (logs on every log group in the account).
    const role = new iam.Role(this, `${cid}Role`, {
      description: `${functionName}: only what FunctionSpec '${spec.name}' lists`,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'OwnLogGroupOnly',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );

    const environment: Record<string, string> = { RUST_LOG: 'info' };
    const mailQueue = (s: FunctionSpec): MailQueue => {
      if (!props.mailQueue) throw new Error(`${s.name}: mail (${s.mail?.join(', ')}) needs the mail queue`);
      return props.mailQueue;
    };

    for (const tableName of Object.keys(spec.indexes ?? {})) {
      if (!spec.tables?.[tableName]?.includes('Query')) {
        throw new Error(`${spec.name}: indexes of ${tableName} go with a Query on ${tableName} in tables`);
      }
    }
    for (const [tableName, actions] of Object.entries(spec.tables ?? {})) {
      if (!actions?.length) continue;
      const { spec: tableSpec, table, key } = data.table(tableName);
      for (const grant of tableGrants(spec, tableName, table.tableArn, tableSpec, actions)) {
        role.addToPrincipalPolicy(new iam.PolicyStatement(grant));
      }
      if (key) {
        // The table's own key, usable only through DynamoDB (not to decrypt anything directly).
        const writes = actions.some((a) => !READ_ONLY.includes(a));
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({
            sid: `${pascal(tableName)}TableKey`,
            actions: writes
              ? ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey']
              : ['kms:Decrypt', 'kms:DescribeKey'],
            resources: [key.keyArn],
            conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(this).region}.amazonaws.com` } },
          }),
        );
      }
      if (tableName === 'audit') {
        // The audit log is only ever added to: whatever else the role may be given, never this.
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({
            sid: 'AuditLogAppendOnly',
            effect: iam.Effect.DENY,
            actions: ['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'],
            resources: [table.tableArn],
          }),
        );
      }
      environment[tableSpec.env] = table.tableName;
    }

    for (const [bucketName, grant] of Object.entries(spec.buckets ?? {})) {
      if (!grant) continue;
      const bucket = data.bucket(bucketName);
      this.grantObjects(role, spec, bucketName, bucket, grant);
      environment[data.bucketSpec(bucketName).env] = bucket.bucketName;
    }

    if (spec.hashKey) environment.HASH_KEY = props.hashKey;
    // Only with this secret in X-Origin-Verify do the functions believe CloudFront-Viewer-Address.
    if (spec.routes?.length) environment.ORIGIN_SECRET = props.originSecret;

    if (spec.mail?.includes('queue')) {
      const { queue, key } = mailQueue(spec);
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ sid: 'QueueMail', actions: ['sqs:SendMessage'], resources: [queue.queueArn] }),
      );
      // What SQS needs of a sender to a KMS-encrypted queue, through SQS only.
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'QueueMailKey',
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [key.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `sqs.${Stack.of(this).region}.amazonaws.com` } },
        }),
      );
      environment.MAIL_QUEUE_URL = queue.queueUrl;
    }

    if (spec.sendsEmail) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'SendFromOwnDomainOnly',
          actions: ['ses:SendEmail', 'ses:SendRawEmail'],
          resources: [
            Stack.of(this).formatArn({ service: 'ses', resource: 'identity', resourceName: props.mail.domain }),
            Stack.of(this).formatArn({
              service: 'ses',
              resource: 'configuration-set',
              resourceName: props.mail.configurationSetName,
            }),
          ],
        }),
      );
      environment.MAIL_FROM = props.mail.from;
      environment.SES_CONFIGURATION_SET = props.mail.configurationSetName;
    }

    const reserved =
      spec.reservedConcurrency === undefined || config.maxReservedConcurrency === 0
        ? undefined
        : Math.min(spec.reservedConcurrency, config.maxReservedConcurrency);

    const fn = new RustFunction(this, cid, {
      functionName,
      description: spec.description,
      manifestPath: WORKSPACE_MANIFEST,
      binaryName: spec.name,
      architecture: lambda.Architecture.ARM_64,
      bundling: {
        architecture: lambda.Architecture.ARM_64,
        // Local cargo-lambda (with zig from .venv/bin on PATH); there is no Docker here.
        forcedDockerBundling: false,
        environment: {
          // A target dir of its own: the arm64 release build never shares artefacts with
          // the developers' debug builds anyway, and this keeps it off their cargo lock.
          // (An explicit CARGO_TARGET_DIR in the environment wins.)
          CARGO_TARGET_DIR:
            process.env.CARGO_TARGET_DIR ?? path.resolve(path.dirname(WORKSPACE_MANIFEST), 'target', 'cdk'),
        },
      },
      memorySize: spec.memoryMb,
      timeout: Duration.seconds(spec.timeoutSeconds),
      reservedConcurrentExecutions: reserved,
      role,
      logGroup,
      tracing: lambda.Tracing.ACTIVE,
      environment,
    });

    // X-Ray's PutTraceSegments/PutTelemetryRecords support no resource-level permissions.
    acknowledge(
      role,
      'AwsSolutions-IAM5[Resource::*]',
      'Added by Tracing.ACTIVE: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions (AWS documents Resource "*").',
    );
    if (spec.mail?.includes('consume')) {
      if (spec.reservedConcurrency === undefined) throw new Error(`${spec.name}: a queue consumer needs reserved concurrency`);
      fn.addEventSource(
        new SqsEventSource(mailQueue(spec).queue, {
          batchSize: 10,
          // A failed job comes back alone; the others of its batch are done.
          reportBatchItemFailures: true,
          // No more pollers than the function may run: otherwise SQS hands batches to a
          // throttled function and jobs reach the dead-letter queue without being tried.
          maxConcurrency: Math.max(2, reserved ?? spec.reservedConcurrency),
        }),
      );
      acknowledge(
        fn,
        'Serverless-LambdaDLQ',
        'Triggered by the mail queue through an event source mapping, not invoked asynchronously: a job that keeps failing goes to the mail queue\'s own dead-letter queue (redrive policy), which has an alarm.',
      );
      acknowledge(
        fn,
        'Serverless-LambdaEventSourceMappingDestination',
        'An SQS event source mapping has no on-failure destination (Lambda supports those for streams and Kafka); failed jobs go to the mail queue\'s dead-letter queue by its redrive policy, watched by an alarm.',
      );
    } else if (!spec.schedule) {
      acknowledge(
        fn,
        'Serverless-LambdaDLQ',
        'Invoked synchronously by API Gateway only: errors go back to the caller as HTTP responses, there is no asynchronous event to dead-letter.',
      );
    }
    return { spec, fn, role };
  }

  /** s3:GetObject/PutObject on exactly the grant's key patterns, each inside the bucket's prefix. */
  private grantObjects(role: iam.Role, spec: FunctionSpec, bucketName: string, bucket: s3.IBucket, grant: BucketGrant): void {
    const prefix = BUCKET_PREFIX[bucketName];
    if (!prefix) throw new Error(`no prefix known for bucket ${bucketName}`);
    const sid = pascal(bucketName);
    const bucketId = Stack.of(this).getLogicalId(bucket.node.defaultChild as never);
    const grants: [string, string, readonly string[]][] = [
      ['Read', 's3:GetObject', grant.read ?? []],
      ['Write', 's3:PutObject', grant.write ?? []],
    ];
    for (const [what, action, keys] of grants) {
      if (!keys.length) continue;
      for (const key of keys) {
        if (!key.startsWith(prefix) || key === `${prefix}*`) {
          throw new Error(`${spec.name}: ${bucketName} key pattern ${key} must name keys under ${prefix}, not the whole prefix`);
        }
      }
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: `${sid}${what}`,
          actions: [action],
          resources: keys.map((key) => bucket.arnForObjects(key)),
        }),
      );
    }
    for (const key of new Set([...(grant.read ?? []), ...(grant.write ?? [])])) {
      acknowledge(
        role,
        `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${key}]`,
        `S3 object actions need object ARNs; ${key} in the ${bucketName} bucket is exactly the kind of key this function reads or writes, one per survey (and run).`,
      );
    }
    if (grant.list) {
      if (!grant.read?.length) throw new Error(`${spec.name}: list on ${bucketName} goes with read keys`);
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: `${sid}List`,
          actions: ['s3:ListBucket'],
          resources: [bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': [...grant.read] } },
        }),
      );
    }
  }
}

/** The environment variable that names an invoked function: `aggregate` -> AGGREGATE_FUNCTION. */
export function invokeEnv(name: string): string {
  return `${name.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_FUNCTION`;
}

/**
 * The statements of a function's actions on one table. With `indexes` named for the
 * table, Query goes on exactly those index ARNs and the other actions on the table
 * alone; otherwise one statement on tableResources.
 */
export function tableGrants(
  spec: FunctionSpec,
  tableName: string,
  tableArn: string,
  tableSpec: TableSpec,
  actions: readonly TableAction[],
): iam.PolicyStatementProps[] {
  const sid = `${pascal(tableName)}Table`;
  const dynamo = (list: readonly TableAction[]) => [...new Set(list)].map((a) => `dynamodb:${a}`);
  const named = spec.indexes?.[tableName];
  if (!named) return [{ sid, actions: dynamo(actions), resources: tableResources(tableArn, tableSpec, actions) }];
  const known = (tableSpec.indexes ?? []).map((index) => index.name);
  if (!named.length) throw new Error(`${spec.name}: indexes of ${tableName} names no index`);
  for (const index of named) {
    if (!known.includes(index)) throw new Error(`${spec.name}: ${tableName} has no index ${index} in shared/schema/tables.json`);
  }
  const indexArns = [...new Set(named)].map((index) => `${tableArn}/index/${index}`);
  const others = actions.filter((a) => a !== 'Query');
  if (!others.length) return [{ sid, actions: ['dynamodb:Query'], resources: indexArns }];
  return [
    { sid, actions: dynamo(others), resources: [tableArn] },
    { sid: `${pascal(tableName)}Indexes`, actions: ['dynamodb:Query'], resources: indexArns },
  ];
}

/**
 * Where a function's table actions apply when its spec names no `indexes` for the table.
 * A function whose only action on a table is Query gets all of the table's indexes and
 * not the table itself (it reads what the indexes project, never a whole item);
 * otherwise the table, plus its indexes when it queries. Functions that query the
 * answers name their index (`indexes: { answers: ['by_unit'] }`), so that an index added
 * later is not theirs to read.
 */
export function tableResources(tableArn: string, spec: TableSpec, actions: readonly string[]): string[] {
  const indexes = (spec.indexes ?? []).map((index) => `${tableArn}/index/${index.name}`);
  if (indexes.length === 0 || !actions.includes('Query')) return [tableArn];
  return actions.every((a) => a === 'Query') ? indexes : [tableArn, ...indexes];
}
