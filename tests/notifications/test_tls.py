"""TLS: STARTTLS and SMTPS work with a trusted certificate and refuse an untrusted one."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from models.settings import Settings
from notifications.mailer import DeliveryOutcome, Mailer, OutgoingEmail
from notifications.smtp_server import MailboxServer

Server = Callable[..., MailboxServer]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (cert file, key file)."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


def _message() -> OutgoingEmail:
    return OutgoingEmail(
        to=["hoa@donvi.vn"],
        cc=[],
        subject="Thử TLS",
        text="Nội dung",
        html="<p>Nội dung</p>",
        message_id="<tls-1@example.gov.vn>",
    )


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_tls_with_a_trusted_certificate(
    mode: str,
    certificate: tuple[Path, Path],
    smtp_server: Server,
    make_settings: Callable[..., Settings],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # trust our test CA only
    server = smtp_server(
        tls_context=_server_context(certificate),
        implicit_tls=mode == "ssl",
        auth=("thidua", "s3cr3t-pw"),
    )
    settings = make_settings(
        server.port, smtp_tls=mode, smtp_user="thidua", smtp_password="s3cr3t-pw"
    )
    with Mailer(settings) as mailer:
        results = [mailer.send(_message()) for _ in range(3)]
    assert [r.outcome for r in results] == [DeliveryOutcome.SENT] * 3
    assert (server.connections, server.logins, server.encrypted) == (1, 1, 3)


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_untrusted_certificate_is_refused(
    mode: str,
    certificate: tuple[Path, Path],
    smtp_server: Server,
    make_settings: Callable[..., Settings],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    empty = tmp_path / "no-ca.pem"
    empty.write_text("")
    monkeypatch.setenv("SSL_CERT_FILE", str(empty))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    server = smtp_server(tls_context=_server_context(certificate), implicit_tls=mode == "ssl")
    with Mailer(make_settings(server.port, smtp_tls=mode)) as mailer:
        result = mailer.send(_message())
    assert result.outcome is DeliveryOutcome.TRANSIENT
    assert not result.reached_server
    assert result.error is not None and "CERTIFICATE_VERIFY_FAILED" in result.error
    assert server.received == 0
