// Page helpers shared by every mode: the event log, the user line, the cart/posts list.
// Everything the server or the URL gives us is written with textContent, never innerHTML.

const LOG_KEY = 'authgate.log';
export const $ = (id) => document.getElementById(id);

// The log lives in sessionStorage so it survives the trips to the IdP: after a silent
// re-login you still see "JWT expired -> re-running authorize" above "got a new JWT".
export function log(message, kind = '') {
  const entries = JSON.parse(sessionStorage.getItem(LOG_KEY) || '[]');
  entries.push({ at: new Date().toLocaleTimeString(), message, kind });
  sessionStorage.setItem(LOG_KEY, JSON.stringify(entries.slice(-60)));
  renderLog();
}

export function renderLog() {
  const list = $('event-log');
  list.replaceChildren(...JSON.parse(sessionStorage.getItem(LOG_KEY) || '[]').map((e) => {
    const li = document.createElement('li');
    li.textContent = `${e.at}  ${e.message}`;
    if (e.kind) li.className = e.kind;
    return li;
  }));
}

export function showLoggedOut({ form = false } = {}) {
  $('user-line').textContent = 'You are not logged in.';
  $('login-button').hidden = form;
  $('login-form').hidden = !form;
  $('logout-button').hidden = true;
  $('data').hidden = true;
}

export function showUser(user) {
  $('user-line').textContent = `Logged in as ${user.email || user.sub} (token valid until ${
    new Date(user.exp * 1000).toLocaleTimeString()})`;
  $('login-button').hidden = true;
  $('login-form').hidden = true;
  $('logout-button').hidden = false;
}

function listItems(target, items) {
  target.replaceChildren(...items.map((item) => {
    const li = document.createElement('li');
    li.textContent = item.text;
    return li;
  }));
}

export function renderData(cfg, data) {
  $('data').hidden = false;
  $('data-title').textContent = `${cfg.dataTitle} (${data.owner})`;
  listItems($('items'), data.items);
  $('total').textContent = data.totalCents === undefined ? '' : `Total: ${(data.totalCents / 100).toFixed(2)}`;
  const choice = $('add-choice');
  if (data.choices) {  // the Store picks a product; the Forums write text
    choice.replaceChildren(...data.choices.map((c) => new Option(c.label, c.id)));
  }
  choice.hidden = !data.choices;
  $('add-text').hidden = Boolean(data.choices);
  $('add-button').textContent = cfg.addLabel;
  $('recent-title').hidden = !data.recent;
  listItems($('recent'), data.recent || []);
}

export function addFormBody() {
  return $('add-choice').hidden ? { text: $('add-text').value } : { productId: $('add-choice').value };
}

export function randomString() {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

// Reads `exp` without verifying: only to decide *when* to refresh. The backend verifies.
export function jwtExpiry(token) {
  try {
    const payload = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return typeof payload.exp === 'number' ? payload.exp : 0;
  } catch {
    return 0;
  }
}
