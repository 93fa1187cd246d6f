#!/usr/bin/python3
"""Runs ONNX's own backend node tests through resc.

    run.py --resc build/bin/resc --data build/onnx-node [--mode interp|native]

The test data is generated once from Debian's python3-onnx (which ships the
generators, not the data) into --data.  Every test whose model uses only
operators resc supports is run with `resc run` and compared with the
reference outputs at ONNX's own tolerance (rtol 1e-3, atol 1e-7, as
onnx.backend.test uses).  Tests using other operators are listed as
unsupported, not hidden.

Expected failures (a supported operator used with a feature resc does not
implement, e.g. 1-D Conv or cubic Resize) are listed with their reason in
xfail.txt beside this file.  The run fails if a test that is not listed
fails, or if a listed one passes (so the list stays true).
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

# numpy 1.24 removed these aliases; onnx 1.12's generators still use them.
np.float = float
np.int = int
np.bool = bool
np.object = object

import onnx  # noqa: E402
from onnx import numpy_helper  # noqa: E402

SUPPORTED = {
    "Conv", "BatchNormalization", "Relu", "LeakyRelu", "Clip", "Sigmoid",
    "Tanh", "Exp", "Log", "Sqrt", "Abs", "Neg", "Softmax", "Add", "Sub",
    "Mul", "Div", "Sum", "Max", "Min", "MaxPool", "AveragePool",
    "GlobalAveragePool", "ReduceMean", "ReduceSum", "Gemm", "MatMul",
    "Flatten", "Reshape", "Transpose", "Concat", "Split", "Slice", "Pad",
    "Resize", "Upsample", "Expand", "Squeeze", "Unsqueeze", "Identity",
    "Dropout", "Constant", "Shape", "Gather", "Cast",
}

HERE = os.path.dirname(os.path.abspath(__file__))


def generate(data):
    """Generates ONNX's node test data into data/ once (idempotent)."""
    stamp = os.path.join(data, ".stamp-onnx-" + onnx.__version__)
    if os.path.exists(stamp):
        return
    tmp = data + ".tmp"
    subprocess.run(["rm", "-rf", tmp], check=True)
    code = ("import numpy as np\n"
            "np.float = float; np.int = int; np.bool = bool; np.object = object\n"
            "import sys\n"
            "from onnx.backend.test import cmd_tools\n"
            "sys.argv = ['cmd_tools', 'generate-data', '-o', %r]\n"
            "cmd_tools.main()\n" % tmp)
    subprocess.run([sys.executable, "-c", code], check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run(["rm", "-rf", data], check=True)
    os.rename(tmp, data)
    open(stamp, "w").close()


def load_xfail():
    xf = {}
    path = os.path.join(HERE, "xfail.txt")
    if os.path.exists(path):
        for line in open(path):
            line = line.split("#", 1)[0].strip()
            if line:
                name, _, why = line.partition(" ")
                xf[name] = why.strip()
    return xf


def op_types(graph, acc):
    for n in graph.node:
        acc.add(n.op_type if n.domain in ("", "ai.onnx") else n.domain + "." + n.op_type)
        for a in n.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                op_types(a.g, acc)
    return acc


def run_one(resc, mode, tdir):
    """Returns (ok, message)."""
    model = os.path.join(tdir, "model.onnx")
    sets = sorted(d for d in os.listdir(tdir) if d.startswith("test_data_set_"))
    if not sets:
        return False, "no test data"
    m = onnx.load(model)
    nout = len(m.graph.output)
    for s in sets:
        sd = os.path.join(tdir, s)
        ins = sorted((f for f in os.listdir(sd) if f.startswith("input_")),
                     key=lambda f: int(f[6:-3]))
        with tempfile.TemporaryDirectory() as td:
            outs = [os.path.join(td, "out_%d.pb" % i) for i in range(nout)]
            cmd = [resc, "run", model, "--quiet"]
            if mode == "interp":
                cmd.append("--interp")
            for f in ins:
                cmd += ["--input", os.path.join(sd, f)]
            for f in outs:
                cmd += ["--output", f]
            try:
                r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
            except subprocess.TimeoutExpired:
                return False, "timed out"
            if r.returncode != 0:
                lines = (r.stderr.strip() or "exit %d" % r.returncode).splitlines()
                return False, lines[-1] if lines else "failed"
            for i in range(nout):
                want = onnx.TensorProto()
                with open(os.path.join(sd, "output_%d.pb" % i), "rb") as f:
                    want.ParseFromString(f.read())
                want = numpy_helper.to_array(want)
                got = onnx.TensorProto()
                with open(outs[i], "rb") as f:
                    got.ParseFromString(f.read())
                got = numpy_helper.to_array(got)
                if got.shape != want.shape:
                    return False, "output %d shape %s, want %s" % (i, got.shape, want.shape)
                if want.dtype.kind in "fc":
                    try:
                        np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-7)
                    except AssertionError as e:
                        msg = [l for l in str(e).splitlines() if "Max" in l]
                        return False, "output %d differs: %s" % (i, "; ".join(msg))
                elif not np.array_equal(got, want):
                    return False, "output %d differs" % i
    return True, ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--resc", required=True)
    ap.add_argument("--data", required=True, help="cache folder for the generated data")
    ap.add_argument("--mode", default="interp", choices=["interp", "native"])
    ap.add_argument("--report", help="write a Markdown summary here")
    ap.add_argument("-k", help="only tests whose name contains this")
    ap.add_argument("--generate-only", action="store_true", help="only generate the data")
    args = ap.parse_args()

    generate(args.data)
    if args.generate_only:
        print("onnx node test data in %s" % args.data)
        return 0
    root = os.path.join(args.data, "node")
    xfail = load_xfail()
    passed, failed, xfailed, xpassed, unsupported = [], [], [], [], []
    names = sorted(os.listdir(root))
    for name in names:
        if args.k and args.k not in name:
            continue
        tdir = os.path.join(root, name)
        try:
            ops = op_types(onnx.load(os.path.join(tdir, "model.onnx")).graph, set())
        except Exception as e:  # a generator quirk: count it as unsupported
            unsupported.append((name, "cannot load: %s" % e))
            continue
        extra = sorted(ops - SUPPORTED)
        if extra:
            unsupported.append((name, ",".join(extra)))
            continue
        ok, msg = run_one(args.resc, args.mode, tdir)
        if name in xfail:
            (xpassed if ok else xfailed).append((name, msg or xfail[name]))
        else:
            (passed if ok else failed).append((name, msg))
        print("%-60s %s%s" % (name, "PASS" if ok else ("XFAIL" if name in xfail else "FAIL"),
                              "" if ok else "  " + msg), flush=True)

    print()
    print("unsupported operators (%d tests):" % len(unsupported))
    byop = {}
    for n, why in unsupported:
        byop.setdefault(why, []).append(n)
    for why in sorted(byop):
        print("  %-40s %d tests" % (why, len(byop[why])))
    for n, why in xpassed:
        print("XPASS (remove from xfail.txt): %s" % n)
    for n, why in failed:
        print("FAIL: %s: %s" % (n, why))
    summary = ("onnx node tests (%s): %d passed, %d failed, %d expected failures, "
               "%d unexpected passes, %d unsupported"
               % (args.mode, len(passed), len(failed), len(xfailed), len(xpassed), len(unsupported)))
    print(summary)
    if args.report:
        with open(args.report, "w") as f:
            f.write("# ONNX node tests (%s)\n\n%s\n\n" % (args.mode, summary))
            f.write("## Expected failures\n\n")
            for n, why in xfailed:
                f.write("- `%s`: %s\n" % (n, why))
            f.write("\n## Unsupported operators\n\n")
            for why in sorted(byop):
                f.write("- %s: %d tests\n" % (why, len(byop[why])))
    print("%d passed, %d failed, %d skipped" % (len(passed), len(failed) + len(xpassed), len(xfailed)))
    return 1 if failed or xpassed else 0


if __name__ == "__main__":
    sys.exit(main())
