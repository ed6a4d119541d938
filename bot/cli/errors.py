"""The one place where domain errors become CLI messages and exit codes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from sqlalchemy.exc import InterfaceError, OperationalError

from qualification.errors import BatonError, ConfigError, NotFound
from storage.db import describe_database_error

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
    except (OperationalError, InterfaceError) as exc:
        # The database cannot be reached or used (down, wrong URL, disk full): say which error,
        # never the statement's parameters, and what to check.
        typer.echo(
            f"error: the database cannot be used: {describe_database_error(exc)}\n"
            "Check BATON_DATABASE_URL and that the database server is running.",
            err=True,
        )
        raise SystemExit(EXIT_ERROR) from exc
