// WebAuthn for the hosted pages (loaded as an ES module; the CSP allows only 'self' scripts).
// Forms marked data-webauthn-get / data-webauthn-create carry the server's options (JSON, binary
// fields base64url) in data-options; the browser's answer goes back in the form's hidden
// webauthnResponse field and the form is posted like any other (CSRF token included).

const fromB64url = (s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
const toB64url = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf)))
  .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

function requestOptions(o) {
  return { ...o, challenge: fromB64url(o.challenge),
    allowCredentials: (o.allowCredentials || []).map((c) => ({ ...c, id: fromB64url(c.id) })) };
}

function creationOptions(o) {
  return { ...o, challenge: fromB64url(o.challenge), user: { ...o.user, id: fromB64url(o.user.id) },
    excludeCredentials: (o.excludeCredentials || []).map((c) => ({ ...c, id: fromB64url(c.id) })) };
}

export function credentialJSON(cred) {
  const r = cred.response;
  const response = { clientDataJSON: toB64url(r.clientDataJSON) };
  if (r.attestationObject) {
    response.attestationObject = toB64url(r.attestationObject);
    response.transports = r.getTransports ? r.getTransports() : [];
  } else {
    response.authenticatorData = toB64url(r.authenticatorData);
    response.signature = toB64url(r.signature);
    if (r.userHandle) response.userHandle = toB64url(r.userHandle);
  }
  return { id: cred.id, rawId: toB64url(cred.rawId), type: cred.type, response,
    clientExtensionResults: cred.getClientExtensionResults(), transports: response.transports || [] };
}

function post(form, cred) {
  form.querySelector("input[name=webauthnResponse]").value = JSON.stringify(credentialJSON(cred));
  form.submit();
}

function showError(form, err) {
  const box = form.querySelector("[data-webauthn-error]");
  if (!box || (err && err.name === "AbortError")) return;
  box.textContent = "The passkey request did not complete. Try again.";
  box.hidden = false;
}

function wireGet(form) {
  const options = JSON.parse(form.dataset.options);
  let pending = null; // the conditional (autofill) request, aborted when the button is used
  form.querySelector("[data-webauthn-button]").addEventListener("click", async () => {
    if (pending) pending.abort();
    try {
      post(form, await navigator.credentials.get({ publicKey: requestOptions(options) }));
    } catch (err) {
      showError(form, err);
    }
  });
  if ("conditional" in form.dataset && window.PublicKeyCredential
      && PublicKeyCredential.isConditionalMediationAvailable) {
    PublicKeyCredential.isConditionalMediationAvailable().then(async (ok) => {
      if (!ok) return;
      pending = new AbortController();
      try {
        post(form, await navigator.credentials.get({ publicKey: requestOptions(options),
          mediation: "conditional", signal: pending.signal }));
      } catch (err) {
        if (err.name !== "AbortError") showError(form, err);
      }
    });
  }
}

// A form with data-confirm-options (adding a passkey to an account that has a factor) first
// confirms with an existing passkey, unless the user typed a code into its code field.
async function confirmFirst(form) {
  const confirm = form.querySelector("input[name=confirmResponse]");
  const code = form.querySelector("input[name=code]");
  if (!confirm || !form.dataset.confirmOptions || (code && code.value.trim())) return;
  const options = requestOptions(JSON.parse(form.dataset.confirmOptions));
  confirm.value = JSON.stringify(credentialJSON(await navigator.credentials.get({ publicKey: options })));
}

function wireCreate(form) {
  const options = JSON.parse(form.dataset.options);
  form.addEventListener("submit", async (event) => {
    if (form.querySelector("input[name=webauthnResponse]").value) return; // already filled: post it
    event.preventDefault();
    try {
      await confirmFirst(form);
      post(form, await navigator.credentials.create({ publicKey: creationOptions(options) }));
    } catch (err) {
      showError(form, err);
    }
  });
}

if (window.PublicKeyCredential) {
  document.querySelectorAll("form[data-webauthn-get]").forEach(wireGet);
  document.querySelectorAll("form[data-webauthn-create]").forEach(wireCreate);
} else {
  document.querySelectorAll("[data-webauthn-button]").forEach((b) => { b.disabled = true; });
}
