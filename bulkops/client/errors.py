"""Typed errors of the Plivo client, and the one function that maps HTTP outcomes onto them.

Everything the client raises after a request was attempted is a PlivoError::

    PlivoError                   .status .method .path .message
    ├── AuthenticationError      401, 403: wrong PLIVO_AUTH_ID / PLIVO_AUTH_TOKEN, or no permission
    ├── NotFoundError            404: the number, application or subaccount does not exist
    ├── InvalidRequestError      400 and every other 4xx: Plivo refused the request as written
    ├── RateLimitedError         429: too many requests; .retry_after seconds if Plivo said so
    ├── ServerError              5xx: Plivo failed; usually worth retrying
    └── TransportError           no usable answer: refused, reset or dropped connection,
                                 timeout, a redirect, or a body that is not the expected JSON

PlivoError is a `bulkops.errors.Failed` (exit 1). Raised before any request, for input that must
not reach a URL (both `bulkops.errors.InvalidInput`, exit 2):

    CredentialsError             PLIVO_AUTH_ID / PLIVO_AUTH_TOKEN malformed
    └── MissingCredentialsError  … or not set
    ApiUrlError                  PLIVO_API_URL is not a plain http(s) URL

`error_for` is the single place where a status code or an aiohttp exception becomes one of these;
aiohttp's own exceptions never leave the client package. Messages never contain the auth token.
"""

from __future__ import annotations

import json
import math
from typing import Final

import aiohttp

from bulkops.errors import ConfigError, Failed, InvalidInput

_MAX_DETAIL: Final = 300
_CREDENTIALS_HINT: Final = "check PLIVO_AUTH_ID and PLIVO_AUTH_TOKEN"


class CredentialsError(InvalidInput):
    """PLIVO_AUTH_ID / PLIVO_AUTH_TOKEN are not usable as given (checked before any request)."""


class MissingCredentialsError(CredentialsError):
    """PLIVO_AUTH_ID or PLIVO_AUTH_TOKEN is not set."""


class ApiUrlError(ConfigError):
    """PLIVO_API_URL (or a base URL) that is not a plain http(s) URL without credentials."""


class PlivoError(Failed):
    """A request to Plivo that did not succeed; `str()` is a sentence for a human."""

    def __init__(
        self, text: str, *, status: int | None, method: str, path: str, message: str
    ) -> None:
        super().__init__(text)
        self.status = status
        self.method = method
        self.path = path
        self.message = message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, method={self.method!r}, "
            f"path={self.path!r}, message={self.message!r})"
        )


class AuthenticationError(PlivoError):
    """401 or 403: the credentials are wrong or may not do this."""


class NotFoundError(PlivoError):
    """404: the resource does not exist (or no longer does)."""


class InvalidRequestError(PlivoError):
    """400 or another 4xx: `.message` is Plivo's `error` text."""


class RateLimitedError(PlivoError):
    """429: Plivo is throttling the account; `.retry_after` is its hint in seconds, if any."""

    def __init__(
        self,
        text: str,
        *,
        status: int | None,
        method: str,
        path: str,
        message: str,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(text, status=status, method=method, path=path, message=message)
        self.retry_after = retry_after


class ServerError(PlivoError):
    """5xx: Plivo failed to handle the request."""


class TransportError(PlivoError):
    """No usable HTTP answer: connection trouble, a timeout or an unreadable body."""


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header ("2", "0.5"); None for absent, dates or garbage."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds


def error_for(
    method: str,
    path: str,
    *,
    status: int | None = None,
    body: bytes = b"",
    retry_after: str | None = None,
    cause: BaseException | None = None,
    secret: str | tuple[str, ...] = "",
) -> PlivoError:
    """The PlivoError for a failed request.

    Pass `status` (and `body`, `retry_after`) for an HTTP answer that is an error, or `cause` for
    an exception raised while talking to the server (with the 2xx `status` if the body was
    unreadable). `secret` is scrubbed from any text taken from the server.
    """
    if cause is not None or status is None or not 400 <= status < 600:
        return _transport_error(method, path, status, cause)
    where = f"{method} {path}"
    said = _scrub(_plivo_message(body), secret)
    if status == 429:
        seconds = parse_retry_after(retry_after)
        wait = f"; retry after {seconds:g}s" if seconds is not None else ""
        return RateLimitedError(
            f"rate limited by Plivo (HTTP 429) on {where}{wait}",
            status=status,
            method=method,
            path=path,
            message=said or "too many requests",
            retry_after=seconds,
        )
    kind, text, message = _status_error(status, where, said)
    return kind(text, status=status, method=method, path=path, message=message)


def _status_error(status: int, where: str, said: str) -> tuple[type[PlivoError], str, str]:
    """(class, human sentence, .message) for an HTTP error status other than 429."""
    if status == 401:
        message = said or "authentication failed"
        return (
            AuthenticationError,
            f"authentication failed (HTTP 401): {_CREDENTIALS_HINT}",
            message,
        )
    if status == 403:
        message = said or "access denied"
        text = f"access denied (HTTP 403) on {where}: {message}; {_CREDENTIALS_HINT}"
        return AuthenticationError, text, message
    if status == 404:
        return NotFoundError, f"not found (HTTP 404): {where}", said or "not found"
    if status < 500:
        message = said or "the request was refused"
        return (
            InvalidRequestError,
            f"request refused (HTTP {status}) on {where}: {message}",
            message,
        )
    message = said or "server error"
    return ServerError, f"Plivo server error (HTTP {status}) on {where}: {message}", message


def _transport_error(
    method: str, path: str, status: int | None, cause: BaseException | None
) -> TransportError:
    detail = _describe_cause(cause) if cause is not None else f"unexpected HTTP {status}"
    if status is None:
        text = f"network error on {method} {path}: {detail}"
    else:
        text = f"unusable response (HTTP {status}) to {method} {path}: {detail}"
    return TransportError(text, status=status, method=method, path=path, message=detail)


def _plivo_message(body: bytes) -> str:
    """Plivo's `error` text from an error body; "" if the body is empty or not Plivo's shape."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return ""
    if not isinstance(parsed, dict):
        return ""
    said = parsed.get("error") or parsed.get("message")
    if said is None:
        return ""
    # Validation errors sometimes carry a dict or list of field problems, not a sentence.
    text = said if isinstance(said, str) else json.dumps(said, separators=(",", ":"))
    return text[:_MAX_DETAIL]


def _scrub(text: str, secret: str | tuple[str, ...]) -> str:
    # A server that echoes request headers must not smuggle the token into our messages,
    # neither as itself nor inside the Basic auth header (base64 of "auth_id:token").
    for value in (secret,) if isinstance(secret, str) else secret:
        if value and value in text:
            text = text.replace(value, "***")
    return text


def _describe_cause(cause: BaseException) -> str:
    """A short, token-free phrase for what went wrong on the wire."""
    if isinstance(cause, TimeoutError):
        return "timed out waiting for the server"
    if isinstance(cause, aiohttp.ClientConnectorError):
        reason = cause.os_error.strerror or type(cause.os_error).__name__
        return f"cannot connect to {cause.host}:{cause.port} ({reason})"
    if isinstance(cause, aiohttp.ServerDisconnectedError):
        return "the server closed the connection without answering"
    if isinstance(cause, aiohttp.ClientPayloadError):
        return "the response body was cut short"
    if isinstance(cause, OSError):
        return f"connection failed ({cause.strerror or type(cause).__name__})"
    if isinstance(cause, aiohttp.ClientError):
        return f"HTTP client error ({type(cause).__name__})"
    if isinstance(cause, ValueError):
        return f"the response is not the expected JSON ({cause})"
    return type(cause).__name__
