"""TLS verification (SPEC §8) against a real HTTPS LocalServer with a throw-away certificate,
and the one-time INFO log of a non-default base URL."""

from __future__ import annotations

import logging
import shutil
import ssl
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from composio import APIConnectionError, APIError, Composio, ValidationError
from composio.testing import LocalServer
from tests._drivers import Driver
from tests.conftest import SENTINEL_KEY
from tests.integration._raw_servers import record_sleeps


def make_certificate(d: Path, name: str, alt_names: str) -> tuple[Path, Path]:
    """A self-signed certificate (and key) in ``d`` for ``name`` and ``alt_names``."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", f"/CN={name}", "-addext", f"subjectAltName={alt_names}",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"), "127.0.0.1", "IP:127.0.0.1")


@pytest.fixture
def https_server(certificate: tuple[Path, Path]) -> Iterator[LocalServer]:
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    with LocalServer(api_key=SENTINEL_KEY, ssl_context=context) as server:
        yield server


def test_untrusted_certificate_fails_fast_and_is_not_retried(
    https_server: LocalServer, driver: Driver
) -> None:
    assert https_server.url.startswith("https://127.0.0.1:")
    client = driver.client(api_key=SENTINEL_KEY, base_url=https_server.url, allow_tracking=False)
    client, recorder = record_sleeps(client)
    waits = recorder.waits
    with pytest.raises(APIConnectionError) as info:
        client.tools.list()
    err = info.value
    assert err.kind == "tls" and err.sent is False
    assert "TLS" in str(err)
    assert waits == []  # a bad certificate stays bad: no retry
    assert https_server.accepted_connections == 1
    assert https_server.requests == []  # nothing, the API key included, crossed the wire
    assert SENTINEL_KEY not in str(err) and SENTINEL_KEY not in repr(err.request)
    client.close()


def test_ca_bundle_path_makes_it_trusted(
    https_server: LocalServer, certificate: tuple[Path, Path], driver: Driver
) -> None:
    cert, _ = certificate
    client = driver.client(
        api_key=SENTINEL_KEY, base_url=https_server.url, verify=str(cert), allow_tracking=False
    )
    assert len(client.tools.list().items) == 20
    assert https_server.requests[-1].header("x-api-key") == SENTINEL_KEY
    client.close()


def test_verify_false_is_honoured_and_per_client(https_server: LocalServer, driver: Driver) -> None:
    strict = driver.client(api_key=SENTINEL_KEY, base_url=https_server.url, allow_tracking=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # urllib3's InsecureRequestWarning is the point here
        lax = strict.with_options(verify=False)
        assert len(lax.tools.list().items) == 20
    # the derived client got its own pool; the strict one still refuses
    with pytest.raises(APIConnectionError):
        strict.with_options(max_retries=0).tools.list()
    lax.close()
    strict.close()


def test_missing_ca_bundle_is_a_validation_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="CA bundle"):
        Composio(api_key=SENTINEL_KEY, verify=str(tmp_path / "nope.pem"))


def test_non_default_base_url_logged_once_at_info_with_host_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="composio")
    url = "http://127.0.0.77:9/some/prefix"
    Composio(api_key=SENTINEL_KEY, base_url=url).close()
    Composio(api_key=SENTINEL_KEY, base_url=url).close()
    lines = [r.getMessage() for r in caplog.records if "non-default" in r.getMessage()]
    assert lines == ["composio: using a non-default API host 127.0.0.77"]
    assert all(r.levelno == logging.INFO for r in caplog.records if "non-default" in r.message)
    assert "prefix" not in caplog.text and SENTINEL_KEY not in caplog.text


def test_a_redirect_from_https_to_http_is_refused(
    https_server: LocalServer,
    certificate: tuple[Path, Path],
    caplog: pytest.LogCaptureFixture,
    driver: Driver,
) -> None:
    """SPEC §12.7: the https-only rule of §8 cannot be bypassed by a redirect."""
    cert, _ = certificate
    with LocalServer(api_key=SENTINEL_KEY) as plain:
        client = driver.client(
            api_key=SENTINEL_KEY, base_url=https_server.url, verify=str(cert), allow_tracking=False
        )
        same_host = plain.url.replace("https://", "http://")
        with pytest.raises(APIError, match="https to plain http") as info:
            client.request("GET", "/redirect", params={"to": f"{same_host}/echo"})
        assert not isinstance(info.value, APIConnectionError)  # not retried as a network fault
        assert plain.requests == []  # not one byte went out in the clear
        assert len(https_server.requests_to("/redirect")) == 1
        # an https -> https hop is still followed
        assert client.request("GET", "/redirect", params={"to": "/echo"}).status_code == 200
        assert SENTINEL_KEY not in str(info.value) and SENTINEL_KEY not in caplog.text
        client.close()
