#!/usr/bin/python3
"""Writes small malformed ONNX models that resc must reject cleanly.

Usage: /usr/bin/python3 test/hostile/make_hostile.py OUTDIR

Every case is a (name, expectation) pair in CASES below, built by a function
of the same name.  OUTDIR gets NAME.onnx for each case (plus the data files
the external-data cases point at) and expected.txt, one line per model:

    NAME.onnx<TAB>EXPECTATION

where EXPECTATION is
    ok         the model is valid and must import
    !          must fail with a one-line message (any text)
    *          may import or fail, but must not crash or hang
    TEXT       must fail with a message containing TEXT

The models are written with onnx.helper and raw protobuf bytes, never
checked by onnx.checker (most of them are invalid on purpose).  Output is
deterministic (fixed random seeds), so expected.txt is stable.
"""
import os
import random
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = None
SAVED = []  # names written by the case being built


def save(name, model_or_bytes):
    SAVED.append(name)
    path = os.path.join(OUT, name + ".onnx")
    data = model_or_bytes if isinstance(model_or_bytes, bytes) else model_or_bytes.SerializeToString()
    with open(path, "wb") as f:
        f.write(data)


def model(nodes, inputs, outputs, inits=(), opset=13, **kw):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], **kw)
    m.ir_version = 8
    return m


def vi(name, shape, dt=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dt, shape)


def f32(name, shape, seed=0):
    rng = np.random.default_rng(seed)
    return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)


def i64(name, vals):
    return numpy_helper.from_array(np.array(vals, dtype=np.int64), name)


def conv_model(xshape=(1, 3, 8, 8), wshape=(4, 3, 3, 3), **attrs):
    attrs.setdefault("pads", [1, 1, 1, 1])
    n = [helper.make_node("Conv", ["x", "w"], ["c"], name="conv0", **attrs),
         helper.make_node("Relu", ["c"], ["y"], name="relu0")]
    return model(n, [vi("x", list(xshape))], [vi("y", None)], [f32("w", list(wshape))])


def base_bytes():
    return conv_model().SerializeToString()


# ---- the cases ---------------------------------------------------------------

def valid_conv():
    save("valid_conv", conv_model())


def valid_unsorted():
    n = [helper.make_node("Relu", ["a"], ["y"], name="second"),
         helper.make_node("Conv", ["x", "w"], ["a"], name="first", pads=[1, 1, 1, 1])]
    save("valid_unsorted", model(n, [vi("x", [1, 3, 8, 8])], [vi("y", None)], [f32("w", [4, 3, 3, 3])]))


def valid_output_is_input():
    n = [helper.make_node("Relu", ["x"], ["y"])]
    save("valid_output_is_input", model(n, [vi("x", [2, 3])], [vi("y", None), vi("x", None)]))


def valid_output_is_constant():
    n = [helper.make_node("Relu", ["x"], ["y"]),
         helper.make_node("Constant", [], ["k"], value=i64("kv", [1, 2, 3])),
         helper.make_node("Identity", ["k"], ["k2"])]
    save("valid_output_is_constant", model(n, [vi("x", [2, 3])], [vi("y", None), vi("k2", None, TensorProto.INT64)]))


def valid_shape_chain():
    # PyTorch's x.view(x.size(0), -1) arithmetic must fold away
    n = [helper.make_node("Shape", ["x"], ["s"]),
         helper.make_node("Constant", [], ["zero"], value=numpy_helper.from_array(np.array(0, np.int64))),
         helper.make_node("Gather", ["s", "zero"], ["n"], axis=0),
         helper.make_node("Unsqueeze", ["n", "ax"], ["n1"]),
         helper.make_node("Concat", ["n1", "m1"], ["shape"], axis=0),
         helper.make_node("Reshape", ["x", "shape"], ["y"])]
    save("valid_shape_chain", model(n, [vi("x", [2, 3, 4])], [vi("y", None)],
                                    [i64("ax", [0]), i64("m1", [-1])]))


def valid_relu_chain_20000():
    n = []
    prev = "x"
    for i in range(20000):
        out = "y" if i == 19999 else "r%d" % i
        n.append(helper.make_node("Relu", [prev], [out], name="Relu_%d" % i))
        prev = out
    save("valid_relu_chain_20000", model(n, [vi("x", [1, 8])], [vi("y", None)]))


def valid_external():
    w = np.arange(4 * 3 * 3 * 3, dtype=np.float32)
    with open(os.path.join(OUT, "weights.bin"), "wb") as f:
        f.write(b"\0" * 16 + w.tobytes())
    m = conv_model()
    t = m.graph.initializer[0]
    ext(t, "weights.bin", offset=16, length=w.nbytes)
    save("valid_external", m)


def valid_old_style_inputs():
    # initializers also listed as graph inputs (pre-IR-4 exporters)
    m = conv_model()
    m.graph.input.append(vi("w", [4, 3, 3, 3]))
    save("valid_old_style_inputs", m)


def truncated():
    b = base_bytes()
    save("truncated", b[: len(b) // 2])


def truncated_many():
    b = base_bytes()
    for k, cut in enumerate([1, 2, 5, 17, 40, len(b) - 1]):
        save("truncated_%d" % k, b[:cut])


def bitflip_many():
    b = base_bytes()
    rng = random.Random(1234)
    for k in range(24):
        a = bytearray(b)
        for _ in range(1 + k % 4):
            i = rng.randrange(len(a))
            a[i] ^= 1 << rng.randrange(8)
        save("bitflip_%02d" % k, bytes(a))


def random_bytes():
    rng = random.Random(99)
    save("random_bytes", bytes(rng.randrange(256) for _ in range(4096)))


def empty():
    save("empty", b"")


def deep_nesting():
    # GraphProto.node(1) -> NodeProto.attribute(5) -> AttributeProto.g(6) -> ...
    def ld(field, payload):
        key = (field << 3) | 2
        return varint(key) + varint(len(payload)) + payload

    g = b""
    for _ in range(2000):
        g = ld(1, ld(5, ld(1, b"g") + ld(6, g)))
    opset = ld(8, ld(1, b"") + bytes([0x10, 13]))
    save("deep_nesting", ld(7, g) + opset)


def varint(v):
    out = b""
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def cycle():
    n = [helper.make_node("Relu", ["x"], ["a"], name="Relu_0"),
         helper.make_node("Add", ["a", "c"], ["b"], name="Add_1"),
         helper.make_node("Relu", ["b"], ["c"], name="Relu_2"),
         helper.make_node("Relu", ["c"], ["y"], name="Relu_3")]
    save("cycle", model(n, [vi("x", [4])], [vi("y", None)]))


def self_loop():
    n = [helper.make_node("Add", ["x", "a"], ["a"], name="selfish")]
    save("self_loop", model(n, [vi("x", [4])], [vi("a", None)]))


def undefined_input():
    n = [helper.make_node("Relu", ["x"], ["a"]),
         helper.make_node("Add", ["a", "nowhere"], ["y"], name="Add_1")]
    save("undefined_input", model(n, [vi("x", [4])], [vi("y", None)]))


def duplicate_output():
    n = [helper.make_node("Relu", ["x"], ["a"]),
         helper.make_node("Sigmoid", ["x"], ["a"], name="dup")]
    save("duplicate_output", model(n, [vi("x", [4])], [vi("a", None)]))


def output_shadows_input():
    n = [helper.make_node("Relu", ["x"], ["x"])]
    save("output_shadows_input", model(n, [vi("x", [4])], [vi("x", None)]))


def undefined_graph_output():
    n = [helper.make_node("Relu", ["x"], ["y"])]
    save("undefined_graph_output", model(n, [vi("x", [4])], [vi("zzz", None)]))


def no_outputs():
    n = [helper.make_node("Relu", ["x"], ["y"])]
    save("no_outputs", model(n, [vi("x", [4])], []))


def short_raw_data():
    m = conv_model()
    t = m.graph.initializer[0]
    t.raw_data = t.raw_data[:-4]
    save("short_raw_data", m)


def long_raw_data():
    m = conv_model()
    t = m.graph.initializer[0]
    t.raw_data = t.raw_data + b"\0\0\0\0"
    save("long_raw_data", m)


def short_float_data():
    m = conv_model()
    t = m.graph.initializer[0]
    t.ClearField("raw_data")
    t.float_data.extend([1.0] * 10)
    save("short_float_data", m)


def no_data():
    m = conv_model()
    m.graph.initializer[0].ClearField("raw_data")
    save("no_data", m)


def data_in_two_fields():
    m = conv_model()
    m.graph.initializer[0].float_data.extend([1.0] * 108)
    save("data_in_two_fields", m)


def wrong_data_field():
    m = conv_model()
    t = m.graph.initializer[0]
    t.ClearField("raw_data")
    t.int64_data.extend([1] * 108)
    save("wrong_data_field", m)


def negative_dim():
    m = conv_model()
    t = m.graph.initializer[0]
    t.dims[0] = -4
    save("negative_dim", m)


def zero_dim_weight():
    m = conv_model()
    t = m.graph.initializer[0]
    t.dims[2] = 0
    t.raw_data = b""
    save("zero_dim_weight", m)


def overflow_dims():
    m = conv_model()
    t = m.graph.initializer[0]
    del t.dims[:]
    t.dims.extend([1 << 40, 1 << 40, 1 << 40, 3])
    save("overflow_dims", m)


def huge_initializer():
    m = conv_model()
    t = m.graph.initializer[0]
    del t.dims[:]
    t.dims.extend([1 << 20, 1 << 20, 3, 3])
    save("huge_initializer", m)


def huge_input():
    save("huge_input", conv_model(xshape=(1, 3, 1 << 31, 1 << 31)))


def negative_input_dim():
    save("negative_input_dim", conv_model(xshape=(1, 3, -8, 8)))


def zero_input_dim():
    # dim_value 0 is a dynamic dim: not allowed off axis 0
    save("zero_input_dim", conv_model(xshape=(1, 3, 0, 8)))


def symbolic_dim():
    save("symbolic_dim", conv_model(xshape=(1, 3, "h", 8)))


def rank9_input():
    n = [helper.make_node("Relu", ["x"], ["y"])]
    save("rank9_input", model(n, [vi("x", [1] * 9)], [vi("y", None)]))


def no_input_shape():
    n = [helper.make_node("Relu", ["x"], ["y"])]
    save("no_input_shape", model(n, [vi("x", None)], [vi("y", None)]))


def zero_stride():
    save("zero_stride", conv_model(strides=[0, 1]))


def negative_pads():
    save("negative_pads", conv_model(pads=[-1, 0, 0, 0]))


def huge_pads():
    save("huge_pads", conv_model(pads=[1 << 62, 0, 0, 0]))


def huge_dilation():
    save("huge_dilation", conv_model(dilations=[1 << 62, 1]))


def kernel_too_large():
    save("kernel_too_large", conv_model(xshape=(1, 3, 5, 5), wshape=(4, 3, 7, 7), pads=[0, 0, 0, 0]))


def group_mismatch():
    save("group_mismatch", conv_model(xshape=(1, 64, 8, 8), wshape=(64, 21, 3, 3), group=3))


def conv_1d():
    save("conv_1d", conv_model(xshape=(1, 3, 8), wshape=(4, 3, 3), pads=[1, 1]))


def bad_auto_pad():
    save("bad_auto_pad", conv_model(auto_pad="SAME_SIDEWAYS", pads=None))


def maxpool_zero_kernel():
    n = [helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[0, 2])]
    save("maxpool_zero_kernel", model(n, [vi("x", [1, 1, 4, 4])], [vi("y", None)]))


def maxpool_no_kernel():
    n = [helper.make_node("MaxPool", ["x"], ["y"])]
    save("maxpool_no_kernel", model(n, [vi("x", [1, 1, 4, 4])], [vi("y", None)]))


def reshape_wrong_count():
    n = [helper.make_node("Reshape", ["x", "s"], ["y"])]
    save("reshape_wrong_count", model(n, [vi("x", [2, 3, 4])], [vi("y", None)], [i64("s", [5, 5])]))


def reshape_two_minus_one():
    n = [helper.make_node("Reshape", ["x", "s"], ["y"])]
    save("reshape_two_minus_one", model(n, [vi("x", [2, 3, 4])], [vi("y", None)], [i64("s", [-1, -1])]))


def reshape_nonconst_shape():
    n = [helper.make_node("Reshape", ["x", "s"], ["y"], name="Reshape_7")]
    save("reshape_nonconst_shape", model(n, [vi("x", [2, 3, 4]), vi("s", [2], TensorProto.INT64)],
                                         [vi("y", None)]))


def slice_nonconst_starts():
    n = [helper.make_node("Slice", ["x", "st", "en"], ["y"])]
    save("slice_nonconst_starts", model(n, [vi("x", [8]), vi("st", [1], TensorProto.INT64)], [vi("y", None)],
                                        [i64("en", [4])]))


def gemm_mismatch():
    n = [helper.make_node("Gemm", ["x", "w"], ["y"], transB=1)]
    save("gemm_mismatch", model(n, [vi("x", [1, 64])], [vi("y", None)], [f32("w", [10, 60])]))


def matmul_mismatch():
    n = [helper.make_node("MatMul", ["x", "w"], ["y"])]
    save("matmul_mismatch", model(n, [vi("x", [2, 3, 4])], [vi("y", None)], [f32("w", [5, 6])]))


def add_no_broadcast():
    n = [helper.make_node("Add", ["x", "b"], ["y"])]
    save("add_no_broadcast", model(n, [vi("x", [2, 3])], [vi("y", None)], [f32("b", [4])]))


def concat_mismatch():
    n = [helper.make_node("Concat", ["x", "b"], ["y"], axis=1)]
    save("concat_mismatch", model(n, [vi("x", [2, 3])], [vi("y", None)], [f32("b", [3, 3])]))


def split_bad_sizes():
    n = [helper.make_node("Split", ["x", "s"], ["a", "b"], axis=0)]
    save("split_bad_sizes", model(n, [vi("x", [6])], [vi("a", None), vi("b", None)], [i64("s", [2, 5])]))


def gather_out_of_range():
    n = [helper.make_node("Gather", ["x", "i"], ["y"], axis=0)]
    save("gather_out_of_range", model(n, [vi("x", [3, 2])], [vi("y", None)], [i64("i", [0, 7])]))


def pad_reflect_too_big():
    n = [helper.make_node("Pad", ["x", "p"], ["y"], mode="reflect")]
    save("pad_reflect_too_big", model(n, [vi("x", [2, 3])], [vi("y", None)], [i64("p", [0, 5, 0, 0])]))


def resize_cubic():
    n = [helper.make_node("Resize", ["x", "", "s"], ["y"], mode="cubic")]
    save("resize_cubic", model(n, [vi("x", [1, 1, 4, 4])], [vi("y", None)],
                               [numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "s")]))


def resize_tf_crop():
    n = [helper.make_node("Resize", ["x", "", "s"], ["y"], coordinate_transformation_mode="tf_crop_and_resize")]
    save("resize_tf_crop", model(n, [vi("x", [1, 1, 4, 4])], [vi("y", None)],
                                 [numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "s")]))


def resize_huge_scale():
    n = [helper.make_node("Resize", ["x", "", "s"], ["y"])]
    save("resize_huge_scale", model(n, [vi("x", [1, 1, 4, 4])], [vi("y", None)],
                                    [numpy_helper.from_array(np.array([1, 1, 1e30, 1e30], np.float32), "s")]))


def expand_huge():
    n = [helper.make_node("Expand", ["x", "s"], ["y"])]
    save("expand_huge", model(n, [vi("x", [1, 1])], [vi("y", None)], [i64("s", [1 << 30, 1 << 30])]))


def wrong_attr_type():
    n = [helper.make_node("Conv", ["x", "w"], ["y"], group=1.0)]
    save("wrong_attr_type", model(n, [vi("x", [1, 3, 8, 8])], [vi("y", None)], [f32("w", [4, 3, 3, 3])]))


def wrong_attr_type_list():
    n = [helper.make_node("Conv", ["x", "w"], ["y"], strides="two")]
    save("wrong_attr_type_list", model(n, [vi("x", [1, 3, 8, 8])], [vi("y", None)], [f32("w", [4, 3, 3, 3])]))


def duplicate_attr():
    node = helper.make_node("Conv", ["x", "w"], ["y"], group=1)
    node.attribute.append(helper.make_attribute("group", 2))
    save("duplicate_attr", model([node], [vi("x", [1, 3, 8, 8])], [vi("y", None)], [f32("w", [4, 3, 3, 3])]))


def undefined_dtype():
    n = [helper.make_node("Relu", ["x"], ["y"])]
    save("undefined_dtype", model(n, [vi("x", [4], TensorProto.UNDEFINED)], [vi("y", None)]))


def string_initializer():
    n = [helper.make_node("Add", ["x", "s"], ["y"])]
    t = helper.make_tensor("s", TensorProto.STRING, [1], [b"hi"])
    save("string_initializer", model(n, [vi("x", [1])], [vi("y", None)], [t]))


def float16_initializer():
    n = [helper.make_node("Add", ["x", "h"], ["y"])]
    t = numpy_helper.from_array(np.ones([4], np.float16), "h")
    save("float16_initializer", model(n, [vi("x", [4])], [vi("y", None)], [t]))


def bad_dtype_number():
    m = conv_model()
    m.graph.initializer[0].data_type = 1000
    save("bad_dtype_number", m)


def cast_float16():
    n = [helper.make_node("Cast", ["x"], ["y"], to=TensorProto.FLOAT16)]
    save("cast_float16", model(n, [vi("x", [4])], [vi("y", None)]))


def no_opset():
    m = conv_model()
    del m.opset_import[:]
    save("no_opset", m)


def old_opset():
    m = conv_model()
    m.opset_import[0].version = 6
    save("old_opset", m)


def future_opset():
    m = conv_model()
    m.opset_import[0].version = 99
    save("future_opset", m)


def unknown_op():
    n = [helper.make_node("FooBar", ["x"], ["y"], name="mystery")]
    save("unknown_op", model(n, [vi("x", [4])], [vi("y", None)]))


def unknown_domain():
    n = [helper.make_node("Relu", ["x"], ["y"], domain="com.example")]
    m = model(n, [vi("x", [4])], [vi("y", None)])
    m.opset_import.append(helper.make_opsetid("com.example", 1))
    save("unknown_domain", m)


def no_graph():
    m = onnx.ModelProto()
    m.ir_version = 8
    m.opset_import.append(helper.make_opsetid("", 13))
    save("no_graph", m)


def bn_training_outputs():
    n = [helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y", "rm", "rv"])]
    ins = [f32(k, [3], i) for i, k in enumerate("sbmv")]
    save("bn_training_outputs", model(n, [vi("x", [1, 3, 4, 4])], [vi("y", None), vi("rm", None)], ins, opset=13))


def dropout_mask_used():
    n = [helper.make_node("Dropout", ["x"], ["y", "mask"])]
    save("dropout_mask_used", model(n, [vi("x", [4])], [vi("y", None), vi("mask", None, TensorProto.BOOL)]))


def maxpool_indices_used():
    n = [helper.make_node("MaxPool", ["x"], ["y", "idx"], kernel_shape=[2, 2])]
    save("maxpool_indices_used", model(n, [vi("x", [1, 1, 4, 4])],
                                       [vi("y", None), vi("idx", None, TensorProto.INT64)]))


def initializer_twice():
    m = conv_model()
    m.graph.initializer.append(f32("w", [4, 3, 3, 3], 1))
    save("initializer_twice", m)


def sparse_initializer():
    m = conv_model()
    sp = m.graph.sparse_initializer.add()
    sp.dims.extend([4])
    sp.values.CopyFrom(numpy_helper.from_array(np.array([1.0], np.float32), "sp"))
    sp.indices.CopyFrom(numpy_helper.from_array(np.array([0], np.int64), "spi"))
    save("sparse_initializer", m)


def sparse_constant():
    sp = onnx.SparseTensorProto()
    sp.dims.extend([4])
    sp.values.CopyFrom(numpy_helper.from_array(np.array([1.0], np.float32), "sp"))
    sp.indices.CopyFrom(numpy_helper.from_array(np.array([0], np.int64), "spi"))
    n = [helper.make_node("Constant", [], ["k"], sparse_value=sp),
         helper.make_node("Add", ["x", "k"], ["y"])]
    save("sparse_constant", model(n, [vi("x", [4])], [vi("y", None)]))


def segmented_tensor():
    m = conv_model()
    m.graph.initializer[0].segment.begin = 0
    m.graph.initializer[0].segment.end = 10
    save("segmented_tensor", m)


def ext(t, location, offset=None, length=None):
    raw = t.raw_data
    t.ClearField("raw_data")
    t.data_location = TensorProto.EXTERNAL
    del t.external_data[:]
    for k, v in (("location", location), ("offset", offset), ("length", length)):
        if v is not None:
            e = t.external_data.add()
            e.key = k
            e.value = str(v)
    return raw


# ---- CVE-2022-25882: external-data directory traversal -------------------
# ONNX before 1.13.0 read a TensorProto's external data from whatever its
# "location" named, "../../../etc/passwd" included.  resc reads external data
# only from regular files inside the model's folder: no absolute paths, no
# ".." components, nothing that resolves (through symlinks) outside it.  The
# external_* cases below cover the variants; these name the CVE itself, for
# an initializer and for a Constant node's tensor (a second code path).

def cve_2022_25882_traversal():
    m = conv_model()
    ext(m.graph.initializer[0], "../../../../../../../../etc/passwd", length=432)
    save("cve_2022_25882_traversal", m)


def cve_2022_25882_constant_node():
    t = f32("k", [4])
    ext(t, "../../../../../../../../etc/passwd", length=16)
    n = [helper.make_node("Constant", [], ["k"], value=t),
         helper.make_node("Add", ["x", "k"], ["y"])]
    save("cve_2022_25882_constant_node", model(n, [vi("x", [4])], [vi("y", None)]))


def valid_external_symlink_inside():
    # a symlink that stays inside the folder is fine
    w = np.arange(4 * 3 * 3 * 3, dtype=np.float32)
    os.makedirs(os.path.join(OUT, "inside"), exist_ok=True)
    with open(os.path.join(OUT, "inside", "w.bin"), "wb") as f:
        f.write(w.tobytes())
    link = os.path.join(OUT, "inside_link.bin")
    if os.path.lexists(link):
        os.remove(link)
    os.symlink("inside/w.bin", link)
    m = conv_model()
    ext(m.graph.initializer[0], "inside_link.bin", length=w.nbytes)
    save("valid_external_symlink_inside", m)


def external_missing():
    m = conv_model()
    ext(m.graph.initializer[0], "no_such_file.bin")
    save("external_missing", m)


def external_absolute():
    m = conv_model()
    ext(m.graph.initializer[0], "/etc/passwd", length=432)
    save("external_absolute", m)


def external_traversal():
    m = conv_model()
    ext(m.graph.initializer[0], "../../etc/passwd", length=432)
    save("external_traversal", m)


def external_traversal_inner():
    m = conv_model()
    ext(m.graph.initializer[0], "sub/../../../etc/passwd", length=432)
    save("external_traversal_inner", m)


def external_symlink():
    link = os.path.join(OUT, "escape.bin")
    if os.path.lexists(link):
        os.remove(link)
    os.symlink("/etc/passwd", link)
    m = conv_model()
    ext(m.graph.initializer[0], "escape.bin", length=432)
    save("external_symlink", m)


def external_symlink_dir():
    link = os.path.join(OUT, "escape_dir")
    if os.path.lexists(link):
        os.remove(link)
    os.symlink("/etc", link)
    m = conv_model()
    ext(m.graph.initializer[0], "escape_dir/passwd", length=432)
    save("external_symlink_dir", m)


def external_out_of_range():
    with open(os.path.join(OUT, "small.bin"), "wb") as f:
        f.write(b"\0" * 100)
    m = conv_model()
    ext(m.graph.initializer[0], "small.bin", offset=50)
    save("external_out_of_range", m)


def external_huge_offset():
    m = conv_model()
    ext(m.graph.initializer[0], "small.bin", offset=(1 << 63) - 1)
    save("external_huge_offset", m)


def external_bad_offset():
    m = conv_model()
    ext(m.graph.initializer[0], "small.bin", offset="-5")
    save("external_bad_offset", m)


def external_wrong_length():
    m = conv_model()
    ext(m.graph.initializer[0], "small.bin", length=100)
    save("external_wrong_length", m)


def external_directory():
    os.makedirs(os.path.join(OUT, "a_directory"), exist_ok=True)
    m = conv_model()
    ext(m.graph.initializer[0], "a_directory")
    save("external_directory", m)


def external_no_location():
    m = conv_model()
    t = m.graph.initializer[0]
    t.ClearField("raw_data")
    t.data_location = TensorProto.EXTERNAL
    save("external_no_location", m)


def many_inputs_one_node():
    n = [helper.make_node("Sum", ["x"] * 100000, ["y"])]
    save("many_inputs_one_node", model(n, [vi("x", [2])], [vi("y", None)]))


def control_chars_in_names():
    n = [helper.make_node("Relu", ["x"], ["y"], name="evil\nname\x1b[31m"),
         helper.make_node("Bogus\nOp", ["y"], ["z"], name="next\r")]
    save("control_chars_in_names", model(n, [vi("x", [4])], [vi("z", None)]))


def subgraph_op():
    then = helper.make_graph([helper.make_node("Relu", ["x"], ["t"])], "then", [], [vi("t", [4])])
    n = [helper.make_node("If", ["c"], ["y"], then_branch=then, else_branch=then)]
    save("subgraph_op", model(n, [vi("x", [4]), vi("c", [], TensorProto.BOOL)], [vi("y", None)]))


def unsqueeze_rank_overflow():
    n = [helper.make_node("Unsqueeze", ["x", "a"], ["y"])]
    save("unsqueeze_rank_overflow", model(n, [vi("x", [1, 1, 1, 1, 1, 1])], [vi("y", None)],
                                          [i64("a", [0, 1, 2, 3])]))


def declared_output_mismatch():
    n = [helper.make_node("Relu", ["x"], ["y"])]
    save("declared_output_mismatch", model(n, [vi("x", [2, 3])], [vi("y", [2, 4])]))


def fifo_model():
    # a named pipe: opening it must not block waiting for a writer
    path = os.path.join(OUT, "fifo_model.onnx")
    if os.path.lexists(path):
        os.remove(path)
    os.mkfifo(path)
    SAVED.append("fifo_model")


def external_fifo():
    path = os.path.join(OUT, "pipe.bin")
    if os.path.lexists(path):
        os.remove(path)
    os.mkfifo(path)
    m = conv_model()
    ext(m.graph.initializer[0], "pipe.bin")
    save("external_fifo", m)


def extra_inputs():
    n = [helper.make_node("Relu", ["x", "x"], ["y"])]
    save("extra_inputs", model(n, [vi("x", [4])], [vi("y", None)]))


def moved_attribute():
    n = [helper.make_node("Squeeze", ["x"], ["y"], axes=[0])]
    save("moved_attribute", model(n, [vi("x", [1, 4])], [vi("y", None)], opset=13))


CASES = [
    ("valid_conv", "ok"),
    ("valid_unsorted", "ok"),
    ("valid_output_is_input", "ok"),
    ("valid_output_is_constant", "ok"),
    ("valid_shape_chain", "ok"),
    ("valid_relu_chain_20000", "ok"),
    ("valid_external", "ok"),
    ("valid_old_style_inputs", "ok"),
    ("truncated", "not a valid ONNX model"),
    ("truncated_many", "!"),
    ("bitflip_many", "*"),
    ("random_bytes", "not a valid ONNX model"),
    ("empty", "not a valid ONNX model (empty file)"),
    ("deep_nesting", "nested more than"),
    ("cycle", "graph has a cycle through node 1 \"Add_1\" (Add)"),
    ("self_loop", "graph has a cycle through node 0 \"selfish\" (Add)"),
    ("undefined_input", "node 1 \"Add_1\" (Add): input 'nowhere' is not defined"),
    ("duplicate_output", "node 1 \"dup\" (Sigmoid): output 'a' is already defined"),
    ("output_shadows_input", "output 'x' is already defined"),
    ("undefined_graph_output", "graph output 'zzz' is not defined"),
    ("no_outputs", "model has no outputs"),
    ("short_raw_data", "bytes of data, expected 432"),
    ("long_raw_data", "bytes of data, expected 432"),
    ("short_float_data", "has 10 values in float_data, expected 108"),
    ("no_data", "has no data"),
    ("data_in_two_fields", "more than one field"),
    ("wrong_data_field", "wrong field"),
    ("negative_dim", "negative dimension -4"),
    ("zero_dim_weight", "kernel size 0"),
    ("overflow_dims", "too many elements"),
    ("huge_initializer", "over the limit"),
    ("huge_input", "graph input 'x' is too large"),
    ("negative_input_dim", "negative dimension -8"),
    ("zero_input_dim", "symbolic dim '?' on axis 2"),
    ("symbolic_dim", "input 'x' has a symbolic dim 'h' on axis 2 (give --batch or a fixed-size model)"),
    ("rank9_input", "rank 9"),
    ("no_input_shape", "has no shape"),
    ("zero_stride", "strides must be positive, not 0"),
    ("negative_pads", "pads must be non-negative"),
    ("huge_pads", "too large"),
    ("huge_dilation", "too large"),
    ("kernel_too_large", "(Conv): kernel 7x7 larger than padded input 5x5"),
    ("group_mismatch", "(Conv): group 3 does not divide 64 input channels"),
    ("conv_1d", "only 2-D Conv is supported"),
    ("bad_auto_pad", "unsupported auto_pad 'SAME_SIDEWAYS'"),
    ("maxpool_zero_kernel", "kernel_shape value 0 is out of range"),
    ("maxpool_no_kernel", "missing attribute 'kernel_shape'"),
    ("reshape_wrong_count", "cannot reshape [2,3,4] (24 elements) to [5,5] (25 elements)"),
    ("reshape_two_minus_one", "more than one -1"),
    ("reshape_nonconst_shape", "node 0 \"Reshape_7\" (Reshape): shape input must be constant"),
    ("slice_nonconst_starts", "starts input must be constant"),
    ("gemm_mismatch", "(Gemm): inner dimensions 64 and 60 do not match"),
    ("matmul_mismatch", "inner dimensions 4 and 5 do not match"),
    ("add_no_broadcast", "shapes [2,3] and [4] do not broadcast"),
    ("concat_mismatch", "outside axis 1"),
    ("split_bad_sizes", "add up to 7"),
    ("gather_out_of_range", "index 7 out of range"),
    ("pad_reflect_too_big", "reflect pads"),
    ("resize_cubic", "mode 'cubic' is not supported"),
    ("resize_tf_crop", "'tf_crop_and_resize' is not supported"),
    ("resize_huge_scale", "too large"),
    ("expand_huge", "over the limit"),
    ("wrong_attr_type", "attribute 'group' must be an int"),
    ("wrong_attr_type_list", "attribute 'strides' must be a list of ints"),
    ("duplicate_attr", "attribute 'group' is given twice"),
    ("undefined_dtype", "unsupported dtype undefined"),
    ("string_initializer", "initializer 's' has unsupported dtype string"),
    ("float16_initializer", "initializer 'h' has unsupported dtype float16"),
    ("bad_dtype_number", "unsupported dtype of unknown type"),
    ("cast_float16", "cast to float16 is not supported"),
    ("no_opset", "no opset_import for the default ONNX domain"),
    ("old_opset", "opset 6 is not supported"),
    ("future_opset", "opset 99 is not supported"),
    ("unknown_op", "node 0 \"mystery\" (FooBar): unsupported operator 'FooBar'"),
    ("unknown_domain", "unknown domain 'com.example'"),
    ("no_graph", "no graph"),
    ("bn_training_outputs", "training-mode output 1 ('rm') is not supported"),
    ("dropout_mask_used", "mask output is not supported"),
    ("maxpool_indices_used", "Indices output is not supported"),
    ("initializer_twice", "initializer 'w' is defined twice"),
    ("sparse_initializer", "sparse initializers are not supported"),
    ("sparse_constant", "sparse constants are not supported"),
    ("segmented_tensor", "segmented"),
    ("cve_2022_25882_traversal", "outside the model folder"),
    ("cve_2022_25882_constant_node", "outside the model folder"),
    ("valid_external_symlink_inside", "ok"),
    ("external_missing", "external data file 'no_such_file.bin' not found"),
    ("external_absolute", "absolute path '/etc/passwd'"),
    ("external_traversal", "'../../etc/passwd' outside the model folder"),
    ("external_traversal_inner", "outside the model folder"),
    ("external_symlink", "'escape.bin' that resolves outside the model folder"),
    ("external_symlink_dir", "resolves outside the model folder"),
    ("external_out_of_range", "past the end of the file"),
    ("external_huge_offset", "past the end of the file"),
    ("external_bad_offset", "invalid external data offset"),
    ("external_wrong_length", "has 100 bytes of external data, expected 432"),
    ("external_directory", "not a regular file"),
    ("external_no_location", "without a location"),
    ("many_inputs_one_node", "ok"),
    ("control_chars_in_names", "unsupported operator 'Bogus\\x0aOp'"),
    ("subgraph_op", "unsupported operator 'If'"),
    ("unsqueeze_rank_overflow", "result rank 10 exceeds 8"),
    ("fifo_model", "not a regular file"),
    ("external_fifo", "not a regular file"),
    ("extra_inputs", "has 2 inputs, but Relu takes at most 1 in opset 13"),
    ("moved_attribute", "'axes' is an input, not an attribute, since opset 13"),
    ("declared_output_mismatch", "graph output 'y' is declared [2,4] but computes [2,3]"),
]


def main():
    global OUT
    if len(sys.argv) != 2:
        sys.exit("usage: make_hostile.py OUTDIR")
    OUT = sys.argv[1]
    os.makedirs(OUT, exist_ok=True)
    lines = []
    for name, want in CASES:
        del SAVED[:]
        globals()[name]()
        assert SAVED, name
        lines += ["%s.onnx\t%s" % (f, want) for f in SAVED]
    with open(os.path.join(OUT, "expected.txt"), "w") as f:
        f.write("# model<TAB>expectation: ok | ! (fails) | * (anything but a crash) | error substring\n")
        f.write("\n".join(lines) + "\n")
    print("wrote %d models to %s" % (len(lines), OUT))


if __name__ == "__main__":
    main()
