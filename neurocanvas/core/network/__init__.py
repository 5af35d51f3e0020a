"""The builder's model of a network: the graph, the layer catalogue, shape inference and the
compiler that turns a graph into an engine module. No Qt; imports the engine, never the app."""
