"""Plivo credentials: an auth_id that is safe to put in URL paths, and a token that never prints."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from bulkops.client.errors import CredentialsError, MissingCredentialsError

AUTH_ID_PATTERN: Final = re.compile(r"(MA|SA)[A-Z0-9]{18}")
ENV_AUTH_ID: Final = "PLIVO_AUTH_ID"
ENV_AUTH_TOKEN: Final = "PLIVO_AUTH_TOKEN"  # noqa: S105 (a variable name, not a secret)


@dataclass(frozen=True, slots=True)
class Credentials:
    """A Plivo auth_id (main account MA… or subaccount SA…) and its auth token."""

    auth_id: str
    auth_token: str = field(repr=False)

    def __post_init__(self) -> None:
        # Never echo the value: someone who swapped the two variables would print their token.
        if not isinstance(self.auth_id, str) or not AUTH_ID_PATTERN.fullmatch(self.auth_id):
            length = len(self.auth_id) if isinstance(self.auth_id, str) else 0
            raise CredentialsError(
                f"{ENV_AUTH_ID} is not a Plivo auth_id: expected MA or SA followed by 18 "
                f"uppercase letters or digits (20 characters), got {length} characters"
            )
        if not isinstance(self.auth_token, str) or not self.auth_token.strip():
            raise CredentialsError(f"{ENV_AUTH_TOKEN} is empty")

    def __repr__(self) -> str:
        return f"Credentials(auth_id={self.auth_id!r}, auth_token='***')"

    __str__ = __repr__

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Credentials:
        """Read PLIVO_AUTH_ID and PLIVO_AUTH_TOKEN from `environ` (default: the process env)."""
        env = os.environ if environ is None else environ
        auth_id = env.get(ENV_AUTH_ID, "").strip()
        auth_token = env.get(ENV_AUTH_TOKEN, "").strip()
        missing = [
            name
            for name, value in ((ENV_AUTH_ID, auth_id), (ENV_AUTH_TOKEN, auth_token))
            if not value
        ]
        if missing:
            raise MissingCredentialsError(
                f"Plivo credentials are not set: export {ENV_AUTH_ID} and {ENV_AUTH_TOKEN} "
                f"(missing: {', '.join(missing)})"
            )
        return cls(auth_id=auth_id, auth_token=auth_token)
