"""TensorFlow's own file formats, both ways: GraphDef (`.pb` / `.pbtxt`), MetaGraphDef (`.meta`)
and SavedModel (`saved_model.pb` + `variables/`), on the protobuf messages of `flowzero.proto`.

- convert.py: dtypes, shapes, TensorProtos and AttrValues <-> flowzero / NumPy values;
- op_mapping.py: the one table of how each flowzero op type reads and writes as a TF NodeDef;
- graph_def.py: `Graph.as_graph_def()` (export), `tf.train.write_graph`, reading `.pb`/`.pbtxt`;
- importer.py: `tf.import_graph_def`; tf1_conds.py / tf1_loops.py: TF1's Switch / Merge control
  flow, tf2_functions.py: TF 2.x's If / While nodes with FunctionDef bodies, both imported as
  flowzero's cond / while_loop;
- dataset_forms.py / dataset_functions.py: tf.data's dataset and iterator nodes (map, filter,
  ... with their FunctionDefs) as flowzero's tf.data pipeline, both ways; function_forms.py:
  flowzero function bodies written as FunctionDefs;
- graph_util.py: `tf.graph_util` (freeze, extract a subgraph, strip training nodes);
- meta_graph.py: `export_meta_graph` / `import_meta_graph` in TF's protobuf;
- saved_model.py: TF's SavedModel directory layout (reader and builder).

Loaded on first use (protobuf is not imported by `import flowzero`).
"""

from __future__ import annotations

from typing import Any

from flowzero.framework.graph import register_graph_def_exporter


def _as_graph_def(graph: Any, add_shapes: bool) -> Any:
    from flowzero.interop.graph_def import to_graph_def

    return to_graph_def(graph, add_shapes=add_shapes, lenient=True)


register_graph_def_exporter(_as_graph_def)
