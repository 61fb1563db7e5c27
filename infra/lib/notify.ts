// SNS topics for operators (alarms) and for e-mail feedback (bounces, complaints),
// encrypted with one customer-managed key that CloudWatch and SES may use to publish.
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StageConfig } from './config';
import { deadLetterQueue } from './dead-letters';

export interface NotificationsProps {
  readonly config: StageConfig;
}

export class Notifications extends Construct {
  readonly key: kms.Key;
  readonly alarmTopic: sns.Topic;
  /** Dead-letter queues whose depth the alarms watch. */
  readonly deadLetterQueues: sqs.IQueue[] = [];

  constructor(scope: Construct, id: string, props: NotificationsProps) {
    super(scope, id);
    const { config } = props;
    const account = Stack.of(this).account;

    // AWS managed SNS keys cannot be used by CloudWatch alarms, SES or EventBridge, so the
    // topics get a key of their own that those services may use for this account only.
    this.key = new kms.Key(this, 'Key', {
      description: `${config.prefix}: SNS topics for alarms and e-mail feedback`,
      enableKeyRotation: true,
      removalPolicy: config.isProd ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    for (const service of ['cloudwatch.amazonaws.com', 'ses.amazonaws.com', 'events.amazonaws.com']) {
      this.key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: `Publish-${service.split('.')[0]}`,
          principals: [new iam.ServicePrincipal(service)],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': account } },
        }),
      );
    }

    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      topicName: `${config.prefix}-alarms`,
      displayName: `Survey ${config.stage} alarms`,
      masterKey: this.key,
      enforceSSL: true,
    });

    if (config.alarmEmail) {
      const dlq = deadLetterQueue(this, 'AlarmSubscriptionDlq', 'the alarm e-mail subscription');
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(config.alarmEmail, { deadLetterQueue: dlq }));
      this.deadLetterQueues.push(dlq);
    }
  }
}

export interface EmailProps {
  readonly config: StageConfig;
  readonly key: kms.IKey;
}

/**
 * SES: the sending domain, a configuration set that suppresses bounced and complaining
 * addresses and reports them to an SNS topic. The mail queue subscribes to that topic
 * (raw delivery), and the mail worker marks the address's recipients undeliverable.
 */
export class Email extends Construct {
  readonly identity: ses.EmailIdentity;
  readonly configurationSet: ses.ConfigurationSet;
  readonly feedbackTopic: sns.Topic;

  constructor(scope: Construct, id: string, props: EmailProps) {
    super(scope, id);
    const { config } = props;

    this.feedbackTopic = new sns.Topic(this, 'FeedbackTopic', {
      topicName: `${config.prefix}-mail-feedback`,
      displayName: 'SES bounces and complaints',
      masterKey: props.key,
      enforceSSL: true,
    });

    this.configurationSet = new ses.ConfigurationSet(this, 'ConfigurationSet', {
      configurationSetName: `${config.prefix}-mail`,
      reputationMetrics: true,
      sendingEnabled: true,
      suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
      tlsPolicy: ses.ConfigurationSetTlsPolicy.REQUIRE,
    });
    this.configurationSet.addEventDestination('BouncesAndComplaints', {
      destination: ses.EventDestination.snsTopic(this.feedbackTopic),
      events: [ses.EmailSendingEvent.BOUNCE, ses.EmailSendingEvent.COMPLAINT, ses.EmailSendingEvent.REJECT],
    });

    this.identity = new ses.EmailIdentity(this, 'DomainIdentity', {
      identity: ses.Identity.domain(config.mailDomain),
      configurationSet: this.configurationSet,
    });
  }
}
