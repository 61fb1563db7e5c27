// Each function's role holds exactly the grants its FunctionSpec lists.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { AGGREGATE_KEYS, BUNDLE_KEYS, FUNCTIONS, PROGRESS_KEYS, type FunctionSpec } from '../lib/functions';
import { asArray, logicalIdOf, resourcesOf, statementsOfRole, templates, testApp } from './helpers';

/** Whether an IAM object-key pattern (`*` matches across `/`) covers a key. */
function covers(pattern: string, key: string): boolean {
  const escaped = pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`).test(key);
}

/** An object ARN's key (`{"Fn::Join": ["", [<bucket ARN>, "/key"]]}` -> `key`). */
const objectKey = (resource: any): string => resource['Fn::Join'][1].slice(1).join('').replace(/^\//, '');

function setup(functions = FUNCTIONS) {
  const { survey, built } = templates({}, functions === FUNCTIONS ? undefined : functions);
  const stack = built.survey;
  const tableId = (name: string) => logicalIdOf(stack, built.survey.data.table(name).table);
  const fnOf = (name: string) => built.survey.lambdas.get(name)!;
  const statements = (name: string) => statementsOfRole(survey, stack, fnOf(name).role);
  const lambdaProps = (name: string) =>
    resourcesOf(survey, 'AWS::Lambda::Function')[logicalIdOf(stack, fnOf(name).fn)]!.Properties;
  /** Actions granted (allowed, not denied) on a table, read from the policy documents. */
  const tableActions = (fnName: string, table: string): string[] => {
    const id = tableId(table);
    return statements(fnName)
      .filter((s) => s.Effect === 'Allow')
      .filter((s) => asArray(s.Resource).some((r: any) => JSON.stringify(r).includes(`"${id}"`)))
      .flatMap((s) => asArray<string>(s.Action))
      .sort();
  };
  return { survey, built, stack, tableId, statements, lambdaProps, tableActions, fnOf };
}

describe('least privilege per function', () => {
  const s = setup();

  it('every deployed function has its own role with no managed policies', () => {
    const roles = resourcesOf(s.survey, 'AWS::IAM::Role');
    for (const spec of FUNCTIONS) {
      const role = roles[logicalIdOf(s.stack, s.fnOf(spec.name).role)]!;
      assert.equal(role.Properties.ManagedPolicyArns, undefined, `${spec.name} has managed policies`);
      assert.deepEqual(role.Properties.AssumeRolePolicyDocument.Statement[0].Principal, { Service: 'lambda.amazonaws.com' });
    }
  });

  it('validate-code: only GetItem on waves, registrations and codes', () => {
    assert.deepEqual(s.tableActions('validate-code', 'waves'), ['dynamodb:GetItem']);
    assert.deepEqual(s.tableActions('validate-code', 'registrations'), ['dynamodb:GetItem']);
    assert.deepEqual(s.tableActions('validate-code', 'codes'), ['dynamodb:GetItem']);
    assert.deepEqual(s.tableActions('validate-code', 'answers'), []);
    assert.deepEqual(s.tableActions('validate-code', 'contacts'), []);
  });

  it('submit-response: conditional put and read-back on answers, reads elsewhere, nothing on contacts', () => {
    assert.deepEqual(s.tableActions('submit-response', 'answers'), ['dynamodb:GetItem', 'dynamodb:PutItem']);
    assert.deepEqual(s.tableActions('submit-response', 'waves'), ['dynamodb:GetItem']);
    assert.deepEqual(s.tableActions('submit-response', 'codes'), ['dynamodb:BatchGetItem', 'dynamodb:GetItem']);
    assert.deepEqual(s.tableActions('submit-response', 'registrations'), [], 'the code entry holds the close');
    assert.deepEqual(s.tableActions('submit-response', 'contacts'), []);
    const text = JSON.stringify(s.statements('submit-response'));
    assert.ok(!text.includes(s.tableId('contacts')), 'submit-response must never reach contacts');
    const contactsKey = s.built.survey.data.table('contacts').key!;
    assert.ok(!text.includes(logicalIdOf(s.stack, contactsKey)), 'nor the contacts key');
  });

  it('survey-info: only GetItem and Scan (the waves open for registration) on waves', () => {
    const dynamo = s.statements('survey-info').filter((st) => asArray<string>(st.Action).some((a) => a.startsWith('dynamodb:')));
    assert.equal(dynamo.length, 1);
    assert.deepEqual(asArray(dynamo[0].Action).sort(), ['dynamodb:GetItem', 'dynamodb:Scan']);
    assert.deepEqual(dynamo[0].Resource, { 'Fn::GetAtt': [s.tableId('waves'), 'Arn'] });
  });

  it('no function gets wildcard DynamoDB/S3/KMS actions, and logs only on its own log group', () => {
    for (const spec of FUNCTIONS) {
      for (const st of s.statements(spec.name)) {
        for (const action of asArray<string>(st.Action)) {
          if (action.startsWith('xray:')) continue; // X-Ray has no resource-level permissions
          assert.ok(!action.includes('*'), `${spec.name}: ${action}`);
        }
        if (asArray<string>(st.Action).some((a) => a.startsWith('logs:'))) {
          assert.deepEqual(asArray<string>(st.Action).sort(), ['logs:CreateLogStream', 'logs:PutLogEvents']);
          assert.equal(JSON.stringify(st.Resource).includes('Logs'), true);
        }
        if (st.Resource === '*') assert.ok(asArray<string>(st.Action).every((a) => a.startsWith('xray:')), spec.name);
      }
    }
  });

  it('environment: only the names a function needs, HASH_KEY only where used and never in clear', () => {
    const env = (name: string) => s.lambdaProps(name).Environment.Variables as Record<string, unknown>;
    assert.deepEqual(Object.keys(env('survey-info')).sort(), ['ORIGIN_SECRET', 'RUST_LOG', 'WAVES_TABLE']);
    assert.deepEqual(
      Object.keys(env('validate-code')).sort(),
      ['CODES_TABLE', 'HASH_KEY', 'ORIGIN_SECRET', 'RATE_LIMITS_TABLE', 'REGISTRATIONS_TABLE', 'RUST_LOG', 'WAVES_TABLE'],
    );
    assert.deepEqual(
      Object.keys(env('submit-response')).sort(),
      ['ANSWERS_TABLE', 'CODES_TABLE', 'HASH_KEY', 'ORIGIN_SECRET', 'RATE_LIMITS_TABLE', 'RUST_LOG', 'WAVES_TABLE'],
    );
    for (const name of ['validate-code', 'submit-response']) {
      const hashKey = JSON.stringify(env(name).HASH_KEY);
      assert.match(hashKey, /\{\{resolve:secretsmanager:/, 'HASH_KEY must be a dynamic reference');
      assert.equal(env(name).RUST_LOG, 'info');
    }
  });

  it('functions: arm64, Rust runtime, deliberate memory/timeout, reserved concurrency, log retention', () => {
    const groups = resourcesOf(s.survey, 'AWS::Logs::LogGroup');
    for (const spec of FUNCTIONS) {
      const p = s.lambdaProps(spec.name);
      assert.deepEqual(p.Architectures, ['arm64']);
      assert.equal(p.Runtime, 'provided.al2023');
      assert.equal(p.Handler, 'bootstrap');
      assert.equal(p.MemorySize, spec.memoryMb);
      assert.equal(p.Timeout, spec.timeoutSeconds);
      assert.equal(p.FunctionName, `survey-dev-${spec.name}`);
      assert.ok(p.ReservedConcurrentExecutions >= 1, `${spec.name} needs reserved concurrency`);
      const group = groups[p.LoggingConfig.LogGroup.Ref]!;
      assert.equal(group.Properties.LogGroupName, `/aws/lambda/survey-dev-${spec.name}`);
      assert.ok(group.Properties.RetentionInDays > 0);
    }
    const prod = templates({ stage: 'prod' });
    const fn = Object.values(resourcesOf(prod.survey, 'AWS::Lambda::Function')).find(
      (f) => f.Properties.FunctionName === 'survey-prod-submit-response',
    )!;
    assert.equal(fn.Properties.ReservedConcurrentExecutions, 100);
  });
});

describe('least privilege: functions that handle contacts and send e-mail', () => {
  const s = setup();

  it('register: contacts through its KMS key, consumes tokens, queues mail and sends none', () => {
    assert.deepEqual(s.tableActions('register', 'contacts'), ['dynamodb:PutItem', 'dynamodb:Query']);
    assert.deepEqual(s.tableActions('register', 'codes'), ['dynamodb:PutItem']);
    assert.deepEqual(s.tableActions('register', 'verifications'), ['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    assert.deepEqual(s.tableActions('register', 'answers'), []);
    const sts = s.statements('register');
    const keyId = logicalIdOf(s.stack, s.built.survey.data.table('contacts').key!);
    const kms = sts.filter((st) => JSON.stringify(st.Resource).includes(keyId));
    assert.ok(kms.length > 0, 'register needs the contacts key');
    for (const st of kms) {
      for (const a of asArray<string>(st.Action)) assert.ok(a.startsWith('kms:') && !a.includes('*'), a);
      assert.equal(st.Condition.StringEquals['kms:ViaService'], 'dynamodb.eu-north-1.amazonaws.com');
    }
    const mailKeyId = logicalIdOf(s.stack, s.built.survey.mailQueue!.key);
    const queueKey = sts.find((st) => JSON.stringify(st.Resource).includes(mailKeyId))!;
    assert.deepEqual(asArray<string>(queueKey.Action).sort(), ['kms:Decrypt', 'kms:GenerateDataKey']);
    assert.equal(queueKey.Condition.StringEquals['kms:ViaService'], 'sqs.eu-north-1.amazonaws.com');
    const env = s.lambdaProps('register').Environment.Variables;
    assert.equal(env.SITE_URL, undefined, 'links are the worker\'s to write');
    assert.ok(env.VERIFICATIONS_TABLE);
    assert.equal(env.ANSWERS_TABLE, undefined);
  });

  it('send-mail: SES only from the stack identity and configuration set; writes the tokens it mails', () => {
    const sts = s.statements('send-mail');
    const ses = sts.find((st) => asArray<string>(st.Action).includes('ses:SendEmail'))!;
    const resources = JSON.stringify(ses.Resource);
    assert.match(resources, /identity\/undersokelse\.example\.no/);
    const configSetId = logicalIdOf(s.stack, s.built.survey.email.configurationSet);
    assert.match(resources, new RegExp(`configuration-set/",\\{"Ref":"${configSetId}"`));
    assert.equal(asArray(ses.Resource).length, 2);
    assert.deepEqual(s.tableActions('send-mail', 'contacts'), ['dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
    assert.deepEqual(s.tableActions('send-mail', 'verifications'), ['dynamodb:PutItem']);
    assert.deepEqual(s.tableActions('send-mail', 'access_tokens'), ['dynamodb:PutItem']);
    assert.deepEqual(s.tableActions('send-mail', 'registrations'), ['dynamodb:GetItem', 'dynamodb:Query']);
    assert.deepEqual(s.tableActions('send-mail', 'codes'), []);
    // A mailing job reads its recipient by key; the wave's list is for choosing who is due.
    // Every write is a conditional update of one field: never a whole item back.
    assert.deepEqual(
      s.tableActions('send-mail', 'recipients'),
      ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
    );
    // The contacts' reminder counts a unit's answers on the by_unit index (keys and days), and reads none.
    assert.deepEqual(s.tableActions('send-mail', 'answers'), ['dynamodb:Query']);
    const answers = s.statements('send-mail').find((st) => st.Sid === 'AnswersTable')!;
    assert.ok(!asArray<any>(answers.Resource).some((r) => !JSON.stringify(r).includes('/index/')), 'the index only, never the table');
    const env = s.lambdaProps('send-mail').Environment.Variables;
    assert.match(env.MAIL_FROM, /@undersokelse\.example\.no>$/);
    assert.deepEqual(env.SES_CONFIGURATION_SET, { Ref: configSetId });
    assert.ok(env.SITE_URL, 'links in e-mails need SITE_URL');
  });

  it('org-response: a leader\'s recipient by key and the unit\'s rows by query; writes forms only', () => {
    assert.deepEqual(s.tableActions('org-response', 'recipients'), ['dynamodb:GetItem', 'dynamodb:Query']);
    assert.deepEqual(s.tableActions('org-response', 'forms'), ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query']);
    assert.deepEqual(s.tableActions('org-response', 'form_tokens'), ['dynamodb:GetItem']);
    for (const table of ['answers', 'contacts', 'codes', 'registrations']) {
      assert.deepEqual(s.tableActions('org-response', table), [], table);
    }
  });

  it('results: reads reports (and may list them, for 404s) and contacts; writes nothing', () => {
    const writes = s
      .statements('results')
      .flatMap((st) => asArray<string>(st.Action))
      .filter((a) => !a.startsWith('logs:') && !a.startsWith('xray:'))
      .filter((a) => /Put|Update|Delete/.test(a));
    assert.deepEqual(writes, []);
    assert.deepEqual(s.tableActions('results', 'access_tokens'), ['dynamodb:GetItem']);
    assert.deepEqual(s.tableActions('results', 'contacts'), ['dynamodb:Query']);
    // The live count: a query on the by_unit index (keys and days), never reading an answer itself.
    assert.deepEqual(s.tableActions('results', 'answers'), ['dynamodb:Query']);
    const answers = s.statements('results').find((st) => st.Sid === 'AnswersTable')!;
    assert.match(JSON.stringify(answers.Resource), /\/index\/by_unit/);
    assert.ok(!asArray<any>(answers.Resource).some((r) => !JSON.stringify(r).includes('/index/')), 'the index only, never the table');
    const list = s.statements('results').find((st) => st.Action === 's3:ListBucket')!;
    assert.deepEqual(list.Condition, {
      StringLike: {
        's3:prefix': [
          'results/*/latest.json',
          'results/*/runs/*/units/*.json',
          'results/*/runs/*/report.json',
          'results/*/runs/*/key-figures.json',
        ],
      },
    });
  });

  it('only the functions that read or write contacts may use their key, only send-mail sends e-mail', () => {
    const keyId = logicalIdOf(s.stack, s.built.survey.data.table('contacts').key!);
    for (const spec of FUNCTIONS) {
      const text = JSON.stringify(s.statements(spec.name));
      assert.equal(text.includes(keyId), ['register', 'results', 'send-mail', 'admin'].includes(spec.name), spec.name);
      assert.equal(text.includes('ses:'), spec.name === 'send-mail', spec.name);
    }
  });

  it('a bucket grant for the whole prefix, or outside it, fails synth', () => {
    for (const key of ['results/*', 'content/x.json']) {
      assert.throws(
        () => testApp({ functions: [{ ...FUNCTIONS[0]!, name: 'x', buckets: { results: { read: [key] } } }] }),
        /must name keys under results\/, not the whole prefix/,
      );
    }
  });

  it('a spec naming a table that is not in the schema fails synth', () => {
    assert.throws(
      () =>
        testApp({
          functions: [{ ...FUNCTIONS[0]!, name: 'x', tables: { nosuchtable: ['GetItem'] } }],
        }),
      /nosuchtable is not in shared\/schema\/tables.json/,
    );
  });
});

describe('least privilege of the aggregation', () => {
  const s = setup(FUNCTIONS);

  it('aggregate: scans answers, writes under results/ only, never contacts, no HASH_KEY', () => {
    assert.deepEqual(s.tableActions('aggregate', 'answers'), ['dynamodb:Scan']);
    assert.deepEqual(s.tableActions('aggregate', 'contacts'), []);
    const s3 = s.statements('aggregate').find((st) => asArray<string>(st.Action).includes('s3:PutObject'))!;
    // A wave's files, or a survey's trend over its waves.
    for (const r of asArray<any>(s3.Resource)) assert.match(JSON.stringify(r), /"\/results\/(\*\/[a-z]|_trend\/\*)/);
    assert.equal(s.lambdaProps('aggregate').Environment.Variables.HASH_KEY, undefined);
  });

  it('only the aggregation takes, keeps and gives back a wave\'s run lease', () => {
    assert.deepEqual(s.tableActions('aggregate', 'run_leases'), ['dynamodb:PutItem', 'dynamodb:UpdateItem']);
    for (const f of FUNCTIONS.filter((f) => f.name !== 'aggregate')) {
      assert.deepEqual(s.tableActions(f.name, 'run_leases'), [], f.name);
    }
  });
});

describe('least privilege of the console (admin)', () => {
  const s = setup();
  const spec = FUNCTIONS.find((f) => f.name === 'admin')!;
  const objectKeys = (action: string, bucket: 'results' | 'content') => {
    const bucketId = logicalIdOf(s.stack, s.built.survey.data.bucket(bucket));
    return s
      .statements('admin')
      .filter((st) => asArray<string>(st.Action).includes(action))
      .flatMap((st) => asArray<any>(st.Resource))
      .filter((r) => JSON.stringify(r).includes(`"${bucketId}"`))
      .map(objectKey)
      .sort();
  };

  it('tables: exactly the actions the operations use through DynamoStore', () => {
    const expected: Record<string, string[]> = {
      // read, list, create and edit (both conditional puts)
      waves: ['GetItem', 'PutItem', 'Scan'],
      // close/reopen and a new code are updates; a first contact's approval registers the unit
      registrations: ['GetItem', 'PutItem', 'Query', 'UpdateItem'],
      // the new code's entry put, the old one deleted; the close written on the entry
      codes: ['DeleteItem', 'PutItem', 'UpdateItem'],
      contacts: ['DeleteItem', 'PutItem', 'Query', 'Scan'],
      answers: ['Query'],
      audit: ['PutItem', 'Query'],
      recipients: ['Query'],
      forms: ['Query'],
      verifications: [],
      access_tokens: [],
      rate_limits: [],
      form_tokens: [],
    };
    for (const [table, actions] of Object.entries(expected)) {
      assert.deepEqual(s.tableActions('admin', table), actions.map((a) => `dynamodb:${a}`), table);
    }
  });

  it('answers: Query on the by_unit index only, never GetItem or Scan, never the table', () => {
    const answerStatements = s.statements('admin').filter((st) => JSON.stringify(st.Resource).includes(`"${s.tableId('answers')}"`));
    assert.equal(answerStatements.length, 1);
    const [st] = answerStatements;
    assert.equal(st.Sid, 'AnswersTable');
    assert.deepEqual(asArray(st.Action), ['dynamodb:Query']);
    assert.deepEqual(asArray(st.Resource), [
      { 'Fn::Join': ['', [{ 'Fn::GetAtt': [s.tableId('answers'), 'Arn'] }, '/index/by_unit']] },
    ]);
    assert.deepEqual(spec.indexes, { answers: ['by_unit'] });
  });

  it('results bucket: the pointer, progress, bundles and the population; writes only a run\'s progress', () => {
    assert.deepEqual(objectKeys('s3:GetObject', 'results'), [
      'results/*/latest.json',
      'results/*/runs/*/bundle.zip',
      'results/*/runs/*/progress.json',
      'results/_population/*',
    ]);
    assert.deepEqual(objectKeys('s3:PutObject', 'results'), ['results/*/runs/*/progress.json']);
    // No report, no ledger, no trend, no manifest.
    for (const key of [
      'results/2026/runs/r1/units/4601.json',
      'results/2026/runs/r1/report.json',
      'results/2026/runs/r1/manifest.json',
      'results/2026/releases.json',
      'results/_trend/imdi.json',
    ]) {
      assert.ok(!objectKeys('s3:GetObject', 'results').some((p) => covers(p, key)), `admin must not read ${key}`);
    }
    const list = s.statements('admin').find((st) => st.Sid === 'ResultsList')!;
    assert.deepEqual(list.Condition.StringLike['s3:prefix'], [...spec.buckets!.results!.read!]);
  });

  it('the bundle and progress keys are the ones shared/domain lays out', () => {
    const store = readFileSync(path.resolve(__dirname, '..', '..', 'shared', 'domain', 'src', 'store.rs'), 'utf8');
    assert.match(store, /format!\("results\/\{survey\}\/runs\/\{run_id\}\/"\)/);
    assert.match(store, /fn bundle_key[^}]*format!\("\{\}bundle\.zip", run_prefix/);
    assert.match(store, /fn progress_key[^}]*format!\("\{\}progress\.json", run_prefix/);
    const run = 'results/2026-kommune/runs/20260901T030000Z-1a2b/';
    assert.ok(BUNDLE_KEYS.some((p) => covers(p, `${run}bundle.zip`)));
    assert.ok(PROGRESS_KEYS.some((p) => covers(p, `${run}progress.json`)));
  });

  it('content bucket: reads the sound coverage; writes a new wave\'s questionnaire and texts only', () => {
    assert.deepEqual(objectKeys('s3:GetObject', 'content'), ['content/*/audio/coverage.json']);
    assert.deepEqual(objectKeys('s3:PutObject', 'content'), ['content/*/i18n/*.json', 'content/*/questionnaire.json']);
    for (const key of ['content/2026/audio/nb/abc.mp3', 'content/2026/audio/nb/manifest.json']) {
      assert.ok(!objectKeys('s3:PutObject', 'content').some((p) => covers(p, key)), `admin must not write ${key}`);
    }
  });

  it('may invoke the aggregation function, and only it, named in AGGREGATE_FUNCTION', () => {
    const aggregateId = logicalIdOf(s.stack, s.fnOf('aggregate').fn);
    const invoke = s.statements('admin').filter((st) => asArray<string>(st.Action).some((a) => a.startsWith('lambda:')));
    assert.equal(invoke.length, 1);
    assert.deepEqual(asArray(invoke[0].Action), ['lambda:InvokeFunction']);
    assert.deepEqual(asArray(invoke[0].Resource), [{ 'Fn::GetAtt': [aggregateId, 'Arn'] }]);
    assert.deepEqual(s.lambdaProps('admin').Environment.Variables.AGGREGATE_FUNCTION, { Ref: aggregateId });
    for (const other of FUNCTIONS.filter((f) => f.name !== 'admin')) {
      assert.ok(!JSON.stringify(s.statements(other.name)).includes('lambda:Invoke'), `${other.name} invokes nothing`);
    }
  });

  it('queues mail (reminders, codes) and sends none; HASH_KEY by dynamic reference', () => {
    const actions = s.statements('admin').flatMap((st) => asArray<string>(st.Action));
    assert.ok(actions.includes('sqs:SendMessage'));
    assert.ok(!actions.some((a) => a.startsWith('ses:') || a.startsWith('sqs:Receive')));
    const env = s.lambdaProps('admin').Environment.Variables;
    assert.deepEqual(Object.keys(env).sort(), [
      'AGGREGATE_FUNCTION',
      'ANSWERS_TABLE',
      'AUDIT_TABLE',
      'CODES_TABLE',
      'CONTACTS_TABLE',
      'CONTENT_BUCKET',
      'FORMS_TABLE',
      'HASH_KEY',
      'MAIL_QUEUE_URL',
      'ORIGIN_SECRET',
      'RECIPIENTS_TABLE',
      'REGISTRATIONS_TABLE',
      'RESULTS_BUCKET',
      'RUST_LOG',
      'WAVES_TABLE',
    ]);
    assert.match(JSON.stringify(env.HASH_KEY), /\{\{resolve:secretsmanager:/);
  });

  it('15 s, 5 at once', () => {
    assert.equal(s.lambdaProps('admin').Timeout, 15);
    assert.equal(spec.reservedConcurrency, 5);
    assert.equal(s.lambdaProps('admin').ReservedConcurrentExecutions, 5);
  });

  it('only the console and the aggregation may read a bundle', () => {
    const bundle = 'results/2026/runs/r1/bundle.zip';
    for (const f of FUNCTIONS) {
      const reads = f.buckets?.results?.read ?? [];
      assert.equal(reads.some((p) => covers(p, bundle)), ['admin', 'aggregate'].includes(f.name), f.name);
    }
  });

  it("the aggregation writes (and reads) a run's progress.json", () => {
    const key = 'results/2026/runs/20260901T030000Z/progress.json';
    const aggregate = FUNCTIONS.find((f) => f.name === 'aggregate')!;
    assert.ok(AGGREGATE_KEYS.some((p) => covers(p, key)));
    assert.ok(aggregate.buckets!.results!.write!.some((p) => covers(p, key)));
    assert.ok(aggregate.buckets!.results!.read!.some((p) => covers(p, key)));
  });
});

describe('spec machinery: named indexes and invoked functions', () => {
  const base = (overrides: Partial<FunctionSpec>): FunctionSpec => ({
    name: 'x',
    description: 'test function',
    hashKey: false,
    memoryMb: 128,
    timeoutSeconds: 3,
    reservedConcurrency: 1,
    ...overrides,
  });
  const aggregate = FUNCTIONS.find((f) => f.name === 'aggregate')!;

  it('with a named index, Query goes on that index and the other actions on the table alone', () => {
    const functions = [base({ tables: { answers: ['PutItem', 'Query'] }, indexes: { answers: ['by_unit'] } })];
    const s = setup(functions);
    const table = s.statements('x').find((st) => st.Sid === 'AnswersTable')!;
    assert.deepEqual(asArray(table.Action), ['dynamodb:PutItem']);
    assert.deepEqual(asArray(table.Resource), [{ 'Fn::GetAtt': [s.tableId('answers'), 'Arn'] }]);
    const index = s.statements('x').find((st) => st.Sid === 'AnswersIndexes')!;
    assert.deepEqual(asArray(index.Action), ['dynamodb:Query']);
    assert.deepEqual(asArray(index.Resource), [
      { 'Fn::Join': ['', [{ 'Fn::GetAtt': [s.tableId('answers'), 'Arn'] }, '/index/by_unit']] },
    ]);
  });

  it('results and send-mail name the by_unit index too', () => {
    for (const name of ['results', 'send-mail']) {
      assert.deepEqual(FUNCTIONS.find((f) => f.name === name)!.indexes, { answers: ['by_unit'] }, name);
    }
  });

  it('an index not in the schema, an empty list, or indexes without a Query fail synth', () => {
    assert.throws(
      () => testApp({ functions: [base({ tables: { answers: ['Query'] }, indexes: { answers: ['by_day'] } })] }),
      /answers has no index by_day/,
    );
    assert.throws(
      () => testApp({ functions: [base({ tables: { answers: ['Query'] }, indexes: { answers: [] } })] }),
      /indexes of answers names no index/,
    );
    assert.throws(
      () => testApp({ functions: [base({ tables: { answers: ['GetItem'] }, indexes: { answers: ['by_unit'] } })] }),
      /indexes of answers go with a Query on answers/,
    );
    assert.throws(
      () => testApp({ functions: [base({ indexes: { answers: ['by_unit'] } })] }),
      /indexes of answers go with a Query on answers/,
    );
  });

  it('invokes: InvokeFunction on the named function only, its name in <NAME>_FUNCTION', () => {
    const s = setup([aggregate, base({ invokes: ['aggregate'] })]);
    const invoke = s.statements('x').find((st) => st.Sid === 'InvokeAggregate')!;
    const aggregateId = logicalIdOf(s.stack, s.fnOf('aggregate').fn);
    assert.deepEqual(asArray(invoke.Action), ['lambda:InvokeFunction']);
    assert.deepEqual(asArray(invoke.Resource), [{ 'Fn::GetAtt': [aggregateId, 'Arn'] }]);
    assert.deepEqual(s.lambdaProps('x').Environment.Variables.AGGREGATE_FUNCTION, { Ref: aggregateId });
  });

  it('invoking a function that is not deployed, or itself, fails synth', () => {
    assert.throws(() => testApp({ functions: [base({ invokes: ['aggregate'] })] }), /invokes aggregate, which is not another deployed function/);
    assert.throws(() => testApp({ functions: [base({ invokes: ['x'] })] }), /invokes x, which is not another deployed function/);
  });
});

describe('least privilege: a function is granted the clients its binary makes, and no others', () => {
  const main = (name: string) =>
    readFileSync(path.resolve(__dirname, '..', '..', 'functions', name, 'src', 'main.rs'), 'utf8');

  it('queues mail, sends e-mail and reads buckets exactly where main.rs makes that client', () => {
    for (const spec of FUNCTIONS) {
      const source = main(spec.name);
      const queues = spec.mail?.includes('queue') ?? false;
      assert.equal(/SqsQueue::new/.test(source), queues, `${spec.name}: SqsQueue against mail: ['queue']`);
      assert.equal(/SesMailer::new/.test(source), spec.sendsEmail ?? false, `${spec.name}: SesMailer against sendsEmail`);
      const buckets = /S3Results::new|S3Content::new/.test(source);
      assert.equal(buckets, spec.buckets !== undefined, `${spec.name}: S3 against buckets`);
    }
  });
});
