"""Makes models/selfie_segmentation_flex.onnx: the shipped MediaPipe Selfie segmenter
(models/selfie_segmentation.onnx, Apache-2.0, 256x256) with its input height and width free
(any multiple of 16), so that a 16:9 frame runs at 256x144 (MediaPipe's own landscape size)
and a 4:3 one at 256x192 instead of letterboxed into 256x256 with grey bars.

Graph surgery only, same weights. At 256x256 the two graphs compute the same function:
  - the squeeze-excitation and attention pools are AveragePool nodes whose kernel is the whole
    feature map at 256x256: they become GlobalAveragePool;
  - the decoder's three Resize nodes take constant target sizes (32, 64, 128): they take the
    size of the skip connection they are added to instead (its Shape, as the graph already
    does for the batch and channel dims);
  - the final ConvTranspose drops its fixed output_shape (stride 2, kernel 2, no padding:
    the output is twice its input anyway);
  - the final Reshape to [1,256,256,1] becomes a Transpose NCHW -> NHWC (one channel: the
    same data).
The stride-2 convolutions' explicit pads (0 before, 1 after) are what TensorFlow's 'same'
padding gives for any even size, and every feature map is even down to 1/16 when H and W are
multiples of 16.

test/server/segmenter_flex.test.ts checks with onnxruntime-node that the two models agree at
256x256 on real frames, and that the masks at 256x144 agree with the letterboxed square ones.

  /usr/bin/python3 models/segmentation/flex_selfie.py
"""
import hashlib
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from common.paths import MODELS, SELFIE_ONNX  # noqa: E402

OUT = os.path.join(MODELS, "selfie_segmentation_flex.onnx")


def consumers(graph, name):
    return [n for n in graph.node if name in n.input]


def make_flex(model):
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    nodes = list(g.node)
    new_nodes = []
    drop = set()
    for n in nodes:
        if n.op_type == "AveragePool":
            new_nodes.append(helper.make_node("GlobalAveragePool", list(n.input), list(n.output),
                                              name=n.name + "_global"))
            continue
        if n.op_type == "Resize":
            # the Resize output feeds a Conv whose output is added to the skip tensor; find the
            # Add after that conv and take the other operand's shape
            conv = consumers(g, n.output[0])
            assert len(conv) == 1 and conv[0].op_type == "Conv", n.name
            skip = skip_of(g, conv[0].output[0])
            shape = n.name + "_skip_shape"
            new_nodes.append(helper.make_node("Shape", [skip], [shape], name=shape))
            # sizes = Concat(Slice(Shape(x), 0, 2), Slice(Shape(skip), 2, 4))
            concat = [c for c in nodes if c.output[0] == n.input[3]][0]
            hw = n.name + "_skip_hw"
            new_nodes.append(helper.make_node("Slice", [shape, "flex_two", "flex_four"], [hw], name=hw))
            drop.add(concat.name)
            sizes = n.name + "_sizes"
            new_nodes.append(helper.make_node("Concat", [concat.input[0], hw], [sizes], axis=0, name=sizes))
            new_nodes.append(helper.make_node("Resize", list(n.input[:3]) + [sizes], list(n.output),
                                              name=n.name, **{a.name: helper.get_attribute_value(a)
                                                              for a in n.attribute}))
            continue
        if n.op_type == "ConvTranspose":
            attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute if a.name != "output_shape"}
            new_nodes.append(helper.make_node("ConvTranspose", list(n.input), list(n.output), name=n.name, **attrs))
            continue
        if n.op_type == "Reshape" and n.output[0] == g.output[0].name:
            new_nodes.append(helper.make_node("Transpose", [n.input[0]], list(n.output), perm=[0, 2, 3, 1],
                                              name=n.name + "_nhwc"))
            continue
        new_nodes.append(n)
    new_nodes = [n for n in new_nodes if n.name not in drop]
    del g.node[:]
    g.node.extend(new_nodes)
    g.initializer.extend([numpy_helper.from_array(np.array([2], np.int64), "flex_two"),
                          numpy_helper.from_array(np.array([4], np.int64), "flex_four")])
    for name in ("new_shape__453",) + tuple(k for k in inits if k.startswith("const_fold_opt__48")):
        if not any(name in n.input for n in g.node):
            g.initializer.remove(next(i for i in g.initializer if i.name == name))
    for vi in list(g.input) + list(g.output):
        dims = vi.type.tensor_type.shape.dim
        dims[1].ClearField("dim_value")
        dims[1].dim_param = "height"
        dims[2].ClearField("dim_value")
        dims[2].dim_param = "width"
    del g.value_info[:]
    onnx.checker.check_model(model, full_check=True)
    return model


def skip_of(g, conv_out):
    """The skip tensor added to the decoder branch conv_out (the first Add it feeds)."""
    add = next(c for c in consumers(g, conv_out) if c.op_type == "Add")
    return next(i for i in add.input if i != conv_out)


if __name__ == "__main__":
    model = make_flex(onnx.load(SELFIE_ONNX))
    onnx.save(model, OUT)
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes, sha256 "
          f"{hashlib.sha256(open(OUT, 'rb').read()).hexdigest()[:16]}...)")
