// EventBridge Scheduler running a function nightly (the aggregation at 03:00 Oslo time).
// The stack adds one for each FunctionSpec that has a `schedule`.
import { CfnElement, Duration, Stack, TimeZone } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { deadLetterQueue } from './dead-letters';
import { acknowledge } from './nag';

export interface NightlyScheduleProps {
  readonly fn: lambda.IFunction;
  readonly hour?: number;
  readonly minute?: number;
  readonly timeZone?: string;
  readonly scheduleName?: string;
  readonly description?: string;
  /** The event the function receives (default `{}`). */
  readonly input?: Record<string, unknown>;
  /** Retries by the scheduler when it cannot invoke the function. */
  readonly retryAttempts?: number;
}

export class NightlySchedule extends Construct {
  readonly schedule: scheduler.Schedule;
  /** Both failed deliveries (scheduler) and failed runs (Lambda async) land here. */
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: NightlyScheduleProps) {
    super(scope, id);
    const hour = props.hour ?? 3;
    const minute = props.minute ?? 0;

    this.deadLetterQueue = deadLetterQueue(
      this,
      'DeadLetterQueue',
      "the schedule and of the function's failed asynchronous runs",
    );

    // A role of our own for the scheduler (instead of the shared one CDK would make),
    // trusted by EventBridge Scheduler of this account only.
    const stack = Stack.of(this);
    const role = new iam.Role(this, 'SchedulerRole', {
      description: `EventBridge Scheduler: invoke ${props.fn.node.id} and dead-letter failed deliveries`,
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    });
    const fnResource = props.fn.node.defaultChild;
    if (fnResource instanceof CfnElement) {
      acknowledge(
        role,
        `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(fnResource)}.Arn>:*]`,
        'lambda:InvokeFunction as granted by grantInvoke: the function and its own versions/aliases (ARN:*), no other function.',
      );
    }

    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      scheduleName: props.scheduleName,
      description: props.description ?? `Nightly at ${pad(hour)}:${pad(minute)} ${props.timeZone ?? 'Europe/Oslo'}`,
      schedule: scheduler.ScheduleExpression.cron({
        minute: String(minute),
        hour: String(hour),
        timeZone: TimeZone.of(props.timeZone ?? 'Europe/Oslo'),
      }),
      target: new targets.LambdaInvoke(props.fn, {
        role,
        // An explicit empty JSON object: "aggregate whatever is due" (no survey named).
        input: scheduler.ScheduleTargetInput.fromObject(props.input ?? {}),
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: props.retryAttempts ?? 3,
        maxEventAge: Duration.hours(2),
      }),
    });

    // The scheduler invokes asynchronously; a run that fails is retried by Lambda and
    // then recorded in the same queue.
    props.fn.configureAsyncInvoke({
      onFailure: new destinations.SqsDestination(this.deadLetterQueue),
      retryAttempts: 2,
      maxEventAge: Duration.hours(2),
    });
    acknowledge(
      props.fn,
      'Serverless-LambdaDLQ',
      'Failed asynchronous runs go to an on-failure destination (the schedule\'s dead-letter queue), which records more than a Lambda DLQ would.',
    );
  }
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
