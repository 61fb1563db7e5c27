// SES (identity, configuration set, feedback topic) and the alarms.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FUNCTIONS } from '../lib/functions';
import { logicalIdOf, resourcesOf, templates } from './helpers';

describe('e-mail', () => {
  const { survey, built } = templates();

  it('verifies the mail domain from context (default undersokelse.example.no)', () => {
    const id = Object.values(resourcesOf(survey, 'AWS::SES::EmailIdentity'))[0]!.Properties;
    assert.equal(id.EmailIdentity, 'undersokelse.example.no');
    assert.ok(id.ConfigurationSetAttributes.ConfigurationSetName);
    const other = templates({ mailDomain: 'post.imdi.example' });
    assert.equal(Object.values(resourcesOf(other.survey, 'AWS::SES::EmailIdentity'))[0]!.Properties.EmailIdentity, 'post.imdi.example');
  });

  it('sends bounces and complaints to an encrypted SNS topic, and suppresses those addresses', () => {
    const set = Object.values(resourcesOf(survey, 'AWS::SES::ConfigurationSet'))[0]!.Properties;
    assert.deepEqual(set.SuppressionOptions.SuppressedReasons.sort(), ['BOUNCE', 'COMPLAINT']);
    assert.equal(set.ReputationOptions.ReputationMetricsEnabled, true);
    const dest = Object.values(resourcesOf(survey, 'AWS::SES::ConfigurationSetEventDestination'))[0]!.Properties.EventDestination;
    assert.deepEqual(dest.MatchingEventTypes.sort(), ['bounce', 'complaint', 'reject']);
    const topicId = logicalIdOf(built.survey, built.survey.email.feedbackTopic);
    assert.deepEqual(dest.SnsDestination.TopicARN, { Ref: topicId });
    const topic = resourcesOf(survey, 'AWS::SNS::Topic')[topicId]!.Properties;
    assert.ok(topic.KmsMasterKeyId, 'encrypted');
    // SES may publish to it (the key and the topic policy both allow it).
    const policies = Object.values(resourcesOf(survey, 'AWS::SNS::TopicPolicy')).filter((p) =>
      p.Properties.Topics.some((t: any) => t.Ref === topicId),
    );
    assert.ok(JSON.stringify(policies).includes('ses.amazonaws.com'));
  });
});

describe('alarms', () => {
  const { survey, built } = templates();
  const alarms = Object.values(resourcesOf(survey, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties);
  const topicId = logicalIdOf(built.survey, built.survey.notifications.alarmTopic);

  it('a daily backup of the answers that fails, is aborted or expires is told on the alarm topic', () => {
    const vault = built.survey.data.dailyBackup!.vault;
    const rules = Object.values(resourcesOf(survey, 'AWS::Events::Rule'))
      .map((r) => r.Properties)
      .filter((r) => r.EventPattern?.source?.includes('aws.backup'));
    assert.equal(rules.length, 1);
    const [rule] = rules;
    assert.deepEqual(rule.EventPattern['detail-type'], ['Backup Job State Change']);
    assert.deepEqual(rule.EventPattern.detail.state.sort(), ['ABORTED', 'EXPIRED', 'FAILED']);
    assert.deepEqual(rule.EventPattern.detail.backupVaultName, [{ 'Fn::GetAtt': [logicalIdOf(built.survey, vault), 'BackupVaultName'] }]);
    assert.deepEqual(rule.Targets.map((t: any) => t.Arn), [{ Ref: topicId }]);
    assert.ok(rule.Targets[0].DeadLetterConfig.Arn, 'an event it could not publish is kept');
    assert.ok(alarms.some((a) => a.AlarmName.endsWith('backup-failed-undelivered')), 'and watched');
    // EventBridge may publish to the encrypted topic: its key lets it.
    const key = Object.values(resourcesOf(survey, 'AWS::KMS::Key')).find((k) =>
      JSON.stringify(k.Properties.KeyPolicy).includes('cloudwatch.amazonaws.com'),
    )!;
    assert.ok(JSON.stringify(key.Properties.KeyPolicy).includes('events.amazonaws.com'));
  });

  it('all go to the alarm topic (alarm and OK)', () => {
    assert.ok(alarms.length > 0);
    for (const a of alarms) {
      assert.deepEqual(a.AlarmActions, [{ Ref: topicId }], a.AlarmName);
      assert.deepEqual(a.OKActions, [{ Ref: topicId }], a.AlarmName);
    }
  });

  it('cover function errors and throttles, API 5xx and the SES bounce rate', () => {
    for (const spec of FUNCTIONS) {
      const fnId = logicalIdOf(built.survey, built.survey.lambdas.get(spec.name)!.fn);
      for (const metric of ['Errors', 'Throttles']) {
        assert.ok(
          alarms.some((a) => a.MetricName === metric && a.Namespace === 'AWS/Lambda' && a.Dimensions[0].Value.Ref === fnId),
          `${metric} alarm for ${spec.name}`,
        );
      }
    }
    assert.ok(alarms.some((a) => a.Namespace === 'AWS/ApiGateway' && a.MetricName === '5xx'));
    const bounce = alarms.find((a) => a.MetricName === 'Reputation.BounceRate')!;
    assert.equal(bounce.Namespace, 'AWS/SES');
    assert.ok(bounce.Threshold < 0.05);
    assert.ok(alarms.some((a) => a.MetricName === 'Reputation.ComplaintRate'));
  });

  it('the alarm topic is encrypted with a key that CloudWatch may use', () => {
    const topic = resourcesOf(survey, 'AWS::SNS::Topic')[topicId]!.Properties;
    const keyId = topic.KmsMasterKeyId['Fn::GetAtt'][0];
    const key = resourcesOf(survey, 'AWS::KMS::Key')[keyId]!.Properties;
    assert.equal(key.EnableKeyRotation, true);
    assert.ok(JSON.stringify(key.KeyPolicy).includes('cloudwatch.amazonaws.com'));
  });

  it('SES bounces and complaints reach the mail worker\'s queue raw, with a dead-letter queue', () => {
    const subs = Object.values(resourcesOf(survey, 'AWS::SNS::Subscription')).map((r) => r.Properties);
    const feedback = subs.find((sub) => sub.Protocol === 'sqs')!;
    assert.equal(feedback.RawMessageDelivery, true, 'the worker reads SES\'s record itself');
    assert.match(JSON.stringify(feedback.TopicArn), /FeedbackTopic/);
    assert.match(JSON.stringify(feedback.Endpoint), /MailQueue/);
    assert.ok(feedback.RedrivePolicy.deadLetterTargetArn);
  });

  it('the reminders\' schedules have a group, and a role that may only put messages on the mail queue', () => {
    const groups = Object.values(resourcesOf(survey, 'AWS::Scheduler::ScheduleGroup'));
    assert.ok(groups.some((g) => String(g.Properties.Name).endsWith('-reminders')));
    const roles = Object.entries(resourcesOf(survey, 'AWS::IAM::Role')).filter(([id]) => id.startsWith('ReminderSchedulerRole'));
    assert.equal(roles.length, 1);
    assert.match(JSON.stringify(roles[0]![1].Properties.AssumeRolePolicyDocument), /scheduler\.amazonaws\.com/);
    const policy = Object.entries(resourcesOf(survey, 'AWS::IAM::Policy')).find(([id]) => id.startsWith('ReminderSchedulerRole'))![1];
    const actions = policy.Properties.PolicyDocument.Statement.flatMap((st: { Action: string | string[] }) => [st.Action].flat()).sort();
    assert.deepEqual(actions, ['kms:Decrypt', 'kms:GenerateDataKey', 'sqs:SendMessage']);
  });

  it('an alarm e-mail from context is subscribed, with a dead-letter queue that is watched', () => {
    const t = templates({ alarmEmail: 'drift@example.no' });
    const sub = Object.values(resourcesOf(t.survey, 'AWS::SNS::Subscription')).find((r) => r.Properties.Protocol === 'email')!.Properties;
    assert.equal(sub.Endpoint, 'drift@example.no');
    assert.ok(sub.RedrivePolicy.deadLetterTargetArn);
    const names = Object.values(resourcesOf(t.survey, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties.MetricName);
    assert.ok(names.includes('ApproximateNumberOfMessagesVisible'));
  });
});
