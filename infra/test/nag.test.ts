// cdk-nag (AwsSolutions + Serverless) at synth: no unacknowledged findings, every
// acknowledgement explained and actually needed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { runNag, testApp } from './helpers';

const VARIANTS: { name: string; context: Record<string, unknown> }[] = [
  { name: 'dev', context: {} },
  { name: 'prod', context: { stage: 'prod' } },
  {
    name: 'prod with a custom domain and an alarm e-mail',
    context: {
      stage: 'prod',
      siteDomain: 'undersokelse.example.no',
      siteCertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000',
      alarmEmail: 'drift@example.no',
    },
  },
];

describe('cdk-nag', () => {
  for (const v of VARIANTS) {
    it(`${v.name}: synth with the rule packs succeeds`, () => {
      const { app } = testApp({
        context: v.context,
        nag: true,
      });
      assert.doesNotThrow(() => app.synth());
    });

    it(`${v.name}: no findings; every acknowledgement has a reason and is used`, () => {
      const { app } = testApp({ context: v.context });
      const outcome = runNag(app);
      assert.deepEqual(outcome.violations, []);
      assert.ok(outcome.acknowledgements.size > 0);
      for (const [key, a] of outcome.acknowledgements) {
        assert.ok(a.reason.trim().length >= 40, `acknowledgement without a real reason: ${key}`);
        assert.ok(outcome.used.has(key), `acknowledgement no finding needs (remove it): ${key}`);
      }
    });
  }

  it('an unacknowledged finding fails synth (ValidationFailed)', () => {
    const { app, survey } = testApp({ nag: true });
    new s3.Bucket(survey, 'CarelessBucket'); // no SSL enforcement, no access logs
    assert.throws(() => app.synth(), (e: Error) => e.name === 'ValidationFailed');
  });
});
