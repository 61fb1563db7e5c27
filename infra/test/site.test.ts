// CloudFront: private buckets through OAC, security headers, caching, /api/* and the
// console's sign-in (/auth/) same-origin, the console's config.json.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { AUTH_PATH, CONSOLE_CONFIG_CACHE_CONTROL } from '../lib/site';
import { logicalIdOf, resourcesOf, templates } from './helpers';

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

describe('site', () => {
  const { survey, built, app } = templates();
  const dist = Object.values(resourcesOf(survey, 'AWS::CloudFront::Distribution'))[0]!.Properties.DistributionConfig;
  const behavior = (pattern: string) => dist.CacheBehaviors.find((b: any) => b.PathPattern === pattern);
  const originById = (id: string) => dist.Origins.find((o: any) => o.Id === id);
  const siteDeployment = () =>
    Object.entries(survey.findResources('Custom::CDKBucketDeployment')).find(([id]) => id.includes('DeploySite'))![1] as any;

  it('S3 origins use Origin Access Control, not OAI or public website hosting', () => {
    const oacs = Object.values(resourcesOf(survey, 'AWS::CloudFront::OriginAccessControl'));
    assert.equal(oacs.length, 2);
    for (const o of oacs) {
      assert.equal(o.Properties.OriginAccessControlConfig.OriginAccessControlOriginType, 's3');
      assert.equal(o.Properties.OriginAccessControlConfig.SigningBehavior, 'always');
    }
    const s3Origins = dist.Origins.filter((o: any) => o.S3OriginConfig);
    assert.equal(s3Origins.length, 2);
    for (const o of s3Origins) {
      assert.ok(o.OriginAccessControlId, 'OAC');
      assert.equal(o.S3OriginConfig.OriginAccessIdentity, '');
    }
    // The bucket policies let only this distribution read (aws:SourceArn).
    const siteId = logicalIdOf(built.survey, built.survey.data.siteBucket);
    const policy = Object.values(resourcesOf(survey, 'AWS::S3::BucketPolicy')).find(
      (p) => p.Properties.Bucket.Ref === siteId,
    )!;
    const read = policy.Properties.PolicyDocument.Statement.find((s: any) => s.Principal?.Service === 'cloudfront.amazonaws.com');
    assert.equal(read.Action, 's3:GetObject');
    assert.ok(read.Condition.StringEquals['AWS:SourceArn']);
  });

  it('security headers: strict CSP, HSTS two years with preload, DENY, nosniff, no-referrer', () => {
    const policy = Object.values(resourcesOf(survey, 'AWS::CloudFront::ResponseHeadersPolicy'))[0]!;
    const h = policy.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    assert.equal(h.ContentSecurityPolicy.ContentSecurityPolicy, CSP);
    assert.deepEqual(h.StrictTransportSecurity, {
      AccessControlMaxAgeSec: 63072000,
      IncludeSubdomains: true,
      Preload: true,
      Override: true,
    });
    assert.deepEqual(h.FrameOptions, { FrameOption: 'DENY', Override: true });
    assert.deepEqual(h.ContentTypeOptions, { Override: true });
    assert.deepEqual(h.ReferrerPolicy, { ReferrerPolicy: 'no-referrer', Override: true });
    // ...on every behavior.
    const policyId = Object.keys(resourcesOf(survey, 'AWS::CloudFront::ResponseHeadersPolicy'))[0];
    for (const b of [dist.DefaultCacheBehavior, ...dist.CacheBehaviors]) {
      assert.deepEqual(b.ResponseHeadersPolicyId, { Ref: policyId });
    }
  });

  it('cache: short for the page, long for /content/*', () => {
    const policies = resourcesOf(survey, 'AWS::CloudFront::CachePolicy');
    const ttl = (ref: any) => policies[ref.Ref]!.Properties.CachePolicyConfig;
    const page = ttl(dist.DefaultCacheBehavior.CachePolicyId);
    assert.ok(page.DefaultTTL <= 600 && page.MaxTTL <= 3600, 'page cached briefly');
    const content = ttl(behavior('/content/*').CachePolicyId);
    assert.ok(content.DefaultTTL >= 86400 && content.MaxTTL >= 31536000, 'content cached long');
    // Query strings (?code=...) never go into cache keys or to S3.
    for (const p of [page, content]) assert.equal(p.ParametersInCacheKeyAndForwardedToOrigin.QueryStringsConfig.QueryStringBehavior, 'none');
    assert.equal(dist.DefaultRootObject, 'index.html');
  });

  it('/content/* is served from the content bucket', () => {
    const contentId = logicalIdOf(built.survey, built.survey.data.bucket('content'));
    const origin = originById(behavior('/content/*').TargetOriginId);
    assert.deepEqual(origin.DomainName, { 'Fn::GetAtt': [contentId, 'RegionalDomainName'] });
  });

  it('/api/* goes to the HTTP API uncached, with all query strings and headers but Host', () => {
    const api = behavior('/api/*');
    assert.equal(api.CachePolicyId, '4135ea2d-6df8-44a3-9df3-4b5a84be39ad'); // Managed-CachingDisabled
    assert.equal(api.OriginRequestPolicyId, 'b689b0a8-53d0-40ab-baf2-68738e2966ac'); // Managed-AllViewerExceptHostHeader
    assert.deepEqual(api.AllowedMethods.sort(), ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT']);
    assert.equal(api.ViewerProtocolPolicy, 'https-only');
    const origin = originById(api.TargetOriginId);
    assert.equal(origin.CustomOriginConfig.OriginProtocolPolicy, 'https-only');
    assert.deepEqual(origin.CustomOriginConfig.OriginSSLProtocols, ['TLSv1.2']);
    const apiId = logicalIdOf(built.survey, built.survey.api.httpApi);
    assert.ok(JSON.stringify(origin.DomainName).includes(apiId));
  });

  it('public API answers (key figures, the municipal report) are cached briefly, GET and HEAD only, before /api/*', () => {
    const policies = resourcesOf(survey, 'AWS::CloudFront::CachePolicy');
    const patterns = dist.CacheBehaviors.map((b: any) => b.PathPattern);
    for (const pattern of ['/api/key-figures/*', '/api/org-results/*']) {
      const b = behavior(pattern);
      assert.ok(patterns.indexOf(pattern) < patterns.indexOf('/api/*'), `${pattern} is matched before /api/*`);
      assert.deepEqual(b.AllowedMethods.sort(), ['GET', 'HEAD']);
      assert.equal(b.TargetOriginId, behavior('/api/*').TargetOriginId);
      const config = policies[b.CachePolicyId.Ref]!.Properties.CachePolicyConfig;
      assert.ok(config.DefaultTTL <= 600 && config.MaxTTL <= 3600, 'cached for minutes');
      const key = config.ParametersInCacheKeyAndForwardedToOrigin;
      assert.equal(key.HeadersConfig.HeaderBehavior, 'none', 'no Authorization or other header in the key');
      assert.equal(key.QueryStringsConfig.QueryStringBehavior, 'none');
    }
  });

  it('HTTPS only, with the WAF web ACL from us-east-1', () => {
    assert.equal(dist.DefaultCacheBehavior.ViewerProtocolPolicy, 'redirect-to-https');
    assert.equal(dist.WebACLId['Fn::GetStackOutput'].StackName, 'Survey-dev-edge');
    assert.equal(dist.WebACLId['Fn::GetStackOutput'].Region, 'us-east-1');
  });

  it('directory URLs are rewritten to index.html', () => {
    const [fnId, fn] = Object.entries(resourcesOf(survey, 'AWS::CloudFront::Function')).find(
      ([, f]) => f.Properties.Name === 'survey-dev-index-rewrite',
    )!;
    assert.match(fn.Properties.FunctionCode, /index\.html/);
    assert.equal(dist.DefaultCacheBehavior.FunctionAssociations[0].EventType, 'viewer-request');
    assert.deepEqual(dist.DefaultCacheBehavior.FunctionAssociations[0].FunctionARN, { 'Fn::GetAtt': [fnId, 'FunctionARN'] });
  });

  it('deploys static-site/ to the site bucket with a per-stage config.json and invalidates', () => {
    const dep = siteDeployment();
    assert.equal(dep.Properties.Prune, true);
    assert.deepEqual(dep.Properties.DistributionPaths, ['/*']);
    assert.deepEqual(dep.Properties.DestinationBucketName, { Ref: logicalIdOf(built.survey, built.survey.data.siteBucket) });
    const dirs = (dep.Properties.SourceObjectKeys as string[]).map((k) => path.join(app.outdir, `asset.${k.replace(/\.zip$/, '')}`));
    const [page, config] = dirs as [string, string];
    assert.ok(existsSync(path.join(page, 'index.html')), 'static-site/ is deployed');
    assert.ok(!existsSync(path.join(page, 'config.json')), "the repository's config.json (local wave) is not");
    assert.deepEqual(JSON.parse(readFileSync(path.join(config, 'config.json'), 'utf8')), { survey_id: '2026' });
    assert.ok(!existsSync(path.join(page, 'admin', 'config.json')), "nor the console's local config.json");
    // The console's config.json is another deployment's: this one neither writes nor prunes it.
    assert.deepEqual(dep.Properties.Exclude, ['admin/config.json']);
  });

  it('the console page reaches Cognito on the same origin: POST /auth/ goes to cognito-idp of the region', () => {
    const auth = behavior('/auth/');
    assert.ok(auth, 'a behavior for exactly /auth/');
    assert.equal(AUTH_PATH, '/auth/');
    const origin = originById(auth.TargetOriginId);
    assert.equal(origin.DomainName, 'cognito-idp.eu-north-1.amazonaws.com');
    assert.equal(origin.CustomOriginConfig.OriginProtocolPolicy, 'https-only');
    assert.deepEqual(origin.CustomOriginConfig.OriginSSLProtocols, ['TLSv1.2']);
    assert.equal(origin.OriginCustomHeaders, undefined, 'no origin secret for Cognito');
    assert.equal(auth.ViewerProtocolPolicy, 'https-only');
    assert.ok(auth.AllowedMethods.includes('POST') && auth.AllowedMethods.includes('OPTIONS'));
    assert.equal(auth.CachePolicyId, '4135ea2d-6df8-44a3-9df3-4b5a84be39ad'); // Managed-CachingDisabled
    // Only the two headers Cognito reads; not Host (Cognito needs its own), no cookies, no query string.
    const policy = resourcesOf(survey, 'AWS::CloudFront::OriginRequestPolicy')[auth.OriginRequestPolicyId.Ref]!;
    const config = policy.Properties.OriginRequestPolicyConfig;
    assert.deepEqual(config.HeadersConfig, { HeaderBehavior: 'whitelist', Headers: ['X-Amz-Target', 'Content-Type'] });
    assert.deepEqual(config.CookiesConfig, { CookieBehavior: 'none' });
    assert.deepEqual(config.QueryStringsConfig, { QueryStringBehavior: 'none' });
  });

  it('/auth/ is rewritten to / on viewer request (Cognito answers only at /)', () => {
    const auth = behavior('/auth/');
    assert.equal(auth.FunctionAssociations.length, 1);
    assert.equal(auth.FunctionAssociations[0].EventType, 'viewer-request');
    const fnId = auth.FunctionAssociations[0].FunctionARN['Fn::GetAtt'][0];
    const fn = resourcesOf(survey, 'AWS::CloudFront::Function')[fnId]!;
    assert.equal(fn.Properties.FunctionConfig.Runtime, 'cloudfront-js-2.0');
    // Run the function's code as CloudFront would.
    const handler = new Function(`${fn.Properties.FunctionCode}; return handler;`)();
    for (const uri of ['/auth/', '/auth/anything']) {
      const request = { method: 'POST', uri, headers: { 'x-amz-target': { value: 'AWSCognitoIdentityProviderService.InitiateAuth' } } };
      const out = handler({ request });
      assert.equal(out.uri, '/');
      assert.deepEqual(out.headers, request.headers, 'headers pass unchanged');
    }
  });

  it('/admin/config.json: the console client id and /auth/, cached a minute at most', () => {
    const deployments = Object.entries(survey.findResources('Custom::CDKBucketDeployment')) as [string, any][];
    const [, dep] = deployments.find(([id]) => id.includes('DeployConsoleConfig'))!;
    assert.equal(dep.Properties.Prune, false, 'leaves the page alone');
    assert.deepEqual(dep.Properties.DestinationBucketName, { Ref: logicalIdOf(built.survey, built.survey.data.siteBucket) });
    assert.deepEqual(dep.Properties.SystemMetadata, { 'cache-control': CONSOLE_CONFIG_CACHE_CONTROL });
    const maxAge = Number(/max-age=(\d+)/.exec(CONSOLE_CONFIG_CACHE_CONTROL)![1]);
    assert.ok(maxAge <= 300, 'short');
    assert.deepEqual(dep.Properties.DistributionPaths, ['/admin/config.json']);
    const [key] = dep.Properties.SourceObjectKeys as string[];
    const file = path.join(app.outdir, `asset.${key!.replace(/\.zip$/, '')}`, 'admin', 'config.json');
    const config = JSON.parse(readFileSync(file, 'utf8'));
    assert.deepEqual(Object.keys(config).sort(), ['auth_path', 'client_id']);
    assert.equal(config.auth_path, '/auth/');
    // The client id is filled in at deploy time: a marker for the console's app client.
    const clientId = logicalIdOf(built.survey, built.survey.operators.client);
    assert.deepEqual(dep.Properties.SourceMarkers, [{ [config.client_id]: { Ref: clientId } }]);
  });

  it('a custom domain gets its certificate, TLS 1.2 and a CORS origin of its own', () => {
    const t = templates({
      siteDomain: 'undersokelse.example.no',
      siteCertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc',
    });
    const d = Object.values(resourcesOf(t.survey, 'AWS::CloudFront::Distribution'))[0]!.Properties.DistributionConfig;
    assert.deepEqual(d.Aliases, ['undersokelse.example.no']);
    assert.equal(d.ViewerCertificate.MinimumProtocolVersion, 'TLSv1.2_2021');
    assert.equal(d.ViewerCertificate.SslSupportMethod, 'sni-only');
    const api = Object.values(resourcesOf(t.survey, 'AWS::ApiGatewayV2::Api'))[0]!;
    assert.deepEqual(api.Properties.CorsConfiguration.AllowOrigins, ['https://undersokelse.example.no']);
  });
});
