// The IMDi console's sign-in: a user pool for IMDi's staff, TOTP for everyone,
// the groups operators and readers, and the console's client.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROUTES } from '../lib/functions';
import { asArray, resourcesOf, statementsOfRole, templates } from './helpers';

describe('operators', () => {
  const { survey, built } = templates();
  const pools = Object.values(resourcesOf(survey, 'AWS::Cognito::UserPool'));
  const pool = pools[0]!.Properties;

  it('one pool: no self sign-up, TOTP required, no SMS, a strong password, the Plus plan with threat protection', () => {
    assert.equal(pools.length, 1);
    assert.equal(pool.AdminCreateUserConfig.AllowAdminCreateUserOnly, true, 'survey-admin operator add creates users');
    assert.equal(pool.MfaConfiguration, 'ON');
    assert.deepEqual(pool.EnabledMfas, ['SOFTWARE_TOKEN_MFA']);
    const p = pool.Policies.PasswordPolicy;
    assert.ok(p.MinimumLength >= 14 && p.RequireLowercase && p.RequireUppercase && p.RequireNumbers && p.RequireSymbols);
    assert.equal(p.TemporaryPasswordValidityDays, 3);
    assert.equal(pool.UserPoolTier, 'PLUS');
    assert.equal(pool.UserPoolAddOns.AdvancedSecurityMode, 'ENFORCED');
  });

  it('the groups operators and readers', () => {
    const groups = Object.values(resourcesOf(survey, 'AWS::Cognito::UserPoolGroup')).map((g) => g.Properties.GroupName);
    assert.deepEqual(groups.sort(), ['operators', 'readers']);
  });

  it('the console client: no secret (it runs in the browser), short-lived tokens, no user enumeration', () => {
    const clients = Object.values(resourcesOf(survey, 'AWS::Cognito::UserPoolClient'));
    assert.equal(clients.length, 1);
    const c = clients[0]!.Properties;
    assert.equal(c.GenerateSecret, false);
    assert.equal(c.PreventUserExistenceErrors, 'ENABLED');
    assert.deepEqual(c.ExplicitAuthFlows.sort(), ['ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH']);
    assert.equal(c.IdTokenValidity, 60);
    assert.equal(c.AccessTokenValidity, 60);
    assert.equal(c.RefreshTokenValidity, 480);
  });

  it('survey-admin gets the pool and the client in its environment', () => {
    const outputs = survey.toJSON().Outputs;
    const text = JSON.stringify(outputs.AdminEnvironment.Value);
    assert.match(text, /COGNITO_USER_POOL_ID=/);
    assert.match(text, /COGNITO_CLIENT_ID=/);
  });

  it('API Gateway checks a token of the pool on every console route, and on no other', () => {
    const authorizers = Object.entries(resourcesOf(survey, 'AWS::ApiGatewayV2::Authorizer'));
    assert.equal(authorizers.length, 1);
    const [authorizerId, authorizer] = authorizers[0]!;
    assert.equal(authorizer.Properties.AuthorizerType, 'JWT');
    assert.deepEqual(authorizer.Properties.IdentitySource, ['$request.header.Authorization']);
    assert.match(JSON.stringify(authorizer.Properties.JwtConfiguration.Issuer), /cognito-idp/);
    assert.equal(authorizer.Properties.JwtConfiguration.Audience.length, 1);
    const routes = Object.values(resourcesOf(survey, 'AWS::ApiGatewayV2::Route')).map((r) => r.Properties);
    const console = routes.filter((r) => r.RouteKey.includes(' /api/admin/'));
    const expected = ROUTES.filter((r) => r.function === 'admin').map((r) => `${r.method} ${r.path}`);
    assert.deepEqual(console.map((r) => r.RouteKey).sort(), expected.sort());
    for (const key of ['GET /api/admin/me', 'POST /api/admin/waves', 'PATCH /api/admin/waves/{survey_id}', 'GET /api/admin/audit']) {
      assert.ok(expected.includes(key), key);
    }
    for (const r of routes) {
      const guarded = r.AuthorizerId && r.AuthorizerId.Ref === authorizerId;
      assert.equal(!!guarded, r.RouteKey.includes(' /api/admin/'), r.RouteKey);
      if (guarded) assert.equal(r.AuthorizationType, 'JWT');
    }
  });

  it('the console may add to the audit log and read it, never change or delete an entry', () => {
    const fn = built.survey.lambdas.functions.find((f) => f.spec.name === 'admin')!;
    const statements = statementsOfRole(survey, built.survey, fn.fn.role!);
    const allow = statements.find((st: any) => st.Sid === 'AuditTable')!;
    assert.deepEqual(asArray<string>(allow.Action).sort(), ['dynamodb:PutItem', 'dynamodb:Query']);
    const deny = statements.find((st: any) => st.Sid === 'AuditLogAppendOnly')!;
    assert.equal(deny.Effect, 'Deny');
    assert.deepEqual(asArray<string>(deny.Action).sort(), ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem']);
  });
});
