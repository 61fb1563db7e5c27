// The survey platform in eu-north-1: data, functions, API, site, e-mail, schedule, alarms.
import { CfnOutput, Duration, Fn, RemovalPolicy, SecretValue, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { SqsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct, IConstruct } from 'constructs';
import { Alarms } from './alarms';
import { Api } from './api';
import type { StageConfig } from './config';
import { Data } from './data';
import { FUNCTIONS, type FunctionSpec } from './functions';
import { Lambdas } from './lambdas';
import { MailQueue } from './mail';
import { acknowledge } from './nag';
import { Email, Notifications } from './notify';
import { Operators } from './operators';
import { NightlySchedule } from './schedule';
import { loadSchema, SCHEMA_PATH } from './schema';
import { Site } from './site';

export interface SurveyStackProps extends StackProps {
  readonly config: StageConfig;
  /** ARN of the CLOUDFRONT-scope web ACL (EdgeStack, us-east-1). */
  readonly webAclArn: string;
  /** The functions to deploy (default: FUNCTIONS). Tests pass their own lists. */
  readonly functions?: readonly FunctionSpec[];
  /** The table/bucket schema file (default: shared/schema/tables.json). */
  readonly schemaPath?: string;
}

export class SurveyStack extends Stack {
  readonly data: Data;
  readonly lambdas: Lambdas;
  readonly api: Api;
  readonly site: Site;
  readonly email: Email;
  readonly notifications: Notifications;
  readonly schedules: NightlySchedule[] = [];
  readonly hashKeySecret: secretsmanager.Secret;
  readonly originSecret: secretsmanager.Secret;
  readonly mailQueue?: MailQueue;
  /** The schedules of the municipal survey's reminders, and the role they write to the mail queue with. */
  readonly reminderGroup?: scheduler.CfnScheduleGroup;
  readonly reminderRole?: iam.Role;
  /** The IMDi console's sign-in. */
  readonly operators: Operators;

  constructor(scope: Construct, id: string, props: SurveyStackProps) {
    super(scope, id, props);
    const { config } = props;
    const specs = props.functions ?? FUNCTIONS;
    const schema = loadSchema(props.schemaPath ?? SCHEMA_PATH);

    this.data = new Data(this, 'Data', { config, schema });
    this.operators = new Operators(this, 'Operators', { config });

    // HASH_KEY: the HMAC key behind code digests and answer ids. Generated once by
    // Secrets Manager (64 letters and digits) and handed to the functions as a
    // CloudFormation dynamic reference, resolved at deploy time into the function's
    // environment.
    // Trade-off: the functions need no secretsmanager:GetSecretValue permission, no SDK
    // call and no cold-start latency, and the key never appears in the template or in
    // cdk.out; but the resolved value is stored in the Lambda configuration (encrypted at
    // rest, readable by whoever may call lambda:GetFunctionConfiguration), and a changed
    // secret reaches the functions only with the next deploy. Reading it at start-up
    // through the SDK would avoid both at the cost of a grant and ~50 ms per cold start.
    // The key must never rotate: every stored code digest and answer id depends on it.
    this.hashKeySecret = new secretsmanager.Secret(this, 'HashKey', {
      secretName: `${config.prefix}/hash-key`,
      description: 'HASH_KEY: HMAC key for access-code digests and answer ids. Never rotate: stored digests depend on it.',
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      // Losing it makes every issued access code unusable, so it outlives the stack in prod.
      removalPolicy: config.isProd ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    acknowledge(
      this.hashKeySecret,
      'AwsSolutions-SMG4',
      'Not rotated on purpose: it is the HMAC key of the stored access-code digests and answer ids; a new key would orphan every issued code and break duplicate detection. Access to the secret is by IAM only.',
    );
    const hashKey = this.hashKeySecret.secretValue.unsafeUnwrap();

    // ORIGIN_SECRET: CloudFront sends it in X-Origin-Verify on every request to the API
    // origin; the functions believe CloudFront-Viewer-Address (the per-address rate
    // limits) only when it matches. The distribution, the API and the functions are all
    // in this stack and region (only WAF lives in us-east-1), so one secret reaches both
    // sides by dynamic reference, resolved at deploy time, with HASH_KEY's trade-off.
    // The execute-api endpoint stays on: CloudFront's origin is that host name, and
    // turning it off needs an API custom domain (a regional certificate and DNS this app
    // does not have in every stage). A direct call is therefore possible, but without the
    // secret its CloudFront-Viewer-Address is ignored and it is limited by its real source
    // address, the stage throttle and the shared wrong-code counter (SECURITY.md).
    this.originSecret = new secretsmanager.Secret(this, 'OriginSecret', {
      secretName: `${config.prefix}/origin-verify`,
      description: 'ORIGIN_SECRET: CloudFront sends it to the API in X-Origin-Verify; the functions trust CloudFront-Viewer-Address only with it.',
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledge(
      this.originSecret,
      'AwsSolutions-SMG4',
      'Rotated by hand (docs/deploy.md, -c originSecretVersion): CloudFront and the functions both take the value at deploy time, so a rotation is a new value and a deploy; during it a mismatch only makes the functions ignore CloudFront-Viewer-Address for a moment.',
    );
    const originSecret = SecretValue.secretsManager(this.originSecret.secretArn, {
      versionId: config.originSecretVersion,
    }).unsafeUnwrap();

    const consumer = specs.find((s) => s.mail?.includes('consume'));
    if (specs.some((s) => s.mail?.includes('queue')) && !consumer) throw new Error('functions queue mail but none consumes it');
    this.mailQueue = consumer
      ? new MailQueue(this, 'MailQueue', { config, workerTimeout: Duration.seconds(consumer.timeoutSeconds) })
      : undefined;

    this.notifications = new Notifications(this, 'Notifications', { config });
    this.email = new Email(this, 'Email', { config, key: this.notifications.key });
    if (this.mailQueue) {
      // The municipal survey's reminders: one-time schedules that `survey-admin reminders
      // schedule` makes per wave, in a group of their own, each putting a message on the
      // mail queue through a role that may do only that.
      this.reminderGroup = new scheduler.CfnScheduleGroup(this, 'ReminderScheduleGroup', {
        name: `${config.prefix}-reminders`,
      });
      this.reminderRole = new iam.Role(this, 'ReminderSchedulerRole', {
        description: 'EventBridge Scheduler: put a wave\'s scheduled reminders on the mail queue',
        assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
          conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
        }),
      });
      this.reminderRole.addToPrincipalPolicy(
        new iam.PolicyStatement({ sid: 'QueueReminders', actions: ['sqs:SendMessage'], resources: [this.mailQueue.queue.queueArn] }),
      );
      // What SQS needs of a sender to a KMS-encrypted queue, through SQS only.
      this.reminderRole.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'QueueRemindersKey',
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [this.mailQueue.key.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `sqs.${this.region}.amazonaws.com` } },
        }),
      );
      // SES's bounces and complaints reach the mail worker on its own queue, as they are
      // (raw), so that it stops mail to those addresses. SNS encrypts with the queue's key.
      const deadLetterQueue = this.mailQueue.deadLetterQueue;
      this.email.feedbackTopic.addSubscription(new SqsSubscription(this.mailQueue.queue, { rawMessageDelivery: true, deadLetterQueue }));
      this.mailQueue.key.grantEncryptDecrypt(new iam.ServicePrincipal('sns.amazonaws.com'));
    }

    this.lambdas = new Lambdas(this, 'Functions', {
      config,
      specs,
      data: this.data,
      hashKey,
      originSecret,
      mailQueue: this.mailQueue,
      mail: {
        domain: config.mailDomain,
        from: `Brukerundersøkelsen <ikke-svar@${config.mailDomain}>`,
        configurationSetName: this.email.configurationSet.configurationSetName,
      },
    });

    for (const { spec, fn } of this.lambdas.functions) {
      if (!spec.schedule) continue;
      const schedule = new NightlySchedule(this, `${fn.node.id}Nightly`, {
        fn,
        hour: spec.schedule.hour,
        minute: spec.schedule.minute,
        timeZone: spec.schedule.timeZone,
        scheduleName: `${config.prefix}-${spec.name}-nightly`,
      });
      this.schedules.push(schedule);
      this.notifications.deadLetterQueues.push(schedule.deadLetterQueue);
    }

    const allowedOrigin = config.siteDomain ? `https://${config.siteDomain}` : undefined;
    this.api = new Api(this, 'Api', {
      config,
      functions: this.lambdas.functions,
      allowedOrigin,
      operators: this.operators,
    });

    this.site = new Site(this, 'Site', {
      config,
      siteBucket: this.data.siteBucket,
      contentBucket: this.data.bucket('content'),
      apiDomainName: this.api.domainName,
      originSecret,
      webAclArn: props.webAclArn,
      consoleClientId: this.operators.client.userPoolClientId,
    });

    // Links in e-mails point at the site (known only once the distribution exists).
    for (const { spec, fn } of this.lambdas.functions) {
      if (spec.sendsEmail) fn.addEnvironment('SITE_URL', this.siteUrl(config));
    }

    new Alarms(this, 'Alarms', {
      config,
      topic: this.notifications.alarmTopic,
      functions: this.lambdas.functions,
      httpApi: this.api.httpApi,
      deadLetterQueues: this.notifications.deadLetterQueues,
      mailQueue: this.mailQueue,
      backupVault: this.data.dailyBackup?.vault,
    });

    this.outputs(config);
    this.acknowledgeGenerated();
  }

  private siteUrl(config: StageConfig): string {
    return config.siteDomain
      ? `https://${config.siteDomain}`
      : `https://${this.site.distribution.distributionDomainName}`;
  }

  private outputs(config: StageConfig): void {
    new CfnOutput(this, 'SiteUrl', { value: this.siteUrl(config), description: 'The survey page' });
    new CfnOutput(this, 'DistributionId', { value: this.site.distribution.distributionId });
    new CfnOutput(this, 'ApiEndpoint', {
      value: this.api.httpApi.apiEndpoint,
      description: 'Direct API endpoint (use the site URL + /api in clients)',
    });
    new CfnOutput(this, 'HashKeySecretArn', { value: this.hashKeySecret.secretArn });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.notifications.alarmTopic.topicArn });
    new CfnOutput(this, 'MailFeedbackTopicArn', { value: this.email.feedbackTopic.topicArn });
    new CfnOutput(this, 'MailConfigurationSet', { value: this.email.configurationSet.configurationSetName });
    new CfnOutput(this, 'SiteBucketName', { value: this.data.siteBucket.bucketName });

    // Everything survey-admin needs but HASH_KEY, as `NAME=value` pairs (docs/deploy.md).
    const pairs: string[] = [`AWS_REGION=${this.region}`];
    for (const { spec, table } of this.data.tables.values()) pairs.push(`${spec.env}=${table.tableName}`);
    for (const [name, bucket] of this.data.buckets) pairs.push(`${this.data.bucketSpec(name).env}=${bucket.bucketName}`);
    // survey-admin queues mail too (contact approve, code rotate, registration add).
    if (this.mailQueue) pairs.push(`MAIL_QUEUE_URL=${this.mailQueue.queue.queueUrl}`);
    // `survey-admin reminders schedule` makes the reminders' schedules in this group, with this role.
    if (this.reminderGroup && this.reminderRole) {
      pairs.push(`REMINDER_SCHEDULE_GROUP=${this.reminderGroup.name}`, `SCHEDULER_ROLE_ARN=${this.reminderRole.roleArn}`);
    }
    // `survey-admin operator add` creates console users in this pool.
    pairs.push(
      `COGNITO_USER_POOL_ID=${this.operators.userPool.userPoolId}`,
      `COGNITO_CLIENT_ID=${this.operators.client.userPoolClientId}`,
    );
    new CfnOutput(this, 'AdminEnvironment', {
      value: Fn.join(' ', pairs),
      description: 'export $(this value) before running survey-admin against this stage',
    });

    // DNS records for the SES domain (Easy DKIM).
    const identity = this.email.identity;
    [
      [identity.dkimDnsTokenName1, identity.dkimDnsTokenValue1],
      [identity.dkimDnsTokenName2, identity.dkimDnsTokenValue2],
      [identity.dkimDnsTokenName3, identity.dkimDnsTokenValue3],
    ].forEach(([name, value], i) => {
      new CfnOutput(this, `DkimRecord${i + 1}`, {
        value: Fn.join('', [name!, ' CNAME ', value!]),
        description: `SES DKIM record ${i + 1} for ${config.mailDomain}`,
      });
    });
  }

  /**
   * The BucketDeployment's handler function is a singleton that CDK adds to the stack
   * while preparing the app (after this constructor has run); its acknowledgements are
   * attached in a validation hook, which runs after that preparation and before cdk-nag
   * looks at the tree.
   */
  private acknowledgeGenerated(): void {
    this.node.addValidation({
      validate: () => {
        for (const child of this.node.children) {
          if (child.node.id.startsWith('Custom::CDKBucketDeployment')) acknowledgeBucketDeploymentHandler(child);
        }
        return [];
      },
    });
  }
}

/** Findings on aws-cdk-lib's BucketDeployment handler, which this app configures but does not write. */
function acknowledgeBucketDeploymentHandler(scope: IConstruct): void {
  const reason = (detail: string) =>
    `aws-cdk-lib's BucketDeployment handler, run by CloudFormation only while deploying static-site/: ${detail}`;
  acknowledge(scope, 'AwsSolutions-L1', reason('its Python runtime is chosen by aws-cdk-lib and moves with aws-cdk-lib updates.'));
  acknowledge(scope, 'Serverless-LambdaLatestVersion', reason('its Python runtime is chosen by aws-cdk-lib and moves with aws-cdk-lib updates.'));
  acknowledge(scope, 'Serverless-LambdaDLQ', reason('invoked synchronously by the CloudFormation custom resource; a failure fails the deploy, which rolls back.'));
  acknowledge(scope, 'Serverless-LambdaTracing', reason('a deploy-time copy job, nothing worth tracing.'));
}
