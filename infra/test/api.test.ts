// HTTP API: routes from the specs, throttling, access logs without personal data.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FUNCTIONS, ROUTES } from '../lib/functions';
import { logicalIdOf, resourcesOf, templates } from './helpers';

describe('HTTP API', () => {
  const { survey, built } = templates();
  const stage = Object.values(resourcesOf(survey, 'AWS::ApiGatewayV2::Stage'))[0]!.Properties;

  it('has exactly the routes of shared/schema/routes.json, each to a deployed function', () => {
    const routes = Object.values(resourcesOf(survey, 'AWS::ApiGatewayV2::Route')).map((r) => r.Properties);
    const expected = ROUTES.map((r) => `${r.method} ${r.path}`).sort();
    assert.deepEqual(routes.map((r) => r.RouteKey).sort(), expected);
    for (const r of ROUTES) assert.ok(FUNCTIONS.some((f) => f.name === r.function), `${r.function} is deployed`);
    assert.ok(expected.includes('POST /api/codes/validate'));
    assert.ok(expected.includes('POST /api/responses'));
    assert.ok(expected.includes('GET /api/surveys/{survey_id}'));
    assert.ok(expected.includes('GET /api/surveys/{survey_id}/questionnaire'));
    assert.ok(expected.includes('GET /api/health'));
    const integrations = resourcesOf(survey, 'AWS::ApiGatewayV2::Integration');
    const submitFn = logicalIdOf(built.survey, built.survey.lambdas.get('submit-response')!.fn);
    const route = routes.find((r) => r.RouteKey === 'POST /api/responses')!;
    const integration = integrations[route.Target['Fn::Join'][1][1].Ref]!.Properties;
    assert.equal(integration.PayloadFormatVersion, '2.0');
    assert.deepEqual(integration.IntegrationUri, { 'Fn::GetAtt': [submitFn, 'Arn'] });
  });

  it('stage throttling is set (rate and burst)', () => {
    assert.equal(stage.StageName, '$default');
    assert.equal(stage.AutoDeploy, true);
    assert.equal(stage.DefaultRouteSettings.ThrottlingRateLimit, 20);
    assert.equal(stage.DefaultRouteSettings.ThrottlingBurstLimit, 40);
    const prod = Object.values(resourcesOf(templates({ stage: 'prod' }).survey, 'AWS::ApiGatewayV2::Stage'))[0]!.Properties;
    assert.equal(prod.DefaultRouteSettings.ThrottlingRateLimit, 200);
    assert.equal(prod.DefaultRouteSettings.ThrottlingBurstLimit, 400);
  });

  it('access logs: JSON of $context fields only; no IP, user agent, path, query string or body', () => {
    const format = stage.AccessLogSettings.Format as string;
    const fields = JSON.parse(format) as Record<string, string>;
    for (const v of Object.values(fields)) assert.match(v, /^\$context\.[A-Za-z.]+$/);
    for (const banned of ['sourceIp', 'userAgent', '$context.path', 'querystring', 'queryString', '$input', 'body', 'identity']) {
      assert.ok(!format.includes(banned), `access log must not contain ${banned}`);
    }
    assert.equal(fields.route, '$context.routeKey');
    assert.equal(fields.status, '$context.status');
    const group = resourcesOf(survey, 'AWS::Logs::LogGroup')[stage.AccessLogSettings.DestinationArn['Fn::GetAtt'][0]]!;
    assert.ok(group.Properties.RetentionInDays > 0);
  });

  it('no CORS without a custom domain: the page is same-origin through CloudFront', () => {
    const api = Object.values(resourcesOf(survey, 'AWS::ApiGatewayV2::Api'))[0]!.Properties;
    assert.equal(api.ProtocolType, 'HTTP');
    assert.equal(api.CorsConfiguration, undefined);
  });
});
