// WAF for CloudFront, in us-east-1.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CODE_PATHS, RATE_LIMITED_PATHS } from '../lib/edge-stack';
import { resourcesOf, templates } from './helpers';

describe('WAF (edge stack)', () => {
  const { edge, built } = templates();
  const acl = Object.values(resourcesOf(edge, 'AWS::WAFv2::WebACL'))[0]!.Properties;
  const rule = (name: string) => acl.Rules.find((r: any) => r.Name === name);

  it('lives in us-east-1 with CLOUDFRONT scope', () => {
    assert.equal(built.edge.region, 'us-east-1');
    assert.equal(acl.Scope, 'CLOUDFRONT');
    assert.deepEqual(acl.DefaultAction, { Allow: {} });
  });

  it('uses the AWS managed common, known-bad-inputs and IP reputation rules', () => {
    const managed = acl.Rules.filter((r: any) => r.Statement.ManagedRuleGroupStatement).map(
      (r: any) => r.Statement.ManagedRuleGroupStatement.Name,
    );
    assert.deepEqual(managed.sort(), [
      'AWSManagedRulesAmazonIpReputationList',
      'AWSManagedRulesCommonRuleSet',
      'AWSManagedRulesKnownBadInputsRuleSet',
    ]);
    const common = rule('aws-AWSManagedRulesCommonRuleSet');
    // 64 KiB JSON bodies are legal for the API: the 8 KiB body-size rule only counts.
    assert.deepEqual(common.Statement.ManagedRuleGroupStatement.RuleActionOverrides, [
      { Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } },
    ]);
  });

  it('rate-limits per IP on registrations and results', () => {
    const r = rule('rate-limit-sensitive-api');
    assert.equal(r.Priority, 0);
    assert.equal(r.Action.Block.CustomResponse.ResponseCode, 429);
    const rate = r.Statement.RateBasedStatement;
    assert.equal(rate.AggregateKeyType, 'IP');
    assert.equal(rate.Limit, 300);
    const paths = rate.ScopeDownStatement.OrStatement.Statements.map((s: any) => {
      assert.equal(s.ByteMatchStatement.PositionalConstraint, 'STARTS_WITH');
      assert.deepEqual(s.ByteMatchStatement.FieldToMatch, { UriPath: {} });
      return s.ByteMatchStatement.SearchString;
    });
    assert.deepEqual(paths, [...RATE_LIMITED_PATHS]);
    assert.deepEqual(paths, ['/api/registrations', '/api/results', '/auth/']);
    const body = JSON.parse(acl.CustomResponseBodies.rate_limited.Content);
    assert.equal(body.error.code, 'rate_limited');
  });

  it('keeps no sampled requests (they would hold IPs and query strings)', () => {
    for (const r of acl.Rules) assert.equal(r.VisibilityConfig.SampledRequestsEnabled, false);
  });

  it('rate-limits code checks and answers together, before the managed rules', () => {
    const r = rule('rate-limit-code-paths');
    assert.equal(r.Priority, 1);
    const rate = r.Statement.RateBasedStatement;
    assert.equal(rate.Limit, 600);
    const paths = rate.ScopeDownStatement.OrStatement.Statements.map((s: any) => s.ByteMatchStatement.SearchString);
    assert.deepEqual(paths, [...CODE_PATHS]);
    const managed = acl.Rules.filter((x: any) => x.Statement.ManagedRuleGroupStatement).map((x: any) => x.Priority);
    assert.ok(Math.min(...managed) > r.Priority);
    assert.equal(new Set(acl.Rules.map((x: any) => x.Priority)).size, acl.Rules.length, 'priorities are unique');
  });

  it('the rate limits come from context', () => {
    const t = templates({ wafRateLimit: 100, wafCodeRateLimit: 900 });
    const a = Object.values(resourcesOf(t.edge, 'AWS::WAFv2::WebACL'))[0]!.Properties;
    const limit = (name: string) => a.Rules.find((r: any) => r.Name === name).Statement.RateBasedStatement.Limit;
    assert.equal(limit('rate-limit-sensitive-api'), 100);
    assert.equal(limit('rate-limit-code-paths'), 900);
  });
});
