// The nightly schedule of the aggregation: 03:00 Oslo time with retries and a
// dead-letter queue.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { FUNCTIONS } from '../lib/functions';
import { NightlySchedule } from '../lib/schedule';
import { logicalIdOf, resourcesOf, templates } from './helpers';

function checkSchedule(t: Template, fnLogicalId: string) {
  const schedules = Object.values(resourcesOf(t, 'AWS::Scheduler::Schedule'));
  assert.equal(schedules.length, 1);
  const s = schedules[0]!.Properties;
  assert.equal(s.ScheduleExpression, 'cron(0 3 * * ? *)');
  assert.equal(s.ScheduleExpressionTimezone, 'Europe/Oslo');
  assert.equal(s.FlexibleTimeWindow.Mode, 'OFF');
  assert.equal(s.Target.Input, '{}');
  assert.deepEqual(s.Target.Arn, { 'Fn::GetAtt': [fnLogicalId, 'Arn'] });
  assert.equal(s.Target.RetryPolicy.MaximumRetryAttempts, 3);
  assert.equal(s.Target.RetryPolicy.MaximumEventAgeInSeconds, 7200);
  const queues = resourcesOf(t, 'AWS::SQS::Queue');
  const dlqId = s.Target.DeadLetterConfig.Arn['Fn::GetAtt'][0];
  assert.ok(queues[dlqId], 'dead-letter queue');
  assert.equal(queues[dlqId]!.Properties.SqsManagedSseEnabled, true);
  // Failed runs (Lambda async retries exhausted) land in the same queue.
  const invokeConfig = Object.values(resourcesOf(t, 'AWS::Lambda::EventInvokeConfig'))[0]!.Properties;
  assert.deepEqual(invokeConfig.DestinationConfig.OnFailure.Destination, { 'Fn::GetAtt': [dlqId, 'Arn'] });
  return dlqId;
}

describe('nightly schedule', () => {
  it('is in the deployed app: exactly the aggregate function has a schedule', () => {
    assert.deepEqual(FUNCTIONS.filter((f) => f.schedule).map((f) => f.name), ['aggregate']);
  });

  it('the construct schedules any function (placeholder function, test only)', () => {
    const app = new App();
    const stack = new Stack(app, 'ScheduleTest', { env: { account: '123456789012', region: 'eu-north-1' } });
    const fn = new lambda.Function(stack, 'Placeholder', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {};'),
    });
    new NightlySchedule(stack, 'Nightly', { fn });
    checkSchedule(Template.fromStack(stack), logicalIdOf(stack, fn));
  });

  it('runs the aggregate function, with a DLQ depth alarm', () => {
    const { survey, built } = templates();
    const fnId = logicalIdOf(built.survey, built.survey.lambdas.get('aggregate')!.fn);
    const dlqId = checkSchedule(survey, fnId);
    const alarms = Object.values(resourcesOf(survey, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    const watched = alarms.filter((a) => a.MetricName === 'ApproximateNumberOfMessagesVisible').map((a) => a.Dimensions[0].Value);
    assert.ok(watched.some((v) => JSON.stringify(v) === JSON.stringify({ 'Fn::GetAtt': [dlqId, 'QueueName'] })), 'its depth is watched');
    // The scheduler's role may invoke that function only.
    const schedule = Object.values(resourcesOf(survey, 'AWS::Scheduler::Schedule'))[0]!.Properties;
    const roleId = schedule.Target.RoleArn['Fn::GetAtt'][0];
    const policy = Object.values(resourcesOf(survey, 'AWS::IAM::Policy')).find((p) =>
      p.Properties.Roles.some((r: any) => r.Ref === roleId),
    )!;
    const invoke = policy.Properties.PolicyDocument.Statement.find((s: any) => s.Action === 'lambda:InvokeFunction');
    assert.ok(JSON.stringify(invoke.Resource).includes(fnId));
    assert.ok(!JSON.stringify(invoke.Resource).includes('"*"'));
  });
});
