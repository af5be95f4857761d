// Seed 001 (native-refresh-cookie): our own login form posts to the IdP's /api/login; the IdP
// keeps the refresh token in its own HttpOnly cookie, we keep the JWT in ours (cookie drop).
// Note: this app's refresh_token cookie lives on the IdP origin, shared with every other app
// using this workflow -- logging in to the Forums overwrites the Store's (see the event log).

import { call, cookieDrop, describe } from './api.js';
import { $, log, showLoggedOut } from './ui.js';

const LOGIN_ERRORS = {
  202: 'You are not registered for this application',
  212: 'Verify your email first: we sent you a new link',
  404: 'Wrong email or password',
  409: 'Too many failed attempts: the account is locked for a while',
  410: 'Your password or account has expired',
  423: 'Your account is locked',
};

const TWO_FACTOR_ERRORS = {
  404: 'This sign-in expired; log in again',
  409: 'Too many wrong codes: the account is locked for a while',
  212: 'Verify your email first: we sent you a new link',
  421: 'Wrong code, or one already used; enter the current code',
};

export function nativeMode(cfg, { onLoggedIn }) {
  let twoFactorId = null;

  function showForm(message = '') {
    twoFactorId = null;
    $('two-factor-form').hidden = true;
    showLoggedOut({ form: true });
    $('login-error').textContent = message;
  }

  // FusionAuth's 242: the password was right, the account has a second factor. Ask for the code
  // and finish with POST /api/two-factor/login (no API key: the twoFactorId is the credential).
  function askForCode(result, message = '') {
    twoFactorId = result.body.twoFactorId;
    const methods = (result.body.methods || []).map((m) => m.method).join(', ');
    log(`IdP /api/login -> 242: a second factor is needed (methods: ${methods})`, 'warn');
    $('login-form').hidden = true;
    $('two-factor-form').hidden = false;
    $('two-factor-error').textContent = message;
    $('two-factor-form').querySelector('input[name=code]').focus();
  }

  async function loggedIn(token, form) {
    form.reset();
    if (await cookieDrop(token, log)) onLoggedIn();
    else showForm('The IdP gave a token this app does not accept');
  }

  $('two-factor-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const code = new FormData(event.target).get('code');
    log(`POST ${cfg.idp}/api/two-factor/login with the twoFactorId and the code`);
    const result = await call(`${cfg.idp}/api/two-factor/login`, {
      method: 'POST', credentials: 'include', body: { twoFactorId, code, applicationId: cfg.clientId },
    });
    if ((result.status === 200 || result.status === 212) && result.body.token) {
      log('IdP /api/two-factor/login -> 200: password and code accepted', 'ok');
      $('two-factor-form').hidden = true;
      await loggedIn(result.body.token, event.target);
      return;
    }
    const message = TWO_FACTOR_ERRORS[result.status] || `Second step failed: ${describe(result)}`;
    log(`IdP /api/two-factor/login -> ${result.status}: ${message}`, 'warn');
    if (result.status === 421) $('two-factor-error').textContent = message;
    else showForm(message);
  });

  $('login-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    log(`POST ${cfg.idp}/api/login (credentials: include) from our own form`);
    const result = await call(`${cfg.idp}/api/login`, {
      method: 'POST', credentials: 'include',
      body: { loginId: form.get('loginId'), password: form.get('password'), applicationId: cfg.clientId },
    });
    // 212: the email is not verified yet; with a token when the IdP lets unverified users in.
    if ((result.status === 200 || result.status === 212) && result.body.token) {
      log(`IdP /api/login -> ${result.status}; it also set its HttpOnly refresh_token cookie on the IdP origin`, 'ok');
      await loggedIn(result.body.token, event.target);
      return;
    }
    if (result.status === 242) {
      event.target.reset();
      askForCode(result);
      return;
    }
    const message = LOGIN_ERRORS[result.status] || `Login failed: ${describe(result)}`;
    log(`IdP /api/login -> ${result.status}: ${message}`, 'warn');
    showForm(message);
  });

  async function start() {
    const user = await call('/api/user');
    if (user.ok) return user.body;
    log(`GET /api/user -> ${user.status}: showing this app's own login form`);
    showForm();
    return null;
  }

  // Step 4: the browser sends the IdP's refresh_token cookie; we send an empty body.
  async function recover() {
    log(`JWT expired -> POST ${cfg.idp}/api/jwt/refresh with the IdP's refresh_token cookie`);
    const result = await call(`${cfg.idp}/api/jwt/refresh`, { method: 'POST', credentials: 'include', body: {} });
    if (!result.ok || !result.body.token) {
      log(`Refresh failed (${describe(result)}): please log in again`, 'warn');
      showForm('Your session ended, please log in again');
      return false;
    }
    log('Refresh -> 200: a new JWT', 'ok');
    if (await cookieDrop(result.body.token, log)) return true;
    log('The refreshed JWT is not for this app: another app overwrote the refresh_token cookie on the IdP', 'warn');
    showForm('Another app replaced your session at the IdP; please log in again');
    return false;
  }

  async function logout() {
    await call(`${cfg.idp}/api/logout`, { method: 'POST', credentials: 'include', body: {} });
    await call('/api/logout', { method: 'POST' });
    log('Logged out: refresh token revoked at the IdP, JWT cookie cleared here');
    showForm();
  }

  return { start, authHeaders: () => ({}), recover, logout, login: () => showForm() };
}
