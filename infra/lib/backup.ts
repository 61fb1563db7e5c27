// A backup once a day, with AWS Backup, for the tables whose schema says `"backup": "daily"`
// (the answers). They have no point-in-time recovery: it restores to any second of the
// last 35 days, so two restores a second apart would tell when an answer was stored,
// which the answer itself holds only to the day. A daily backup tells no more than its
// `date` does, as long as it is taken where that day begins: midnight in Norway.
import { Duration, RemovalPolicy, TimeZone } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { StageConfig } from './config';
import { acknowledge } from './nag';

/** How long a daily backup is kept (as long as point-in-time recovery would have reached back). */
const BACKUP_RETENTION = Duration.days(35);

export interface DailyBackupProps {
  readonly config: StageConfig;
  readonly tables: readonly dynamodb.ITable[];
}

export class DailyBackup extends Construct {
  readonly key: kms.Key;
  readonly vault: backup.BackupVault;
  readonly plan: backup.BackupPlan;

  constructor(scope: Construct, id: string, props: DailyBackupProps) {
    super(scope, id);
    const { config } = props;
    // The backups are the answers as they were: kept, with the key that reads them, in
    // prod as the tables are. In dev the stack may be deleted, after its backups are
    // (AWS Backup refuses to delete a vault that holds any; docs/deploy.md).
    const keep = config.isProd ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.key = new kms.Key(this, 'Key', {
      description: `${config.prefix}: encrypts the daily backups of the answers`,
      enableKeyRotation: true,
      removalPolicy: keep,
      pendingWindow: Duration.days(7),
    });
    this.vault = new backup.BackupVault(this, 'Vault', {
      backupVaultName: `${config.prefix}-backups`,
      encryptionKey: this.key,
      removalPolicy: keep,
    });

    this.plan = new backup.BackupPlan(this, 'Plan', {
      backupPlanName: `${config.prefix}-daily`,
      backupVault: this.vault,
      backupPlanRules: [
        new backup.BackupPlanRule({
          ruleName: 'Daily',
          // The answers' `date` is the day in Norway; a backup cut anywhere else in the
          // day would tell, of an answer, whether it came before or after that hour.
          scheduleExpression: events.Schedule.cron({ minute: '0', hour: '0' }),
          scheduleExpressionTimezone: TimeZone.of('Europe/Oslo'),
          // AWS's shortest start window: the cut falls in the day's first hour, when
          // classes do not answer.
          startWindow: Duration.hours(1),
          completionWindow: Duration.hours(3),
          deleteAfter: BACKUP_RETENTION,
        }),
      ],
    });
    const selection = this.plan.addSelection('Tables', {
      resources: props.tables.map((table) => backup.BackupResource.fromDynamoDbTable(table)),
    });
    acknowledge(
      selection,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
      "AWS Backup's own service-role policy, which AWS keeps in step with what a DynamoDB backup needs (advanced backups, KMS grants); only backup.amazonaws.com may assume the role, and this plan selects the tables above and nothing else.",
    );
  }
}
