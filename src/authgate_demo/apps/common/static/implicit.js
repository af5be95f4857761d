// Seeds 002 (implicit-localstorage) and 000 (implicit-cookie): the implicit grant.
// The IdP returns the JWT in the URL fragment of /oauth-redirect; on expiry we re-run authorize
// and the IdP's SSO session answers with a new JWT without showing a form.

import { call, cookieDrop } from './api.js';
import { jwtExpiry, log, randomString, showLoggedOut } from './ui.js';

const PENDING = 'authgate.oauth';  // state, nonce and why we went to the IdP
const SILENT_AT = 'authgate.silentAt';
const JWT_KEY = 'authgate.jwt';  // implicit-localstorage only: readable by any script on the page

export function implicitMode(cfg) {
  const inLocalStorage = cfg.mode === 'implicit-localstorage';

  function authorize(reason) {
    const state = randomString();
    const nonce = randomString();
    sessionStorage.setItem(PENDING, JSON.stringify({ state, nonce, reason }));
    const query = new URLSearchParams({
      client_id: cfg.clientId, response_type: 'token', redirect_uri: cfg.redirectUri,
      state, nonce, scope: 'openid',
    });
    log(`Navigating to ${cfg.idp}/oauth2/authorize (response_type=token, state + nonce saved)`);
    window.location.assign(`${cfg.idp}/oauth2/authorize?${query}`);
  }

  // Step 5: read the fragment, check state, clear the address bar. Returns the JWT or null.
  function takeTokenFromFragment() {
    if (window.location.pathname !== '/oauth-redirect') return null;
    const params = new URLSearchParams(window.location.hash.slice(1));
    history.replaceState(null, '', '/');  // the token must not stay in the address bar or history
    const pending = JSON.parse(sessionStorage.getItem(PENDING) || 'null');
    sessionStorage.removeItem(PENDING);
    if (params.get('error')) {
      log(`The IdP answered with an error: ${params.get('error')} ${params.get('error_description') || ''}`, 'warn');
      return null;
    }
    const token = params.get('access_token');
    if (!token) return null;
    if (!pending || params.get('state') !== pending.state) {
      log('The state in the fragment is not the one we sent: token ignored (possible login CSRF)', 'warn');
      return null;
    }
    if (pending.reason === 'silent') {
      log('SSO: got a new JWT from the IdP without a login form', 'ok');
    } else {
      log('Back from the IdP with a JWT in the fragment (if no form appeared, that was single sign-on)', 'ok');
    }
    return token;
  }

  async function start() {
    let token = takeTokenFromFragment();
    if (token && inLocalStorage) {
      localStorage.setItem(JWT_KEY, token);
      log('JWT stored in localStorage');
    } else if (token) {
      await cookieDrop(token, log);
      token = null;  // forget it: from now on the HttpOnly cookie carries it
    }
    if (inLocalStorage) {
      const stored = localStorage.getItem(JWT_KEY);
      if (!stored) {
        log('No JWT in localStorage: showing "Log in"');
        showLoggedOut();
        return null;
      }
      if (jwtExpiry(stored) * 1000 <= Date.now()) {
        log('The JWT in localStorage expired');
        return (await recover()) ? start() : null;
      }
    }
    const user = await call('/api/user', { headers: authHeaders() });
    if (user.ok) return user.body;
    log(`GET /api/user -> ${user.status}: not logged in, showing "Log in"`);
    showLoggedOut();
    return null;
  }

  function authHeaders() {
    const token = inLocalStorage && localStorage.getItem(JWT_KEY);
    return token ? { Authorization: `Bearer ${token}` } : {};
  }

  // Step 7: no refresh token here; go back to the IdP and let its SSO session answer.
  // Guard against a loop when the SSO session is gone and the token still fails.
  async function recover() {
    const last = Number(sessionStorage.getItem(SILENT_AT) || 0);
    if (Date.now() - last < 15000) {
      log('A silent re-login just happened and the JWT is still refused: please log in', 'warn');
      if (inLocalStorage) localStorage.removeItem(JWT_KEY);
      showLoggedOut();
      return false;
    }
    sessionStorage.setItem(SILENT_AT, String(Date.now()));
    log('JWT expired or refused -> re-running authorize (the IdP SSO session should answer without a form)');
    authorize('silent');
    return false;  // we are navigating away
  }

  async function logout() {
    if (inLocalStorage) localStorage.removeItem(JWT_KEY);
    const result = await call('/api/logout', { method: 'POST' });
    log('Logged out here; ending the IdP SSO session too');
    if (result.body.idpLogoutUrl) window.location.assign(result.body.idpLogoutUrl);
    else showLoggedOut();
  }

  return { start, authHeaders, recover, logout, login: () => authorize('login') };
}
