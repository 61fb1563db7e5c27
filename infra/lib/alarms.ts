// Alarms to the operators' SNS topic: function errors and throttles, API 5xx,
// dead-letter queue depth, SES bounce and complaint rates, a failed daily backup.
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type * as backup from 'aws-cdk-lib/aws-backup';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StageConfig } from './config';
import { pascal } from './data';
import { deadLetterQueue } from './dead-letters';
import type { DeployedFunction } from './lambdas';
import type { MailQueue } from './mail';

export interface AlarmsProps {
  readonly config: StageConfig;
  readonly topic: sns.ITopic;
  readonly functions: readonly DeployedFunction[];
  readonly httpApi: apigwv2.HttpApi;
  readonly deadLetterQueues: readonly sqs.IQueue[];
  readonly mailQueue?: MailQueue;
  /** The vault of the answers' daily backup, if there is one. */
  readonly backupVault?: backup.IBackupVault;
}

export class Alarms extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    const { config } = props;
    const action = new actions.SnsAction(props.topic);
    const add = (cid: string, alarmProps: cloudwatch.AlarmProps) => {
      const alarm = new cloudwatch.Alarm(this, cid, {
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...alarmProps,
        alarmName: `${config.prefix}-${alarmProps.alarmName}`,
      });
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      this.alarms.push(alarm);
      return alarm;
    };
    const fiveMinutes = Duration.minutes(5);

    // A backup job ends in one of these only when it did not make its backup;
    // AWS Backup tells EventBridge (within minutes, best effort), no metric needed.
    // An event EventBridge could not publish waits in a queue whose depth is watched.
    if (props.backupVault) {
      const undelivered = deadLetterQueue(this, 'BackupFailedDeadLetters', 'the backup-failed rule');
      new events.Rule(this, 'BackupFailed', {
        ruleName: `${config.prefix}-backup-failed`,
        description: 'The daily backup of the answers failed, was aborted or expired before it ran',
        eventPattern: {
          source: ['aws.backup'],
          detailType: ['Backup Job State Change'],
          detail: { state: ['FAILED', 'ABORTED', 'EXPIRED'], backupVaultName: [props.backupVault.backupVaultName] },
        },
        targets: [new targets.SnsTopic(props.topic, { deadLetterQueue: undelivered })],
      });
      add('BackupFailedUndelivered', {
        alarmName: 'backup-failed-undelivered',
        alarmDescription: 'A failed backup of the answers could not be told on the alarm topic: look at AWS Backup\'s jobs',
        metric: undelivered.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: cloudwatch.Stats.MAXIMUM }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
    }

    for (const { spec, fn } of props.functions) {
      const cid = pascal(spec.name);
      add(`${cid}Errors`, {
        alarmName: `${spec.name}-errors`,
        alarmDescription: `${spec.name}: the function failed (unhandled error or timeout), not an HTTP 4xx/5xx answer`,
        metric: fn.metricErrors({ period: fiveMinutes, statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
      add(`${cid}Throttles`, {
        alarmName: `${spec.name}-throttles`,
        alarmDescription: `${spec.name}: invocations throttled (reserved concurrency or account limit reached)`,
        metric: fn.metricThrottles({ period: fiveMinutes, statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
    }

    add('Api5xx', {
      alarmName: 'api-5xx',
      alarmDescription: 'HTTP API answered 5xx (including 503 from an unavailable store) 5 or more times in 5 minutes',
      metric: props.httpApi.metricServerError({ period: fiveMinutes, statistic: cloudwatch.Stats.SUM }),
      threshold: 5,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });

    props.deadLetterQueues.forEach((queue, i) => {
      add(`DeadLetterQueue${i}Depth`, {
        alarmName: `dlq-${i}-depth`,
        alarmDescription: `Messages waiting in a dead-letter queue (${queue.node.path}): a scheduled run or a delivery failed`,
        metric: queue.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: cloudwatch.Stats.MAXIMUM }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
    });

    if (props.mailQueue) {
      const { queue, deadLetterQueue } = props.mailQueue;
      add('MailDeadLetters', {
        alarmName: 'mail-dlq-depth',
        alarmDescription: 'A mail job failed 5 times and waits in the mail dead-letter queue: someone did not get a link or a code (redrive it once the cause is fixed, docs/deploy.md)',
        metric: deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: cloudwatch.Stats.MAXIMUM }),
        threshold: 0,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      });
      // A job is retried for about 5 x the visibility timeout before it is dead-lettered;
      // waiting 15 minutes means the worker is down, throttled or failing.
      add('MailQueueAge', {
        alarmName: 'mail-queue-age',
        alarmDescription: 'The oldest mail job has waited over 15 minutes: e-mails (verification links, codes) are late',
        metric: queue.metricApproximateAgeOfOldestMessage({ period: fiveMinutes, statistic: cloudwatch.Stats.MAXIMUM }),
        threshold: 900,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      });
    }

    // Account-level SES reputation (AWS reviews an account at 5 % bounces / 0.1 %
    // complaints and may pause sending at 10 % / 0.5 %). Alarm well before review.
    add('SesBounceRate', {
      alarmName: 'ses-bounce-rate',
      alarmDescription: 'SES bounce rate above 4 % (AWS reviews the account at 5 %)',
      metric: new cloudwatch.Metric({
        namespace: 'AWS/SES',
        metricName: 'Reputation.BounceRate',
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.hours(1),
      }),
      threshold: 0.04,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    add('SesComplaintRate', {
      alarmName: 'ses-complaint-rate',
      alarmDescription: 'SES complaint rate above 0.08 % (AWS reviews the account at 0.1 %)',
      metric: new cloudwatch.Metric({
        namespace: 'AWS/SES',
        metricName: 'Reputation.ComplaintRate',
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.hours(1),
      }),
      threshold: 0.0008,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
  }
}
