// WAF for the CloudFront distribution. A web ACL with CLOUDFRONT scope can only be
// created in us-east-1, so it lives in its own small stack there; the main stack in
// eu-north-1 gets its ARN through CDK's cross-region references (an SSM parameter
// written here and read there by CDK-managed custom resources).
import { Stack, type StackProps } from 'aws-cdk-lib';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';
import type { StageConfig } from './config';

/**
 * Paths whose abuse costs e-mail (registration spam, results-link requests) or
 * guesses a password (the console's sign-in through `/auth/`, on top of Cognito's own
 * lockout, which sees CloudFront's addresses rather than the guesser's).
 */
export const RATE_LIMITED_PATHS = ['/api/registrations', '/api/results', '/auth/'] as const;

/**
 * The paths that take an access code: a wrong code is a guess, and both count against
 * one limit (the handlers also count wrong codes in the shared rate_limits table).
 */
export const CODE_PATHS = ['/api/codes/validate', '/api/responses'] as const;

export interface EdgeStackProps extends StackProps {
  readonly config: StageConfig;
}

export class EdgeStack extends Stack {
  readonly webAclArn: string;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id, props);
    const { config } = props;

    const visibility = (name: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      // Sampled requests would keep client IPs and query strings (codes, tokens) for
      // three hours in the WAF console; metrics are enough to see attacks.
      sampledRequestsEnabled: false,
      metricName: `${config.prefix}-${name}`,
    });

    const managed = (
      priority: number,
      name: string,
      overrides: wafv2.CfnWebACL.RuleActionOverrideProperty[] = [],
    ): wafv2.CfnWebACL.RuleProperty => ({
      name: `aws-${name}`,
      priority,
      overrideAction: { none: {} },
      statement: {
        managedRuleGroupStatement: {
          vendorName: 'AWS',
          name,
          ruleActionOverrides: overrides.length ? overrides : undefined,
        },
      },
      visibilityConfig: visibility(name),
    });

    const pathStartsWith = (path: string): wafv2.CfnWebACL.StatementProperty => ({
      byteMatchStatement: {
        fieldToMatch: { uriPath: {} },
        positionalConstraint: 'STARTS_WITH',
        searchString: path,
        textTransformations: [{ priority: 0, type: 'LOWERCASE' }],
      },
    });

    /** Blocks with 429 rate_limited an address that sent more than `limit` requests to `paths` in 5 minutes. */
    const rateRule = (
      priority: number,
      name: string,
      limit: number,
      paths: readonly string[],
    ): wafv2.CfnWebACL.RuleProperty => ({
      name,
      priority,
      action: {
        block: {
          customResponse: {
            responseCode: 429,
            customResponseBodyKey: 'rate_limited',
            responseHeaders: [{ name: 'retry-after', value: '300' }],
          },
        },
      },
      statement: {
        rateBasedStatement: {
          limit,
          evaluationWindowSec: 300,
          aggregateKeyType: 'IP',
          scopeDownStatement: { orStatement: { statements: paths.map(pathStartsWith) } },
        },
      },
      visibilityConfig: visibility(name),
    });

    const acl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name: `${config.prefix}-site`,
      description: 'Survey site: AWS managed rules, per-IP rate limits on code checks and answers, on registration and results calls, and on the console sign-in',
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('site'),
      rules: [
        // Before the managed groups, so that floods are cut early and cheaply.
        rateRule(0, 'rate-limit-sensitive-api', config.wafRateLimit, RATE_LIMITED_PATHS),
        // A class of 30 behind one school or municipal NAT address checks its code (a
        // reload or two each) and submits once, with retries: about 150 requests in a few
        // minutes. Several classes of one municipality can share that address, so 600 per
        // 5 minutes leaves room for four at once, while a guesser gets 2 tries a second
        // here and far fewer wrong codes past the shared counter.
        rateRule(1, 'rate-limit-code-paths', config.wafCodeRateLimit, CODE_PATHS),
        managed(2, 'AWSManagedRulesAmazonIpReputationList'),
        // The API accepts JSON bodies up to 64 KiB (the handlers answer 413 above that);
        // the common rule set blocks bodies over 8 KiB, so that one rule only counts.
        managed(3, 'AWSManagedRulesCommonRuleSet', [{ name: 'SizeRestrictions_BODY', actionToUse: { count: {} } }]),
        managed(4, 'AWSManagedRulesKnownBadInputsRuleSet'),
      ],
      customResponseBodies: {
        rate_limited: {
          contentType: 'APPLICATION_JSON',
          content: JSON.stringify({
            error: { code: 'rate_limited', message: 'Too many requests. Please wait a few minutes and try again.' },
          }),
        },
      },
    });
    this.webAclArn = acl.attrArn;
  }
}
