"""A DPoP-bound token replayed without the private key.

Threat: tokens bound with DPoP (RFC 9449) carry `cnf.jkt`, the thumbprint of a key pair the
client made in the browser (WebCrypto, non-extractable: script can *use* it in that page but
cannot export it). The attacker steals the bound access token and refresh token (e.g. by the
fetch hook of scenario 3) and replays them from their own machine: as a plain Bearer token, with
a DPoP proof signed by the attacker's own key, and by re-sending a proof they captured.
The example SPA does not speak DPoP, so the harness plays the DPoP client in the victim's page:
after the native login it refreshes once with a proof, which binds the new access token.
Stolen: a DPoP-bound JWT and the refresh token. Expected: useless without the key wherever the
binding is checked (the IdP's resource endpoint /oauth2/userinfo and its refresh endpoint).
Only native-refresh-cookie applies: the implicit grant cannot bind tokens (no token request),
and in code-pkce-cookie / bff the tokens never reach the browser to be bound or stolen.
"""
from __future__ import annotations

import time
import uuid

from authgate_demo.attacks.harness import NotRunnable
from authgate_demo.attacks.matrix import Cell, blocked, succeeded
from authgate_demo.attacks.scenarios import claims_of, describe, short

ID = "08-dpop-replay"
TITLE = "DPoP-bound token replayed without the private key"

CLIENT_JS = """async ([idp, userinfo]) => {
  const b64 = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  const enc = (obj) => b64(new TextEncoder().encode(JSON.stringify(obj)));
  const keys = await crypto.subtle.generateKey({name: 'ECDSA', namedCurve: 'P-256'}, false, ['sign', 'verify']);
  const pub = await crypto.subtle.exportKey('jwk', keys.publicKey);
  const jwk = {kty: pub.kty, crv: pub.crv, x: pub.x, y: pub.y};
  async function proof(htm, htu, token) {
    const claims = {jti: crypto.randomUUID(), htm, htu, iat: Math.floor(Date.now() / 1000)};
    if (token) claims.ath = b64(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token)));
    const input = enc({typ: 'dpop+jwt', alg: 'ES256', jwk}) + '.' + enc(claims);
    const sig = await crypto.subtle.sign({name: 'ECDSA', hash: 'SHA-256'}, keys.privateKey, new TextEncoder().encode(input));
    return input + '.' + b64(sig);
  }
  let exportable = true;
  try { await crypto.subtle.exportKey('jwk', keys.privateKey); } catch (e) { exportable = false; }
  const r = await fetch(idp + '/api/jwt/refresh', {method: 'POST', credentials: 'include',
    headers: {'Content-Type': 'application/json', DPoP: await proof('POST', idp + '/api/jwt/refresh')}, body: '{}'});
  const body = await r.json();
  return {status: r.status, token: body.token, refreshToken: body.refreshToken, exportable,
          userinfoProof: body.token ? await proof('GET', userinfo, body.token) : null};
}"""


def applies(mode: str) -> str | None:
    if mode in ("implicit-localstorage", "implicit-cookie"):
        return "the implicit grant has no token request, so there is no DPoP proof to bind the token to a key"
    if mode in ("code-pkce-cookie", "bff"):
        return "the tokens never reach the browser: there is no browser-held token to bind or steal"
    return None


def attacker_proof(htm: str, htu: str, token: str | None = None) -> str:
    """A valid DPoP proof -- by the attacker's own key."""
    from joserfc import jwt
    from joserfc.jwk import ECKey

    from authgate.oauth2.dpop import access_token_hash

    key = ECKey.generate_key("P-256", private=True)
    claims = {"jti": str(uuid.uuid4()), "htm": htm, "htu": htu, "iat": int(time.time())}
    if token:
        claims["ath"] = access_token_hash(token)
    return jwt.encode({"typ": "dpop+jwt", "alg": "ES256", "jwk": key.as_dict(private=False)}, claims, key)


def passed(r) -> bool:  # type: ignore[no-untyped-def]
    """Got past the token check: 200, or userinfo's 403 insufficient_scope (raised after the DPoP check)."""
    if r.status_code == 200:
        return True
    try:
        return r.status_code == 403 and r.json().get("error") == "insufficient_scope"
    except ValueError:
        return False


async def run(ctx) -> Cell:  # type: ignore[no-untyped-def]
    page = await ctx.victim()
    idp, userinfo = ctx.url("idp"), ctx.url("idp") + "/oauth2/userinfo"
    probe = await ctx.attack("GET", "idp", "/oauth2/userinfo")
    if probe.status_code == 404:
        raise NotRunnable("/oauth2/userinfo (the IdP's DPoP-checking resource endpoint) is not there yet")
    bound = await page.evaluate(CLIENT_JS, [idp, userinfo])
    if bound["status"] != 200 or not bound.get("token"):
        raise NotRunnable(f"the IdP did not issue a DPoP-bound token on /api/jwt/refresh (HTTP {bound['status']})")
    jwt, rt = bound["token"], bound["refreshToken"]
    jkt = (claims_of(jwt).get("cnf") or {}).get("jkt")
    evidence = [f"victim's page made a P-256 key (private key exportable: {bound['exportable']}) and refreshed with a "
                f"proof: JWT {short(jwt)} cnf.jkt={short(jkt or 'MISSING')}"]
    if not jkt:
        return succeeded(stolen="a JWT that DPoP did not bind", usable_for="until exp",
                         mitigation="DPoP binding missing on /api/jwt/refresh", evidence=evidence)
    # Control: the key holder's own proof works exactly once.
    legit = await ctx.attack("GET", "idp", "/oauth2/userinfo",
                             headers={"Authorization": f"DPoP {jwt}", "DPoP": bound["userinfoProof"]})
    evidence.append(f"control, the victim's proof: {describe(legit)}"
                    + (" (the DPoP check passed; /api/login tokens carry no openid scope)" if passed(legit) and
                       legit.status_code == 403 else ""))
    if not passed(legit):
        raise NotRunnable(f"the key holder's own DPoP request failed ({legit.status_code}): cannot judge the replay")
    tries = {
        "as Bearer to /oauth2/userinfo": await ctx.attack("GET", "idp", "/oauth2/userinfo",
                                                         headers={"Authorization": f"Bearer {jwt}"}),
        "with the attacker's own key": await ctx.attack("GET", "idp", "/oauth2/userinfo", headers={
            "Authorization": f"DPoP {jwt}", "DPoP": attacker_proof("GET", userinfo, jwt)}),
        "re-sending the captured proof": await ctx.attack("GET", "idp", "/oauth2/userinfo", headers={
            "Authorization": f"DPoP {jwt}", "DPoP": bound["userinfoProof"]}),
        "as Bearer to the Store backend": await ctx.attack("GET", "store", "/api/load-shopping-cart",
                                                          headers={"Authorization": f"Bearer {jwt}"}),
        "refresh token with the attacker's key": await ctx.attack("POST", "idp", "/api/jwt/refresh", json={
            "refreshToken": rt}, headers={"DPoP": attacker_proof("POST", idp + "/api/jwt/refresh")}),
    }
    worked = []
    for what, r in tries.items():
        evidence.append(f"attacker, {what}: {describe(r)}")
        if passed(r):
            worked.append(what)
    if not worked:
        return blocked("DPoP: every replay without the private key was refused", evidence,
                       stolen="a DPoP-bound JWT and refresh token")
    gaps = []
    if "as Bearer to the Store backend" in worked:
        gaps.append("the example Store backend verifies JWTs without checking cnf.jkt (accepts a bound token as Bearer)")
    if "refresh token with the attacker's key" in worked:
        gaps.append("the refresh token from /api/login is not bound: a DPoP refresh binds the access token, "
                    "not the refresh token, so the attacker refreshes with their own key")
    return succeeded(stolen="a DPoP-bound JWT and the refresh token", usable_for="; ".join(worked),
                     mitigation="DPoP blocks the replay at the IdP's userinfo; gaps: " + "; ".join(gaps),
                     evidence=evidence)
