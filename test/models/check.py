#!/usr/bin/python3
"""Checks one zoo model end to end.

    check.py --bin BUILD/bin --mode MODE --model-dir DIR --work WORKDIR

Modes:
  roundtrip  resc compile --emit ir, then resc-opt reads it back: identical text
  interp     the reference interpreter against PyTorch's output
  native     resc run (compiled to native code) against PyTorch's output
  link       resc compile -o net.o, link net.o + net.h + libresc_rt.a into
             test/models/driver.c with a C compiler, run it, compare; its
             peak RSS must stay under the object's size + workspace + 16 MiB
  passes     resc-opt --check-numerics runs the default pipeline on the
             imported IR (the interpreter before and after every pass, on
             random inputs); then `resc inspect --json`: no standalone op of
             FUSED_AWAY is left except the documented LEFTOVERS below, and
             the workspace is within WS_SLACK of its lower bound

Tolerance: the reference (output_0.pb) is a float64 forward of the model's
float32 weights (models/zoo.py).  Native code and the linked program:
max|got - want| <= 1e-4 * max|want| (TOL); the interpreter, which runs the
imported graph op by op and rounds every intermediate to float32: 5e-4
(TOL_INTERP; docs/testing.md).  Always the same top-1 class (argmax over
the last axis) for every batch row.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import onnx
from onnx import numpy_helper

TOL = 1e-4
TOL_INTERP = 5e-4
HERE = os.path.dirname(os.path.abspath(__file__))

# Ops the default pipeline must leave no standalone instance of.
FUSED_AWAY = {"batchnorm", "relu", "add", "sigmoid", "mul", "reducemean",
              "softmax", "transpose", "reshape"}

# What is left of FUSED_AWAY after the pipeline, per model, and why (see
# docs/passes.md).  Exact counts: a change in either direction must update
# this table (and the docs), so it stays true.
LEFTOVERS = {
    "attention56": ({"add": 9},
                    "the mask branch adds an upsampled (resize) map to its skip "
                    "path, and two residual branches whose convs already have a "
                    "residual; no producer has a free epilogue"),
    "attention92": ({"add": 14}, "as attention56"),
}

# Workspace over its lower bound (largest total of simultaneously live
# tensors) that the planner may use, per model; default WS_SLACK.
WS_SLACK = 1.10
WS_SLACK_MODEL = {
    "resnetv2_50": 1.12, "resnetv2_50_bn": 1.12,
}


def load_pb(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def run(cmd, **kw):
    print("+ " + " ".join(cmd), flush=True)
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.stdout:
        print(r.stdout, end="")
    if r.returncode != 0:
        print(r.stderr, end="", file=sys.stderr)
        sys.exit("FAILED: exit %d" % r.returncode)
    return r


def compare(got, want, what, tol=None):
    tol = TOL if tol is None else tol
    if got.shape != want.shape:
        sys.exit("FAILED: %s: shape %s, want %s" % (what, got.shape, want.shape))
    err = float(np.max(np.abs(got.astype(np.float64) - want)))
    ref = float(np.max(np.abs(want)))
    rel = err / ref if ref else err
    g1 = got.reshape(-1, got.shape[-1]).argmax(-1)
    w1 = want.reshape(-1, want.shape[-1]).argmax(-1)
    print("%s: max abs err %.3g, max |ref| %.3g, rel %.3g (tolerance %g), top-1 %s vs %s"
          % (what, err, ref, rel, tol, g1.tolist()[:8], w1.tolist()[:8]))
    if not (rel <= tol):
        sys.exit("FAILED: %s: relative error %.3g > %g" % (what, rel, tol))
    if not np.array_equal(g1, w1):
        sys.exit("FAILED: %s: top-1 class differs" % what)


def check_passes(a, resc, model):
    import json
    name = os.path.basename(os.path.normpath(a.model_dir))
    ir = os.path.join(a.work, "m.ir")
    run([resc, "compile", model, "--emit", "ir", "-o", ir])
    d = json.loads(run([resc, "inspect", model, "--json"]).stdout)
    run([os.path.join(a.bin, "resc-opt"), ir, "--passes=" + d["pipeline"], "--check-numerics",
         "-o", os.path.join(a.work, "opt.ir")])
    left = {k: v for k, v in d["ops_after"].items() if k in FUSED_AWAY}
    want, why = LEFTOVERS.get(name, ({}, ""))
    print("ops after the pipeline: %s" % d["ops_after"])
    if left != want:
        sys.exit("FAILED: standalone %s left, expected %s (update LEFTOVERS in %s and "
                 "docs/passes.md)" % (left, want, __file__))
    if want:
        print("documented leftovers %s: %s" % (want, why))
    ws, lb = d["workspace_bytes"], d["workspace_lower_bound_bytes"]
    slack = WS_SLACK_MODEL.get(name, WS_SLACK)
    print("workspace %d bytes, lower bound %d (%.3fx, allowed %.2fx)" % (ws, lb, ws / lb, slack))
    if ws > lb * slack:
        sys.exit("FAILED: workspace %.3fx its lower bound" % (ws / lb))


# What a process running a compiled model may add to its resident size on
# top of the object (weights and code, mapped from the executable) and the
# workspace: the C library, the runtime's threads, the input and output
# buffers (issue: "peaks under weights + workspace + 16 MiB").
RSS_SLACK = 16 << 20


def check_rss(out, obj, work, sanitized):
    kib = [int(l.split()[2]) for l in out.splitlines() if l.startswith("peak RSS ")]
    if len(kib) != 1:
        sys.exit("FAILED: the driver did not report its peak RSS")
    rss = kib[0] << 10
    obj_bytes = sum(int(v) for v in run(["size", obj]).stdout.splitlines()[1].split()[:3])
    hdr = open(os.path.join(work, "net.h")).read()
    ws = int(hdr.split("NET_WORKSPACE_SIZE ")[1].split()[0])
    bound = obj_bytes + ws + RSS_SLACK
    print("peak RSS %.1f MiB: object %.1f MiB + workspace %.1f MiB + %d MiB = %.1f MiB allowed"
          % (rss / 2**20, obj_bytes / 2**20, ws / 2**20, RSS_SLACK >> 20, bound / 2**20))
    if sanitized:
        print("(not checked: ASan's shadow memory and quarantine count as resident)")
    elif rss > bound:
        sys.exit("FAILED: peak RSS %.1f MiB over %.1f MiB" % (rss / 2**20, bound / 2**20))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--mode", required=True,
                    choices=["roundtrip", "interp", "native", "link", "passes"])
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"))
    ap.add_argument("--passes", help="link mode: compile with this pipeline (resc compile --passes)")
    ap.add_argument("--expect-two-result-convs", action="store_true",
                    help="with --passes: the optimised IR must have convs with two results")
    ap.add_argument("--expect-ir", action="append", default=[], metavar="N:REGEX",
                    help="link mode: exactly N lines of the optimised IR match REGEX")
    a = ap.parse_args()

    resc = os.path.join(a.bin, "resc")
    model = os.path.join(a.model_dir, "model.onnx")
    data = os.path.join(a.model_dir, "test_data_set_0")
    if not os.path.exists(model):
        sys.exit("FAILED: %s is missing (run scripts/make-models)" % model)
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    want = load_pb(os.path.join(data, "output_0.pb"))

    if a.mode == "roundtrip":
        ir1 = os.path.join(a.work, "m.ir")
        ir2 = os.path.join(a.work, "m2.ir")
        run([resc, "compile", model, "--emit", "ir", "-o", ir1])
        run([os.path.join(a.bin, "resc-opt"), ir1, "-o", ir2])
        if open(ir1, "rb").read() != open(ir2, "rb").read():
            sys.exit("FAILED: resc-opt does not reproduce the printed IR")
        print("round trip: %d bytes identical" % os.path.getsize(ir1))
    elif a.mode == "passes":
        check_passes(a, resc, model)
    elif a.mode in ("interp", "native"):
        out = os.path.join(a.work, "out.pb")
        cmd = [resc, "run", model, "--input", os.path.join(data, "input_0.pb"), "--output", out]
        if a.mode == "interp":
            cmd.append("--interp")
        run(cmd)
        compare(load_pb(out), want, a.mode, TOL_INTERP if a.mode == "interp" else TOL)
    else:
        obj = os.path.join(a.work, "net.o")
        x = load_pb(os.path.join(data, "input_0.pb")).astype(np.float32)
        extra = ["--passes", a.passes] if a.passes else []
        if a.expect_two_result_convs:
            ir = os.path.join(a.work, "opt.ir")
            run([resc, "compile", model, "--emit", "ir-opt", "-o", ir] + extra)
            two = sum(1 for l in open(ir) if re.match(r"\s*%\d+, %\d+ = conv\(", l))
            print("%d convs with two results in the optimised IR" % two)
            if two == 0:
                sys.exit("FAILED: no conv has two results after %s" % a.passes)
        if a.expect_ir:
            ir = os.path.join(a.work, "opt.ir")
            run([resc, "compile", model, "--emit", "ir-opt", "-o", ir] + extra)
            lines = open(ir).read().splitlines()
            for e in a.expect_ir:
                n, rx = e.split(":", 1)
                got = sum(1 for l in lines if re.search(rx, l))
                print("%d lines of the optimised IR match %s" % (got, rx))
                if got != int(n):
                    sys.exit("FAILED: expected %s lines matching %s" % (n, rx))
        run([resc, "compile", model, "-o", obj, "--name", "net", "--batch", str(x.shape[0])] + extra)
        flags = run([resc, "config", "--cflags", "--libs"]).stdout.split()
        exe = os.path.join(a.work, "driver")
        run([a.cc, "-O2", "-I" + a.work, os.path.join(HERE, "driver.c"), obj] + flags + ["-o", exe])
        xin = os.path.join(a.work, "in.raw")
        yout = os.path.join(a.work, "out.raw")
        x.tofile(xin)
        r = run([exe, xin, yout])
        got = np.fromfile(yout, dtype=np.float32).reshape(want.shape)
        compare(got, want, "linked C program")
        # one token, e.g. -fsanitize=address,undefined
        check_rss(r.stdout, obj, a.work,
                  any(f.startswith("-fsanitize=") and "address" in f for f in flags))
    print("PASS")


if __name__ == "__main__":
    main()
