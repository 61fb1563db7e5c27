// The site: CloudFront in front of the private site bucket (static-site/), the
// content bucket (/content/*, translations and audio), the HTTP API (/api/*) and
// Cognito's user-facing JSON API for the console's sign-in (POST /auth/), so that the
// pages, their content, the API and the sign-in share one origin (CSP connect-src 'self').
import * as path from 'node:path';
import { CfnElement, DefaultStackSynthesizer, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import type { StageConfig } from './config';
import { acknowledge } from './nag';

export const STATIC_SITE_DIR = path.resolve(__dirname, '..', '..', 'static-site');

/** The page loads only its own scripts, styles, images, audio and API. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "media-src 'self'",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/** The header with which CloudFront proves itself to the API (the functions read it). */
export const ORIGIN_VERIFY_HEADER = 'X-Origin-Verify';

/** HSTS max-age: two years, the value the preload list asks for. */
export const HSTS_MAX_AGE = Duration.days(730);

/**
 * Directory URLs (`/registrer/`, `/resultater/`) to their index.html: S3 behind OAC
 * has no index documents except the distribution's root object.
 */
const INDEX_REWRITE = `function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri.endsWith('/')) {
    request.uri = uri + 'index.html';
  } else if (uri.lastIndexOf('.') < uri.lastIndexOf('/')) {
    request.uri = uri + '/index.html';
  }
  return request;
}`;

/**
 * Where the console page reaches Cognito's user-facing JSON API (InitiateAuth,
 * RespondToAuthChallenge, AssociateSoftwareToken, VerifySoftwareToken) on the site's own
 * origin; CloudFront forwards it to cognito-idp in the stack's region.
 */
export const AUTH_PATH = '/auth/';

/** The console page's settings file in the site bucket, written at deploy time. */
export const CONSOLE_CONFIG_KEY = 'admin/config.json';

/** Its Cache-Control: a replaced app client must reach open consoles within a minute. */
export const CONSOLE_CONFIG_CACHE_CONTROL = 'max-age=60';

/** The request headers Cognito's JSON API needs; nothing else of the viewer's request goes to it. */
export const AUTH_HEADERS = ['X-Amz-Target', 'Content-Type'] as const;

/** Cognito answers its JSON API only at `/`: `/auth/` is rewritten before it leaves CloudFront. */
const AUTH_REWRITE = `function handler(event) {
  var request = event.request;
  request.uri = '/';
  return request;
}`;

export interface SiteProps {
  readonly config: StageConfig;
  readonly siteBucket: s3.Bucket;
  readonly contentBucket: s3.Bucket;
  /** Host name of the HTTP API's execute-api endpoint. */
  readonly apiDomainName: string;
  /** Sent to the API origin in X-Origin-Verify (a dynamic reference, see SurveyStack). */
  readonly originSecret: string;
  /** WAF web ACL (CLOUDFRONT scope, from the us-east-1 stack). */
  readonly webAclArn: string;
  /** The console's app client (the operators' user pool), written to /admin/config.json. */
  readonly consoleClientId: string;
}

export class Site extends Construct {
  readonly distribution: cloudfront.Distribution;
  readonly responseHeadersPolicy: cloudfront.ResponseHeadersPolicy;
  readonly deployment: s3deploy.BucketDeployment;
  /** /admin/config.json: the console's app client and sign-in path. */
  readonly consoleConfig: s3deploy.BucketDeployment;

  constructor(scope: Construct, id: string, props: SiteProps) {
    super(scope, id);
    const { config } = props;

    this.responseHeadersPolicy = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      responseHeadersPolicyName: `${config.prefix}-security-headers`,
      comment: 'Strict CSP, HSTS, no framing, no sniffing, no referrer',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: CONTENT_SECURITY_POLICY, override: true },
        strictTransportSecurity: {
          accessControlMaxAge: HSTS_MAX_AGE,
          includeSubdomains: true,
          preload: true,
          override: true,
        },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        contentTypeOptions: { override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
      customHeadersBehavior: {
        customHeaders: [
          { header: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=(), payment=()', override: true },
        ],
      },
      removeHeaders: ['Server'],
    });

    // The page's files are not content-hashed (app.js, app.css, i18n/*.json), so they
    // are cached briefly and every deploy invalidates the distribution.
    const shortCache = new cloudfront.CachePolicy(this, 'ShortCache', {
      cachePolicyName: `${config.prefix}-short`,
      comment: 'HTML and unhashed page assets: minutes',
      minTtl: Duration.seconds(0),
      defaultTtl: Duration.minutes(5),
      maxTtl: Duration.hours(1),
      // ?code=, ?lang=, ?demo= are read by the page's script; they are not part of the
      // cache key and never reach S3.
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.none(),
      headerBehavior: cloudfront.CacheHeaderBehavior.none(),
      cookieBehavior: cloudfront.CacheCookieBehavior.none(),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });

    // Translations and audio under /content/{survey}/: long-lived. The origin's own
    // Cache-Control (set by survey-admin when it publishes) may shorten or lengthen it
    // up to a year; republishing a changed file needs an invalidation (docs/deploy.md).
    const longCache = new cloudfront.CachePolicy(this, 'LongCache', {
      cachePolicyName: `${config.prefix}-long`,
      comment: 'Content (translations, audio) and content-hashed assets: a day by default, up to a year',
      minTtl: Duration.seconds(0),
      defaultTtl: Duration.days(1),
      maxTtl: Duration.days(365),
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.none(),
      headerBehavior: cloudfront.CacheHeaderBehavior.none(),
      cookieBehavior: cloudfront.CacheCookieBehavior.none(),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });

    const indexRewrite = new cloudfront.Function(this, 'IndexRewrite', {
      functionName: `${config.prefix}-index-rewrite`,
      comment: 'Directory URLs to index.html',
      code: cloudfront.FunctionCode.fromInline(INDEX_REWRITE),
      runtime: cloudfront.FunctionRuntime.JS_2_0,
    });

    const apiOrigin = new origins.HttpOrigin(props.apiDomainName, {
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
      readTimeout: Duration.seconds(30),
      // Proves to the functions that a request came through CloudFront (and WAF).
      customHeaders: { [ORIGIN_VERIFY_HEADER]: props.originSecret },
    });

    // Cognito's regional endpoint for the console's sign-in. Its JSON API needs no
    // signature (the body carries the app client's id) and its own Host, so the viewer's
    // Host is not forwarded; only the two headers it reads are, no cookies, no query
    // string, nothing cached. Cognito then sees CloudFront's address as the caller's.
    const cognitoOrigin = new origins.HttpOrigin(`cognito-idp.${Stack.of(this).region}.amazonaws.com`, {
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
    });
    const authRequests = new cloudfront.OriginRequestPolicy(this, 'AuthRequests', {
      originRequestPolicyName: `${config.prefix}-cognito`,
      comment: 'Console sign-in to Cognito: X-Amz-Target and Content-Type only (not Host), no cookies, no query string',
      headerBehavior: cloudfront.OriginRequestHeaderBehavior.allowList(...AUTH_HEADERS),
      cookieBehavior: cloudfront.OriginRequestCookieBehavior.none(),
      queryStringBehavior: cloudfront.OriginRequestQueryStringBehavior.none(),
    });
    const authRewrite = new cloudfront.Function(this, 'AuthRewrite', {
      functionName: `${config.prefix}-auth-rewrite`,
      comment: 'The console sign-in path /auth/ to / (where Cognito answers)',
      code: cloudfront.FunctionCode.fromInline(AUTH_REWRITE),
      runtime: cloudfront.FunctionRuntime.JS_2_0,
    });

    const publicApi: cloudfront.BehaviorOptions = {
      origin: apiOrigin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
      cachePolicy: shortCache,
      responseHeadersPolicy: this.responseHeadersPolicy,
      compress: true,
    };

    const certificate = config.siteCertificateArn
      ? acm.Certificate.fromCertificateArn(this, 'SiteCertificate', config.siteCertificateArn)
      : undefined;

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `${config.prefix} survey site`,
      defaultRootObject: 'index.html',
      domainNames: config.siteDomain ? [config.siteDomain] : undefined,
      certificate,
      // Only meaningful with a custom certificate (the default one is fixed by CloudFront).
      minimumProtocolVersion: certificate ? cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 : undefined,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      // Europe and North America edges: the participants are in Norway.
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      webAclId: props.webAclArn,
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(props.siteBucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: shortCache,
        responseHeadersPolicy: this.responseHeadersPolicy,
        compress: true,
        functionAssociations: [{ function: indexRewrite, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }],
      },
      additionalBehaviors: {
        '/content/*': {
          origin: origins.S3BucketOrigin.withOriginAccessControl(props.contentBucket),
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
          cachePolicy: longCache,
          responseHeadersPolicy: this.responseHeadersPolicy,
          compress: true,
        },
        // The public key figures and the municipal survey's public report: the
        // same for everyone, so CloudFront keeps them for the minutes the
        // function's Cache-Control allows; no header or query string is in the key.
        '/api/key-figures/*': publicApi,
        '/api/org-results/*': publicApi,
        // The console's sign-in (exactly /auth/). CloudFront allows POST only together
        // with every other method; Cognito answers anything but POST with an error.
        [AUTH_PATH]: {
          origin: cognitoOrigin,
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          originRequestPolicy: authRequests,
          responseHeadersPolicy: this.responseHeadersPolicy,
          compress: true,
          functionAssociations: [{ function: authRewrite, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }],
        },
        '/api/*': {
          origin: apiOrigin,
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          // Every query string and header except Host (API Gateway needs its own Host),
          // including Authorization (allowed because caching is disabled).
          originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
          responseHeadersPolicy: this.responseHeadersPolicy,
          compress: true,
        },
      },
    });

    acknowledge(
      this.distribution,
      'AwsSolutions-CFR1',
      'No geo restriction on purpose: participants and municipal contacts may answer from abroad or through roaming/VPN exits; WAF rate rules and IP reputation protect instead.',
    );
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR3',
      'CloudFront standard logs would store every visitor\'s IP address and full query string (?code= access codes, ?token= results tokens) next to each other; the survey promises anonymity, so requests are observed through CloudFront/WAF metrics and the API\'s $context-only access logs instead.',
    );
    if (!config.siteDomain) {
      acknowledge(
        this.distribution,
        'AwsSolutions-CFR4',
        'Without -c siteDomain/siteCertificateArn the distribution uses the *.cloudfront.net default certificate, whose TLS policy CloudFront fixes; with a custom domain the app sets TLSv1.2_2021 and this finding does not arise.',
      );
    }

    // The page: static-site/ as it is, except the config.json files, which differ per
    // deployment: the survey page's names the wave the demo shows, the console's names
    // the app client to sign in with.
    const deployLogs = new logs.LogGroup(this, 'DeploymentLogs', {
      retention: config.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const deployRole = new iam.Role(this, 'DeploymentRole', {
      description: `${config.prefix}: BucketDeployment of static-site/ (S3 copy and CloudFront invalidation)`,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    deployRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [deployLogs.logGroupArn],
      }),
    );
    acknowledgeDeploymentRole(deployRole, props.siteBucket);
    const deploymentProps = { destinationBucket: props.siteBucket, memoryLimit: 512, role: deployRole, logGroup: deployLogs };
    this.deployment = new s3deploy.BucketDeployment(this, 'DeploySite', {
      ...deploymentProps,
      sources: [
        // Every config.json (matched by name): the repository's are for the local stack.
        s3deploy.Source.asset(STATIC_SITE_DIR, { exclude: ['config.json'] }),
        s3deploy.Source.jsonData('config.json', { survey_id: config.demoSurveyId }),
      ],
      // The console's settings are the deployment below's: not synced, not pruned here.
      exclude: [CONSOLE_CONFIG_KEY],
      prune: true,
      distribution: this.distribution,
      distributionPaths: ['/*'],
    });
    // Apart, for a Cache-Control of its own: the page reads it at every start, and the
    // client id in it changes only if the app client is replaced.
    this.consoleConfig = new s3deploy.BucketDeployment(this, 'DeployConsoleConfig', {
      ...deploymentProps,
      sources: [s3deploy.Source.jsonData(CONSOLE_CONFIG_KEY, { client_id: props.consoleClientId, auth_path: AUTH_PATH })],
      prune: false,
      cacheControl: [s3deploy.CacheControl.fromString(CONSOLE_CONFIG_CACHE_CONTROL)],
      distribution: this.distribution,
      distributionPaths: [`/${CONSOLE_CONFIG_KEY}`],
    });
  }
}

/** The grants BucketDeployment adds to its role (written by aws-cdk-lib, not by this app). */
function acknowledgeDeploymentRole(role: iam.Role, siteBucket: s3.Bucket): void {
  const stack = Stack.of(role);
  const synth = stack.synthesizer as DefaultStackSynthesizer;
  const qualifier = synth.bootstrapQualifier ?? DefaultStackSynthesizer.DEFAULT_QUALIFIER;
  const partition = RegionInfo.get(stack.region).partition ?? 'aws';
  const assets = `arn:${partition}:s3:::cdk-${qualifier}-assets-${stack.account}-${stack.region}/*`;
  const reason = (detail: string) => `BucketDeployment (aws-cdk-lib) grants these to copy static-site/ at deploy time: ${detail}`;
  for (const action of ['s3:GetBucket*', 's3:GetObject*', 's3:List*', 's3:Abort*', 's3:DeleteObject*']) {
    acknowledge(role, `AwsSolutions-IAM5[Action::${action}]`, reason('read the CDK asset bucket, sync (and prune) the site bucket, nothing else.'));
  }
  acknowledge(role, `AwsSolutions-IAM5[Resource::${assets}]`, reason('reads the uploaded site zip from the CDK bootstrap asset bucket of this account and region.'));
  acknowledge(role, `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(siteBucket.node.defaultChild as CfnElement)}.Arn>/*]`, reason('writes and prunes the objects of the site bucket only.'));
  acknowledge(role, 'AwsSolutions-IAM5[Resource::*]', reason('cloudfront:CreateInvalidation/GetInvalidation on "*" to invalidate the distribution after the copy.'));
}
