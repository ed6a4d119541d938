"""What every channel needs at run time, built once from `Settings`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import Session

from bot.settings import Settings
from dialogs.engine import DialogEngine
from dialogs.flow import FlowRegistry, default_flow, load_flow
from dialogs.live_desk import LiveDesk
from qualification.rules import RuleSet, default_rules, load_rules
from storage.db import open_database


@dataclass(frozen=True)
class Runtime:
    """The database engine, the rules, the flows and the dialog engine of one process."""

    settings: Settings
    engine: Engine
    rules: RuleSet
    flows: FlowRegistry
    dialogs: DialogEngine

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)


def load_rules_from(settings: Settings) -> RuleSet:
    return load_rules(settings.rules_file) if settings.rules_file else default_rules()


def load_flows_from(settings: Settings) -> FlowRegistry:
    flows = [default_flow(), *(load_flow(path) for path in settings.flow_files)]
    return FlowRegistry(flows, default_id=settings.default_flow or flows[0].id)


def build_runtime(settings: Settings) -> Runtime:
    """Validate configuration first, then open (and upgrade) the database."""
    rules = load_rules_from(settings)
    flows = load_flows_from(settings)
    engine = open_database(settings.database_url, auto_upgrade=settings.auto_upgrade)
    desk = LiveDesk(
        enabled=settings.live_chat_enabled,
        hours=settings.business_hours,
        answer_seconds=settings.live_chat_answer_seconds,
    )
    dialogs = DialogEngine(flows=flows, rules=rules, clock=lambda: datetime.now(UTC), desk=desk)
    return Runtime(settings=settings, engine=engine, rules=rules, flows=flows, dialogs=dialogs)
