"""Constructor, env fallbacks, base_url rules and derived clients (SPEC §2, §8)."""

from __future__ import annotations

import pickle

import pytest

from composio import (
    Composio,
    ComposioNoAPIKeyError,
    OpenAIProvider,
    Provider,
    Timeout,
    ValidationError,
)
from composio.config import DEFAULT_BASE_URL

KEY = "sk_unit_SENTINEL_1234567890abcdef"


def test_no_api_key_anywhere_says_how_to_fix() -> None:
    with pytest.raises(ComposioNoAPIKeyError) as err:
        Composio()
    assert "api_key=" in str(err.value) and "COMPOSIO_API_KEY" in str(err.value)


def test_env_fallbacks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPOSIO_API_KEY", KEY)
    monkeypatch.setenv("COMPOSIO_BASE_URL", "http://localhost:8123/")
    c = Composio()
    assert c.base_url == "http://localhost:8123"
    assert c.config.api_key == KEY
    # explicit keywords win over the environment
    assert Composio(api_key="other", base_url="https://x.example").base_url == "https://x.example"


def test_defaults() -> None:
    c = Composio(api_key=KEY)
    assert c.base_url == DEFAULT_BASE_URL
    assert isinstance(c.provider, OpenAIProvider) and c.provider.name == "openai"
    assert c.allow_tracing is True
    assert c.max_retries == 2
    assert c.timeout == Timeout(connect=10.0, read=60.0, total=60.0)
    assert dict(c.headers) == {}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://gw.example.com/composio/", "https://gw.example.com/composio"),
        ("https://gw.example.com", "https://gw.example.com"),
        ("http://127.0.0.5:80/p", "http://127.0.0.5:80/p"),
        ("http://[::1]:9/", "http://[::1]:9"),
        ("http://localhost", "http://localhost"),
        ("HTTPS://Example.COM", "https://example.com"),
    ],
)
def test_base_url_normalised(url: str, expected: str) -> None:
    assert Composio(api_key=KEY, base_url=url).base_url == expected


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("http://example.com", "https"),
        ("http://10.0.0.1", "https"),
        ("http://localhost.evil.com", "https"),
        ("ftp://example.com", "scheme"),
        ("https://user:pw@example.com", "credentials"),
        ("https://example.com/a b", "control"),
        ("https://exa\nmple.com", "control"),
        ("https://", "no host"),
        ("https://example.com/?q=1", "query"),
        ("", "non-empty"),
    ],
)
def test_base_url_rejected(url: str, fragment: str) -> None:
    with pytest.raises(ValidationError) as err:
        Composio(api_key=KEY, base_url=url)
    assert fragment in str(err.value)
    assert "pw" not in str(err.value)


def test_api_key_with_newline_rejected_without_echo() -> None:
    with pytest.raises(ValidationError) as err:
        Composio(api_key=KEY + "\n")
    assert KEY not in str(err.value)


@pytest.mark.parametrize("bad", [None, 0, -1, float("nan"), float("inf"), "5", True])
def test_timeout_must_be_finite_positive(bad: object) -> None:
    with pytest.raises(ValidationError):
        Composio(api_key=KEY, timeout=bad)  # type: ignore[arg-type]


def test_timeout_object_and_max_retries_validation() -> None:
    t = Timeout(connect=1, read=2, total=3)
    assert Composio(api_key=KEY, timeout=t).timeout is t
    with pytest.raises(ValidationError):
        Timeout(total=0)
    with pytest.raises(ValidationError):
        Composio(api_key=KEY, max_retries=-1)


def test_repr_never_contains_key() -> None:
    c = Composio(api_key=KEY, default_headers={"x-a": "1"})
    s = c.create_session(headers={"x-b": "2"})
    for text in (repr(c), str(c), repr(s), repr(c.config), repr(c.chain), repr(s.headers)):
        assert KEY not in text and KEY[:8] not in text
    assert "api_key='***'" in repr(c)


def test_create_session_is_a_composio_and_inherits() -> None:
    provider = OpenAIProvider()
    c = Composio(
        api_key=KEY,
        base_url="http://127.0.0.1:9",
        provider=provider,
        allow_tracking=False,
        allow_tracing=False,
        max_retries=5,
        timeout=7.0,
    )
    s = c.create_session(headers={"x-a": "1"}).create_session(headers={"x-b": "2"})
    assert isinstance(s, Composio)
    assert s.provider is provider
    assert (s.base_url, s.allow_tracking, s.allow_tracing, s.max_retries) == (
        c.base_url,
        False,
        False,
        5,
    )
    assert s.timeout == c.timeout
    assert s.chain == c.chain
    assert s._runtime is c._runtime


def test_with_options_merges_default_headers_and_shares_pool() -> None:
    c = Composio(api_key=KEY, base_url="http://127.0.0.1:9", default_headers={"x-a": "1"})
    s = c.create_session(headers={"x-s": "s"})
    d = s.with_options(default_headers={"x-b": "2"}, max_retries=0, timeout=3.0)
    assert dict(d.headers) == {"x-a": "1", "x-b": "2", "x-s": "s"}
    assert d.max_retries == 0 and d.timeout.total == 3.0
    assert d._runtime.transport is c._runtime.transport
    assert c.max_retries == 2 and dict(c.headers) == {"x-a": "1"}
    other = c.with_options(base_url="http://127.0.0.1:10")
    assert other.base_url == "http://127.0.0.1:10"
    assert other._runtime.transport.session is c._runtime.transport.session


def test_with_options_validates_like_init() -> None:
    c = Composio(api_key=KEY)
    with pytest.raises(ValidationError):
        c.with_options(base_url="http://example.com")
    with pytest.raises(ValidationError):
        c.with_options(timeout=None)


def test_custom_provider_name_goes_through_validation() -> None:
    class Bad(Provider):
        name = "bad\r\nname"

    with pytest.raises(ValidationError):
        Composio(api_key=KEY, provider=Bad())
    with pytest.raises(ValidationError):
        Composio(api_key=KEY, provider=object())  # type: ignore[arg-type]


def test_close_of_a_session_leaves_parent_usable_and_context_manager() -> None:
    with Composio(api_key=KEY) as c:
        s = c.create_session(headers={"x-a": "1"})
        s.close()
        assert not c._runtime.transport.closed
    assert c._runtime.transport.closed


def test_clients_do_not_pickle_but_say_why() -> None:
    with pytest.raises(TypeError, match="connection pool"):
        pickle.dumps(Composio(api_key=KEY))
