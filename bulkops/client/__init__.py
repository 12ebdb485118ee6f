"""The Plivo client: Number, Application and Subaccount calls as typed coroutines, typed errors.

Imports only `bulkops.numbers` and `bulkops.errors`; aiohttp never leaves this package.

async with PlivoClient(Credentials.from_env(), pace=limiter.wait) as client:
    async for record in client.iter_numbers({"type": "local"}):
        ...
"""

from bulkops.client.client import DEFAULT_API_URL, PlivoClient
from bulkops.client.credentials import Credentials
from bulkops.client.errors import (
    ApiUrlError,
    AuthenticationError,
    CredentialsError,
    InvalidRequestError,
    MissingCredentialsError,
    NotFoundError,
    PlivoError,
    RateLimitedError,
    ServerError,
    TransportError,
)
from bulkops.client.pages import (
    MAX_PAGE_SIZE,
    Listing,
    ListingChanged,
    ListingStats,
    NumberPage,
    PageAttempt,
)
from bulkops.client.transport import Pace

__all__ = [
    "DEFAULT_API_URL",
    "MAX_PAGE_SIZE",
    "ApiUrlError",
    "AuthenticationError",
    "Credentials",
    "CredentialsError",
    "InvalidRequestError",
    "Listing",
    "ListingChanged",
    "ListingStats",
    "MissingCredentialsError",
    "NotFoundError",
    "NumberPage",
    "Pace",
    "PageAttempt",
    "PlivoClient",
    "PlivoError",
    "RateLimitedError",
    "ServerError",
    "TransportError",
]
