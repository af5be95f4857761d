"""Webhook delivery to a real https receiver: its certificate (self-signed, made here) is trusted
through the webhook's own `sslCertificate` (FusionAuth's field), verified against the URL's host,
and the signature header checks out over TLS as over http. Without the certificate, or with
another one, the receiver is not trusted and nothing is sent to it."""
from __future__ import annotations

import base64
import datetime
import hashlib
import ipaddress
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.fusionauth.test_webhooks import deliver, deliveries, hook, settings_overrides  # noqa: F401 - fixture
from tests.receiver import Receiver


def self_signed(tmp_path: Path, name: str, ip: str = "127.0.0.1") -> tuple[str, Path, Path]:
    """(certificate PEM, certificate file, key file) of a self-signed certificate for `ip`."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    cert_file, key_file = tmp_path / f"{name}.crt", tmp_path / f"{name}.key"
    cert_file.write_text(pem)
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return pem, cert_file, key_file


def _serve(tmp_path: Path, name: str, ip: str) -> tuple[Receiver, str]:
    pem, cert_file, key_file = self_signed(tmp_path, name, ip)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return Receiver(tls=context).start(), pem


@pytest.fixture
def tls_receiver(tmp_path):
    receiver, pem = _serve(tmp_path, "receiver", "127.0.0.1")
    yield receiver, pem
    receiver.stop()


async def _user(client, admin, email: str) -> None:
    r = await client.post("/api/user", json={"user": {"email": email, "password": "correct horse"}}, headers=admin)
    assert r.status_code == 200, r.text


async def test_an_https_receiver_with_its_certificate_gets_signed_deliveries(client, registry, admin, tls_receiver):
    receiver, pem = tls_receiver
    assert receiver.url.startswith("https://127.0.0.1:")
    key = (await client.post("/api/key/generate", json={"key": {"algorithm": "ES256", "name": "hooks"}}, headers=admin)).json()["key"]
    r = await client.post("/api/webhook", headers=admin, json=hook(
        receiver.url, sslCertificate=pem, signatureConfiguration={"enabled": True, "signingKeyId": key["id"]}))
    assert r.status_code == 200, r.text
    webhook = r.json()["webhook"]
    assert webhook["sslCertificate"] == pem
    await _user(client, admin, "tls@example.com")
    await deliver(registry)
    [got] = receiver.received
    assert got.event["type"] == "user.create" and got.event["user"]["email"] == "tls@example.com"
    decoded = jwt.decode(got.headers["x-fusionauth-signature-jwt"],
                         KeySet.import_key_set((await client.get("/.well-known/jwks.json")).json()))
    assert decoded.header["kid"] == key["id"]
    assert decoded.claims["request_body_sha256"] == base64.b64encode(hashlib.sha256(got.body).digest()).decode()
    [row] = await deliveries(client, admin, webhook["id"])
    assert row["state"] == "delivered" and row["attemptLog"][0]["statusCode"] == 200


@pytest.mark.parametrize("trust", ["system CAs", "another certificate", "its certificate, made for another address"])
async def test_an_https_receiver_not_trusted_gets_nothing(client, registry, admin, tmp_path, trust):
    receiver, pem = _serve(tmp_path, "receiver", "127.0.0.2" if trust.startswith("its") else "127.0.0.1")
    try:
        more = {"system CAs": {}, "another certificate": {"sslCertificate": self_signed(tmp_path, "other")[0]},
                "its certificate, made for another address": {"sslCertificate": pem}}[trust]
        webhook = (await client.post("/api/webhook", json=hook(receiver.url, **more), headers=admin)).json()["webhook"]
        await _user(client, admin, "tls@example.com")
        await deliver(registry)
        assert receiver.received == []  # the handshake failed before any request
        [row] = await deliveries(client, admin, webhook["id"])
        error = row["attemptLog"][0]["error"]
        assert row["state"] == "pending" and "CERTIFICATE_VERIFY_FAILED" in error, error
        if trust.startswith("its"):
            assert "mismatch" in error  # a trusted certificate still has to name the host of the URL
    finally:
        receiver.stop()


async def test_a_certificate_that_is_not_pem_is_refused(client, admin, tls_receiver):
    receiver, pem = tls_receiver
    for bad in ("not a certificate", pem.replace("MII", "XXX"), 5, "x" * 20_000):
        r = await client.post("/api/webhook", json=hook(receiver.url, sslCertificate=bad), headers=admin)
        assert r.status_code == 400, (bad, r.text)
        assert "webhook.sslCertificate" in r.json()["fieldErrors"]
