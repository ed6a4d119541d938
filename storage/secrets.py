"""Secrets encrypted at rest (webhook signing secrets; Slack tokens can use it too).

Fernet (AES-128-CBC with HMAC-SHA256, from the `cryptography` package) with the key in
BATON_ENCRYPTION_KEY. Several comma-separated keys rotate it: the first encrypts, any of them
decrypts, so old rows stay readable until they are encrypted again with the new key.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from qualification.errors import ConfigError

ENV_VAR = "BATON_ENCRYPTION_KEY"
GENERATE_COMMAND = (
    "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
)


class EncryptionKeyError(ConfigError):
    """BATON_ENCRYPTION_KEY is missing or malformed, or does not open a stored secret."""

    def __init__(self, message: str) -> None:
        super().__init__(file="environment", line=None, field=ENV_VAR, message=message)


def generate_key() -> str:
    """A new random key in the form BATON_ENCRYPTION_KEY takes."""
    return Fernet.generate_key().decode()


def parse_keys(value: str) -> list[Fernet]:
    """The Fernet keys in a BATON_ENCRYPTION_KEY value; EncryptionKeyError naming the problem."""
    keys = [part.strip() for part in value.split(",") if part.strip()]
    if not keys:
        raise EncryptionKeyError(f"is empty; generate a key with `{GENERATE_COMMAND}`")
    try:
        return [Fernet(key.encode()) for key in keys]
    except ValueError as exc:
        # Fernet's message says what is wrong with the key without echoing it.
        raise EncryptionKeyError(
            f"is not a valid key ({exc}); generate one with `{GENERATE_COMMAND}`"
        ) from None


class SecretBox:
    """Encrypts secrets before they are stored and decrypts them when they are used."""

    def __init__(self, key: str | None) -> None:
        if key is None:
            raise EncryptionKeyError(
                "is not set, and secrets are stored encrypted with it; generate a key with "
                f"`{GENERATE_COMMAND}` and set it in the environment of every Baton process"
            )
        self._fernet = MultiFernet(parse_keys(key))

    def encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise EncryptionKeyError(
                "does not decrypt a stored secret: the key was changed without keeping the old"
                " one (list the new key first, then the old, separated by a comma)"
            ) from None
