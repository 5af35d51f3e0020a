"""How long loading and analysing a large graph takes (issue 9: it was quadratic).

Builds a chain of N nodes (Input, then alternating Linear 16->16 and ReLU, then Output),
saves it as a project, and times ``load_project`` and ``shapes.analyse`` (best of 3), and
one graph with a loop near the Input so that almost every node is "stuck" after it.

    python -m benchmarks.graph_scale            # 1,000 / 2,000 / 4,000 / 8,000 nodes
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from neurocanvas.core.io.project import Project, load_project, save_project
from neurocanvas.core.network.graph import Graph
from neurocanvas.core.network.shapes import analyse


def chain(n: int, loop: bool = False) -> Graph:
    graph = Graph()
    prev = graph.add_node("Input", params={"shape": (16,)}, name="input").id
    for i in range(n - 2):
        if i % 2 == 0:
            node = graph.add_node("Linear", params={"out_features": 16}, name=f"l{i}")
        else:
            node = graph.add_node("ReLU", name=f"r{i}")
        graph.connect(prev, "out", node.id, "in")
        prev = node.id
    out = graph.add_node("Output", name="output")
    graph.connect(prev, "out", out.id, "in")
    if loop:  # a hand-edited file: an Add whose second input comes from further down
        data = graph.to_dict()
        add = {"id": f"n{n + 1}", "type": "Add", "name": "join", "params": {}, "pos": [0, 0]}
        data["nodes"].append(add)
        first, second = data["edges"][0], data["edges"][1]
        data["edges"][1] = {**second, "src": add["id"]}
        data["edges"] += [
            {"src": first["dst"], "src_port": "out", "dst": add["id"], "dst_port": "in"},
            {"src": second["dst"], "src_port": "out", "dst": add["id"], "dst_port": "in"},
        ]
        graph = Graph.from_dict(data)
    return graph


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main(sizes: list[int]) -> None:
    print(f"{'nodes':>6} {'load s':>8} {'analyse s':>10} {'analyse (loop) s':>17}")
    with tempfile.TemporaryDirectory() as folder:
        for n in sizes:
            path = Path(folder) / f"chain{n}.ncproj"
            save_project(Project(graph=chain(n), dataset_key="moons"), path)
            load = best_of(lambda p=path: load_project(p))
            graph = load_project(path)[0].graph
            plain = best_of(lambda g=graph: analyse(g))
            looped = chain(n, loop=True)
            report = analyse(looped)
            assert any("cycle" in p.message for p in report.problems)
            loop = best_of(lambda g=looped: analyse(g))
            print(f"{n:>6} {load:>8.3f} {plain:>10.3f} {loop:>17.3f}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 2000, 4000, 8000])
