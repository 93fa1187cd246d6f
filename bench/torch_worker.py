#!/usr/bin/python3
"""torch_worker.py - the PyTorch side of `make bench` (Debian's python3-torch).

One long-lived process for the whole run; line protocol as bench/driver.c:

    load NAME THREADS INPUT.bin D0,D1,... ZOO_DIR CACHE_DIR  <- ok threads=N
    run K                                                   <- ok T1 ... TK
    save PATH                                               <- ok

The network is the zoo's own eval-mode module (models/zoo.py), with the
same weights as the ONNX file.  Building it re-runs the zoo's weight
calibration, which takes up to a minute, so its state_dict is cached in
CACHE_DIR/torch_state.pt, keyed by the member's zoo stamp.  Only the
forward call is timed, under torch.inference_mode(), NCHW as exported.
"""
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "models"))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import zoo  # noqa: E402

# One inter-op thread, as for ONNX Runtime; must be set before any parallel work.
torch.set_num_interop_threads(1)

state = dict(name=None, model=None, x=None, out=None)


def read_stamp(zoo_dir):
    try:
        with open(os.path.join(zoo_dir, ".stamp")) as f:
            return f.read()
    except OSError:
        return None


def build_model(name, zoo_dir, cache_dir):
    cfg = zoo.REGISTRY[name]
    pt = os.path.join(cache_dir, "torch_state.pt")
    key = os.path.join(cache_dir, "torch_state.stamp")
    stamp = read_stamp(zoo_dir)
    model = zoo.ARCHS[cfg["arch"]]()
    cached = None
    if stamp is not None and os.path.exists(pt) and os.path.exists(key):
        with open(key) as f:
            cached = f.read()
    if cached == stamp:
        model.load_state_dict(torch.load(pt))
    else:
        model, _ = zoo.build(name, cfg)  # slow: reinitialises and calibrates
        if stamp is not None:
            torch.save(model.state_dict(), pt + ".tmp")
            os.replace(pt + ".tmp", pt)
            with open(key, "w") as f:
                f.write(stamp)
    return model.eval()


def load(name, threads, input_path, dims, zoo_dir, cache_dir):
    torch.set_num_threads(int(threads))
    if state["name"] != name:
        state.update(name=None, model=None, out=None)
        state["model"] = build_model(name, zoo_dir, cache_dir)
        state["name"] = name
    shape = [int(d) for d in dims.split(",")]
    state["x"] = torch.from_numpy(np.fromfile(input_path, dtype=np.float32).reshape(shape))
    return f"threads={torch.get_num_threads()}"


def run(k):
    model, x = state["model"], state["x"]
    times = []
    with torch.inference_mode():
        for _ in range(k):
            t0 = time.perf_counter()
            out = model(x)
            times.append(time.perf_counter() - t0)
    state["out"] = out
    return " ".join(f"{t:.9f}" for t in times)


def handle(line):
    cmd, *args = line.split()
    if cmd == "load" and len(args) == 6:
        return load(*args)
    if cmd == "run" and state["model"] is not None:
        return run(int(args[0]))
    if cmd == "save" and state["out"] is not None:
        state["out"].numpy().astype(np.float32).tofile(args[0])
        return ""
    raise ValueError(f"bad command: {line.strip()}")


def main():
    for line in sys.stdin:
        try:
            reply = "ok " + handle(line)
        except Exception as e:  # report, keep serving
            reply = "err " + " ".join(f"{type(e).__name__}: {e}".split())
        sys.stdout.write(reply.rstrip() + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
