// code-pkce-cookie and bff: the backend is the OAuth client. JavaScript only navigates to
// /api/login and calls our own API; no token, code verifier or refresh token is ever visible here.

import { call, describe } from './api.js';
import { log, showLoggedOut } from './ui.js';

const REASONS = {
  state_mismatch: 'the state did not match our login transaction (expired or forged)',
  idp_error: 'the IdP refused the login',
  missing_code: 'the IdP sent no code',
  exchange_failed: 'our backend could not exchange the code at the IdP',
};

export function backendMode(cfg) {
  const bff = cfg.mode === 'bff';
  let csrfToken = '';

  function reportLoginResult() {
    const params = new URLSearchParams(window.location.search);
    const error = params.get('login_error');
    if (error) {
      log(`Login failed: ${REASONS[error] || 'unknown error'}`, 'warn');
      history.replaceState(null, '', '/');
    }
  }

  async function fetchUser() {
    const user = await call('/api/user');
    if (user.ok) csrfToken = user.body.csrfToken || '';
    return user;
  }

  async function start() {
    reportLoginResult();
    let user = await fetchUser();
    if (!user.ok && !bff && await refresh()) user = await fetchUser();
    if (user.ok) {
      log(bff ? 'Our backend holds the tokens; this page has only an opaque session cookie'
        : 'Our backend set the JWT and refresh token as HttpOnly cookies; JavaScript never saw them', 'ok');
      return user.body;
    }
    log(`GET /api/user -> ${user.status}: showing "Log in"`);
    showLoggedOut();
    return null;
  }

  function authHeaders() {
    return bff && csrfToken ? { 'X-CSRF-Token': csrfToken } : {};
  }

  async function refresh() {
    const result = await call('/api/refresh', { method: 'POST', headers: authHeaders() });
    if (result.ok) log('Our backend refreshed the JWT with its refresh token', 'ok');
    return result.ok;
  }

  async function recover() {
    if (!bff) {
      log('JWT expired -> asking our backend to refresh (POST /api/refresh)');
      if (await refresh()) return true;
    }
    log('The session ended: please log in again', 'warn');
    showLoggedOut();
    return false;
  }

  function login() {
    log('Going to the IdP through our backend (GET /api/login): it keeps the PKCE verifier and state');
    window.location.assign('/api/login');
  }

  async function logout() {
    const result = await call('/api/logout', { method: 'POST', headers: authHeaders() });
    if (!result.ok) {
      log(`Logout failed: ${describe(result)}`, 'warn');
      return;
    }
    log('Logged out here (refresh token revoked); ending the IdP SSO session too');
    window.location.assign(result.body.idpLogoutUrl);
  }

  return { start, authHeaders, recover, logout, login };
}
