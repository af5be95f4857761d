"""WebAuthn ceremonies in the core, on both databases: registration, passwordless and
second-factor assertions, and every malformed or replayed response refused without a change."""
from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from authgate.clock import clock
from authgate.mfa import passkeys
from authgate.mfa.passkeys import PasskeyRefused
from authgate.registry import Registry
from tests.factories import make_user
from tests.mfa.softkey import UP, SoftKey, b64url

RP_ID, ORIGIN = "idp.authgate.localhost", "http://idp.authgate.localhost:9011"


async def enrolled(reg: Registry) -> tuple[dict[str, Any], SoftKey, passkeys.Passkey]:
    user = await make_user(reg)
    key = SoftKey(RP_ID, ORIGIN)
    options = await passkeys.registration_options(reg, user, "Laptop")
    return user, key, await passkeys.register(reg, user["id"], key.register(options))


async def stored_state(reg: Registry, user_id: str) -> list[tuple[str, int]]:
    return [(r["credential_id"], r["sign_count"]) for r in await reg.db.webauthn_credentials.for_user(user_id)]


async def test_register_then_log_in_passwordless(registry: Registry) -> None:
    user, key, passkey = await enrolled(registry)
    assert passkey.name == "Laptop" and passkey.user_id == user["id"]
    options = await passkeys.authentication_options(registry, None, passwordless=True)
    assert options["rpId"] == RP_ID and options["userVerification"] == "required" and options["allowCredentials"] == []
    asserted = await passkeys.authenticate(registry, key.assert_(options))
    assert asserted.passkey.id == passkey.id and asserted.user_verified
    assert await stored_state(registry, user["id"]) == [(passkey.credential_id, 1)]


async def test_several_named_passkeys_listed_renamed_removed(registry: Registry) -> None:
    user, _, first = await enrolled(registry)
    options = await passkeys.registration_options(registry, user, "Phone")
    assert [c["id"] for c in options["excludeCredentials"]] == [first.credential_id]
    second = await passkeys.register(registry, user["id"], SoftKey(RP_ID, ORIGIN).register(options))
    assert [p.name for p in await passkeys.for_user(registry, user["id"])] == ["Laptop", "Phone"]
    assert await passkeys.rename(registry, user["id"], second.id, "Work phone")
    assert await passkeys.remove(registry, user["id"], first.id)
    assert [p.name for p in await passkeys.for_user(registry, user["id"])] == ["Work phone"]
    other = await make_user(registry, email="other@example.com")
    assert not await passkeys.remove(registry, other["id"], second.id)  # not theirs


def _bad_registrations(key: SoftKey, options: dict[str, Any]) -> dict[str, dict[str, Any]]:
    oversized = key.register(options)
    oversized["response"]["clientDataJSON"] = b64url(json.dumps(
        {"type": "webauthn.create", "challenge": options["challenge"], "origin": ORIGIN, "pad": "x" * 5000}).encode())
    return {
        "wrong challenge": key.register(options, challenge=b64url(b"\x00" * 32)),
        "wrong origin": key.register(options, origin="http://evil.authgate.localhost:9011"),
        "wrong RP ID": key.register(options, rp_id="evil.authgate.localhost"),
        "no user verification": key.register(options, flags=UP | 0x40),
        "attestation junk": key.register(options, attestation=b"\xff\x00junk"),
        "oversized clientDataJSON": oversized,
        "not an object": {"response": "nope"},
    }


@pytest.mark.parametrize("case", ["wrong challenge", "wrong origin", "wrong RP ID", "no user verification",
                                  "attestation junk", "oversized clientDataJSON", "not an object"])
async def test_bad_registration_responses_are_refused(registry: Registry, case: str) -> None:
    user = await make_user(registry)
    key = SoftKey(RP_ID, ORIGIN)
    options = await passkeys.registration_options(registry, user, "Laptop")
    with pytest.raises(PasskeyRefused):
        await passkeys.register(registry, user["id"], _bad_registrations(key, options)[case])
    assert await stored_state(registry, user["id"]) == []


async def test_registration_challenge_is_single_use_and_expires(registry: Registry) -> None:
    user = await make_user(registry)
    options = await passkeys.registration_options(registry, user, "Laptop")
    await passkeys.register(registry, user["id"], SoftKey(RP_ID, ORIGIN).register(options))
    with pytest.raises(PasskeyRefused):
        await passkeys.register(registry, user["id"], SoftKey(RP_ID, ORIGIN).register(options))
    late = await passkeys.registration_options(registry, user, "Late")
    clock.advance(registry.settings.webauthn_timeout_seconds + 1)
    with pytest.raises(PasskeyRefused):
        await passkeys.register(registry, user["id"], SoftKey(RP_ID, ORIGIN).register(late))
    assert len(await stored_state(registry, user["id"])) == 1


@pytest.mark.parametrize("case", ["wrong challenge", "wrong origin", "wrong RP ID", "counter backwards",
                                  "counter unchanged", "unknown credential id", "no user verification",
                                  "oversized clientDataJSON", "replayed", "bad signature", "other user's handle"])
async def test_bad_assertions_are_refused_and_change_nothing(registry: Registry, case: str) -> None:
    user, key, _ = await enrolled(registry)
    await passkeys.authenticate(registry, key.assert_(await passkeys.authentication_options(
        registry, None, passwordless=True)))  # counter now 1
    before = await stored_state(registry, user["id"])
    options = await passkeys.authentication_options(registry, None, passwordless=True)
    good = key.assert_(copy.deepcopy(options))
    bad: dict[str, Any]
    if case == "wrong challenge":
        bad = key.assert_(options, challenge=b64url(b"\x01" * 32))
    elif case == "wrong origin":
        bad = key.assert_(options, origin="http://evil.authgate.localhost:9011")
    elif case == "wrong RP ID":
        bad = key.assert_(options, rp_id="evil.authgate.localhost")
    elif case == "counter backwards":
        bad = key.assert_(options, counter=0)
    elif case == "counter unchanged":
        bad = key.assert_(options, counter=1)
    elif case == "unknown credential id":
        bad = key.assert_(options, credential_id=b"\x02" * 32)
    elif case == "no user verification":
        bad = key.assert_(options, flags=UP)
    elif case == "oversized clientDataJSON":
        bad = key.assert_(options, client_data=json.dumps({"type": "webauthn.get", "challenge": options["challenge"],
                                                            "origin": ORIGIN, "pad": "x" * 5000}).encode())
    elif case == "replayed":
        await passkeys.authenticate(registry, good)
        before = await stored_state(registry, user["id"])
        bad = good
    elif case == "bad signature":
        bad = copy.deepcopy(good)
        bad["response"]["signature"] = b64url(b"\x30\x06\x02\x01\x01\x02\x01\x01")
    else:
        bad = copy.deepcopy(good)
        bad["response"]["userHandle"] = b64url(b"someone-else")
    with pytest.raises(PasskeyRefused):
        await passkeys.authenticate(registry, bad)
    assert await stored_state(registry, user["id"]) == before



def _malformed(good: dict[str, Any]) -> list[Any]:
    """Structurally malformed responses around a good one: each required field missing, of the
    wrong type, or not base64url; the whole thing not an object."""
    out: list[Any] = [None, [], "credential", {"response": None}, {"response": []}]
    for name in ("id", "rawId", "type"):
        out += [{k: v for k, v in good.items() if k != name}, {**good, name: 7}, {**good, name: "*not base64*"}]
    for name in [n for n in good["response"] if n != "transports"]:  # transports: a hint, not signed
        if name != "userHandle":  # optional: a non-discoverable credential's assertion has none
            out.append({**good, "response": {k: v for k, v in good["response"].items() if k != name}})
        out += [{**good, "response": {**good["response"], name: {"x": 1}}},
                {**good, "response": {**good["response"], name: "*not base64*"}}]
    return out


async def test_malformed_registration_and_assertion_shapes_are_refused(registry: Registry) -> None:
    """Never a 500: every malformed shape is a PasskeyRefused (the APIs' 400), each against a live
    challenge of its own so the parsing past the challenge runs too, and nothing is stored or moved."""
    user = await make_user(registry)
    key = SoftKey(RP_ID, ORIGIN)
    shapes = len(_malformed(key.register(await passkeys.registration_options(registry, user, "x"))))
    for i in range(shapes):
        bad = _malformed(key.register(await passkeys.registration_options(registry, user, "Laptop")))[i]
        with pytest.raises(PasskeyRefused):
            await passkeys.register(registry, user["id"], bad)
    assert await stored_state(registry, user["id"]) == []
    await passkeys.register(registry, user["id"], key.register(await passkeys.registration_options(registry, user, "L")))
    before = await stored_state(registry, user["id"])
    for i in range(shapes):
        options = await passkeys.authentication_options(registry, None, passwordless=True)
        bad = _malformed(key.assert_(options, counter=key.counter + 1))[i]
        with pytest.raises(PasskeyRefused):
            await passkeys.authenticate(registry, bad)
    assert await stored_state(registry, user["id"]) == before
