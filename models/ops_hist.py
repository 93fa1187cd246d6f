#!/usr/bin/python3
"""Op-type histogram of ONNX models.

Usage: /usr/bin/python3 models/ops_hist.py DIR|MODEL.onnx... [--attrs] [--summary]

DIR is searched for */model.onnx (the zoo layout) and model.onnx itself. For
each model prints the opset, node count, file size and "OpType xCOUNT" sorted
by name. --attrs also lists every distinct attribute set per op type (e.g.
Resize modes, Softmax axis, pool kernels), which is what a frontend must
support. --summary ends with the union over all models (op -> models using it).
"""
import argparse
import collections
import glob
import os
import sys

import onnx
from onnx import helper


def find_models(paths):
    out = []
    for p in paths:
        if os.path.isdir(p):
            out += sorted(glob.glob(os.path.join(p, "model.onnx")))
            out += sorted(glob.glob(os.path.join(p, "*", "model.onnx")))
        else:
            out.append(p)
    return out


def attr_str(node):
    parts = []
    for a in sorted(node.attribute, key=lambda a: a.name):
        v = helper.get_attribute_value(a)
        if isinstance(v, bytes):
            v = v.decode(errors="replace")
        elif isinstance(v, onnx.TensorProto):
            v = f"tensor{list(v.dims)}"
        parts.append(f"{a.name}={v}")
    return ", ".join(parts)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--attrs", action="store_true", help="list distinct attribute sets per op")
    ap.add_argument("--summary", action="store_true", help="print the union over all models")
    args = ap.parse_args(argv)

    models = find_models(args.paths)
    if not models:
        print("ops_hist: no models found", file=sys.stderr)
        return 1
    union = collections.defaultdict(list)
    for path in models:
        name = os.path.basename(os.path.dirname(path)) if os.path.basename(path) == "model.onnx" else path
        m = onnx.load(path, load_external_data=False)
        opsets = ",".join(f"{o.domain or 'ai.onnx'}:{o.version}" for o in m.opset_import)
        hist = collections.Counter(n.op_type for n in m.graph.node)
        print(f"{name}: opset {opsets}, {len(m.graph.node)} nodes, "
              f"{os.path.getsize(path) / 2**20:.1f} MiB")
        print("  " + " ".join(f"{op}x{c}" for op, c in sorted(hist.items())))
        for op in hist:
            union[op].append(name)
        if args.attrs:
            seen = collections.defaultdict(collections.Counter)
            for n in m.graph.node:
                if n.op_type not in ("Constant",):
                    seen[n.op_type][attr_str(n)] += 1
            for op in sorted(seen):
                for a, c in sorted(seen[op].items()):
                    print(f"    {op} x{c}: {{{a}}}")
    if args.summary:
        print(f"all {len(models)} models: {len(union)} op types")
        for op in sorted(union):
            us = union[op]
            print(f"  {op:20s} {len(us):3d}  {' '.join(us) if len(us) < len(models) else '(all)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
