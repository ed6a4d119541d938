"""The benchmarks import and parse their arguments (they start no server here)."""

from __future__ import annotations

import pytest

from bench import baseline_app, chat, load, memory, report, run, servers, slack, widget


def test_all_benchmarks_parse_with_their_defaults() -> None:
    args = run.parser().parse_args(["all"])
    assert (args.concurrency, args.leads, args.events, args.postgres) == (50, 10_000, 100_000, None)
    assert set(run.RUNNERS) == set(run.BENCHMARKS)


def test_an_unknown_benchmark_is_refused() -> None:
    with pytest.raises(SystemExit):
        run.parser().parse_args(["nonsense"])


def test_visitors_get_distinct_loopback_addresses() -> None:
    addresses = {load.client_address(n) for n in range(20_000)}
    assert len(addresses) == 20_000
    assert all(a.startswith("127.") for a in addresses)


def test_percentiles_and_table() -> None:
    assert report.percentile([float(n) for n in range(1, 101)], 99) == 99.0
    text = report.table([report.Figure("x", "1 ms", goal="<= 2 ms", ratio=0.5, met=True)])
    assert "| x " in text and "met" in text and "0.50" in text


def test_modules_used_by_the_runners_load() -> None:
    assert baseline_app.create and chat.compare and memory.measure and slack.compare
    assert widget.measure and servers.baton_argv(8000, 2)[-1] == "2"


def test_the_baseline_tables_stay_out_of_batons_schema() -> None:
    from sqlmodel import SQLModel

    assert not {"benchcounter", "benchmessage"} & set(SQLModel.metadata.tables)
    assert set(baseline_app.BenchModel.metadata.tables) == {"benchcounter", "benchmessage"}
