#!/usr/bin/python3
"""resc model zoo: residual-family ONNX models with reference test data.

Usage: /usr/bin/python3 models/zoo.py --out DIR [--only NAME[,NAME...]] [--list] [--force]

For every member it writes, in ONNX's own backend test-data layout,

    DIR/<name>/model.onnx
    DIR/<name>/test_data_set_0/input_0.pb    (TensorProto "input")
    DIR/<name>/test_data_set_0/output_0.pb   (TensorProto "output": PyTorch's
                                              eval-mode forward in float64, of
                                              the same float32 weights and
                                              input, rounded to float32)
    DIR/<name>/.stamp                        (cache key, JSON)

Members are seeded (weights from the architecture name, the input from the
member name), so a member does not depend on which others are built. A member
whose folder is complete and whose stamp matches the hash of this file, the
nets/ sources and its config is skipped; each member is written to a temporary
folder and renamed into place, so an interrupted run never leaves a half
member. See models/README.md.
"""
import argparse
import copy
import glob
import hashlib
import json
import os
import shutil
import signal
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import onnx  # noqa: E402
from onnx import numpy_helper  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torchvision.models as tvm  # noqa: E402
from torchvision.models.resnet import BasicBlock, Bottleneck  # noqa: E402

from nets.attention import attention56, attention92  # noqa: E402
from nets.resnest import resnest50  # noqa: E402
from nets.resnetv2 import resnetv2_50  # noqa: E402
from nets.senet import se_resnet50, se_resnext50_32x4d  # noqa: E402

# ---------------------------------------------------------------------------
# Registry: name -> (architecture, input shape, export options).
# `arch` names the constructor (and seeds the weights, so a variant has exactly
# the same weights as its base network); options: opset, keep_bn (export with
# TrainingMode.PRESERVE so BatchNormalization nodes stay), dynamic_batch.
# ---------------------------------------------------------------------------
ARCHS = {
    "resnet18": tvm.resnet18,
    "resnet34": tvm.resnet34,
    "resnet50": tvm.resnet50,
    "resnet101": tvm.resnet101,
    "resnet152": tvm.resnet152,
    "resnext50_32x4d": tvm.resnext50_32x4d,
    "resnext101_32x8d": tvm.resnext101_32x8d,
    "wide_resnet50_2": tvm.wide_resnet50_2,
    "resnetv2_50": resnetv2_50,
    "se_resnet50": se_resnet50,
    "se_resnext50_32x4d": se_resnext50_32x4d,
    "attention56": attention56,
    "attention92": attention92,
    "resnest50": resnest50,
}

S224 = (1, 3, 224, 224)


def member(arch, shape=S224, opset=13, keep_bn=False, dynamic_batch=False):
    return dict(arch=arch, shape=list(shape), opset=opset, keep_bn=keep_bn,
                dynamic_batch=dynamic_batch)


REGISTRY = {
    # torchvision
    "resnet18": member("resnet18"),
    "resnet34": member("resnet34"),
    "resnet50": member("resnet50"),
    "resnet101": member("resnet101"),
    "resnet152": member("resnet152"),
    "resnext50_32x4d": member("resnext50_32x4d"),
    "resnext101_32x8d": member("resnext101_32x8d"),
    "wide_resnet50_2": member("wide_resnet50_2"),
    # hand-written from the papers (models/nets/)
    "resnetv2_50": member("resnetv2_50"),
    "se_resnet50": member("se_resnet50"),
    "se_resnext50_32x4d": member("se_resnext50_32x4d"),
    "attention56": member("attention56"),
    "attention92": member("attention92"),
    "resnest50": member("resnest50"),
    # export variants
    "resnet50_bn": member("resnet50", opset=17, keep_bn=True),
    "resnet18_opset11": member("resnet18", shape=(1, 3, 160, 160), opset=11),
    "resnet18_opset17": member("resnet18", opset=17),
    "resnet18_dynbatch": member("resnet18", shape=(2, 3, 128, 128), dynamic_batch=True),
    "resnetv2_50_bn": member("resnetv2_50", keep_bn=True),
}


def seed_of(text):
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)


def source_hash():
    h = hashlib.sha256()
    for path in [os.path.abspath(__file__)] + sorted(glob.glob(os.path.join(HERE, "nets", "*.py"))):
        with open(path, "rb") as f:
            h.update(os.path.basename(path).encode() + b"\0" + f.read())
    return h.hexdigest()


def stamp_of(name, cfg, src_hash):
    key = json.dumps({"name": name, "cfg": cfg, "src": src_hash,
                      "torch": torch.__version__, "onnx": onnx.__version__}, sort_keys=True)
    return hashlib.sha256(key.encode()).hexdigest()


# ---------------------------------------------------------------------------
# Random re-initialisation with non-trivial BatchNorm statistics.
# ---------------------------------------------------------------------------
def branch_last_layer(block):
    """Last layer of a residual branch (scaled down to keep deep nets tame)."""
    if hasattr(block, "branch_last"):
        return block.branch_last()
    if isinstance(block, Bottleneck):
        return block.bn3
    if isinstance(block, BasicBlock):
        return block.bn2
    return None


@torch.no_grad()
def reinit_(model):
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
            if m.bias is not None:
                m.bias.uniform_(-0.1, 0.1)
        elif isinstance(m, nn.BatchNorm2d):
            m.weight.uniform_(0.5, 1.5)
            m.bias.uniform_(-0.2, 0.2)
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 2.0)
    for m in model.modules():
        last = branch_last_layer(m)
        if isinstance(last, nn.BatchNorm2d):
            last.weight.uniform_(0.1, 0.3)
        elif isinstance(last, nn.Conv2d):
            last.weight.mul_(0.2)


@torch.no_grad()
def calibrate_final_norm_(model, shape):
    """For nets whose residual stream grows with depth by design (see
    nets/attention.py), set the statistics of the BN before pooling from a
    calibration input (not the test input): running_mean = mean + U(-0.2,0.2)
    * std, running_var = var * U(0.5, 2), so the logits are O(1) but the BN
    is still non-trivial."""
    if not hasattr(model, "final_norm"):
        return
    bn = model.final_norm()
    seen = []

    def hook(module, inputs, output):  # must return None (else it replaces the output)
        seen.append(inputs[0].clone())

    h = bn.register_forward_hook(hook)
    model(torch.randn(*shape))
    h.remove()
    var, mean = torch.var_mean(seen[0], dim=(0, 2, 3), unbiased=False)
    bn.running_mean.copy_(mean + var.sqrt() * torch.empty_like(mean).uniform_(-0.2, 0.2))
    bn.running_var.copy_(var * torch.empty_like(var).uniform_(0.5, 2.0) + bn.eps)


@torch.no_grad()
def calibrate_classifier_(model, shape, batch=8, target_std=1.0):
    """Centre and scale the final Linear layer (`model.fc`) on a batch of
    calibration inputs (seeded, not the test input).

    With random weights and noise input, the pooled features are dominated by
    an input-independent part (ReLU means, BN offsets; global pooling averages
    the input-dependent part away), so without this every input gets the same
    top-1 class. Setting bias = -W @ mean(features) + U(-0.1, 0.1) and scaling
    W so the logits vary with std `target_std` across inputs makes top-1 depend
    on the input. The price: the logits are now a difference of larger terms,
    so float32 rounding error in them is 10-100x larger relative to the logits
    than before. That is why the reference output is a float64 forward
    (generate()): PyTorch's own float32 output is up to 3e-4 (relative) off
    it, more than the 1e-4 a compiler is held to."""
    feats = []

    def hook(module, inputs):  # returns None: does not alter the input
        feats.append(inputs[0].clone())

    h = model.fc.register_forward_pre_hook(hook)
    g = torch.Generator().manual_seed(seed_of("calib:" + "x".join(map(str, shape[1:]))))
    model(torch.randn(batch, *shape[1:], generator=g))
    h.remove()
    f = feats[0]
    mu = f.mean(0)
    spread = ((f - mu) @ model.fc.weight.t()).std()
    model.fc.weight.mul_(target_std / spread)
    model.fc.bias.copy_(-(model.fc.weight @ mu)
                        + torch.empty_like(model.fc.bias).uniform_(-0.1, 0.1))


def build(name, cfg):
    torch.manual_seed(seed_of(cfg["arch"]))
    model = ARCHS[cfg["arch"]]()
    reinit_(model)
    model.eval()
    calibrate_final_norm_(model, [1] + cfg["shape"][1:])
    calibrate_classifier_(model, cfg["shape"])
    g = torch.Generator().manual_seed(seed_of("input:" + name))
    x = torch.randn(*cfg["shape"], generator=g, dtype=torch.float32)
    return model, x


def export(model, x, path, cfg):
    kw = dict(input_names=["input"], output_names=["output"],
              opset_version=cfg["opset"], do_constant_folding=True)
    if cfg["keep_bn"]:
        kw["training"] = torch.onnx.TrainingMode.PRESERVE
    if cfg["dynamic_batch"]:
        kw["dynamic_axes"] = {"input": {0: "batch"}, "output": {0: "batch"}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, x, path, **kw)


def write_pb(arr, name, path):
    with open(path, "wb") as f:
        f.write(numpy_helper.from_array(np.ascontiguousarray(arr), name).SerializeToString())


def check(path, cfg, out):
    onnx.checker.check_model(path)  # path form: works for big models
    m = onnx.load(path)
    ops = {n.op_type for n in m.graph.node}
    opset = max(o.version for o in m.opset_import if o.domain in ("", "ai.onnx"))
    if opset != cfg["opset"]:
        raise RuntimeError(f"exported opset {opset}, wanted {cfg['opset']}")
    if cfg["keep_bn"] and "BatchNormalization" not in ops:
        raise RuntimeError("keep_bn export has no BatchNormalization node")
    # (An eval export folds BN into a preceding Conv only; pre-activation BNs
    # that follow an Add/MaxPool stay BatchNormalization even then.)
    if [i.name for i in m.graph.input if i.name not in {t.name for t in m.graph.initializer}] != ["input"]:
        raise RuntimeError("unexpected graph inputs")
    if [o.name for o in m.graph.output] != ["output"]:
        raise RuntimeError("unexpected graph outputs")
    if not np.isfinite(out).all():
        raise RuntimeError("output has NaN/Inf")
    amax = float(np.abs(out).max())
    if not (1e-2 <= amax <= 1e3):
        raise RuntimeError(f"max|output| = {amax:g} outside [1e-2, 1e3]")
    return amax, len(m.graph.node)


def generate(name, cfg, out_dir, stamp):
    final = os.path.join(out_dir, name)
    tmp = os.path.join(out_dir, f".tmp-{name}-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(os.path.join(tmp, "test_data_set_0"))
    try:
        model, x = build(name, cfg)
        with torch.no_grad():
            # The reference is the exact answer for these float32 weights and
            # this input, as near as float64 gets: a float64 forward rounded
            # to float32.  PyTorch's float32 forward is kept only to record
            # its own error (fp32_err in .stamp, max|fp32 - fp64|).
            y32 = model(x).numpy()
            y64 = copy.deepcopy(model).double()(x.double()).numpy()
            fp32_err = float(np.abs(y32.astype(np.float64) - y64).max())
            y = y64.astype(np.float32)
        path = os.path.join(tmp, "model.onnx")
        export(model, x, path, cfg)
        amax, nodes = check(path, cfg, y)
        write_pb(x.numpy(), "input", os.path.join(tmp, "test_data_set_0", "input_0.pb"))
        write_pb(y, "output", os.path.join(tmp, "test_data_set_0", "output_0.pb"))
        top = np.sort(y, axis=1)
        info = dict(stamp=stamp, name=name, cfg=cfg, max_abs_output=amax, nodes=nodes,
                    fp32_err=fp32_err,
                    top1=[int(i) for i in y.argmax(1)],
                    top1_margin=[float(v) for v in top[:, -1] - top[:, -2]],
                    bytes=os.path.getsize(path))
        with open(os.path.join(tmp, ".stamp"), "w") as f:
            json.dump(info, f, indent=1, sort_keys=True)
        old = None
        if os.path.exists(final):
            old = os.path.join(out_dir, f".old-{name}-{os.getpid()}")
            os.rename(final, old)
        os.rename(tmp, final)
        if old:
            shutil.rmtree(old)
        return info
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def is_cached(out_dir, name, stamp):
    d = os.path.join(out_dir, name)
    need = ["model.onnx", "test_data_set_0/input_0.pb", "test_data_set_0/output_0.pb", ".stamp"]
    if not all(os.path.isfile(os.path.join(d, p)) for p in need):
        return False
    try:
        with open(os.path.join(d, ".stamp")) as f:
            return json.load(f).get("stamp") == stamp
    except (OSError, ValueError):
        return False


def clean_stale(out_dir):
    """Remove temporary folders left by runs that were killed."""
    for d in glob.glob(os.path.join(out_dir, ".tmp-*")) + glob.glob(os.path.join(out_dir, ".old-*")):
        pid = d.rsplit("-", 1)[-1]
        try:
            os.kill(int(pid), 0)
            continue  # still running
        except (ValueError, ProcessLookupError):
            shutil.rmtree(d, ignore_errors=True)
        except PermissionError:
            continue


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", help="output folder (e.g. build/models)")
    ap.add_argument("--only", help="comma-separated member names")
    ap.add_argument("--list", action="store_true", help="list members and exit")
    ap.add_argument("--force", action="store_true", help="regenerate even if cached")
    args = ap.parse_args(argv)

    names = list(REGISTRY)
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        bad = [n for n in names if n not in REGISTRY]
        if bad:
            ap.error("unknown member(s): " + ", ".join(bad) + " (see --list)")
    if args.list:
        for n in names:
            print(f"{n}\t{'x'.join(map(str, REGISTRY[n]['shape']))}")
        return 0
    if not args.out:
        ap.error("--out is required")

    torch.set_num_threads(2)
    # SIGTERM -> SystemExit, so a killed run still removes its temp folder
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    os.makedirs(args.out, exist_ok=True)
    clean_stale(args.out)
    src = source_hash()
    t_all = time.time()
    failed = []
    for i, name in enumerate(names, 1):
        cfg = REGISTRY[name]
        stamp = stamp_of(name, cfg, src)
        head = f"zoo: [{i}/{len(names)}] {name}"
        if not args.force and is_cached(args.out, name, stamp):
            print(f"{head} ... cached", flush=True)
            continue
        t0 = time.time()
        try:
            info = generate(name, cfg, args.out, stamp)
        except Exception as e:  # keep going; report at the end
            print(f"{head} ... FAILED: {type(e).__name__}: {e}", flush=True)
            failed.append(name)
            continue
        print(f"{head} ... done in {time.time() - t0:.1f}s "
              f"(max|out|={info['max_abs_output']:.3g}, "
              f"torch fp32 err={info['fp32_err'] / info['max_abs_output']:.1e} rel, "
              +
              f"top1={info['top1']}, margin={min(info['top1_margin']):.3f}, "
              f"{info['nodes']} nodes, {info['bytes'] / 2**20:.1f} MiB)", flush=True)
    print(f"zoo: {len(names) - len(failed)}/{len(names)} ok in {time.time() - t_all:.1f}s", flush=True)
    if failed:
        print("zoo: failed: " + ", ".join(failed), flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
