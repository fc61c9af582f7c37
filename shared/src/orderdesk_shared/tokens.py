"""Signing tokens where OrderDesk is its own identity provider: the local stack, its tests, demo and bench.

The local stack keeps an ES256 key pair in its run directory: the private key signs, the public key is
published as a JWKS file the services verify against, as they verify a real provider's tokens in production.
"""

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from orderdesk_shared.auth import LOCAL_ISSUER, Role

ALGORITHM = "ES256"
PRIVATE_KEY_FILE = "signing-key.pem"
JWKS_FILE = "jwks.json"
ISSUER_FILE = "issuer.json"


@dataclass(frozen=True)
class TokenSigner:
    """Mints tokens as the local identity provider: for every audience it serves unless told otherwise."""

    private_key_pem: bytes
    key_id: str
    issuer: str
    audiences: tuple[str, ...]
    directory: Path

    @property
    def jwks_url(self) -> str:
        """Where services read the public key: ORDERDESK_JWKS_URL of the local stack."""
        return (self.directory / JWKS_FILE).resolve().as_uri()

    def mint(
        self,
        subject: str,
        roles: Sequence[Role],
        *,
        audience: str | Sequence[str] | None = None,
        ttl: timedelta = timedelta(hours=8),
    ) -> str:
        now = datetime.now(UTC)
        claims = {
            "iss": self.issuer,
            "sub": subject,
            "aud": list(self.audiences) if audience is None else audience,
            "roles": [str(role) for role in roles],
            "iat": now,
            "exp": now + ttl,
        }
        return jwt.encode(claims, self.private_key_pem, algorithm=ALGORITHM, headers={"kid": self.key_id})

    def bearer(self, subject: str, *roles: Role) -> dict[str, str]:
        """An Authorization header for `subject` in `roles`."""
        return {"Authorization": f"Bearer {self.mint(subject, roles)}"}

    @classmethod
    def load(cls, directory: Path) -> "TokenSigner":
        """The signer whose keys `create` wrote to `directory`."""
        described = json.loads((directory / ISSUER_FILE).read_text())
        return cls(
            private_key_pem=(directory / PRIVATE_KEY_FILE).read_bytes(),
            key_id=described["keyId"],
            issuer=described["issuer"],
            audiences=tuple(described["audiences"]),
            directory=directory,
        )

    @classmethod
    def create(cls, directory: Path, *, audiences: Sequence[str], issuer: str = LOCAL_ISSUER) -> "TokenSigner":
        """A signer with a key pair kept in `directory`: made there once, the same one after that."""
        if not (directory / ISSUER_FILE).exists():
            _write_key_pair(directory, audiences=audiences, issuer=issuer)
        return cls.load(directory)


def _write_key_pair(directory: Path, *, audiences: Sequence[str], issuer: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    private_key = ec.generate_private_key(ec.SECP256R1())
    key_id = secrets.token_hex(8)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    key_file = directory / PRIVATE_KEY_FILE
    key_file.touch(mode=0o600)
    key_file.write_bytes(pem)
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private_key.public_key()))
    jwks = {"keys": [public | {"kid": key_id, "use": "sig", "alg": ALGORITHM}]}
    (directory / JWKS_FILE).write_text(json.dumps(jwks, indent=2))
    # Written last: its presence says the key pair is complete.
    (directory / ISSUER_FILE).write_text(
        json.dumps({"issuer": issuer, "keyId": key_id, "audiences": list(audiences)}, indent=2)
    )
