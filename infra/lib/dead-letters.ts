import { Duration } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { acknowledge } from './nag';

/**
 * A dead-letter queue for `of` (what ends up in it, for the acknowledgements):
 * SQS-managed encryption, TLS only, kept 14 days. An operator reads it after
 * its alarm; nothing consumes it again, so it has no dead-letter queue itself.
 */
export function deadLetterQueue(scope: Construct, id: string, of: string): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  acknowledge(queue, 'AwsSolutions-SQS3', `This queue is itself the dead-letter queue of ${of}.`);
  acknowledge(
    queue,
    'Serverless-SQSRedrivePolicy',
    'This queue is itself a dead-letter queue; an operator inspects its messages after its depth raises an alarm, nothing consumes them again.',
  );
  return queue;
}
