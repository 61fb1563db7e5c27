// WAF for the CloudFront distribution. A web ACL with CLOUDFRONT scope can only be
// created in us-east-1, so it lives in its own small stack there; the main stack in
// eu-north-1 gets its ARN through CDK's cross-region references (an SSM parameter
// written here and read there by CDK-managed custom resources).
import { Stack, type StackProps } from 'aws-cdk-lib';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';
import type { StageConfig } from './config';

/** API paths whose abuse costs something: code guessing, registration spam, results e-mails. */
export const RATE_LIMITED_PATHS = ['/api/codes/validate', '/api/registrations', '/api/results'] as const;

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

    const acl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name: `${config.prefix}-site`,
      description: 'Survey site: AWS managed rules and a per-IP rate limit on code, registration and results calls',
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('site'),
      rules: [
        {
          // Before the managed groups, so that floods are cut early and cheaply.
          name: 'rate-limit-sensitive-api',
          priority: 0,
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
              limit: config.wafRateLimit,
              evaluationWindowSec: 300,
              aggregateKeyType: 'IP',
              scopeDownStatement: {
                orStatement: { statements: RATE_LIMITED_PATHS.map(pathStartsWith) },
              },
            },
          },
          visibilityConfig: visibility('rate-limit-sensitive-api'),
        },
        managed(1, 'AWSManagedRulesAmazonIpReputationList'),
        // The API accepts JSON bodies up to 64 KiB (the handlers answer 413 above that);
        // the common rule set blocks bodies over 8 KiB, so that one rule only counts.
        managed(2, 'AWSManagedRulesCommonRuleSet', [{ name: 'SizeRestrictions_BODY', actionToUse: { count: {} } }]),
        managed(3, 'AWSManagedRulesKnownBadInputsRuleSet'),
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
