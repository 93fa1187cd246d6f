#!/usr/bin/python3
"""Run a resc-compiled model from Python with ctypes and numpy.

    resc compile models/digits/model.onnx --emit shared -o digits_net.so
    /usr/bin/python3 examples/python/classify.py digits_net.so models/digits/test.bin

`--emit shared` writes digits_net.so (the model and the runtime in one shared
library) and digits_net.h beside it.  This script takes the C prefix and the
tensor shapes from that header, the workspace size from the library, and
prints the accuracy on the digits test split (format: models/digits/README.md).
"""
import ctypes
import re
import sys

import numpy as np


def read_header(path):
    """The C prefix and the #define'd macros of a header written by resc."""
    text = open(path).read()
    name = re.search(r"size_t (\w+)_workspace_size\(void\);", text).group(1)
    macros = dict(re.findall(r"^#define (\w+) (.*?)(?: /\*.*)?$", text, re.M))
    return name, macros


def shape(macros, key):
    return tuple(int(d) for d in macros[key].strip("{}").split(","))


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: classify.py MODEL.so [test.bin]")
    so = sys.argv[1]
    data = sys.argv[2] if len(sys.argv) > 2 else "models/digits/test.bin"
    name, macros = read_header(re.sub(r"\.so$", "", so) + ".h")
    up = name.upper()
    in_shape = shape(macros, up + "_INPUT0_SHAPE")
    out_shape = shape(macros, up + "_OUTPUT0_SHAPE")

    lib = ctypes.CDLL(so)
    run = getattr(lib, name + "_run")
    run.argtypes = [ctypes.POINTER(ctypes.c_void_p)] * 2 + [ctypes.c_void_p]
    run.restype = ctypes.c_int
    ws_size = getattr(lib, name + "_workspace_size")
    ws_size.restype = ctypes.c_size_t

    # a caller-provided workspace: 64-byte aligned, reused by every call
    raw = np.empty(ws_size() + 64, np.uint8)
    ws = raw[-raw.ctypes.data % 64:][: ws_size()]

    # test.bin: "RESCDIG1", uint32 n, h, w, float32 pixels[n][h][w], uint8 labels[n], preds[n]
    blob = open(data, "rb").read()
    if blob[:8] != b"RESCDIG1":
        sys.exit(f"classify.py: {data}: not a digits test file")
    n, h, w = np.frombuffer(blob, np.uint32, 3, 8)
    images = np.frombuffer(blob, np.float32, n * h * w, 20).reshape((n,) + in_shape[1:])
    labels = np.frombuffer(blob, np.uint8, n, 20 + 4 * n * h * w)

    x = np.empty(in_shape, np.float32)
    y = np.empty(out_shape, np.float32)
    ins = (ctypes.c_void_p * 1)(x.ctypes.data)
    outs = (ctypes.c_void_p * 1)(y.ctypes.data)
    pred = np.empty(n, np.int64)
    for i in range(n):
        x[0] = images[i]
        rc = run(ins, outs, ws.ctypes.data)
        if rc != 0:
            sys.exit(f"classify.py: {name}_run returned {rc}")
        pred[i] = y.argmax()
    correct = int((pred == labels).sum())
    print(f"classify.py: {name}: accuracy {correct / n:.4f} ({correct}/{n})")


if __name__ == "__main__":
    main()
