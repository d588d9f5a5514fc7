"""Read an ORT-format model file back into an ONNX model, so onnxruntime can optimise it.

The `moonshine-cpp` wheel ships Moonshine as ORT-format files with int8 weights. Their graphs
turn each weight back into float32 (`Cast`, `Mul`, `Add`, and a `Transpose` for the tied output
projection) as ordinary nodes, and onnxruntime runs no graph optimisation on an ORT-format file,
so those nodes run on *every* inference: for the decoder that is the whole 32768 x 416 embedding
table and every layer's weights at each generated token, about 80 % of a decoding step. Loaded
from the same graph in ONNX form, onnxruntime folds those constant nodes once, at load.

Measured on the kitchen-lights sentence (one core): a decode took 0.25 s from the ORT files and
0.07 s from the converted graph; single decodes of 80 recorded cuts gave the same text both
ways, with log-probabilities within 1.2e-6 (float rounding in the folded weights). The process
held 710 MB after a decode from the ORT files (onnxruntime's arena keeps a float copy of the
weights for the running step) and 490 MB from the converted graph.

The reader uses the flatbuffers bindings that onnxruntime ships for its own tools
(`onnxruntime.tools.ort_format_model`), and the `onnx` package to build the model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import onnx
from onnx import helper
from onnxruntime.tools.ort_format_model.ort_flatbuffers_py.fbs import (
    InferenceSession as FbInferenceSession,
)
from onnxruntime.tools.ort_format_model.ort_flatbuffers_py.fbs.AttributeType import (
    AttributeType,
)
from onnxruntime.tools.ort_format_model.ort_flatbuffers_py.fbs.DimensionValueType import (
    DimensionValueType,
)
from onnxruntime.tools.ort_format_model.ort_flatbuffers_py.fbs.TensorTypeAndShape import (
    TensorTypeAndShape,
)
from onnxruntime.tools.ort_format_model.ort_flatbuffers_py.fbs.TypeInfoValue import (
    TypeInfoValue,
)

READER_VERSION = 1
"""Changes whenever the models this module produces change (caches key on it)."""


class UnsupportedModel(ValueError):
    """The file uses something this reader does not translate (fused nodes, sparse or external
    weights, non-tensor values); load the ORT file as it is instead."""


def ort_to_onnx(path: Path) -> onnx.ModelProto:
    """The ONNX model stored in the ORT-format file at `path`."""
    data = path.read_bytes()
    model = FbInferenceSession.InferenceSession.GetRootAs(data, 0).Model()
    if model is None:
        raise UnsupportedModel(f"{path.name}: no model in the file")
    opsets = [
        helper.make_opsetid(_str(op.Domain()), op.Version())
        for op in (model.OpsetImport(i) for i in range(model.OpsetImportLength()))
    ]
    proto = helper.make_model(
        _graph(model.Graph(), "main"),
        opset_imports=opsets,
        producer_name=_str(model.ProducerName()),
    )
    proto.ir_version = model.IrVersion()
    _hoist_constants(proto.graph)
    return proto


def _hoist_constants(graph: onnx.GraphProto) -> None:
    """Move the nodes of `If` branches that compute only from constants into the main graph,
    one copy for both branches.

    The decoder's two branches (first step, and steps with the key/value cache) each transpose
    the same weights for their `MatMul`s. Left in the branches, onnxruntime folds each branch's
    copy separately: the float weights twice over (330 MB). Hoisted and shared, they are folded
    once.
    """
    constant = {t.name for t in graph.initializer}
    for node in graph.node:
        if node.op_type != "If" and node.input and all(i in constant for i in node.input):
            constant.update(node.output)
    hoisted: dict[bytes, list[str]] = {}  # a node's signature -> the outputs of its main copy
    new_nodes: list[onnx.NodeProto] = []
    for node in graph.node:
        if node.op_type == "If":
            for attr in node.attribute:
                if attr.type == onnx.AttributeProto.GRAPH:
                    new_nodes.extend(_hoist_branch(attr.g, constant, hoisted))
        new_nodes.append(node)
    graph.ClearField("node")
    graph.node.extend(new_nodes)


def _hoist_branch(
    branch: onnx.GraphProto, constant: set[str], hoisted: dict[bytes, list[str]]
) -> list[onnx.NodeProto]:
    """Take the constant nodes out of one branch; return those the main graph did not have."""
    renamed: dict[str, str] = {}
    kept: list[onnx.NodeProto] = []
    moved: list[onnx.NodeProto] = []
    for node in branch.node:
        node.input[:] = [renamed.get(i, i) for i in node.input]
        if (
            node.op_type in ("If", "Loop", "Scan")
            or not node.input
            or not all(i in constant for i in node.input)
        ):
            kept.append(node)
            continue
        signature = _signature(node)
        if signature in hoisted:  # the other branch's copy: use its outputs
            renamed.update(zip(node.output, hoisted[signature], strict=True))
            continue
        hoisted[signature] = list(node.output)
        constant.update(node.output)
        moved.append(node)
    for node in kept:
        node.input[:] = [renamed.get(i, i) for i in node.input]
    for out in branch.output:
        if out.name in renamed:
            raise UnsupportedModel(f"branch output {out.name} is a shared constant")
    branch.ClearField("node")
    branch.node.extend(kept)
    return moved


def _signature(node: onnx.NodeProto) -> bytes:
    """What a node computes (operator, inputs, attributes), independent of its names."""
    key = onnx.NodeProto()
    key.CopyFrom(node)
    key.ClearField("output")
    key.ClearField("name")
    return key.SerializeToString(deterministic=True)


def _str(raw: bytes | None) -> str:
    return raw.decode() if raw is not None else ""


def _graph(graph: Any, name: str) -> onnx.GraphProto:
    nodes: list[tuple[int, onnx.NodeProto]] = []
    for i in range(graph.NodesLength()):
        node = graph.Nodes(i)
        if node.Type() != 0:  # NodeType.Primitive; a fused node has no ONNX equivalent
            raise UnsupportedModel(f"fused node {_str(node.Name())}")
        proto = helper.make_node(
            _str(node.OpType()),
            [_str(node.Inputs(j)) for j in range(node.InputsLength())],
            [_str(node.Outputs(j)) for j in range(node.OutputsLength())],
            name=_str(node.Name()),
            domain=_str(node.Domain()),
        )
        proto.attribute.extend(
            _attribute(node.Attributes(j)) for j in range(node.AttributesLength())
        )
        nodes.append((node.Index(), proto))
    nodes.sort(key=lambda indexed: indexed[0])  # the file's order is the graph's topological one

    if graph.SparseInitializersLength():
        raise UnsupportedModel("sparse initializers")
    initializers = [_tensor(graph.Initializers(i)) for i in range(graph.InitializersLength())]
    constant = {t.name for t in initializers}
    infos = {}
    for i in range(graph.NodeArgsLength()):
        info = _value_info(graph.NodeArgs(i))
        infos[info.name] = info

    def declared(arg: str) -> onnx.ValueInfoProto:
        return infos.get(arg) or helper.make_empty_tensor_value_info(arg)

    inputs = [_str(graph.Inputs(i)) for i in range(graph.InputsLength())]
    outputs = [_str(graph.Outputs(i)) for i in range(graph.OutputsLength())]
    proto_graph = helper.make_graph(
        [node for _, node in nodes],
        name,
        [declared(arg) for arg in inputs if arg not in constant],
        [declared(arg) for arg in outputs],
        initializer=initializers,
    )
    boundary = set(inputs) | set(outputs) | constant
    proto_graph.value_info.extend(info for arg, info in infos.items() if arg not in boundary)
    return proto_graph


def _tensor(tensor: Any) -> onnx.TensorProto:
    proto = onnx.TensorProto()
    proto.name = _str(tensor.Name())
    proto.data_type = tensor.DataType()
    if not tensor.DimsIsNone():
        proto.dims.extend(int(d) for d in tensor.DimsAsNumpy())
    if not tensor.RawDataIsNone():
        proto.raw_data = tensor.RawDataAsNumpy().tobytes()
    elif tensor.StringDataLength():
        proto.string_data.extend(tensor.StringData(i) for i in range(tensor.StringDataLength()))
    elif tensor.ExternalDataOffset() >= 0:
        raise UnsupportedModel(f"external data for {proto.name}")
    return proto


def _value_info(arg: Any) -> onnx.ValueInfoProto:
    name = _str(arg.Name())
    type_info = arg.Type()
    if type_info is None:
        return helper.make_empty_tensor_value_info(name)
    if type_info.ValueType() != TypeInfoValue.tensor_type:
        raise UnsupportedModel(f"{name}: not a tensor")
    table = type_info.Value()
    tensor_type = TensorTypeAndShape()
    tensor_type.Init(table.Bytes, table.Pos)
    shape = tensor_type.Shape()
    dims: list[int | str | None] | None = None
    if shape is not None:
        dims = []
        for i in range(shape.DimLength()):
            value = shape.Dim(i).Value()
            if value is not None and value.DimType() == DimensionValueType.VALUE:
                dims.append(int(value.DimValue()))
            elif value is not None and value.DimType() == DimensionValueType.PARAM:
                dims.append(_str(value.DimParam()))
            else:
                dims.append(None)
    return helper.make_tensor_value_info(name, tensor_type.ElemType(), dims)


def _attribute(attr: Any) -> onnx.AttributeProto:
    proto = onnx.AttributeProto()
    proto.name = _str(attr.Name())
    proto.type = kind = attr.Type()
    if kind == AttributeType.FLOAT:
        proto.f = attr.F()
    elif kind == AttributeType.INT:
        proto.i = attr.I()
    elif kind == AttributeType.STRING:
        proto.s = attr.S()
    elif kind == AttributeType.TENSOR:
        proto.t.CopyFrom(_tensor(attr.T()))
    elif kind == AttributeType.GRAPH:
        proto.g.CopyFrom(_graph(attr.G(), proto.name))
    elif kind == AttributeType.FLOATS:
        proto.floats.extend(float(attr.Floats(i)) for i in range(attr.FloatsLength()))
    elif kind == AttributeType.INTS:
        proto.ints.extend(int(attr.Ints(i)) for i in range(attr.IntsLength()))
    elif kind == AttributeType.STRINGS:
        proto.strings.extend(attr.Strings(i) for i in range(attr.StringsLength()))
    elif kind == AttributeType.TENSORS:
        proto.tensors.extend(_tensor(attr.Tensors(i)) for i in range(attr.TensorsLength()))
    elif kind == AttributeType.GRAPHS:
        proto.graphs.extend(
            _graph(attr.Graphs(i), f"{proto.name}_{i}") for i in range(attr.GraphsLength())
        )
    else:
        raise UnsupportedModel(f"attribute {proto.name} of type {kind}")
    return proto
