"""Each way a model call fails, against real sockets on 127.0.0.1: the kind it is classified as,
whether the turn retries, and one line naming the provider, the URL (no secrets) and the cause."""

from __future__ import annotations

import socket
import ssl

import pytest

pytest.importorskip("openai")

from activities.agent.providers import (
    ChatMessage,
    FailureKind,
    ModelRequest,
    OpenAIProvider,
    ProviderCallError,
)
from activities.agent.providers._failures import classify, public_url
from tests.unit.activities._openai_fake import FakeEndpoint

KEY = "sk-test-key-3141"


def _request() -> ModelRequest:
    return ModelRequest(session_id="s1", turn_id="t", turn_index=4, step=0, model="m",
                        messages=[ChatMessage(role="user", content="hi")])


async def _fail(base_url: str, timeout_s: float = 5.0) -> ProviderCallError:
    provider = OpenAIProvider(api_key=KEY, base_url=base_url, timeout_s=timeout_s)
    with pytest.raises(ProviderCallError) as info:
        await provider.complete(_request())
    error = info.value
    text = str(error)
    assert "\n" not in text and KEY not in text
    assert text.startswith("provider 'openai': ")
    assert (error.session_id, error.turn_index) == ("s1", 4)
    return error


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_a_refused_connection_is_retried_and_says_so() -> None:
    """Nothing listens on the port: "connection refused at <url>", retryable."""
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    error = await _fail(url)
    assert error.kind is FailureKind.REFUSED and error.retryable
    assert str(error) == f"provider 'openai': connection refused at {url}"


async def test_an_unknown_host_fails_at_once() -> None:
    """A name under .invalid never resolves: a misspelled host, so no retry."""
    error = await _fail("http://no-such-host.invalid/v1")
    assert error.kind is FailureKind.DNS and not error.retryable
    assert "name not resolved at http://no-such-host.invalid/v1" in str(error)


def test_a_temporary_resolver_failure_is_retried() -> None:
    """EAI_AGAIN is the resolver's trouble, not the name's."""
    err = ConnectionError("connect failed")
    err.__cause__ = socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
    assert classify(err) == (FailureKind.DNS_AGAIN, None)
    assert FailureKind.DNS_AGAIN.retryable


async def test_tls_to_a_plain_http_server_fails_at_once(endpoint: FakeEndpoint) -> None:
    """https:// against a server speaking plain HTTP: a configuration error."""
    error = await _fail(f"https://127.0.0.1:{endpoint.port}/v1")
    assert error.kind is FailureKind.TLS and not error.retryable


def test_a_certificate_failure_is_tls() -> None:
    err = ConnectionError("connect failed")
    err.__context__ = ssl.SSLCertVerificationError(1, "certificate verify failed")
    assert classify(err) == (FailureKind.TLS, None)


@pytest.mark.parametrize(
    ("status", "kind", "retryable"),
    [
        (400, FailureKind.BAD_REQUEST, False),
        (401, FailureKind.UNAUTHORIZED, False),
        (403, FailureKind.UNAUTHORIZED, False),
        (404, FailureKind.NOT_FOUND, False),
        (422, FailureKind.BAD_REQUEST, False),
        (429, FailureKind.RATE_LIMITED, True),
        (500, FailureKind.SERVER, True),
        (503, FailureKind.SERVER, True),
    ],
)
async def test_http_statuses(
    endpoint: FakeEndpoint, status: int, kind: FailureKind, retryable: bool
) -> None:
    """The status decides: the client's mistakes fail at once, the server's are retried."""
    endpoint.status = status
    endpoint.body = {"error": {"message": "model 'm' does not exist\n  (try another)"}}
    error = await _fail(endpoint.url)
    assert (error.kind, error.status, error.retryable) == (kind, status, retryable)
    assert str(error) == (f"provider 'openai': HTTP {status} {kind} from {endpoint.url}: "
                          "model 'm' does not exist (try another)")


async def test_a_silent_server_times_out_and_is_retried() -> None:
    """A server that accepts and never answers: the read timeout, retryable."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        error = await _fail(f"http://127.0.0.1:{port}/v1", timeout_s=0.5)
    assert error.kind is FailureKind.TIMEOUT and error.retryable
    assert "timed out at" in str(error)


def test_a_bug_is_not_classified() -> None:
    """An exception from our own code is no transport failure: it keeps its traceback."""
    assert classify(KeyError("choices")) is None
    assert classify(TypeError("bad")) is None


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://api.openai.com/v1", "https://api.openai.com/v1"),
        ("http://user:pw@10.0.0.5:8080/v1", "http://10.0.0.5:8080/v1"),
        ("https://gw.example/v1?api-version=2024-10&api_key=sk-1",
         "https://gw.example/v1?api-version=2024-10&api_key=<redacted>"),
        ("http://[::1]:9/v1#frag", "http://[::1]:9/v1"),
    ],
)
def test_urls_in_errors_carry_no_secrets(url: str, shown: str) -> None:
    """No userinfo, no key-like query value, no fragment."""
    assert public_url(url) == shown


async def test_an_error_names_the_url_without_its_password() -> None:
    port = _closed_port()
    error = await _fail(f"http://bob:hunter2@127.0.0.1:{port}/v1")
    assert "hunter2" not in str(error) and "bob" not in str(error)
    assert error.url == f"http://127.0.0.1:{port}/v1"
