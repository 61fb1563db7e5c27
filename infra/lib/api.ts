// The HTTP API: one route per (method, path) of the function specs, stage throttling,
// JSON access logs of $context fields only (no bodies, no query strings, no IPs).
import { Duration, Fn, RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { StageConfig } from './config';
import type { DeployedFunction } from './lambdas';
import { acknowledge } from './nag';
import type { Operators } from './operators';
import { pascal } from './data';

/**
 * What an access-log line holds. No `$context.path` (it can carry unit numbers), no
 * query string (verification and results tokens), no source IP or user agent, and
 * never a request or response body.
 */
export const ACCESS_LOG_FIELDS: Record<string, string> = {
  requestId: '$context.requestId',
  time: '$context.requestTime',
  method: '$context.httpMethod',
  route: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  latencyMs: '$context.responseLatency',
  integrationLatencyMs: '$context.integrationLatency',
  integrationStatus: '$context.integrationStatus',
  integrationError: '$context.integrationErrorMessage',
  error: '$context.error.message',
};

export interface ApiProps {
  readonly config: StageConfig;
  readonly functions: readonly DeployedFunction[];
  /** The site's origin for CORS (only set with a custom domain; see SurveyStack). */
  readonly allowedOrigin?: string;
  /** The console's sign-in, which guards the routes of functions marked `console`. */
  readonly operators?: Operators;
}

export class Api extends Construct {
  readonly httpApi: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly accessLogs: logs.LogGroup;
  /** Host name of the execute-api endpoint, for the CloudFront origin. */
  readonly domainName: string;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const { config } = props;

    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      apiName: `${config.prefix}-api`,
      description: 'Survey API, reached through CloudFront under /api/*',
      createDefaultStage: false,
      // The page calls the API same-origin through CloudFront, so browsers never need CORS.
      // With a custom domain, preflights are answered for that origin only; without one,
      // no CORS headers are sent and cross-origin browser calls are refused.
      corsPreflight: props.allowedOrigin
        ? {
            allowOrigins: [props.allowedOrigin],
            allowMethods: [apigwv2.CorsHttpMethod.GET, apigwv2.CorsHttpMethod.POST],
            allowHeaders: ['content-type', 'authorization'],
            maxAge: Duration.hours(1),
          }
        : undefined,
    });

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      logGroupName: `/aws/apigateway/${config.prefix}-api`,
      retention: config.logRetention,
      removalPolicy: config.isProd ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: config.apiRateLimit, burstLimit: config.apiBurstLimit },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    // API Gateway checks the console's tokens: signature against the pool's keys,
    // issuer, audience (the console's client) and expiry.
    const consoleAuthorizer = props.operators
      ? new HttpUserPoolAuthorizer('ConsoleAuthorizer', props.operators.userPool, {
          userPoolClients: [props.operators.client],
        })
      : undefined;
    for (const { spec, fn } of props.functions) {
      if (!spec.routes?.length) continue;
      const integration = new HttpLambdaIntegration(`${pascal(spec.name)}Integration`, fn);
      if (spec.console && !consoleAuthorizer) throw new Error(`${spec.name}: console routes need the operators' user pool`);
      for (const route of spec.routes) {
        const [r] = this.httpApi.addRoutes({
          path: route.path,
          methods: [apigwv2.HttpMethod[route.method]],
          integration,
          authorizer: spec.console ? consoleAuthorizer : undefined,
        });
        if (spec.console) continue;
        acknowledge(
          r!,
          'AwsSolutions-APIG4',
          'Public survey API by design: participants are anonymous and authenticate per request with an access code (or a results token the handler checks); there are no user accounts for an authorizer to check.',
        );
      }
    }

    this.domainName = Fn.select(2, Fn.split('/', this.httpApi.apiEndpoint));
  }
}
