"""The network graph a person draws: nodes, wires, and change notifications.

The canvas is only a view of this model: it listens to :class:`GraphEvent` callbacks and
never edits the graph behind its back. Events fire only on a real change, so a view that
redraws on every event never redraws for nothing.

Length: over ~400 lines because the mutations, the index of wires by node and the change events
must stay consistent with each other, which one class guarantees.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from neurocanvas.core.network.catalogue import LayerSpec, get_layer, is_valid_name

FORMAT_VERSION = 1


class GraphError(ValueError):
    """An edit or a graph file that does not make sense; the message says what and where."""


class CycleError(GraphError):
    """The wires form a loop, so there is no order to run the layers in."""

    def __init__(self, message: str, nodes: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.nodes: tuple[str, ...] = tuple(nodes)


@dataclass
class Node:
    """One layer on the canvas. ``params`` is always complete (defaults filled in)."""

    id: str
    type: str
    name: str
    params: dict[str, Any]
    pos: tuple[float, float]

    @property
    def spec(self) -> LayerSpec:
        return get_layer(self.type)

    @property
    def label(self) -> str:
        """How the node is named in messages: ``Linear 'linear1'``."""
        return f"{self.type} '{self.name}'"


@dataclass(frozen=True)
class Edge:
    """A wire from an output port to an input port."""

    src: str
    src_port: str
    dst: str
    dst_port: str


@dataclass(frozen=True)
class GraphEvent:
    """What changed. ``kind`` is one of :data:`EVENT_KINDS`."""

    kind: str
    node_id: str | None = None
    edge: Edge | None = None
    key: str | None = None
    old: Any = None
    new: Any = None


EVENT_KINDS: tuple[str, ...] = (
    "node_added",
    "node_removed",
    "edge_added",
    "edge_removed",
    "param_changed",
    "node_moved",
    "node_renamed",
    "reset",
)

Listener = Callable[[GraphEvent], None]


class _Index:
    """Wires by node and node ids by name, kept in step with ``Graph.nodes``/``Graph.edges``.

    Validation runs on every edit and asks each node for its wires; scanning the wire list
    for each made loading and analysing a graph quadratic (8,000 nodes took seconds). The
    lists keep the wires in the order they were made, as ``Graph.edges`` does.
    """

    def __init__(self, nodes: dict[str, Node], edges: list[Edge]) -> None:
        self.nodes_ref, self.edges_ref = nodes, edges
        self.into: dict[str, list[Edge]] = {}
        self.out: dict[str, list[Edge]] = {}
        self.edge_set: set[Edge] = set()
        self.names: dict[str, str] = {n.name: n.id for n in nodes.values()}
        for edge in edges:
            self.add_edge(edge)

    def fresh_for(self, nodes: dict[str, Node], edges: list[Edge]) -> bool:
        """Still describes these containers (a list replaced or resized behind the graph's
        back is noticed, and the index rebuilt)."""
        return (
            self.nodes_ref is nodes
            and self.edges_ref is edges
            and len(self.names) == len(nodes)
            and len(self.edge_set) == len(edges)
        )

    def add_edge(self, edge: Edge) -> None:
        self.into.setdefault(edge.dst, []).append(edge)
        self.out.setdefault(edge.src, []).append(edge)
        self.edge_set.add(edge)

    def remove_edge(self, edge: Edge) -> None:
        self.into[edge.dst].remove(edge)
        self.out[edge.src].remove(edge)
        self.edge_set.discard(edge)


_ID_RE = re.compile(r"^n([1-9][0-9]*)$")


class Graph:
    """A directed acyclic graph of layers.

    Read ``nodes`` and ``edges`` freely but change them only through the methods, so
    that listeners hear about every change. Edits refuse anything that cannot be drawn
    sensibly (unknown ports, loops, a second wire into a single input); files loaded
    with :meth:`from_dict` may still hold loops or doubled wires, which validation
    (``shapes.analyse``) reports on the nodes concerned.
    """

    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self._listeners: list[Listener] = []
        self._next_id = 1
        self._idx = _Index(self.nodes, self.edges)

    def _index(self) -> _Index:
        if not self._idx.fresh_for(self.nodes, self.edges):
            self._idx = _Index(self.nodes, self.edges)
        return self._idx

    # ------------------------------------------------------------------ listeners

    def add_listener(self, cb: Listener) -> None:
        if cb not in self._listeners:
            self._listeners.append(cb)

    def remove_listener(self, cb: Listener) -> None:
        if cb in self._listeners:
            self._listeners.remove(cb)

    def _emit(self, event: GraphEvent) -> None:
        # Copy: a listener may remove itself while being called.
        for cb in list(self._listeners):
            cb(event)

    # ------------------------------------------------------------------ nodes

    def node(self, node_id: str) -> Node:
        """The node ``node_id``; ``GraphError`` if there is none."""
        try:
            return self.nodes[node_id]
        except KeyError:
            raise GraphError(f"there is no node {node_id!r} in the graph") from None

    def node_by_name(self, name: str) -> Node | None:
        node_id = self._index().names.get(name)
        return None if node_id is None else self.nodes.get(node_id)

    def add_node(
        self,
        type: str,
        params: dict[str, Any] | None = None,
        pos: tuple[float, float] = (0, 0),
        name: str | None = None,
        node_id: str | None = None,
    ) -> Node:
        """Add a layer of ``type``; missing params take the catalogue's defaults."""
        node = self._make_node(type, params, pos, name, node_id)
        self._put_node(node)
        self._emit(GraphEvent("node_added", node_id=node.id, new=node))
        return node

    def _make_node(
        self,
        type: str,
        params: dict[str, Any] | None,
        pos: Any,
        name: str | None,
        node_id: str | None,
    ) -> Node:
        try:
            spec = get_layer(type)
        except KeyError as exc:
            raise GraphError(exc.args[0]) from None
        if node_id is None:
            node_id = f"n{self._next_id}"
        elif node_id in self.nodes:
            raise GraphError(f"node id {node_id!r} is already used")
        match = _ID_RE.match(node_id) if isinstance(node_id, str) else None
        if match is None:
            raise GraphError(f"node id must look like 'n1', 'n2', ..., got {node_id!r}")
        if name is None:
            name = self._free_name(spec.default_name_prefix)
        else:
            self._check_name(name, None)
        node = Node(node_id, type, name, self._full_params(spec, params), _as_pos(pos))
        # Ids are never reused, even after a removal: undo history refers to them.
        self._next_id = max(self._next_id, int(match.group(1)) + 1)
        return node

    def _put_node(self, node: Node) -> None:
        index = self._index()
        self.nodes[node.id] = node
        index.names[node.name] = node.id

    def _full_params(self, spec: LayerSpec, params: dict[str, Any] | None) -> dict[str, Any]:
        given = dict(params or {})
        out: dict[str, Any] = {}
        for p in spec.params:
            value = given.pop(p.name, p.default)
            try:
                out[p.name] = p.validate(value)
            except ValueError as exc:
                raise GraphError(f"{spec.type}: {exc}") from None
        if given:
            known = ", ".join(p.name for p in spec.params) or "none"
            raise GraphError(f"{spec.type} has no parameter {sorted(given)[0]!r} (it has: {known})")
        return out

    def _free_name(self, prefix: str) -> str:
        taken = self._index().names
        k = 1
        while f"{prefix}{k}" in taken:
            k += 1
        return f"{prefix}{k}"

    def check_name(self, name: Any, node_id: str | None) -> None:
        """``GraphError`` unless ``name`` may name node ``node_id`` (None: a new node)."""
        self._check_name(name, node_id)

    def _check_name(self, name: Any, node_id: str | None) -> None:
        if not is_valid_name(name):
            raise GraphError(
                f"{name!r} cannot be a node name: use letters, digits and underscores, "
                "start with a letter, and avoid Python keywords and module method names"
            )
        other = self.node_by_name(name)
        if other is not None and other.id != node_id:
            raise GraphError(f"the name {name!r} is already used by another node")

    def remove_node(self, node_id: str) -> tuple[Node, list[Edge]]:
        """Remove a node and its wires; the wires are announced (removed) first."""
        node = self.node(node_id)
        index = self._index()
        touching = set(index.into.get(node_id, ())) | set(index.out.get(node_id, ()))
        wires = [e for e in self.edges if e in touching]  # in the order they were made
        for edge in wires:
            self.disconnect(edge)
        index = self._index()
        del self.nodes[node_id]
        index.names.pop(node.name, None)
        index.into.pop(node_id, None)
        index.out.pop(node_id, None)
        self._emit(GraphEvent("node_removed", node_id=node_id, old=node))
        return node, wires

    def reorder_nodes(self, order: Iterable[str]) -> None:
        """Put the nodes in ``order``; ids it does not name follow in their present order.

        Undoing a removal puts a node back where it was: node order breaks ties in the run
        order, and so decides the model's layer order and its ``state_dict`` order. No event:
        nothing a view shows changes.
        """
        rank = {node_id: i for i, node_id in enumerate(order)}
        items = sorted(self.nodes.items(), key=lambda item: rank.get(item[0], len(rank)))
        self.nodes.clear()  # the same dict object: the index stays valid
        self.nodes.update(items)

    def check_param(self, node_id: str, key: str, value: Any) -> Any:
        """``value`` as ``set_param`` would store it; ``GraphError`` if it is refused."""
        node = self.node(node_id)
        try:
            spec = node.spec.param(key)
        except KeyError as exc:
            raise GraphError(exc.args[0]) from None
        try:
            return spec.validate(value)
        except ValueError as exc:
            raise GraphError(f"{node.label}: {exc}") from None

    def set_param(self, node_id: str, key: str, value: Any) -> None:
        node = self.node(node_id)
        new = self.check_param(node_id, key, value)
        old = node.params[key]
        if old == new and type(old) is type(new):
            return
        node.params[key] = new
        self._emit(GraphEvent("param_changed", node_id=node_id, key=key, old=old, new=new))

    def move_node(self, node_id: str, pos: tuple[float, float]) -> None:
        node = self.node(node_id)
        new = _as_pos(pos)
        if new == node.pos:
            return
        old, node.pos = node.pos, new
        self._emit(GraphEvent("node_moved", node_id=node_id, old=old, new=new))

    def rename_node(self, node_id: str, name: str) -> None:
        node = self.node(node_id)
        if name == node.name:
            return
        self._check_name(name, node_id)
        index = self._index()
        old, node.name = node.name, name
        index.names.pop(old, None)
        index.names[name] = node_id
        self._emit(GraphEvent("node_renamed", node_id=node_id, old=old, new=name))

    # ------------------------------------------------------------------ edges

    def can_connect(
        self, src: str, src_port: str, dst: str, dst_port: str, replace: bool = False
    ) -> tuple[bool, str]:
        """Whether the wire ``src.src_port -> dst.dst_port`` may be drawn, and why not.

        The one place the wiring rule is written: :meth:`connect` refuses with this reason and
        the canvas shows it while a wire is dragged (Orange's ``Scheme.can_connect``).

        Parameters
        ----------
        replace
            A wire already in a single (non-multi) input does not count: the caller removes
            it first (the canvas replaces a wire dropped on a taken input).

        Returns
        -------
        (ok, reason)
            ``reason`` is "" when ``ok``; otherwise one sentence naming the nodes.
        """
        for node_id in (src, dst):
            if node_id not in self.nodes:
                return False, f"there is no node {node_id!r} in the graph"
        edge = Edge(src, src_port, dst, dst_port)
        problem = self._port_problem(edge)
        if problem:
            return False, problem
        if self.edge_exists(edge):
            return False, f"{self.node(src).label} is already wired to {self.node(dst).label} there"
        if src == dst:
            return False, f"cannot wire {self.node(src).label} to itself"
        port = self.node(dst).spec.input_port(dst_port)
        assert port is not None  # checked by _port_problem
        taken = any(e.dst_port == dst_port for e in self.edges_into(dst))
        if taken and not port.multi and not replace:
            return False, (
                f"the input of {self.node(dst).label} already has a wire: "
                "remove it first, or use Add or Concat to join several"
            )
        if self._reaches(dst, src):
            return False, (
                f"connecting '{self.node(src).name}' to '{self.node(dst).name}' would make a cycle"
            )
        return True, ""

    def connect(self, src: str, src_port: str, dst: str, dst_port: str) -> Edge:
        """Wire ``src.src_port`` (an output) to ``dst.dst_port`` (an input).

        Raises ``GraphError`` with :meth:`can_connect`'s reason when the wire is not allowed.
        """
        ok, reason = self.can_connect(src, src_port, dst, dst_port)
        if not ok:
            raise GraphError(reason)
        edge = Edge(src, src_port, dst, dst_port)
        self._index().add_edge(edge)
        self.edges.append(edge)
        self._emit(GraphEvent("edge_added", edge=edge))
        return edge

    def edge_exists(self, edge: Edge) -> bool:
        return edge in self._index().edge_set

    def _check_edge(self, edge: Edge) -> None:
        problem = self._port_problem(edge)
        if problem:
            raise GraphError(problem)

    def _port_problem(self, edge: Edge) -> str:
        """Why the ports of ``edge`` cannot take a wire ("" when they can)."""
        src, dst = self.node(edge.src), self.node(edge.dst)
        if src.spec.output_port(edge.src_port) is None:
            if src.spec.input_port(edge.src_port) is not None:
                return (
                    f"a wire must start at an output, but '{edge.src_port}' of "
                    f"{src.label} is an input"
                )
            return f"{src.label} has no output port {edge.src_port!r}"
        if dst.spec.input_port(edge.dst_port) is None:
            if dst.spec.output_port(edge.dst_port) is not None:
                return (
                    f"a wire must end at an input, but '{edge.dst_port}' of "
                    f"{dst.label} is an output (cannot wire an output to an output)"
                )
            return f"{dst.label} has no input port {edge.dst_port!r}"
        return ""

    def _reaches(self, start: str, goal: str) -> bool:
        """Whether a path of wires leads from ``start`` to ``goal``."""
        seen, stack = {start}, [start]
        while stack:
            here = stack.pop()
            if here == goal:
                return True
            for e in self.edges_out_of(here):
                if e.dst not in seen:
                    seen.add(e.dst)
                    stack.append(e.dst)
        return False

    def disconnect(self, edge: Edge) -> None:
        if not self.edge_exists(edge):
            raise GraphError(f"there is no such wire: {edge}")
        self._index().remove_edge(edge)
        self.edges.remove(edge)
        self._emit(GraphEvent("edge_removed", edge=edge))

    def edges_into(self, node_id: str) -> list[Edge]:
        """Wires into ``node_id`` in the order they were made (Concat's order)."""
        return list(self._index().into.get(node_id, ()))

    def edges_out_of(self, node_id: str) -> list[Edge]:
        return list(self._index().out.get(node_id, ()))

    # ------------------------------------------------------------------ order

    def partial_order(self) -> tuple[list[str], list[str]]:
        """(ordered, stuck): Kahn's order over the acyclic part, and the nodes it cannot place
        (on a loop, or after one). Ties keep insertion order, so the order is stable."""
        indegree = {nid: 0 for nid in self.nodes}
        for e in self.edges:
            indegree[e.dst] += 1
        ready = deque(nid for nid, d in indegree.items() if d == 0)
        order: list[str] = []
        while ready:
            nid = ready.popleft()
            order.append(nid)
            for e in self.edges_out_of(nid):
                indegree[e.dst] -= 1
                if indegree[e.dst] == 0:
                    ready.append(e.dst)
        placed = set(order)
        return order, [nid for nid in self.nodes if nid not in placed]

    def topological_order(self) -> list[str]:
        """Node ids so that every wire goes forward; ``CycleError`` names a loop's nodes."""
        order, stuck = self.partial_order()
        if stuck:
            names = ", ".join(f"'{self.nodes[n].name}'" for n in stuck)
            raise CycleError(f"the wires form a cycle through {names}", stuck)
        return order

    # ------------------------------------------------------------------ (de)serialise

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (shapes become lists) that :meth:`from_dict` reads back."""
        return {
            "version": FORMAT_VERSION,
            "next_id": self._next_id,
            "nodes": [
                {
                    "id": n.id,
                    "type": n.type,
                    "name": n.name,
                    "params": {k: _jsonable(v) for k, v in n.params.items()},
                    "pos": [n.pos[0], n.pos[1]],
                }
                for n in self.nodes.values()
            ],
            "edges": [
                {"src": e.src, "src_port": e.src_port, "dst": e.dst, "dst_port": e.dst_port}
                for e in self.edges
            ],
        }

    @classmethod
    def from_dict(cls, d: Any) -> Graph:
        """Build a graph from :meth:`to_dict`'s output; ``GraphError`` names what is wrong.

        Loops and a second wire into a single input are kept (validation reports them on
        the nodes concerned); anything that cannot be represented at all is refused.
        """
        graph = cls()
        graph._fill(d)
        return graph

    def _fill(self, d: Any) -> None:
        if not isinstance(d, dict):
            raise GraphError(f"a graph must be a JSON object, got {type(d).__name__}")
        version = d.get("version", FORMAT_VERSION)
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise GraphError(
                f"graph format version {version!r} is newer than this program reads "
                f"({FORMAT_VERSION})"
            )
        nodes, edges = d.get("nodes"), d.get("edges", [])
        if not isinstance(nodes, list):
            raise GraphError("graph field 'nodes' must be a list")
        if not isinstance(edges, list):
            raise GraphError("graph field 'edges' must be a list")
        for i, item in enumerate(nodes):
            self._load_node(i, item)
        for i, item in enumerate(edges):
            self._load_edge(i, item)
        next_id = d.get("next_id", self._next_id)
        if not isinstance(next_id, int) or isinstance(next_id, bool) or next_id < 1:
            raise GraphError(
                f"graph field 'next_id' must be a positive whole number, got {next_id!r}"
            )
        self._next_id = max(self._next_id, next_id)

    def _load_node(self, i: int, item: Any) -> None:
        where = f"nodes[{i}]"
        if not isinstance(item, dict):
            raise GraphError(f"{where} must be an object")
        for key in ("id", "type"):
            if not isinstance(item.get(key), str):
                raise GraphError(f"{where}: field '{key}' is missing or not text")
        where = f"node {item['id']!r}"
        params = item.get("params", {})
        if not isinstance(params, dict):
            raise GraphError(f"{where}: field 'params' must be an object")
        name = item.get("name")
        if name is not None and not isinstance(name, str):
            raise GraphError(f"{where}: field 'name' must be text")
        try:
            node = self._make_node(item["type"], params, item.get("pos", (0, 0)), name, item["id"])
        except GraphError as exc:
            raise GraphError(f"{where}: {exc}") from None
        self._put_node(node)

    def _load_edge(self, i: int, item: Any) -> None:
        where = f"edges[{i}]"
        keys = ("src", "src_port", "dst", "dst_port")
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in keys):
            raise GraphError(f"{where} must be an object with text fields {', '.join(keys)}")
        edge = Edge(*(item[k] for k in keys))
        try:
            self._check_edge(edge)
        except GraphError as exc:
            raise GraphError(f"{where}: {exc}") from None
        if self.edge_exists(edge):
            raise GraphError(f"{where}: the same wire appears twice")
        self._index().add_edge(edge)
        self.edges.append(edge)

    def clear(self) -> None:
        """Remove everything and announce one ``reset`` (ids keep counting up)."""
        if not self.nodes and not self.edges:
            return
        self.nodes.clear()
        self.edges.clear()
        self._emit(GraphEvent("reset"))

    def load_dict(self, d: Any) -> None:
        """Replace the contents with ``d`` and announce ``reset``; unchanged on error."""
        fresh = Graph.from_dict(d)
        self.nodes, self.edges, self._next_id = fresh.nodes, fresh.edges, fresh._next_id
        self._idx = fresh._idx
        self._emit(GraphEvent("reset"))


def _as_pos(pos: Any) -> tuple[float, float]:
    try:
        x, y = pos
        out = (float(x), float(y))
    except (TypeError, ValueError):
        raise GraphError(f"a position must be two numbers (x, y), got {pos!r}") from None
    if any(v != v or v in (float("inf"), float("-inf")) for v in out):
        raise GraphError(f"a position must be two finite numbers, got {pos!r}")
    return out


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value
