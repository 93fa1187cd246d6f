#!/usr/bin/python3
"""resnet50 compiled for other input sizes and batch sizes, against PyTorch.

    shapes.py --bin BUILD/bin --src SRC --model BUILD/models/resnet50/model.onnx --work DIR

The zoo exports resnet50 for 1x3x224x224.  This test compiles the same
model.onnx

  - with --input-shape input=1x3x320x320 into an object linked with
    test/models/driver.c (the application's way; the header must state the
    new shapes), and
  - with --batch 4 through `resc run` (a TensorProto in and out),

and compares each with the zoo's PyTorch module (models/zoo.py build(),
the same seeded weights) run in float64 on a seeded input of that shape:
max|got - want| <= 1e-4 * max|want| and the same top-1 class per image (the
zoo's tolerance, docs/testing.md).  One compile per shape.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

import numpy as np
from onnx import numpy_helper

# the zoo tests' helpers and tolerance (test/models/check.py)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models"))
from check import TOL, compare, run  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"))
    a = ap.parse_args()
    resc = os.path.join(a.bin, "resc")
    if not os.path.exists(a.model):
        sys.exit("FAILED: %s is missing (run scripts/make-models)" % a.model)
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)

    # the reference: the zoo's module, rebuilt exactly as it was exported
    sys.path.insert(0, os.path.join(a.src, "models"))
    import torch
    import zoo
    torch.set_num_threads(2)
    model, _ = zoo.build("resnet50", zoo.REGISTRY["resnet50"])
    g = torch.Generator().manual_seed(zoo.seed_of("ux-shapes"))
    x320 = torch.randn(1, 3, 320, 320, generator=g)
    xb4 = torch.randn(4, 3, 224, 224, generator=g)
    # a float64 forward of the float32 weights, as the zoo's references
    with torch.no_grad():
        m64 = model.double()
        y320 = m64(x320.double()).numpy().astype(np.float32)
        yb4 = m64(xb4.double()).numpy().astype(np.float32)
    x320, xb4 = x320.numpy(), xb4.numpy()

    # 320x320: an object and its header, linked into the zoo's driver
    obj = os.path.join(a.work, "net.o")
    run([resc, "compile", a.model, "-o", obj, "--name", "net", "--input-shape", "input=1x3x320x320"])
    hdr = open(os.path.join(a.work, "net.h")).read()
    for want in [r"#define NET_INPUT0_SHAPE \{1, 3, 320, 320\}", r"#define NET_INPUT0_SIZE 307200\b",
                 r"#define NET_OUTPUT0_SHAPE \{1, 1000\}", r"input  0 'input' 1x3x320x320"]:
        if not re.search(want, hdr):
            sys.exit("FAILED: net.h lacks /%s/:\n%s" % (want, hdr))
    print("net.h states the 320x320 shapes")
    flags = run([resc, "config", "--cflags", "--libs"]).stdout.split()
    exe = os.path.join(a.work, "driver")
    run([a.cc, "-O2", "-I" + a.work, os.path.join(a.src, "test", "models", "driver.c"), obj] + flags + ["-o", exe])
    xin, yout = os.path.join(a.work, "in.raw"), os.path.join(a.work, "out.raw")
    x320.tofile(xin)
    run([exe, xin, yout])
    compare(np.fromfile(yout, dtype=np.float32).reshape(y320.shape), y320, "320x320, linked")

    # batch 4 of a model exported with a fixed batch of 1: resc run
    pin, pout = os.path.join(a.work, "in4.pb"), os.path.join(a.work, "out4.pb")
    with open(pin, "wb") as f:
        f.write(numpy_helper.from_array(xb4, "input").SerializeToString())
    run([resc, "run", a.model, "--batch", "4", "--input", pin, "--output", pout])
    from onnx import TensorProto
    t = TensorProto()
    with open(pout, "rb") as f:
        t.ParseFromString(f.read())
    compare(numpy_helper.to_array(t), yb4, "batch 4, resc run")

    # the shapes are visible without compiling, too
    out = run([resc, "inspect", a.model, "--json", "--input-shape", "input=2x3x256x192"]).stdout
    if '"shape": [2, 3, 256, 192]' not in out or '"shape": [2, 1000]' not in out:
        sys.exit("FAILED: inspect --input-shape does not show 2x3x256x192 -> 2x1000")
    # errors are one line
    r = subprocess.run([resc, "inspect", a.model, "--input-shape", "image=1x3x64x64"],
                       capture_output=True, text=True)
    if r.returncode != 1 or "no graph input 'image'" not in r.stderr or r.stderr.count("\n") != 1:
        sys.exit("FAILED: unknown input name: exit %d, %r" % (r.returncode, r.stderr))
    r = subprocess.run([resc, "inspect", a.model, "--input-shape", "input=1x3x224"],
                       capture_output=True, text=True)
    if r.returncode != 1 or "rank 3" not in r.stderr:
        sys.exit("FAILED: wrong rank: exit %d, %r" % (r.returncode, r.stderr))
    print("PASS")


if __name__ == "__main__":
    main()
