"""A flow's diagram as inline SVG, drawn on the server from `dialogs.flow_graph.layout_flow`.

No script and no inline style (the dashboard's CSP allows neither): colours and strokes are
SVG presentation attributes, and dashboard.css adds the rest through classes. Every text and
attribute value is escaped here, so a flow file cannot inject markup. The drawing is labelled
for assistive technology by its <title> and a <desc> that lists every step and way on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape

from markupsafe import Markup

from dialogs.flow_graph import (
    LABEL_HEIGHT,
    NODE_TEXT_MAX,
    EdgeKind,
    FlowGraph,
    GraphEdge,
    GraphNode,
    NodeKind,
    label_width,
    shorten,
)
from dialogs.schema import Flow

TITLE_ID = "flow-diagram-title"
DESC_ID = "flow-diagram-desc"

INK = "#1d2330"
MUTED = "#5f6b7a"
LINE = "#8a94a3"
ACCENT = "#2454c5"
NODE_FILL = {NodeKind.START: "#e0ecff", NodeKind.STEP: "#ffffff", NodeKind.END: "#d5f5e3"}
EDGE_COLOUR = {EdgeKind.START: LINE, EdgeKind.NEXT: LINE, EdgeKind.BRANCH: ACCENT}
MARKERS = {LINE: "flow-arrow", ACCENT: "flow-arrow-branch"}


def _attrs(attrs: Mapping[str, object]) -> str:
    return "".join(f' {name}="{escape(str(value), quote=True)}"' for name, value in attrs.items())


def _el(tag: str, attrs: Mapping[str, object], *children: str) -> str:
    """An element; `children` are markup already built by this module."""
    return f"<{tag}{_attrs(attrs)}>{''.join(children)}</{tag}>"


def _text(attrs: Mapping[str, object], content: str) -> str:
    return _el("text", attrs, escape(content, quote=False))


def _name(graph: FlowGraph, key: str) -> str:
    node = graph.node(key)
    if node.kind is NodeKind.START:
        return "the start"
    if node.kind is NodeKind.END:
        return "the end (recommendation)"
    return f"step {key}"


def describe(graph: FlowGraph) -> str:
    """The diagram in words, for screen readers: the steps in order, then each way on."""
    steps = [node.key for node in graph.nodes if node.kind is NodeKind.STEP]
    sentences = [f"{len(steps)} steps, from the top: {', '.join(steps)}."]
    for edge in graph.edges:
        move = f"From {_name(graph, edge.source)} to {_name(graph, edge.target)}"
        if edge.kind is EdgeKind.BRANCH:
            move += f" when {edge.condition}"
        elif edge.label == "otherwise":
            move += " otherwise"
        sentences.append(move + ".")
    return " ".join(sentences)


def _node_svg(node: GraphNode) -> str:
    box = node.box
    tooltip = " — ".join(part for part in (node.lines[0], " ".join(node.note.split())) if part)
    shape = {
        "x": box.x,
        "y": box.y,
        "width": box.width,
        "height": box.height,
        "rx": 6 if node.kind is NodeKind.STEP else box.height // 2,
        "fill": NODE_FILL[node.kind],
        "stroke": LINE,
        "stroke-width": 1,
        "class": "flow-node-box",
    }
    lines = [line for line in node.lines if line]
    first_y = box.y + box.height // 2 - (len(lines) - 1) * 8 + 4
    texts = []
    for i, line in enumerate(lines):
        attrs: dict[str, object] = {
            "x": box.center_x,
            "y": first_y + i * 16,
            "text-anchor": "middle",
            "fill": INK if i == 0 else MUTED,
        }
        if i == 0:
            attrs["font-weight"] = 600
        texts.append(_text(attrs, shorten(line, NODE_TEXT_MAX)))
    group: dict[str, object] = {"class": f"flow-node flow-node-{node.kind.value}"}
    if node.step_id is not None:
        group["data-step"] = node.step_id
    title = _el("title", {}, escape(tooltip, quote=False))
    return _el("g", group, title, _el("rect", shape), *texts)


def _edge_svg(graph: FlowGraph, edge: GraphEdge) -> str:
    colour = EDGE_COLOUR[edge.kind]
    tooltip = f"{_name(graph, edge.source)} → {_name(graph, edge.target)}"
    if edge.condition is not None:
        tooltip += f" when {edge.condition}"
    line = {
        "points": " ".join(f"{p.x},{p.y}" for p in edge.points),
        "fill": "none",
        "stroke": colour,
        "stroke-width": 1.5,
        "marker-end": f"url(#{MARKERS[colour]})",
    }
    parts = [_el("title", {}, escape(tooltip, quote=False)), _el("polyline", line)]
    if edge.label is not None and edge.label_at is not None:
        at = edge.label_at
        parts.append(
            _el(
                "rect",
                {
                    "x": at.x - 2,
                    "y": at.y - LABEL_HEIGHT + 2,
                    "width": label_width(edge.label) + 4,
                    "height": LABEL_HEIGHT + 2,
                    "fill": "#ffffff",
                    "fill-opacity": 0.9,
                },
            )
        )
        parts.append(_text({"x": at.x, "y": at.y, "fill": colour, "font-size": 11}, edge.label))
    group = {
        "class": f"flow-edge flow-edge-{edge.kind.value}",
        "data-from": edge.source,
        "data-to": edge.target,
    }
    return _el("g", group, *parts)


def _markers() -> str:
    return "".join(
        _el(
            "marker",
            {
                "id": marker,
                "viewBox": "0 0 10 10",
                "refX": 9,
                "refY": 5,
                "markerWidth": 7,
                "markerHeight": 7,
                "orient": "auto",
            },
            _el("path", {"d": "M0,0 L10,5 L0,10 z", "fill": colour}),
        )
        for colour, marker in MARKERS.items()
    )


def _all(parts: Iterable[str]) -> str:
    return "".join(parts)


def flow_svg(flow: Flow, graph: FlowGraph) -> Markup:
    """The inline <svg> of `graph` (the layout of `flow`)."""
    title = f"Diagram of the flow {flow.title} ({flow.id}, version {flow.version})"
    svg = _el(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "class": "flow-diagram",
            "viewBox": f"0 0 {graph.width} {graph.height}",
            "width": graph.width,
            "height": graph.height,
            "role": "img",
            "aria-labelledby": f"{TITLE_ID} {DESC_ID}",
            "font-family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
            "font-size": 12,
        },
        _el("title", {"id": TITLE_ID}, escape(title, quote=False)),
        _el("desc", {"id": DESC_ID}, escape(describe(graph), quote=False)),
        _el("defs", {}, _markers()),
        _el("g", {"class": "flow-edges"}, _all(_edge_svg(graph, e) for e in graph.edges)),
        _el("g", {"class": "flow-nodes"}, _all(_node_svg(n) for n in graph.nodes)),
    )
    return Markup(svg)  # every text and attribute in it was escaped above
