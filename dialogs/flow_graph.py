"""A flow as a laid-out graph, for drawing it without a browser-side library.

Nodes are a start node, one node per step and an end node (the recommendation), stacked in
one column in flow order (file order, moved only where a step points back up). An edge to
the node right below runs straight down; every other edge (a branch, a `next` that jumps
ahead) leaves its step on the right, runs down a lane of its own beside the column and enters
its target from the right. Lanes are shared only by edges whose rows do not overlap, shorter
edges run inside longer ones, and labels sit in a strip between the column and the lanes, so
nothing is drawn over a label.
All coordinates are whole numbers; the same flow always gives the same layout.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from enum import StrEnum

from dialogs.schema import END, Flow, Step

START_KEY = ":start"  # step ids are [a-z0-9_], so these can never clash with one
END_KEY = ":end"

NODE_WIDTH = 260
NODE_HEIGHT = 58  # three lines of text
PORT_GAP = 20  # vertical distance between two edges entering or leaving a node's side
ROW_GAP = 40
MARGIN = 16
LANE_GAP = 14
LABEL_PAD = 8
LABEL_CHAR_WIDTH = 7  # an edge label's estimated width per character (11px sans-serif)
LABEL_HEIGHT = 13
LABEL_MAX = 36  # characters shown of a label; the full condition goes in the tooltip
NODE_TEXT_MAX = 34  # characters that fit in a node's line


class NodeKind(StrEnum):
    START = "start"
    STEP = "step"
    END = "end"


class EdgeKind(StrEnum):
    START = "start"  # from the start node to the first step
    NEXT = "next"  # a step's default way on
    BRANCH = "branch"  # taken when the branch's condition holds


@dataclass(frozen=True)
class Point:
    x: int
    y: int


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    width: int
    height: int

    @property
    def right(self) -> int:
        return self.x + self.width

    @property
    def bottom(self) -> int:
        return self.y + self.height

    @property
    def center_x(self) -> int:
        return self.x + self.width // 2

    def overlaps(self, other: Box) -> bool:
        return (
            self.x < other.right
            and other.x < self.right
            and self.y < other.bottom
            and other.y < self.bottom
        )


@dataclass(frozen=True)
class GraphNode:
    key: str  # START_KEY, END_KEY or the step id
    kind: NodeKind
    lines: tuple[str, ...]  # first line is the heading
    note: str  # longer text for a tooltip (a step's question)
    box: Box
    step_id: str | None = None


@dataclass(frozen=True)
class GraphEdge:
    source: str
    target: str
    kind: EdgeKind
    condition: str | None  # the branch condition in full ("answer_is: enterprise")
    label: str | None  # what is written beside the edge (shortened)
    points: tuple[Point, ...]  # the route, from source to target (arrow at the end)
    label_at: Point | None  # left end of the label's baseline
    lane: int | None = None  # None: straight down to the next row


@dataclass(frozen=True)
class FlowGraph:
    title: str
    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]
    width: int
    height: int

    def node(self, key: str) -> GraphNode:
        return next(node for node in self.nodes if node.key == key)


def shorten(text: str, limit: int) -> str:
    """`text` on one line, cut to `limit` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def label_width(label: str) -> int:
    return len(label) * LABEL_CHAR_WIDTH


def step_summary(step: Step) -> str:
    """What a step asks for and how its answer is read: "budget · money", "field email · email"."""
    if step.dimension is not None:
        return f"{step.dimension.value} · {step.kind.value}"
    if step.field is not None:
        return f"field {step.field} · {step.kind.value}"
    return step.kind.value


def step_flags(step: Step) -> str:
    flags = []
    if step.skip_if_known:
        flags.append("skipped when known")
    if step.optional:
        flags.append("optional")
    return " · ".join(flags)


def flow_order(flow: Flow) -> tuple[Step, ...]:
    """The steps so that every edge points down: file order, except that a step comes after
    every step leading to it. (A checked flow has no loops; any steps left on one follow in
    file order.)"""
    position = {step.id: i for i, step in enumerate(flow.steps)}
    waiting = {step.id: 0 for step in flow.steps}
    for step in flow.steps:
        for target in set(step.targets()):
            if target in waiting:
                waiting[target] += 1
    ready = [position[sid] for sid, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    ordered: list[Step] = []
    while ready:
        step = flow.steps[heapq.heappop(ready)]
        ordered.append(step)
        for target in set(step.targets()):
            if target in waiting:
                waiting[target] -= 1
                if waiting[target] == 0:
                    heapq.heappush(ready, position[target])
    placed = {step.id for step in ordered}
    ordered.extend(step for step in flow.steps if step.id not in placed)
    return tuple(ordered)


@dataclass
class _Route:
    """An edge while it is being laid out."""

    source: str
    target: str
    kind: EdgeKind
    condition: str | None
    label: str | None
    straight: bool = False
    lane: int = 0


def _routes(flow: Flow) -> list[_Route]:
    routes = [_Route(START_KEY, flow.first_step.id, EdgeKind.START, None, None)]
    for step in flow.steps:
        for branch in step.branches:
            target = END_KEY if branch.goto == END else branch.goto
            condition = branch.describe()
            routes.append(
                _Route(step.id, target, EdgeKind.BRANCH, condition, shorten(condition, LABEL_MAX))
            )
        target = END_KEY if step.next == END else step.next
        routes.append(
            _Route(step.id, target, EdgeKind.NEXT, None, "otherwise" if step.branches else None)
        )
    return routes


def _assign_lanes(routes: list[_Route], row: dict[str, int]) -> int:
    """Straight edges go to the row right below (one per source). The others take, shortest
    first, the innermost lane free over every row they span: an edge spanning rows inside
    another's span then runs inside it, and their lines do not cross. Returns the lane count."""
    straight_from: set[str] = set()
    for route in routes:
        if row[route.target] == row[route.source] + 1 and route.source not in straight_from:
            route.straight = True
            straight_from.add(route.source)
    side = [(sorted((row[r.source], row[r.target])), i, r) for i, r in enumerate(routes)]
    lanes: list[list[tuple[int, int]]] = []  # per lane: the row spans it holds
    for (top, bottom), _, route in sorted(
        (item for item in side if not item[2].straight),
        key=lambda item: (item[0][1] - item[0][0], item[0][0], item[1]),
    ):
        free = next(
            (
                i
                for i, spans in enumerate(lanes)
                if all(bottom < start or end < top for start, end in spans)
            ),
            None,
        )
        if free is None:
            free = len(lanes)
            lanes.append([])
        lanes[free].append((top, bottom))
        route.lane = free
    return len(lanes)


def _ports(routes: list[_Route], key: str) -> list[tuple[_Route, str]]:
    """The side edges of one node, top to bottom, each with "in" or "out": edges coming in
    (inner lanes first), then edges going out (outer lanes first), so none cross at the node."""
    incoming = sorted((r for r in routes if not r.straight and r.target == key), key=_lane)
    outgoing = sorted(
        (r for r in routes if not r.straight and r.source == key), key=_lane, reverse=True
    )
    return [(r, "in") for r in incoming] + [(r, "out") for r in outgoing]


def _lane(route: _Route) -> int:
    return route.lane


def _node_text(flow: Flow, key: str, step: Step | None) -> tuple[NodeKind, tuple[str, ...], str]:
    if key == START_KEY:
        return NodeKind.START, ("Start", flow.title, f"{flow.id} · version {flow.version}"), ""
    if key == END_KEY:
        return NodeKind.END, ("End", "recommend: handoff,", "nurture or disqualify"), ""
    assert step is not None
    return NodeKind.STEP, (step.id, step_summary(step), step_flags(step)), step.question


def layout_flow(flow: Flow) -> FlowGraph:
    """Lay out `flow` as nodes (start, steps, end) and routed, labelled edges."""
    steps = flow_order(flow)
    keys = [START_KEY, *(step.id for step in steps), END_KEY]
    row = {key: i for i, key in enumerate(keys)}
    routes = _routes(flow)
    lanes = _assign_lanes(routes, row)
    ports = {key: _ports(routes, key) for key in keys}

    labels = [r.label for r in routes if r.label is not None]
    label_strip = max((label_width(label) for label in labels), default=0)
    column_x = MARGIN
    column_right = column_x + NODE_WIDTH
    lane_x0 = column_right + (label_strip + 2 * LABEL_PAD if label_strip else 3 * LABEL_PAD)

    by_id = {step.id: step for step in steps}
    nodes: dict[str, GraphNode] = {}
    port_y: dict[tuple[int, str], int] = {}  # (route index, "in"/"out") -> y
    index_of = {id(route): i for i, route in enumerate(routes)}
    y = MARGIN
    for key in keys:
        side = ports[key]
        height = max(NODE_HEIGHT, (len(side) + 1) * PORT_GAP)
        for i, (route, end) in enumerate(side):
            port_y[(index_of[id(route)], end)] = y + (i + 1) * height // (len(side) + 1)
        kind, lines, note = _node_text(flow, key, by_id.get(key))
        box = Box(column_x, y, NODE_WIDTH, height)
        nodes[key] = GraphNode(key, kind, lines, note, box, key if kind is NodeKind.STEP else None)
        y += height + ROW_GAP

    edges: list[GraphEdge] = []
    for i, route in enumerate(routes):
        source, target = nodes[route.source].box, nodes[route.target].box
        if route.straight:
            points: tuple[Point, ...] = (
                Point(source.center_x, source.bottom),
                Point(target.center_x, target.y),
            )
            middle = (source.bottom + target.y) // 2 + LABEL_HEIGHT // 2 - 2
            label_at = Point(source.center_x + LABEL_PAD, middle)
        else:
            lane_x = lane_x0 + route.lane * LANE_GAP
            out_y, in_y = port_y[(i, "out")], port_y[(i, "in")]
            points = (
                Point(source.right, out_y),
                Point(lane_x, out_y),
                Point(lane_x, in_y),
                Point(target.right, in_y),
            )
            label_at = Point(source.right + LABEL_PAD, out_y - 4)
        edges.append(
            GraphEdge(
                source=route.source,
                target=route.target,
                kind=route.kind,
                condition=route.condition,
                label=route.label,
                points=points,
                label_at=label_at if route.label is not None else None,
                lane=None if route.straight else route.lane,
            )
        )
    right = column_right + (LABEL_PAD + label_strip if label_strip else 0)
    if lanes:
        right = lane_x0 + (lanes - 1) * LANE_GAP
    return FlowGraph(
        title=flow.title,
        nodes=tuple(nodes[key] for key in keys),
        edges=tuple(edges),
        width=right + MARGIN,
        height=y - ROW_GAP + MARGIN,
    )
