// Signing in to the console with Cognito's JSON API, reached on this origin at
// the `auth_path` of /admin/config.json (the strict CSP allows nothing else):
// e-mail and password (USER_PASSWORD_AUTH), then what Cognito asks for — a new
// password the first time, setting up the authenticator app, or a code from
// it. signIn() resolves with the ID token; nothing is stored anywhere.
import { getJSON } from '/api.js';
import { encode, toSvg } from '/ark/qr.js';
import { el, t, T, field, busy, focusOn } from './ui.js';
import { groupKey, otpauthUri, totpCode } from './logic.js';

let config = null;
const loadConfig = () => (config ||= getJSON('/admin/config.json').catch((e) => { config = null; throw e; }));

class SignInError extends Error {
  constructor(type, detail = '') {
    super(type);
    this.type = type;
    this.detail = detail;
  }
}

async function cognito(action, body) {
  let res;
  try {
    const { auth_path: path } = await loadConfig();
    res = await fetch(path, {
      method: 'POST',
      credentials: 'omit',
      cache: 'no-store',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSCognitoIdentityProviderService.${action}` },
      body: JSON.stringify(body),
    });
  } catch {
    throw new SignInError('network');
  }
  const data = await res.json().catch(() => ({}));
  if (res.ok) return data;
  // "NotAuthorizedException", or with a namespace ("…#NotAuthorizedException") or a URL ("…:http://…").
  const type = String(data.__type || res.headers.get('x-amzn-errortype') || `http_${res.status}`).split('#').pop().split(':')[0];
  throw new SignInError(type, data.message || data.Message || '');
}

// The sign-in, drawn in `main`; resolves with the ID token. noticeKey: why the
// user is here (signed out, or the session expired).
export function signIn(main, noticeKey) {
  return new Promise((resolve) => passwordStep(main, { email: '', done: resolve }, noticeKey));
}

// One step: a heading, what to do, the fields (after an `unseen` input, if
// any), and `run` on submit, which may call fail(field, key) or alert(key);
// errors it throws that no step handles end up in words above the form.
function step(main, { titleKey, leadKey, noticeKey, extra = [], unseen = null, fields, submitKey, run }) {
  const h1 = T('h1', titleKey, null, null, { tabindex: '-1' });
  const alert = el('p', 'error', { role: 'alert' });
  const form = el('form', 'signin-form', { novalidate: true }, [
    unseen,
    ...fields.map((f) => f.wrap),
    el('div', 'nav', null, [T('button', submitKey, null, 'btn primary', { type: 'submit' })]),
  ]);
  main.replaceChildren(el('div', 'signin', null, [
    h1, noticeKey ? T('p', noticeKey, null, 'info', { role: 'status' }) : null, leadKey ? T('p', leadKey, null, 'lead') : null, ...extra, alert, form,
  ]));
  const ui = {
    fail: (f, key) => { f.setError(t(key)); focusOn(f.input); },
    alert: (key, vars) => { alert.textContent = t(key, vars); },
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(form, async () => {
      alert.textContent = '';
      for (const f of fields) f.setError(null);
      try {
        await run(ui);
      } catch (e) {
        common(main, ui, e);
      }
    });
  });
  return h1;
}

// What any step says about an error it does not handle itself.
function common(main, ui, e) {
  const type = e instanceof SignInError ? e.type : 'network';
  if (type === 'network') ui.alert('signin.err.network');
  else if (type === 'TooManyRequestsException' || type === 'LimitExceededException' || /attempts exceeded/i.test(e.detail)) ui.alert('signin.err.too_many');
  else if (type === 'PasswordResetRequiredException') ui.alert('signin.err.reset');
  else if (type === 'unsupported') ui.alert('signin.err.unsupported', { step: e.detail });
  else ui.alert('signin.err.other', { code: type });
}

// After a later step: an expired session (NotAuthorizedException, ExpiredCodeException) starts again.
function restartOn(main, flow, e) {
  if (e instanceof SignInError && (e.type === 'NotAuthorizedException' || e.type === 'ExpiredCodeException') && !/attempts exceeded/i.test(e.detail)) {
    focusOn(passwordStep(main, flow, 'signin.restart'));
    return true;
  }
  return false;
}

async function next(main, flow, out) {
  const token = out.AuthenticationResult?.IdToken;
  if (token) return flow.done(token);
  const params = out.ChallengeParameters || {};
  flow.session = out.Session;
  flow.username = params.USER_ID_FOR_SRP || params.USERNAME || flow.username || flow.email;
  let h1;
  if (out.ChallengeName === 'NEW_PASSWORD_REQUIRED') h1 = newPasswordStep(main, flow);
  else if (out.ChallengeName === 'SOFTWARE_TOKEN_MFA') h1 = codeStep(main, flow);
  else if (out.ChallengeName === 'MFA_SETUP') {
    const app = await cognito('AssociateSoftwareToken', { Session: flow.session });
    flow.session = app.Session;
    h1 = setupStep(main, flow, app.SecretCode);
  } else throw new SignInError('unsupported', out.ChallengeName || '?');
  focusOn(h1);
}

function passwordStep(main, flow, noticeKey) {
  const email = field('signin.email', { type: 'email', name: 'username', autocomplete: 'username', required: true, spellcheck: 'false', autocapitalize: 'off', value: flow.email || null });
  const password = field('signin.password', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  return step(main, {
    titleKey: 'signin.h1', leadKey: 'signin.lead', noticeKey, fields: [email, password], submitKey: 'signin.submit',
    run: async ({ fail }) => {
      flow.email = email.input.value.trim();
      if (!flow.email) return fail(email, 'signin.err.email');
      if (!password.input.value) return fail(password, 'signin.err.password');
      const { client_id: clientId } = await loadConfig();
      flow.clientId = clientId;
      flow.username = null;
      try {
        const out = await cognito('InitiateAuth', {
          ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: flow.email, PASSWORD: password.input.value },
        });
        await next(main, flow, out);
      } catch (e) {
        const wrong = e.type === 'UserNotFoundException' || (e.type === 'NotAuthorizedException' && !/attempts exceeded/i.test(e.detail));
        if (!wrong) throw e;
        fail(password, 'signin.err.wrong_password');
      }
    },
  });
}

function newPasswordStep(main, flow) {
  const rules = { autocomplete: 'new-password', type: 'password', required: true };
  const password = field('signin.new.password', { ...rules, name: 'new-password' }, 'signin.new.rules');
  const repeat = field('signin.new.repeat', { ...rules, name: 'new-password-repeat' });
  // Who the password is for, unseen, so that a password manager saves it under the right name.
  const username = el('input', null, { type: 'email', name: 'username', autocomplete: 'username', value: flow.email, hidden: true, readonly: true });
  return step(main, {
    titleKey: 'signin.new.h1', leadKey: 'signin.new.lead', unseen: username, fields: [password, repeat], submitKey: 'signin.new.submit',
    run: async ({ fail }) => {
      if (!password.input.value) return fail(password, 'signin.err.policy');
      if (password.input.value !== repeat.input.value) return fail(repeat, 'signin.err.mismatch');
      try {
        const out = await cognito('RespondToAuthChallenge', {
          ClientId: flow.clientId, ChallengeName: 'NEW_PASSWORD_REQUIRED', Session: flow.session,
          ChallengeResponses: { USERNAME: flow.username, NEW_PASSWORD: password.input.value },
        });
        await next(main, flow, out);
      } catch (e) {
        if (e.type === 'InvalidPasswordException') return fail(password, 'signin.err.policy');
        if (!restartOn(main, flow, e)) throw e;
      }
    },
  });
}

function codeField() {
  const code = field('signin.code', {
    type: 'text', name: 'one-time-code', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 9, required: true, spellcheck: 'false',
  }, 'signin.code.hint');
  code.input.classList.add('code');
  return code;
}

const wrongCode = (e) => e.type === 'CodeMismatchException' || e.type === 'EnableSoftwareTokenMFAException';

function setupStep(main, flow, secret) {
  const uri = otpauthUri(flow.email, secret);
  const qr = toSvg(encode(uri), t('signin.setup.qr'));
  qr.classList.add('qr');
  const code = codeField();
  return step(main, {
    titleKey: 'signin.setup.h1', leadKey: 'signin.setup.lead', fields: [code], submitKey: 'signin.setup.submit',
    extra: [
      el('ol', 'steps', null, [T('li', 'signin.setup.step1'), T('li', 'signin.setup.step2'), T('li', 'signin.setup.step3')]),
      el('div', 'otp', null, [
        qr,
        el('div', null, null, [
          el('p', 'secret', null, [T('span', 'signin.setup.key', null, 'label'), el('code', null, { id: 'totp-key' }, [groupKey(secret)])]),
          el('p', null, null, [el('a', null, { href: uri }, [t('signin.setup.link')])]),
        ]),
      ]),
    ],
    run: async ({ fail }) => {
      const typed = totpCode(code.input.value);
      if (!typed) return fail(code, 'signin.err.code_format');
      try {
        const verified = await cognito('VerifySoftwareToken', { Session: flow.session, UserCode: typed, FriendlyDeviceName: 'IMDi konsoll' });
        if (verified.Status !== 'SUCCESS') return fail(code, 'signin.err.wrong_code');
        flow.session = verified.Session;
        const out = await cognito('RespondToAuthChallenge', {
          ClientId: flow.clientId, ChallengeName: 'MFA_SETUP', Session: flow.session, ChallengeResponses: { USERNAME: flow.username },
        });
        await next(main, flow, out);
      } catch (e) {
        if (wrongCode(e)) return fail(code, 'signin.err.wrong_code');
        if (!restartOn(main, flow, e)) throw e;
      }
    },
  });
}

function codeStep(main, flow) {
  const code = codeField();
  return step(main, {
    titleKey: 'signin.mfa.h1', leadKey: 'signin.mfa.lead', fields: [code], submitKey: 'signin.mfa.submit',
    run: async ({ fail }) => {
      const typed = totpCode(code.input.value);
      if (!typed) return fail(code, 'signin.err.code_format');
      try {
        const out = await cognito('RespondToAuthChallenge', {
          ClientId: flow.clientId, ChallengeName: 'SOFTWARE_TOKEN_MFA', Session: flow.session,
          ChallengeResponses: { USERNAME: flow.username, SOFTWARE_TOKEN_MFA_CODE: typed },
        });
        await next(main, flow, out);
      } catch (e) {
        if (wrongCode(e)) return fail(code, 'signin.err.wrong_code');
        if (!restartOn(main, flow, e)) throw e;
      }
    },
  });
}
