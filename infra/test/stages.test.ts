// dev and prod differ where losing data would hurt.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resourcesOf, templates, testApp } from './helpers';

describe('stages', () => {
  it('prod: tables have deletion protection and are retained', () => {
    const { survey, built } = templates({ stage: 'prod' });
    assert.equal(built.survey.region, 'eu-north-1');
    assert.equal(built.survey.stackName, 'Survey-prod');
    const tables = Object.values(resourcesOf(survey, 'AWS::DynamoDB::Table'));
    assert.ok(tables.length >= 5);
    for (const t of tables) {
      assert.equal(t.Properties.DeletionProtectionEnabled, true, t.Properties.TableName);
      assert.equal(t.DeletionPolicy, 'Retain');
      assert.equal(t.UpdateReplacePolicy, 'Retain');
      assert.match(t.Properties.TableName, /^survey-prod-/);
    }
    const secret = Object.values(resourcesOf(survey, 'AWS::SecretsManager::Secret'))[0]!;
    assert.equal(secret.DeletionPolicy, 'Retain');
    assert.equal(built.survey.terminationProtection, true);
  });

  it('dev: tables can be torn down', () => {
    const { survey } = templates();
    for (const t of Object.values(resourcesOf(survey, 'AWS::DynamoDB::Table'))) {
      assert.notEqual(t.Properties.DeletionProtectionEnabled, true);
      assert.equal(t.DeletionPolicy, 'Delete');
      assert.match(t.Properties.TableName, /^survey-dev-/);
    }
  });

  it('buckets are retained in every stage', () => {
    for (const stage of ['dev', 'prod']) {
      const { survey } = templates(stage === 'dev' ? {} : { stage });
      for (const b of Object.values(resourcesOf(survey, 'AWS::S3::Bucket'))) assert.equal(b.DeletionPolicy, 'Retain');
    }
  });

  it('maxReservedConcurrency=0 reserves nothing (small dev accounts)', () => {
    const { survey } = templates({ maxReservedConcurrency: 0 });
    for (const f of Object.values(resourcesOf(survey, 'AWS::Lambda::Function'))) {
      assert.equal(f.Properties.ReservedConcurrentExecutions, undefined);
    }
  });

  it('an unknown stage is refused', () => {
    assert.throws(() => testApp({ context: { stage: 'staging' } }), /dev or prod/);
  });

  it('a custom domain needs its certificate', () => {
    assert.throws(() => testApp({ context: { siteDomain: 'undersokelse.example.no' } }), /siteCertificateArn/);
  });
});

describe('per-stage settings in cdk.json', () => {
  const identity = (context: Record<string, unknown>) => {
    const { survey } = templates(context);
    return Object.values(resourcesOf(survey, 'AWS::SES::EmailIdentity'))[0]!.Properties.EmailIdentity;
  };

  it("come from the stage's block", () => {
    assert.equal(identity({ stage: 'prod', stages: { prod: { mailDomain: 'post.imdi.example' } } }), 'post.imdi.example');
  });

  it('a -c value on the command line wins', () => {
    assert.equal(
      identity({ stage: 'prod', mailDomain: 'cli.example', stages: { prod: { mailDomain: 'post.imdi.example' } } }),
      'cli.example',
    );
  });

  it('without either, the default domain', () => {
    assert.equal(identity({ stage: 'prod', stages: {} }), 'undersokelse.example.no');
  });
});
