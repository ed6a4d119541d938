"""The flow diagram's layout: every step and way on, labelled, nothing drawn over anything."""

from __future__ import annotations

import itertools

from dialogs.flow import default_flow, parse_flow
from dialogs.flow_graph import (
    END_KEY,
    LABEL_HEIGHT,
    LABEL_MAX,
    START_KEY,
    Box,
    EdgeKind,
    FlowGraph,
    NodeKind,
    flow_order,
    label_width,
    layout_flow,
)
from dialogs.schema import END, Flow

CLOSING = """\
closing:
  handoff: Bye.
  nurture: Bye.
  disqualify: Bye.
  human: Bye.
"""

# Several branches per step, branches to the end, a step that jumps ahead, and a step listed
# before the step that leads to it (file order: intro, wrap_up, plan, size, budget).
BRANCHY = (
    """\
id: branchy
version: "2"
title: Branchy
greeting: Hi.
"""
    + CLOSING
    + """\
steps:
  - id: intro
    kind: choice
    question: What brings you here?
    choices: [buy, browse, support]
    next: plan
    branches:
      - when: {answer_is: support}
        goto: end
      - when: {answer_is: browse}
        goto: wrap_up
      - when: {answer_is: a very long answer value that will not fit beside the line}
        goto: budget
  - id: wrap_up
    kind: text
    question: Anything else?
    next: end
  - id: plan
    kind: choice
    question: Which plan?
    choices: [small, large]
    next: size
    branches:
      - when: {answer_is: small}
        goto: budget
      - when: is_unknown
        goto: end
  - id: size
    field: employee_count
    kind: number
    question: How many people?
    next: budget
  - id: budget
    dimension: budget
    kind: money
    question: Budget?
    next: wrap_up
    branches:
      - when: no_budget
        goto: end
"""
)


def branchy() -> Flow:
    return parse_flow(BRANCHY, file="branchy.yaml")


def _key(target: str) -> str:
    return END_KEY if target == END else target


def _expected_edges(flow: Flow) -> list[tuple[str, str, EdgeKind, str | None]]:
    edges: list[tuple[str, str, EdgeKind, str | None]] = [
        (START_KEY, flow.first_step.id, EdgeKind.START, None)
    ]
    for step in flow.steps:
        for branch in step.branches:
            edges.append((step.id, _key(branch.goto), EdgeKind.BRANCH, branch.describe()))
        edges.append((step.id, _key(step.next), EdgeKind.NEXT, None))
    return edges


def _label_boxes(graph: FlowGraph) -> list[Box]:
    return [
        Box(e.label_at.x, e.label_at.y - LABEL_HEIGHT, label_width(e.label), LABEL_HEIGHT)
        for e in graph.edges
        if e.label is not None and e.label_at is not None
    ]


def _assert_drawn_cleanly(graph: FlowGraph) -> None:
    boxes = [node.box for node in graph.nodes]
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b), (a, b)
    labels = _label_boxes(graph)
    for label in labels:
        assert 0 <= label.x and label.right <= graph.width, label
        assert not any(label.overlaps(box) for box in boxes), label
    for a, b in itertools.combinations(labels, 2):
        assert not a.overlaps(b), (a, b)
    for box in boxes:
        assert 0 < box.x and box.right < graph.width and 0 < box.y and box.bottom < graph.height
    column_right = max(box.right for box in boxes)
    for edge in graph.edges:
        source, target = graph.node(edge.source).box, graph.node(edge.target).box
        first, last = edge.points[0], edge.points[-1]
        assert all(0 <= p.x <= graph.width and 0 <= p.y <= graph.height for p in edge.points)
        if edge.lane is None:  # straight down into the node right below
            assert (first.x, first.y) == (source.center_x, source.bottom)
            assert (last.x, last.y) == (target.center_x, target.y)
            assert target.y > source.bottom
        else:  # out on the right, down a lane beside every node, in on the right
            assert first.x == source.right and source.y < first.y < source.bottom
            assert last.x == target.right and target.y < last.y < target.bottom
            lane_x, top, bottom = edge.points[1].x, edge.points[1].y, edge.points[2].y
            top, bottom = min(top, bottom), max(top, bottom)
            assert lane_x > column_right
            for label in labels:  # no lane runs through a label
                assert not (label.x <= lane_x <= label.right and top <= label.bottom
                            and label.y <= bottom)  # fmt: skip
        # Every segment is horizontal or vertical.
        for p, q in itertools.pairwise(edge.points):
            assert p.x == q.x or p.y == q.y
    # Edges that share a lane never share a row.
    rows = {node.key: i for i, node in enumerate(graph.nodes)}
    side = [e for e in graph.edges if e.lane is not None]
    for one, other in itertools.combinations(side, 2):
        if one.lane == other.lane:
            span_a = sorted((rows[one.source], rows[one.target]))
            span_b = sorted((rows[other.source], rows[other.target]))
            assert span_a[1] < span_b[0] or span_b[1] < span_a[0], (one, other)
    # Ports on one node's side are at distinct heights.
    for node in graph.nodes:
        ys = [e.points[0].y for e in side if e.source == node.key]
        ys += [e.points[-1].y for e in side if e.target == node.key]
        assert len(ys) == len(set(ys)), node.key


def test_default_flow_has_every_step_and_every_way_on() -> None:
    flow = default_flow()
    graph = layout_flow(flow)
    assert [n.key for n in graph.nodes] == [START_KEY, *flow.step_ids, END_KEY]
    assert [n.kind for n in graph.nodes] == [
        NodeKind.START,
        *[NodeKind.STEP] * len(flow.steps),
        NodeKind.END,
    ]
    assert graph.node("budget").lines == ("budget", "budget · money", "skipped when known")
    assert graph.node("email").lines[1] == "field email · email"
    assert graph.node("decision_maker").note == flow.step("decision_maker").question
    assert graph.node(START_KEY).lines[1] == "BANT qualification"
    assert [(e.source, e.target, e.kind, e.condition) for e in graph.edges] == _expected_edges(flow)
    authority = {e.target: e for e in graph.edges if e.source == "authority"}
    assert authority["decision_maker"].label == "not_decision_maker"
    assert authority["timeline"].label == "otherwise"
    assert authority["timeline"].lane == 0  # jumps two steps: beside the column
    assert all(e.label is None for e in graph.edges if e.source == "name")
    _assert_drawn_cleanly(graph)


def test_steps_top_to_bottom_in_flow_order() -> None:
    flow = default_flow()
    graph = layout_flow(flow)
    tops = [graph.node(step_id).box.y for step_id in flow.step_ids]
    assert tops == sorted(tops)
    assert graph.node(START_KEY).box.y < tops[0] < tops[-1] < graph.node(END_KEY).box.y


def test_branches_labelled_routed_beside_the_column_and_never_upwards() -> None:
    flow = branchy()
    graph = layout_flow(flow)
    # wrap_up is listed second but comes after every step leading to it.
    assert [n.key for n in graph.nodes] == [
        START_KEY, "intro", "plan", "size", "budget", "wrap_up", END_KEY,
    ]  # fmt: skip
    assert [(e.source, e.target, e.kind, e.condition) for e in graph.edges] == _expected_edges(flow)
    rows = {node.key: i for i, node in enumerate(graph.nodes)}
    assert all(rows[e.target] > rows[e.source] for e in graph.edges)
    labels = {(e.source, e.target): e.label for e in graph.edges}
    assert labels[("intro", END_KEY)] == "answer_is: support"
    assert labels[("intro", "wrap_up")] == "answer_is: browse"
    assert labels[("intro", "plan")] == "otherwise"
    assert labels[("plan", END_KEY)] == "is_unknown"
    assert labels[("budget", END_KEY)] == "no_budget"
    assert labels[("size", "budget")] is None
    long = next(e for e in graph.edges if e.source == "intro" and e.target == "budget")
    assert long.condition == (
        "answer_is: a very long answer value that will not fit beside the line"
    )
    assert long.label is not None and len(long.label) == LABEL_MAX and long.label.endswith("…")
    side = [e for e in graph.edges if e.lane is not None]
    assert len({e.lane for e in side}) >= 3  # overlapping jumps get lanes of their own
    _assert_drawn_cleanly(graph)


def test_layout_is_deterministic() -> None:
    for flow in (default_flow(), branchy()):
        assert layout_flow(flow) == layout_flow(flow)
    # The same flow loaded twice (a new object) lays out the same.
    assert layout_flow(branchy()) == layout_flow(parse_flow(BRANCHY, file="other.yaml"))


def test_flow_order_keeps_file_order_when_it_already_points_down() -> None:
    assert [s.id for s in flow_order(default_flow())] == list(default_flow().step_ids)
    assert [s.id for s in flow_order(branchy())] == ["intro", "plan", "size", "budget", "wrap_up"]


def test_single_step_flow() -> None:
    flow = parse_flow(
        "id: tiny\nversion: '1'\ngreeting: Hi.\n"
        + CLOSING
        + "steps:\n  - id: only\n    kind: text\n    question: Say something.\n",
        file="tiny.yaml",
    )
    graph = layout_flow(flow)
    assert [n.key for n in graph.nodes] == [START_KEY, "only", END_KEY]
    assert [(e.source, e.target, e.lane) for e in graph.edges] == [
        (START_KEY, "only", None),
        ("only", END_KEY, None),
    ]
    _assert_drawn_cleanly(graph)
