"""ONNX export helpers (same conventions as models/export_vgg.py: opset 17, reflect pads as
one Pad node with constant pads, Constant nodes moved into initializers, full_check)."""

import io
import warnings

import onnx
import torch
from onnx import numpy_helper
from torch.onnx import symbolic_helper

OPSET = 17


@symbolic_helper.parse_args("v", "is", "s", "none")
def _pad_symbolic(g, x, padding, mode, value):
    if mode != "reflect" or len(padding) != 4:
        raise RuntimeError(f"unsupported pad: mode={mode} padding={padding}")
    left, right, top, bottom = padding
    pads = g.op("Constant",
                value_t=torch.tensor([0, 0, top, left, 0, 0, bottom, right], dtype=torch.int64))
    return g.op("Pad", x, pads, mode_s="reflect")


torch.onnx.register_custom_op_symbolic("aten::pad", _pad_symbolic, OPSET)
warnings.filterwarnings("ignore", message="The shape inference of prim::Constant type is missing")


def constants_to_initializers(model):
    graph = model.graph
    seen, rename, keep = {}, {}, []
    for node in graph.node:
        if node.op_type != "Constant":
            keep.append(node)
            continue
        (attr,) = node.attribute
        arr = numpy_helper.to_array(attr.t)
        key = (arr.dtype.str, arr.shape, arr.tobytes())
        if key not in seen:
            seen[key] = node.output[0]
            graph.initializer.append(numpy_helper.from_array(arr, node.output[0]))
        rename[node.output[0]] = seen[key]
    for node in keep:
        for i, name in enumerate(node.input):
            if name in rename:
                node.input[i] = rename[name]
    del graph.node[:]
    graph.node.extend(keep)


def export_stylenet(net, path, dummy_hw=(64, 48)):
    """Export with input `image` [N,3,H,W] -> output `stylized` [N,3,H,W]; returns op counts."""
    net = net.eval()
    buf = io.BytesIO()
    dummy = torch.rand(1, 3, *dummy_hw)
    with torch.no_grad():
        torch.onnx.export(net, dummy, buf, opset_version=OPSET, do_constant_folding=True,
                          input_names=["image"], output_names=["stylized"],
                          dynamic_axes={"image": {0: "N", 2: "H", 3: "W"},
                                        "stylized": {0: "N", 2: "H", 3: "W"}})
    model = onnx.load_from_string(buf.getvalue())
    constants_to_initializers(model)
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, path)
    ops = {}
    for node in model.graph.node:
        ops[node.op_type] = ops.get(node.op_type, 0) + 1
    return dict(sorted(ops.items()))
