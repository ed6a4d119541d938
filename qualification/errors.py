"""Domain errors. Channels map them to HTTP codes and Slack messages in one place each."""

from __future__ import annotations


class BatonError(Exception):
    """Base class for every error Baton reports to a user."""


class IllegalStageChange(BatonError):
    """A lifecycle move that the stage machine does not allow; nothing was changed."""

    def __init__(self, *, current: str, event: str, detail: str = "") -> None:
        self.current = current
        self.event = event
        self.detail = detail
        message = f"cannot {event.replace('_', ' ')} a lead in stage '{current}'"
        super().__init__(f"{message}: {detail}" if detail else message)


class ConfigError(BatonError):
    """A malformed configuration file (flow or rules). Names the file, line and field."""

    def __init__(self, *, file: str, line: int | None, field: str, message: str) -> None:
        self.file = file
        self.line = line
        self.field = field
        self.message = message
        where = f"{file}:{line}" if line is not None else file
        super().__init__(f"{where}: {field}: {message}")


class FlowConfigError(ConfigError):
    """A malformed flow definition."""


class RulesConfigError(ConfigError):
    """A malformed scoring rules file."""


class NotFound(BatonError):
    """A lead, conversation or user that does not exist."""


class ConcurrentTurn(BatonError):
    """Another turn changed the conversation first; this one was not applied."""


class InvalidInput(BatonError):
    """Input that cannot be accepted (empty, too long, undecodable)."""


class AuthError(BatonError):
    """Credentials that are missing, malformed or unknown (for example an API key)."""


class PermissionDenied(BatonError):
    """The actor may not do this (for example: only managers approve handoffs)."""


class AlreadyExists(BatonError):
    """A unique thing (a lead's or user's email) that is already taken."""


class HandoffAlreadyDecided(BatonError):
    """Another manager decided this handoff request first; this decision was not applied."""

    def __init__(self, *, request_id: int, status: str, decided_by: str, decided_at: str) -> None:
        self.request_id = request_id
        self.status = status
        self.decided_by = decided_by
        self.decided_at = decided_at
        super().__init__(
            f"handoff request #{request_id} was already {status} by {decided_by} at {decided_at}"
        )


class AlreadyClaimed(BatonError):
    """Someone else owns the lead already (they claimed it first); this claim was not applied."""

    def __init__(self, *, lead_id: int, owner: str) -> None:
        self.lead_id = lead_id
        self.owner = owner
        super().__init__(f"lead #{lead_id} was already claimed by {owner}")
