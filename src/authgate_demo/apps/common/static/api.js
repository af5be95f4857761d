// fetch wrappers. Calls to our own backend are same-origin; calls to the IdP (native mode) are
// cross-origin with credentials so the browser sends and stores the IdP's HttpOnly cookies.

export async function call(url, { method = 'GET', body, headers = {}, credentials = 'same-origin' } = {}) {
  const init = { method, credentials, headers: { Accept: 'application/json', ...headers } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (error) {  // network failure or CORS refusal: no status to show
    return { ok: false, status: 0, body: { error: 'network', error_description: String(error) } };
  }
  let json = {};
  try {
    json = await response.json();
  } catch {
    // empty or non-JSON body (e.g. a 200 from /api/logout): keep {}
  }
  return { ok: response.ok, status: response.status, body: json };
}

export function describe(result) {
  const b = result.body || {};
  const general = b.generalErrors && b.generalErrors[0] && b.generalErrors[0].message;
  return `${result.status} ${b.error_description || b.error || general || ''}`.trim();
}

// The cookie drop (seeds 000 and 001): hand the JWT to our backend, which verifies it and keeps
// it as an HttpOnly cookie. After this, JavaScript forgets the JWT.
export async function cookieDrop(token, log) {
  const result = await call('/api/cookie-drop', { method: 'POST', body: { token } });
  if (result.ok) {
    log('Cookie drop: POST /api/cookie-drop -> 200; the JWT is now an HttpOnly cookie, JavaScript forgot it', 'ok');
  } else {
    log(`Cookie drop refused: ${describe(result)} (no cookie was set)`, 'warn');
  }
  return result.ok;
}
