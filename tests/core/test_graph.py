"""The graph model: edits, the events they announce, refusals, and the JSON round trip."""

from __future__ import annotations

import json

import pytest

from neurocanvas.core.network.graph import CycleError, Edge, Graph, GraphError, GraphEvent


class Recorder:
    def __init__(self, graph: Graph) -> None:
        self.events: list[GraphEvent] = []
        graph.add_listener(self.events.append)

    @property
    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]


@pytest.fixture
def chain() -> Graph:
    g = Graph()
    g.add_node("Input", {"shape": (2,)})
    g.add_node("Linear", {"out_features": 4})
    g.add_node("Output")
    g.connect("n1", "out", "n2", "in")
    g.connect("n2", "out", "n3", "in")
    return g


def test_add_node_fills_defaults_and_names_by_type() -> None:
    g = Graph()
    rec = Recorder(g)
    a = g.add_node("Linear", pos=(10, 20))
    b = g.add_node("Linear")
    c = g.add_node("Conv2d")
    assert (a.id, b.id, c.id) == ("n1", "n2", "n3")
    assert (a.name, b.name, c.name) == ("linear1", "linear2", "conv1")
    assert a.params == {"out_features": 32, "bias": True}
    assert a.pos == (10.0, 20.0)
    assert rec.kinds == ["node_added"] * 3
    assert rec.events[0].node_id == "n1"


def test_ids_are_never_reused_after_removal() -> None:
    g = Graph()
    g.add_node("ReLU")
    g.add_node("ReLU")
    g.remove_node("n2")
    assert g.add_node("ReLU").id == "n3"


def test_default_name_fills_the_first_free_number() -> None:
    g = Graph()
    g.add_node("ReLU")
    g.add_node("ReLU", name="relu2")
    g.remove_node("n1")
    assert g.add_node("ReLU").name == "relu1"


def test_add_node_refuses_unknown_type_and_bad_params() -> None:
    g = Graph()
    with pytest.raises(GraphError, match="unknown layer type 'Dense'"):
        g.add_node("Dense")
    with pytest.raises(GraphError, match="out_features must be between 1 and 65536, got 0"):
        g.add_node("Linear", {"out_features": 0})
    with pytest.raises(GraphError, match="Linear has no parameter 'in_features'"):
        g.add_node("Linear", {"in_features": 3})
    # a failed add uses up no id
    assert g.add_node("ReLU").id == "n1"


def test_set_param_announces_only_real_changes(chain: Graph) -> None:
    rec = Recorder(chain)
    chain.set_param("n2", "out_features", 4)
    chain.set_param("n2", "out_features", 4.0)  # coerced to the same int: still no change
    assert rec.events == []
    chain.set_param("n2", "out_features", 8)
    assert rec.events == [
        GraphEvent("param_changed", node_id="n2", key="out_features", old=4, new=8)
    ]
    assert chain.nodes["n2"].params["out_features"] == 8


def test_set_param_refuses_unknown_key_and_bad_value(chain: Graph) -> None:
    with pytest.raises(GraphError, match="Linear has no parameter 'units'"):
        chain.set_param("n2", "units", 3)
    with pytest.raises(GraphError, match="Linear 'linear1': bias must be true or false"):
        chain.set_param("n2", "bias", 1)
    with pytest.raises(GraphError, match="no node 'n9'"):
        chain.set_param("n9", "bias", True)


def test_move_and_rename_announce_only_real_changes(chain: Graph) -> None:
    rec = Recorder(chain)
    chain.move_node("n2", (0, 0))
    chain.rename_node("n2", "linear1")
    assert rec.events == []
    chain.move_node("n2", (5, 6))
    chain.rename_node("n2", "hidden")
    assert rec.events == [
        GraphEvent("node_moved", node_id="n2", old=(0.0, 0.0), new=(5.0, 6.0)),
        GraphEvent("node_renamed", node_id="n2", old="linear1", new="hidden"),
    ]


@pytest.mark.parametrize("bad", ["output1", "2fast", "has space", "class", "_x", "forward"])
def test_rename_refuses_taken_or_unusable_names(chain: Graph, bad: str) -> None:
    with pytest.raises(GraphError, match=repr(bad)):
        chain.rename_node("n2", bad)
    assert chain.nodes["n2"].name == "linear1"


def test_remove_node_announces_its_wires_first(chain: Graph) -> None:
    rec = Recorder(chain)
    node, wires = chain.remove_node("n2")
    assert node.name == "linear1"
    assert wires == [Edge("n1", "out", "n2", "in"), Edge("n2", "out", "n3", "in")]
    assert rec.kinds == ["edge_removed", "edge_removed", "node_removed"]
    assert chain.edges == []
    assert set(chain.nodes) == {"n1", "n3"}


def test_connect_and_disconnect_announce(chain: Graph) -> None:
    rec = Recorder(chain)
    edge = chain.edges[1]
    chain.disconnect(edge)
    chain.connect("n2", "out", "n3", "in")
    assert rec.events == [
        GraphEvent("edge_removed", edge=edge),
        GraphEvent("edge_added", edge=edge),
    ]
    with pytest.raises(GraphError, match="no such wire"):
        chain.disconnect(Edge("n1", "out", "n3", "in"))


@pytest.mark.parametrize(
    ("wire", "message"),
    [
        (("n1", "out", "n9", "in"), "no node 'n9'"),
        (("n1", "result", "n2", "in"), "Input 'input1' has no output port 'result'"),
        (("n1", "out", "n2", "x"), "Linear 'linear1' has no input port 'x'"),
        (("n2", "in", "n3", "in"), "must start at an output"),
        (("n1", "out", "n2", "out"), "cannot wire an output to an output"),
        (("n2", "out", "n2", "in"), "itself"),
        (("n1", "out", "n2", "in"), "already wired"),
        (("n1", "out", "n3", "in"), "input of Output 'output1' already has a wire"),
    ],
)
def test_connect_refuses_bad_wires(chain: Graph, wire: tuple[str, ...], message: str) -> None:
    if message == "itself":
        chain.disconnect(chain.edges[0])
    rec = Recorder(chain)
    with pytest.raises(GraphError, match=message):
        chain.connect(*wire)
    assert rec.events == []


@pytest.mark.parametrize(
    ("wire", "message"),
    [
        (("n1", "out", "n9", "in"), "no node 'n9'"),
        (("n2", "in", "n3", "in"), "must start at an output"),
        (("n1", "out", "n2", "in"), "already wired"),
        (("n1", "out", "n3", "in"), "input of Output 'output1' already has a wire"),
        (("n3", "out", "n1", "in"), "has no"),  # an Output has no output port at all
    ],
)
def test_can_connect_says_why_without_changing_the_graph(
    chain: Graph, wire: tuple[str, ...], message: str
) -> None:
    rec = Recorder(chain)
    ok, reason = chain.can_connect(*wire)
    assert not ok and message in reason
    assert rec.events == []


def test_can_connect_with_replace_allows_a_taken_single_input_but_not_a_cycle() -> None:
    g = Graph()
    a, b, c = (g.add_node(t).id for t in ("Linear", "ReLU", "Tanh"))
    g.connect(a, "out", b, "in")
    ok, reason = g.can_connect(c, "out", b, "in")
    assert not ok and "already has a wire" in reason
    assert g.can_connect(c, "out", b, "in", replace=True) == (True, "")
    ok, reason = g.can_connect(b, "out", a, "in", replace=True)
    assert not ok and "would make a cycle" in reason


def test_connect_refuses_with_the_reason_can_connect_gives(chain: Graph) -> None:
    _, reason = chain.can_connect("n1", "out", "n3", "in")
    with pytest.raises(GraphError) as info:
        chain.connect("n1", "out", "n3", "in")
    assert str(info.value) == reason


def test_connect_refuses_a_cycle() -> None:
    g = Graph()
    a = g.add_node("Add", name="a")
    b = g.add_node("ReLU", name="b")
    c = g.add_node("ReLU", name="c")
    g.connect(a.id, "out", b.id, "in")
    g.connect(b.id, "out", c.id, "in")
    with pytest.raises(GraphError, match="connecting 'c' to 'a' would make a cycle"):
        g.connect(c.id, "out", a.id, "in")


def test_multi_input_port_takes_several_wires_in_order() -> None:
    g = Graph()
    x = g.add_node("Input")
    r = g.add_node("ReLU")
    cat = g.add_node("Concat")
    g.connect(r.id, "out", cat.id, "in")
    g.connect(x.id, "out", cat.id, "in")
    g.connect(x.id, "out", r.id, "in")
    assert [e.src for e in g.edges_into(cat.id)] == [r.id, x.id]
    assert [e.dst for e in g.edges_out_of(x.id)] == [cat.id, r.id]


def test_topological_order_respects_every_wire() -> None:
    g = Graph()
    out = g.add_node("Output")
    add = g.add_node("Add")
    lin = g.add_node("Linear")
    x = g.add_node("Input")
    g.connect(add.id, "out", out.id, "in")
    g.connect(x.id, "out", lin.id, "in")
    g.connect(lin.id, "out", add.id, "in")
    g.connect(x.id, "out", add.id, "in")
    order = g.topological_order()
    assert sorted(order) == sorted(g.nodes)
    for e in g.edges:
        assert order.index(e.src) < order.index(e.dst)


def test_round_trip_through_json(chain: Graph) -> None:
    chain.add_node("Reshape", {"shape": [1, 2, -1]}, pos=(3.5, -1))
    chain.remove_node("n4")
    chain.add_node("Conv2d", {"kernel_size": 5}, name="features")
    text = json.dumps(chain.to_dict())
    back = Graph.from_dict(json.loads(text))
    assert back.nodes == chain.nodes
    assert back.edges == chain.edges
    assert back.add_node("ReLU").id == chain.add_node("ReLU").id == "n6"


def test_reshape_shape_comes_back_as_a_tuple() -> None:
    g = Graph()
    g.add_node("Reshape", {"shape": [1, 8, 8]})
    back = Graph.from_dict(json.loads(json.dumps(g.to_dict())))
    assert back.nodes["n1"].params["shape"] == (1, 8, 8)


def cyclic_dict() -> dict:
    return {
        "nodes": [
            {"id": "n1", "type": "ReLU", "name": "a", "params": {}, "pos": [0, 0]},
            {"id": "n2", "type": "ReLU", "name": "b", "params": {}, "pos": [0, 0]},
        ],
        "edges": [
            {"src": "n1", "src_port": "out", "dst": "n2", "dst_port": "in"},
            {"src": "n2", "src_port": "out", "dst": "n1", "dst_port": "in"},
        ],
    }


def test_loaded_cycle_raises_cycle_error_naming_the_nodes() -> None:
    g = Graph.from_dict(cyclic_dict())
    with pytest.raises(CycleError, match="cycle through 'a', 'b'") as info:
        g.topological_order()
    assert info.value.nodes == ("n1", "n2")


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(nodes="x"), "'nodes' must be a list"),
        (lambda d: d["nodes"].append(5), r"nodes\[2\] must be an object"),
        (lambda d: d["nodes"][0].pop("type"), r"nodes\[0\]: field 'type'"),
        (lambda d: d["nodes"][0].update(type="Magic"), "node 'n1': unknown layer type 'Magic'"),
        (lambda d: d["nodes"][1].update(id="n1"), "node 'n1': node id 'n1' is already used"),
        (lambda d: d["nodes"][1].update(id="x7"), "node 'x7': node id must look like"),
        (lambda d: d["nodes"][1].update(name="a"), "node 'n2': the name 'a' is already used"),
        (lambda d: d["nodes"][1].update(params={"slope": 1}), "node 'n2': ReLU has no parameter"),
        (lambda d: d["nodes"][0].update(pos="here"), "node 'n1': a position must be two numbers"),
        (lambda d: d["edges"][0].update(dst="n7"), r"edges\[0\]: there is no node 'n7'"),
        (lambda d: d["edges"][0].update(src_port="in"), r"edges\[0\]: a wire must start"),
        (lambda d: d["edges"].append(dict(d["edges"][0])), r"edges\[2\]: the same wire"),
        (lambda d: d.update(version=99), "version 99 is newer"),
    ],
)
def test_from_dict_names_what_is_wrong(mutate, message: str) -> None:
    d = cyclic_dict()
    mutate(d)
    with pytest.raises(GraphError, match=message):
        Graph.from_dict(d)


def test_bad_param_value_in_file_names_node_and_field() -> None:
    d = {"nodes": [{"id": "n1", "type": "Dropout", "params": {"p": 2}}]}
    with pytest.raises(GraphError, match="node 'n1': Dropout: p must be between 0 and 0.99"):
        Graph.from_dict(d)


def test_load_dict_announces_reset_and_keeps_contents_on_error(chain: Graph) -> None:
    rec = Recorder(chain)
    with pytest.raises(GraphError):
        chain.load_dict({"nodes": [{"id": "n1", "type": "Nope"}]})
    assert rec.events == [] and len(chain.nodes) == 3
    chain.load_dict(cyclic_dict())
    assert rec.kinds == ["reset"]
    assert [n.name for n in chain.nodes.values()] == ["a", "b"]


def test_clear_announces_reset_once_and_not_when_empty(chain: Graph) -> None:
    rec = Recorder(chain)
    chain.clear()
    chain.clear()
    assert rec.kinds == ["reset"]
    assert chain.add_node("ReLU").id == "n4"


def test_removed_listener_hears_nothing(chain: Graph) -> None:
    heard: list[GraphEvent] = []
    chain.add_listener(heard.append)
    chain.remove_listener(heard.append)
    chain.move_node("n1", (1, 1))
    assert heard == []
