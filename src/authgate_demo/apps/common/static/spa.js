// The single-page app both examples share. It reads its config from a <meta> tag (the CSP
// allows no inline script), picks the module for the workflow mode, and drives the page:
// check the user, load the data, recover on 401, let the user add things and log out.

import { call, describe } from './api.js';
import { backendMode } from './backend.js';
import { implicitMode } from './implicit.js';
import { nativeMode } from './native.js';
import { $, addFormBody, log, renderData, renderLog, showUser } from './ui.js';

const cfg = JSON.parse(document.querySelector('meta[name="authgate-config"]').content);

async function loadData(retried = false) {
  const result = await call(cfg.dataRoute, { headers: mode.authHeaders() });
  if (result.ok) {
    log(`GET ${cfg.dataRoute} -> 200`);
    renderData(cfg, result.body);
  } else if (result.status === 401 && !retried) {
    log(`GET ${cfg.dataRoute} -> 401: ${result.body.error_description || 'not logged in'}`, 'warn');
    if (await mode.recover()) await main(true);
  } else {
    log(`GET ${cfg.dataRoute} failed: ${describe(result)}`, 'warn');
  }
}

async function main(retried = false) {
  const user = await mode.start();
  if (!user) return;
  showUser(user);
  await loadData(retried);
}

function pickMode() {
  if (cfg.mode.startsWith('implicit-')) return implicitMode(cfg);
  if (cfg.mode === 'native-refresh-cookie') return nativeMode(cfg, { onLoggedIn: main });
  return backendMode(cfg);
}

// The seed workflows are shown because the product demonstrates them, labelled for what they are.
const WARNINGS = {
  'implicit-localstorage': 'Insecure seed workflow: the JWT sits in localStorage, readable by any script on this page.',
  'implicit-cookie': 'Insecure seed workflow: the JWT passes through page JavaScript on its way to the cookie.',
  'native-refresh-cookie': 'Seed workflow: the JWT passes through page JavaScript, and any script here can mint new ones.',
};
if (WARNINGS[cfg.mode]) {
  $('mode-warning').textContent = WARNINGS[cfg.mode] + ' Run "authgate attacks" to see what that allows.';
  $('mode-warning').hidden = false;
}

const mode = pickMode();
renderLog();
$('login-button').addEventListener('click', () => mode.login());
$('logout-button').addEventListener('click', () => mode.logout());
$('reload-button').addEventListener('click', () => loadData());
$('add-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const result = await call(cfg.addRoute, { method: 'POST', body: addFormBody(), headers: mode.authHeaders() });
  if (result.ok) {
    log(`POST ${cfg.addRoute} -> ${result.status}`, 'ok');
    $('add-text').value = '';
    await loadData();
  } else {
    log(`POST ${cfg.addRoute} failed: ${describe(result)}`, 'warn');
    if (result.status === 401 && await mode.recover()) await loadData(true);
  }
});
log(`${cfg.name} started in mode ${cfg.mode}`);
main().catch((error) => log(`Unexpected error: ${error}`, 'warn'));
