#!/usr/bin/python3
"""Cross-compilation tests: resc compile --target/--cpu on the digits model.

    check.py --bin BUILD/bin --src SRC --work DIR --mode MODE

MODE is one of
  aarch64-object  --target aarch64-linux-gnu gives an AArch64 ELF relocatable
                  object defining net_run and net_workspace_size
  x86-64-v2, x86-64-v3
                  --target x86_64-linux-gnu --cpu MODE gives an x86-64 object
                  with no wider vectors than the CPU level has; linked with
                  test/cross/driver.c and run here, it matches the reference
  aarch64-qemu    the aarch64 object, linked with the runtime built by
                  aarch64-linux-gnu-gcc and the driver, run under qemu-aarch64,
                  matches the reference

The reference: models/digits/test_data_set_0 (PyTorch's logits for one image,
relative error <= 1e-4 as in `resc run --check`) and PyTorch's predicted
class for each of the 360 images of models/digits/test.bin (all must agree).
Exit status 77 (ctest: skipped) when a tool or CPU feature a mode needs is
missing here.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

import numpy as np
from onnx import TensorProto, numpy_helper

SKIP = 77


def sh(cmd, **kw):
    print("+ " + " ".join(cmd), flush=True)
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    if r.returncode != 0:
        print(r.stdout)
        sys.exit(f"FAIL: {cmd[0]} exited with {r.returncode}")
    return r.stdout


def skip(why):
    print(f"SKIP: {why}")
    sys.exit(SKIP)


def readelf():
    for t in ("llvm-readelf-19", "readelf"):
        if shutil.which(t):
            return t
    skip("neither llvm-readelf-19 nor readelf is installed")


def check_object(obj, machine):
    hdr = sh([readelf(), "-h", obj])
    m = re.search(r"Machine:\s*(.*)", hdr).group(1).strip()
    if m != machine:
        sys.exit(f"FAIL: {obj}: Machine is '{m}', want '{machine}'")
    if not re.search(r"Class:\s*ELF64", hdr) or not re.search(r"Type:\s*REL", hdr):
        sys.exit(f"FAIL: {obj}: not an ELF64 relocatable object:\n{hdr}")
    syms = sh([readelf(), "-sW", obj])
    for s in ("net_run", "net_workspace_size"):
        ok = any(len(f) >= 8 and f[7] == s and f[3] == "FUNC" and f[4] == "GLOBAL" and f[6] != "UND"
                 for f in (line.split() for line in syms.splitlines()))
        if not ok:
            sys.exit(f"FAIL: {obj}: no defined global function {s}")
    # the weights: a section backend/elf.c added after LLVM wrote the object,
    # defining the hidden symbol the code refers to (docs/backend.md)
    secs = sh([readelf(), "-SW", obj])
    sec = re.search(r"\[\s*(\d+)\]\s+\.rodata\.resc_weights\s+PROGBITS\s+\S+\s+\S+\s+(\S+)\s+\S+\s+A\s+0\s+0\s+64", secs)
    if not sec:
        sys.exit(f"FAIL: {obj}: no read-only .rodata.resc_weights section aligned to 64:\n{secs}")
    wsym = [f for f in (line.split() for line in syms.splitlines())
            if len(f) >= 8 and f[7] == "net.weights.data"]
    if (len(wsym) != 1 or wsym[0][3] != "OBJECT" or wsym[0][5] != "HIDDEN" or wsym[0][6] != sec.group(1)
            or int(wsym[0][2], 0) != int(sec.group(2), 16)):
        sys.exit(f"FAIL: {obj}: net.weights.data is not a hidden object spanning section {sec.group(1)}: {wsym}")
    for t in ("llvm-readobj-19",):
        if shutil.which(t):  # a strict reader: any malformed table is an error or a warning
            out = sh([t, "--sections", "--symbols", "--relocations", obj])
            if "warning" in out.lower() or "error" in out.lower():
                sys.exit(f"FAIL: {t} complains about {obj}:\n{out[:2000]}")
    print(f"{obj}: ELF64 relocatable, Machine {m}, net_run and net_workspace_size defined, "
          f"weights in section {sec.group(1)} ({int(sec.group(2), 16)} bytes)")


def reference(src, work):
    """Writes the inputs (set 0's image, then the 360 test images) raw; returns the references."""
    d = os.path.join(src, "models/digits")
    t = TensorProto()
    t.ParseFromString(open(os.path.join(d, "test_data_set_0/input_0.pb"), "rb").read())
    x0 = numpy_helper.to_array(t).astype(np.float32)
    t = TensorProto()
    t.ParseFromString(open(os.path.join(d, "test_data_set_0/output_0.pb"), "rb").read())
    y0 = numpy_helper.to_array(t).astype(np.float32).reshape(-1)
    blob = open(os.path.join(d, "test.bin"), "rb").read()
    n, h, w = np.frombuffer(blob, np.uint32, 3, 8)
    images = np.frombuffer(blob, np.float32, n * h * w, 20)
    labels = np.frombuffer(blob, np.uint8, n, 20 + 4 * n * h * w)
    preds = np.frombuffer(blob, np.uint8, n, 20 + 4 * n * h * w + n)
    path = os.path.join(work, "in.f32")
    np.concatenate([x0.reshape(-1), images]).astype(np.float32).tofile(path)
    return path, y0, labels, preds


def compare(out_path, y0, labels, preds):
    y = np.fromfile(out_path, np.float32)
    k = y0.size
    if y.size != k * (1 + preds.size):
        sys.exit(f"FAIL: {out_path}: {y.size} floats, want {k * (1 + preds.size)}")
    y = y.reshape(-1, k)
    rel = float(np.abs(y[0] - y0).max() / np.abs(y0).max())
    pred = y[1:].argmax(axis=1)
    agree, correct = int((pred == preds).sum()), int((pred == labels).sum())
    print(f"test_data_set_0: max rel err {rel:.3g}; agreement with PyTorch {agree}/{preds.size}; "
          f"accuracy {correct}/{labels.size}")
    if not rel <= 1e-4 or agree != preds.size:
        sys.exit("FAIL: outputs do not match the reference")


def cpu_flags():
    for line in open("/proc/cpuinfo"):
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--mode", required=True,
                    choices=["aarch64-object", "x86-64-v2", "x86-64-v3", "aarch64-qemu"])
    a = ap.parse_args()
    resc = os.path.join(a.bin, "resc")
    work = os.path.join(a.work, a.mode)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    model = os.path.join(a.src, "models/digits/model.onnx")
    driver = os.path.join(a.src, "test/cross/driver.c")
    obj = os.path.join(work, "net.o")

    if a.mode.startswith("aarch64"):
        if a.mode == "aarch64-qemu":
            missing = [t for t in ("aarch64-linux-gnu-gcc", "qemu-aarch64") if not shutil.which(t)]
            if missing or not os.path.isdir("/usr/aarch64-linux-gnu/lib"):
                skip(f"{' and '.join(missing) or '/usr/aarch64-linux-gnu'} not installed "
                     "(Debian: gcc-aarch64-linux-gnu qemu-user; scripts/install-deps installs them)")
        sh([resc, "compile", model, "--target", "aarch64-linux-gnu", "-o", obj, "--name", "net"])
        check_object(obj, "AArch64")
        if a.mode == "aarch64-object":
            return
        # the runtime, cross-compiled: plain C, nothing but libc, libm and pthreads
        rt = []
        for c in sorted(os.listdir(os.path.join(a.src, "runtime"))):
            if c.endswith(".c"):
                o = os.path.join(work, "rt_" + c[:-2] + ".o")
                sh(["aarch64-linux-gnu-gcc", "-std=gnu11", "-O2", "-c",
                    os.path.join(a.src, "runtime", c), "-o", o])
                rt.append(o)
        exe = os.path.join(work, "driver")
        sh(["aarch64-linux-gnu-gcc", "-O2", "-I", work, "-I", os.path.join(a.src, "runtime"),
            driver, obj] + rt + ["-lpthread", "-lm", "-o", exe])
        run = ["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu", exe]
    else:
        need = {"x86-64-v2": {"sse4_2", "popcnt", "ssse3"},
                "x86-64-v3": {"avx2", "fma", "bmi2", "f16c", "movbe"}}[a.mode]
        sh([resc, "compile", model, "--target", "x86_64-linux-gnu", "--cpu", a.mode,
            "-o", obj, "--name", "net"])
        check_object(obj, "Advanced Micro Devices X86-64")
        # no wider vector registers than the CPU level has
        asm = sh(["llvm-objdump-19" if shutil.which("llvm-objdump-19") else "objdump", "-d", obj])
        wide = ["%zmm"] + (["%ymm"] if a.mode == "x86-64-v2" else [])
        for r in wide:
            if r in asm:
                sys.exit(f"FAIL: {obj} uses {r} registers, which {a.mode} does not have")
        if a.mode == "x86-64-v3" and "%ymm" not in asm:
            sys.exit(f"FAIL: {obj} uses no %ymm registers: --cpu x86-64-v3 had no effect")
        print(f"{obj}: no {' or '.join(wide)} registers")
        if not need <= cpu_flags():
            skip(f"this CPU lacks {' '.join(sorted(need - cpu_flags()))}: {a.mode} code cannot run here")
        flags = sh([resc, "config", "--cflags", "--libs"]).split()
        exe = os.path.join(work, "driver")
        sh(["cc", "-O2", "-I", work, driver, obj] + flags + ["-o", exe])
        run = [exe]

    inp, y0, labels, preds = reference(a.src, work)
    out = os.path.join(work, "out.f32")
    env = dict(os.environ, RESC_NUM_THREADS="2")
    print(sh(run + [inp, out], env=env).strip())
    compare(out, y0, labels, preds)


if __name__ == "__main__":
    main()
