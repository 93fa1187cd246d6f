#!/usr/bin/python3
"""Writes small valid ONNX models for the fuzzer's seed corpus.

Usage: /usr/bin/python3 test/fuzz/make_seeds.py OUTDIR

Zoo-like but tiny (a few KB each, 8x8 to 16x16 inputs, 4 to 8 channels), so
the fuzzer mutates the structure of a residual network rather than megabytes
of weights: a basic block, a bottleneck with a projection shortcut, grouped
convolution (ResNeXt), a squeeze-excitation gate (SE-ResNet), BatchNorm kept
in the graph, PyTorch's Shape/Gather/Concat/Reshape flatten, a split-attention
radix softmax (ResNeSt), a Residual Attention mask, and external data read
from w.bin (the fuzz target's folder has one).
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

RNG = np.random.default_rng(7)
OUT = None


def w(name, *shape):
    return numpy_helper.from_array((RNG.standard_normal(shape) * 0.3).astype(np.float32), name)


def i64(name, vals):
    return numpy_helper.from_array(np.array(vals, np.int64), name)


def save(name, nodes, inits, x=(1, 4, 8, 8), opset=13, y=None):
    g = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x))],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, y)], initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="seed")
    m.ir_version = 8
    with open(os.path.join(OUT, name + ".onnx"), "wb") as f:
        f.write(m.SerializeToString())


def conv(x, wn, y, c_out, c_in, k=3, s=1, g=1, bias=True):
    ins = [x, wn] + ([wn + "_b"] if bias else [])
    inits = [w(wn, c_out, c_in // g, k, k)] + ([w(wn + "_b", c_out)] if bias else [])
    return helper.make_node("Conv", ins, [y], kernel_shape=[k, k], strides=[s, s],
                            pads=[k // 2] * 4, group=g), inits


def head(x, c, inits, nodes, classes=3):
    nodes += [helper.make_node("GlobalAveragePool", [x], ["gap"]),
              helper.make_node("Flatten", ["gap"], ["flat"], axis=1),
              helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["y"], transB=1)]
    inits += [w("fc_w", classes, c), w("fc_b", classes)]


def basic_block():
    n, i = [], []
    for a, b, k in (("x", "c1", "w1"), ("r1", "c2", "w2")):
        node, ini = conv(a, k, b, 4, 4)
        n.append(node); i += ini
        if b == "c1":
            n.append(helper.make_node("Relu", ["c1"], ["r1"]))
    n += [helper.make_node("Add", ["c2", "x"], ["s"]), helper.make_node("Relu", ["s"], ["r"]),
          helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2])]
    head("p", 4, i, n)
    save("basic_block", n, i)


def bottleneck_bn():
    n, i = [], []
    c1, i1 = conv("x", "w1", "a", 2, 4, k=1, bias=False)
    n.append(c1); i += i1
    n.append(helper.make_node("BatchNormalization", ["a", "g", "b", "m", "v"], ["bn"], epsilon=1e-5))
    i += [w("g", 2), w("b", 2), w("m", 2), numpy_helper.from_array(np.ones(2, np.float32) + 0.5, "v")]
    n.append(helper.make_node("Relu", ["bn"], ["r"]))
    c2, i2 = conv("r", "w2", "c", 2, 2, s=2)
    c3, i3 = conv("c", "w3", "d", 8, 2, k=1)
    cp, ip = conv("x", "wp", "proj", 8, 4, k=1, s=2)
    n += [c2, c3, cp]; i += i2 + i3 + ip
    n += [helper.make_node("Add", ["d", "proj"], ["s"]), helper.make_node("Relu", ["s"], ["o"])]
    head("o", 8, i, n)
    save("bottleneck_bn", n, i, opset=17)


def grouped():
    n, i = [], []
    c, ci = conv("x", "w1", "a", 8, 4, g=4)
    n.append(c); i += ci
    n.append(helper.make_node("Clip", ["a", "lo", "hi"], ["b"]))
    i += [numpy_helper.from_array(np.array(0, np.float32), "lo"), numpy_helper.from_array(np.array(6, np.float32), "hi")]
    head("b", 8, i, n)
    save("grouped_clip", n, i)


def se_gate():
    n, i = [], []
    n += [helper.make_node("GlobalAveragePool", ["x"], ["g"])]
    c1, i1 = conv("g", "s1", "h", 2, 4, k=1)
    c2, i2 = conv("hr", "s2", "e", 4, 2, k=1)
    n += [c1, helper.make_node("Relu", ["h"], ["hr"]), c2, helper.make_node("Sigmoid", ["e"], ["sg"]),
          helper.make_node("Mul", ["x", "sg"], ["m"]), helper.make_node("Add", ["m", "x"], ["s"])]
    i += i1 + i2
    head("s", 4, i, n)
    save("se_gate", n, i)


def flatten_chain():
    n = [helper.make_node("Shape", ["x"], ["sh"]),
         helper.make_node("Gather", ["sh", "zero"], ["n0"], axis=0),
         helper.make_node("Unsqueeze", ["n0", "ax"], ["n1"]),
         helper.make_node("Concat", ["n1", "m1"], ["shape"], axis=0),
         helper.make_node("Reshape", ["x", "shape"], ["flat"]),
         helper.make_node("MatMul", ["flat", "mw"], ["mm"]),
         helper.make_node("Add", ["mm", "mb"], ["y"])]
    i = [numpy_helper.from_array(np.array(0, np.int64), "zero"), i64("ax", [0]), i64("m1", [-1]),
         w("mw", 256, 3), w("mb", 3)]
    save("flatten_chain", n, i)


def split_attention():
    # radix 2: conv to 2C, split, sum, gap, fc, softmax over radix, weighted sum
    n, i = [], []
    c, ci = conv("x", "w1", "a", 8, 4, g=2)
    n.append(c); i += ci
    n += [helper.make_node("Split", ["a", "sp"], ["a0", "a1"], axis=1),
          helper.make_node("Add", ["a0", "a1"], ["u"]),
          helper.make_node("GlobalAveragePool", ["u"], ["gu"])]
    i.append(i64("sp", [4, 4]))
    f, fi = conv("gu", "wf", "att", 8, 4, k=1)
    n.append(f); i += fi
    n += [helper.make_node("Reshape", ["att", "rs"], ["att2"]),
          helper.make_node("Transpose", ["att2"], ["att3"], perm=[0, 2, 1, 3]),
          helper.make_node("Softmax", ["att3"], ["sm"], axis=1),
          helper.make_node("Reshape", ["sm", "rs2"], ["smr"]),
          helper.make_node("Split", ["smr", "sp"], ["s0", "s1"], axis=1),
          helper.make_node("Mul", ["a0", "s0"], ["m0"]),
          helper.make_node("Mul", ["a1", "s1"], ["m1"]),
          helper.make_node("Add", ["m0", "m1"], ["o"])]
    i += [i64("rs", [1, 1, 2, 4]), i64("rs2", [1, 8, 1, 1])]
    head("o", 4, i, n)
    save("split_attention", n, i)


def attention_mask():
    n, i = [], []
    n += [helper.make_node("MaxPool", ["x"], ["d"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
          helper.make_node("Resize", ["d", "", "sc"], ["upm"], mode="nearest"),
          helper.make_node("Sigmoid", ["upm"], ["m"]),
          helper.make_node("Add", ["m", "one"], ["m1"]),
          helper.make_node("Mul", ["m1", "x"], ["o"]),
          helper.make_node("AveragePool", ["o"], ["p"], kernel_shape=[2, 2], strides=[2, 2])]
    i += [numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "sc"),
          numpy_helper.from_array(np.array(1, np.float32), "one")]
    head("p", 4, i, n)
    save("attention_mask", n, i)


def external_weights():
    n, i = [], []
    c, ci = conv("x", "w1", "a", 4, 4, bias=False)
    t = ci[0]
    t.ClearField("raw_data")
    t.data_location = TensorProto.EXTERNAL
    for k, v in (("location", "w.bin"), ("offset", "64"), ("length", str(4 * 4 * 3 * 3 * 4))):
        e = t.external_data.add(); e.key = k; e.value = v
    n += [c, helper.make_node("Relu", ["a"], ["y"])]
    save("external_weights", n, ci)


def main():
    global OUT
    OUT = sys.argv[1]
    os.makedirs(OUT, exist_ok=True)
    for f in (basic_block, bottleneck_bn, grouped, se_gate, flatten_chain, split_attention,
              attention_mask, external_weights):
        f()
    print("wrote seeds to %s" % OUT)


if __name__ == "__main__":
    main()
