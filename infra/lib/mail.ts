// Mail off the request path: the request functions put a job on MailQueue and answer;
// the mail worker (`send-mail`) takes the jobs, writes the tokens and sends with SES.
// A request then costs the same whoever asks (no timing tells a verified contact from
// a stranger), and an SES outage delays mail instead of failing requests.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StageConfig } from './config';
import { acknowledge } from './nag';

/** Receives of a job before it goes to the dead-letter queue (the Rust side's MAIL_MAX_RECEIVES). */
export const MAIL_MAX_RECEIVES = 5;

/**
 * How long a job may live: jobs hold names, e-mail addresses and phones, and a pending
 * contact is kept 48 hours (its link is dead by then anyway). SQS counts a dead letter's
 * retention from when the job was first queued (standard queues), so this bounds a job's
 * whole life, on the queue and in the dead-letter queue alike. 4 days: an alarm that
 * fires on a Friday evening can still be answered, and the job redriven, on Monday.
 */
const JOB_RETENTION = Duration.days(4);

export interface MailQueueProps {
  readonly config: StageConfig;
  /** The worker's timeout: a received job stays hidden from other workers 6 times as long. */
  readonly workerTimeout: Duration;
}

export class MailQueue extends Construct {
  /** Jobs name the people they are about (names, e-mail addresses): a key of their own. */
  readonly key: kms.Key;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: MailQueueProps) {
    super(scope, id);
    const { config } = props;

    this.key = new kms.Key(this, 'Key', {
      description: `${config.prefix}: encrypts the mail queue (jobs hold names and e-mail addresses)`,
      enableKeyRotation: true,
      removalPolicy: config.isProd ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      queueName: `${config.prefix}-mail-dlq`,
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      enforceSSL: true,
      retentionPeriod: JOB_RETENTION,
    });
    acknowledge(this.deadLetterQueue, 'Serverless-SQSRedrivePolicy', 'This queue is itself the dead-letter queue of the mail queue, read by an operator after the alarm.');

    this.queue = new sqs.Queue(this, 'Queue', {
      queueName: `${config.prefix}-mail`,
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      // One data key per 5 minutes of sending instead of one KMS call per message.
      dataKeyReuse: Duration.minutes(5),
      enforceSSL: true,
      // Not longer than the dead-letter queue's, or a job moved there late would expire at once.
      retentionPeriod: JOB_RETENTION,
      // AWS's advice for a Lambda event source: at least 6 times the function's timeout,
      // so a job is not handed out again while a worker still runs it.
      visibilityTimeout: Duration.seconds(props.workerTimeout.toSeconds() * 6),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAIL_MAX_RECEIVES },
    });
  }
}
