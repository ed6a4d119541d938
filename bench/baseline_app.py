"""The chat-turn baseline: a minimal FastAPI + SQLModel endpoint doing one SELECT, one UPDATE
and one INSERT in one transaction, on the same database engine settings as Baton.

Run by uvicorn exactly as `baton serve` runs Baton, with the same thread pool size:
`BENCH_BASELINE_DATABASE_URL=… uvicorn bench.baseline_app:served --factory`.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.orm import registry
from sqlmodel import Field, Session, SQLModel, select

from bot.cli.serve import THREADS, ThreadPoolSize
from storage.db import create_db_engine

ROWS = 10_000


class BenchModel(SQLModel, registry=registry()):
    """The baseline's own tables: a registry apart from Baton's, so importing this module never
    adds tables to Baton's schema (migrations, the test suite's clean-up)."""


class BenchCounter(BenchModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True, unique=True, max_length=40)
    turns: int = 0
    updated_at: datetime | None = None


class BenchMessage(BenchModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    counter_id: int = Field(foreign_key="benchcounter.id", index=True)
    text: str = Field(max_length=2000)
    created_at: datetime


class TurnIn(BaseModel):
    text: str


class TurnOut(BaseModel):
    key: str
    turns: int


def prepare(database_url: str) -> None:
    """Create the tables and the rows the endpoint updates (before any worker starts)."""
    engine = create_db_engine(database_url)
    BenchModel.metadata.create_all(engine)
    with Session(engine) as session:
        if session.exec(select(BenchCounter).limit(1)).first() is None:
            session.add_all(BenchCounter(key=f"k{n}") for n in range(ROWS))
            session.commit()
    engine.dispose()


def create(engine: Engine | None = None) -> FastAPI:
    engine = engine or create_db_engine(os.environ["BENCH_BASELINE_DATABASE_URL"])
    app = FastAPI(title="baseline")

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/turn/{key}")
    def turn(key: str, body: TurnIn) -> TurnOut:
        now = datetime.now(UTC)
        with Session(engine) as session:
            counter = session.exec(select(BenchCounter).where(BenchCounter.key == key)).first()
            if counter is None:
                raise HTTPException(404, "no such key")
            counter.turns += 1
            counter.updated_at = now
            session.add(counter)
            session.flush()  # the UPDATE
            session.add(BenchMessage(counter_id=counter.id or 0, text=body.text, created_at=now))
            session.commit()  # the INSERT, then COMMIT
            return TurnOut(key=key, turns=counter.turns)

    return app


def served() -> ThreadPoolSize:
    """Factory for uvicorn: the app with the thread pool `baton serve` gives Baton."""
    return ThreadPoolSize(create(), THREADS)
