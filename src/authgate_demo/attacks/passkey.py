"""The victim's passkey: a Chrome DevTools virtual authenticator (CDP `WebAuthn.enable`,
`WebAuthn.addVirtualAuthenticator`: CTAP2, internal transport, resident keys, user verification
that always succeeds) attached to one tab, and the page-side calls of the WebAuthn API.

The authenticator belongs to the tab it was added to: the victim's passkey is used, or refused, in
whatever page that tab shows -- the IdP's own pages, or a phishing relay's.
"""
from __future__ import annotations

from typing import Any

AUTHENTICATOR = {"protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
                 "isUserVerified": True, "automaticPresenceSimulation": True}

_B64 = """const unb = s => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4)), c => c.charCodeAt(0));
const b64 = buf => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');"""

CREATE_JS = "async (o) => {" + _B64 + """
  o.challenge = unb(o.challenge); o.user.id = unb(o.user.id);
  o.excludeCredentials = (o.excludeCredentials || []).map(c => ({...c, id: unb(c.id)}));
  try {
    const c = await navigator.credentials.create({publicKey: o});
    return {id: c.id, rawId: b64(c.rawId), type: c.type, transports: c.response.getTransports(),
            response: {clientDataJSON: b64(c.response.clientDataJSON), attestationObject: b64(c.response.attestationObject)}};
  } catch (e) { return {error: e.name + ': ' + e.message}; }
}"""

GET_JS = "async (o) => {" + _B64 + """
  o.challenge = unb(o.challenge);
  o.allowCredentials = (o.allowCredentials || []).map(c => ({...c, id: unb(c.id)}));
  try {
    const c = await navigator.credentials.get({publicKey: o});
    return {id: c.id, rawId: b64(c.rawId), type: c.type,
            response: {clientDataJSON: b64(c.response.clientDataJSON), authenticatorData: b64(c.response.authenticatorData),
                       signature: b64(c.response.signature), userHandle: c.response.userHandle ? b64(c.response.userHandle) : null},
            origin: JSON.parse(new TextDecoder().decode(c.response.clientDataJSON)).origin};
  } catch (e) { return {error: e.name + ': ' + e.message}; }
}"""


async def add_authenticator(context: Any, page: Any) -> tuple[Any, str]:
    """A virtual platform authenticator on `page`'s tab: (CDP session, authenticator id)."""
    cdp = await context.new_cdp_session(page)
    await cdp.send("WebAuthn.enable", {"enableUI": False})
    made = await cdp.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})
    return cdp, made["authenticatorId"]


async def credentials(cdp: Any, authenticator_id: str) -> list[dict[str, Any]]:
    """What the authenticator holds (credential ids and their RP IDs), for evidence."""
    return list((await cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id}))["credentials"])


async def create(page: Any, options: dict[str, Any]) -> dict[str, Any]:
    return dict(await page.evaluate(CREATE_JS, options))


async def get(page: Any, options: dict[str, Any]) -> dict[str, Any]:
    return dict(await page.evaluate(GET_JS, options))
