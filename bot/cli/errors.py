"""The one place where domain errors become CLI messages and exit codes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer

from qualification.errors import BatonError, ConfigError, NotFound

EXIT_ERROR = 1
EXIT_CONFIG = 2
EXIT_NOT_FOUND = 3


@contextmanager
def report_errors() -> Iterator[None]:
    """Print a Baton error as one clear line on stderr and exit non-zero."""
    try:
        yield
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(EXIT_CONFIG) from exc
    except NotFound as exc:
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(EXIT_NOT_FOUND) from exc
    except BatonError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(EXIT_ERROR) from exc
