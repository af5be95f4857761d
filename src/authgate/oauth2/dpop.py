"""DPoP proofs (RFC 9449 section 4.3) and the key thumbprint tokens are bound to (`cnf.jkt`,
section 6.1; RFC 7638).

Checked, in the RFC's order: one `DPoP` header; a compact JWS with `typ: dpop+jwt`; `alg` in our
asymmetric allowlist (never `none` or HS*); a public `jwk` header (private members refused) that
verifies the signature; `htm` = the request method; `htu` = the request URI without query and
fragment; `iat` within the window; `ath` = hash of the access token when one is presented; `jti`
never seen before (shared replay cache, `reg.db.nonces`). Server nonces are not used.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import JWKRegistry
from joserfc.jws import JWSRegistry

from authgate.clock import clock
from authgate.errors import InvalidDPoPProof
from authgate.registry import Registry

log = logging.getLogger("authgate.dpop")

ALGORITHMS = ("ES256", "RS256")
_KTY = {"ES256": "EC", "RS256": "RSA"}
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
MAX_PROOF_BYTES = 8192
IAT_WINDOW_SECONDS = 60
MIN_RSA_BITS = 2048


class _ProofRegistry(JWSRegistry):
    max_header_length = 4096  # the header carries the jwk: a 4096-bit RSA key is ~750 bytes encoded


_REGISTRY = _ProofRegistry(algorithms=list(ALGORITHMS))


def _refuse(detail: str) -> InvalidDPoPProof:
    return InvalidDPoPProof("The DPoP proof is invalid.", detail=f"dpop: {detail}")


def _normalise_uri(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path or '/'}"


def access_token_hash(token: str) -> str:
    """Section 4.2 `ath`: base64url(SHA-256(access token))."""
    return base64.urlsafe_b64encode(hashlib.sha256(token.encode("ascii")).digest()).rstrip(b"=").decode()


def _public_key(header: dict[str, Any]) -> Any:
    jwk = header.get("jwk")
    alg = header.get("alg")
    if not isinstance(jwk, dict):
        raise _refuse("no jwk header")
    if _PRIVATE_MEMBERS & jwk.keys():
        raise _refuse("jwk contains private key material")
    if jwk.get("kty") != _KTY[alg]:
        raise _refuse(f"jwk kty {jwk.get('kty')!r} does not fit alg {alg}")
    try:
        key = JWKRegistry.import_key(jwk)
    except (JoseError, ValueError, TypeError) as exc:
        raise _refuse(f"bad jwk: {exc}") from None
    if key.is_private:
        raise _refuse("jwk is a private key")
    if alg == "ES256" and jwk.get("crv") != "P-256":
        raise _refuse("ES256 needs a P-256 key")
    if alg == "RS256" and key.raw_value.key_size < MIN_RSA_BITS:
        raise _refuse("RSA key too small")
    return key


def _decode(proof: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    """Header, claims and thumbprint of a proof whose signature verifies with its own jwk."""
    if len(proof) > MAX_PROOF_BYTES or proof.count(".") != 2:
        raise _refuse("malformed")
    try:
        header = dict(jws.extract_compact(proof.encode(), registry=_REGISTRY).headers())
    except (JoseError, ValueError, UnicodeError) as exc:
        raise _refuse(f"malformed header: {exc}") from None
    if header.get("typ") != "dpop+jwt":
        raise _refuse(f"typ {header.get('typ')!r}")
    if header.get("alg") not in ALGORITHMS:
        raise _refuse(f"alg {header.get('alg')!r} not allowed")
    if "crit" in header:
        raise _refuse("crit header")
    key = _public_key(header)
    try:
        claims = dict(jwt.decode(proof, key, algorithms=[header["alg"]], registry=_REGISTRY).claims)
    except (JoseError, ValueError) as exc:
        raise _refuse(f"signature: {exc}") from None
    return header, claims, key.thumbprint()


async def verify_proof(reg: Registry, proof: str, *, method: str, uri: str, access_token: str | None = None) -> str:
    """The proof's key thumbprint (`jkt`) if it is valid for this request, else InvalidDPoPProof."""
    _, claims, jkt = _decode(proof)
    jti, iat = claims.get("jti"), claims.get("iat")
    if not isinstance(jti, str) or not jti or len(jti) > 256:
        raise _refuse("missing or oversized jti")
    if claims.get("htm") != method:
        raise _refuse(f"htm {str(claims.get('htm'))[:10]!r} != {method}")
    htu = claims.get("htu")
    if not isinstance(htu, str) or _normalise_uri(htu) != _normalise_uri(uri):
        raise _refuse(f"htu {str(htu)[:200]!r} != {uri}")
    if not isinstance(iat, (int, float)) or isinstance(iat, bool) or abs(clock.now() - iat) > IAT_WINDOW_SECONDS:
        raise _refuse(f"iat {iat!r} outside the window")
    if access_token is not None:
        ath = claims.get("ath")
        if not isinstance(ath, str) or not hmac.compare_digest(ath, access_token_hash(access_token)):
            raise _refuse("ath does not match the access token")
    if not await reg.db.nonces.use_once(f"dpop:{jkt}:{jti}", 2 * IAT_WINDOW_SECONDS + 10):
        raise _refuse(f"jti replayed ({jkt})")
    return jkt


async def verify_proof_for_request(reg: Registry, request: Request, access_token: str | None = None) -> str:
    """Section 4.3 for an incoming request: exactly one DPoP header; `htu` is this endpoint under the issuer."""
    values = request.headers.getlist("dpop")
    if len(values) != 1:
        raise _refuse(f"{len(values)} DPoP headers")
    return await verify_proof(reg, values[0], method=request.method, uri=reg.issuer + request.url.path,
                              access_token=access_token)
