#!/usr/bin/python3
"""The people's side of resc: DOT, the HTML report, bench, progress, CLI docs.

    ux.py --bin BUILD/bin --src SRC --models BUILD/models --work DIR --mode MODE

Modes:
  dot       resc compile --emit dot (both stages) for digits and resnet50:
            Graphviz's `dot -Tsvg` accepts it; one node per op; fused convs
            are drawn as one node listing what they absorbed
  report    resc report for digits (with --profile) and resnet50: one page
            with no network references, loaded in headless Chromium with no
            console messages, with the graph SVG, the layer table and the
            workspace chart in the DOM
  bench     resc bench --profile on digits: a median latency and one
            profile row per op, sorted by time
  progress  resc compile under a pseudo-terminal (script(1)) shows the stages
            on stderr; with stderr not a terminal, or with --quiet, nothing
  cli-doc   docs/cli.md is exactly `resc help --markdown`
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys


def run(cmd, ok=(0,), **kw):
    print("+ " + " ".join(cmd), flush=True)
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode not in ok:
        print(r.stdout[-4000:], end="")
        print(r.stderr[-4000:], end="", file=sys.stderr)
        sys.exit("FAILED: exit %d" % r.returncode)
    return r


def fail(msg):
    sys.exit("FAILED: " + msg)


def n_ops(resc, model, stage):
    d = json.loads(run([resc, "inspect", model, "--json"]).stdout)
    h = d["ops_imported" if stage == "imported" else "ops_after"]
    return sum(h.values())


def mode_dot(a, resc, models):
    if not shutil.which("dot"):
        fail("graphviz's dot is missing (scripts/install-deps installs it)")
    for name, model in models.items():
        for stage in ("imported", "optimized"):
            path = os.path.join(a.work, "%s-%s.dot" % (name, stage))
            run([resc, "compile", model, "--emit", "dot", "--stage", stage, "-o", path])
            text = open(path).read()
            svg = run(["dot", "-Tsvg", path, "-o", path + ".svg"])
            if svg.stderr.strip():
                fail("dot complains: %s" % svg.stderr)
            if "<svg" not in open(path + ".svg").read():
                fail("dot wrote no SVG")
            nodes = len(re.findall(r"^  op\d+ \[", text, re.M))
            want = n_ops(resc, model, stage)
            print("%s %s: %d op nodes (%d ops), %d bytes of SVG" % (name, stage, nodes, want,
                                                                     os.path.getsize(path + ".svg")))
            if nodes != want:
                fail("%d op nodes for %d ops" % (nodes, want))
            if not re.search(r'label="\d+x\d+', text):
                fail("no shapes on the edges")
            if name == "resnet50" and stage == "optimized":
                if "conv 3x3 /s1 +bias +residual relu" not in text and "conv 1x1 /s1 +bias +residual relu" not in text:
                    fail("no fused conv drawn with its residual and relu")
                if "fc (avgpool+linear)" not in text:
                    fail("no fused fc node")
                if text.count("->") < nodes:
                    fail("too few edges")
    # stdout by default, and the same text
    out = run([resc, "compile", models["digits"], "--emit", "dot"]).stdout
    if out != open(os.path.join(a.work, "digits-optimized.dot")).read():
        fail("--emit dot to stdout differs from -o")
    r = run([resc, "compile", models["digits"], "--emit", "dot", "--stage", "final"], ok=(1,))
    if "unknown stage" not in r.stderr:
        fail("bad --stage message: %r" % r.stderr)


def chromium_console(page, work, tag):
    """Loads page in headless Chromium; returns (dom, console lines)."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        fail("chromium is missing (scripts/install-deps installs it)")
    prof = os.path.join(work, "chromium-profile-" + tag)
    shutil.rmtree(prof, ignore_errors=True)
    cmd = [exe, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run",
           "--user-data-dir=" + prof, "--enable-logging=stderr", "--v=0",
           "--virtual-time-budget=3000", "--dump-dom", "file://" + os.path.abspath(page)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    shutil.rmtree(prof, ignore_errors=True)
    if r.returncode != 0:
        print(r.stderr[-3000:], file=sys.stderr)
        fail("chromium exited %d on %s" % (r.returncode, page))
    console = [l for l in r.stderr.splitlines() if ":CONSOLE" in l]
    return r.stdout, console


def mode_report(a, resc, models):
    # the harness itself: a page with an error must show up as a console line
    bad = os.path.join(a.work, "bad.html")
    with open(bad, "w") as f:
        f.write('<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head>'
                '<body><script>console.error("resc-selfcheck"); noSuchFunction();</script></body></html>')
    _, console = chromium_console(bad, a.work, "bad")
    if not any("resc-selfcheck" in l for l in console) or not any("noSuchFunction" in l for l in console):
        fail("the console check does not see console errors: %r" % console)
    print("harness: chromium reports console errors as expected")

    for name, model, extra in [("digits", models["digits"], ["--profile", "--iters", "5"]),
                               ("resnet50", models["resnet50"], [])]:
        page = os.path.join(a.work, name + ".html")
        run([resc, "report", model, "-o", page] + extra)
        html = open(page).read()
        refs = re.findall(r'(?:src|href)\s*=\s*"(?!#|data:)([^"]*)"', html)
        refs += re.findall(r"url\(", html)
        if refs:
            fail("%s references outside the page: %r" % (name, refs[:5]))
        dom, console = chromium_console(page, a.work, name)
        if console:
            fail("%s: console messages: %s" % (name, "\n".join(console)))
        for what, pat in [("graph SVG", r'<div class="graph">\s*<svg'), ("a graph node", r'class="node"'),
                          ("workspace chart", r'<svg id="workspace-chart"'),
                          ("layer table", r'<table id="layer-table">'), ("op counts", r'id="ops"')]:
            if not re.search(pat, dom):
                fail("%s: no %s in the DOM" % (name, what))
        rows = len(re.findall(r"<tr><td class=\"n\">\d+</td>", dom))
        want = n_ops(resc, model, "optimized")
        bars = len(re.findall(r"<rect x=", dom.split('id="workspace-chart"')[1]))
        print("%s: %d bytes, %d layer rows (%d ops), %d workspace bars, no console messages"
              % (name, len(html), rows, want, bars))
        if rows != want:
            fail("%d layer rows for %d ops" % (rows, want))
        if bars < 2:
            fail("an empty workspace chart")
        if "--profile" in extra and not re.search(r"<td class=\"n\">\d+\.\d+%</td>", dom):
            fail("no time shares in the profiled report")


def mode_bench(a, resc, models):
    out = run([resc, "bench", models["digits"], "--iters", "7", "--threads", "1", "--profile"]).stdout
    print(out)
    if not re.search(r"latency\s+median \d+\.\d+ ms", out):
        fail("no median latency")
    if not re.search(r"threads\s+1\b", out):
        fail("--threads 1 not in effect")
    rows = re.findall(r"^\s*(\d+)  .*? (\d+\.\d+) +(\d+\.\d+)% ", out, re.M)
    want = n_ops(resc, models["digits"], "optimized")
    if len(rows) != want:
        fail("%d profile rows for %d ops" % (len(rows), want))
    times = [float(t) for _, t, _ in rows]
    if times != sorted(times, reverse=True):
        fail("profile not sorted by time")
    if sorted(int(i) for i, _, _ in rows) != list(range(want)):
        fail("profile rows are not the ops 0..%d" % (want - 1))
    if abs(sum(float(s) for _, _, s in rows) - 100) > 1:
        fail("shares do not add up to 100%")

    # --json: the same numbers as one object, ops in graph order
    out = run([resc, "bench", models["digits"], "--iters", "5", "--threads", "1", "--profile",
               "--json", "--quiet"]).stdout
    try:
        d = json.loads(out)
    except ValueError as e:
        fail("resc bench --json: not one JSON object (%s): %s" % (e, out[:300]))
    if d["threads"] != 1 or d["iters"] != 5 or not 0 < d["min_ms"] <= d["median_ms"]:
        fail("resc bench --json: threads/iters/latency wrong: %s" % out[:300])
    if d["macs"] <= 0 or d["inputs"][0]["shape"] != "1x1x8x8":
        fail("resc bench --json: macs or input shape wrong: %s" % out[:300])
    ops = d["profile"]["ops"]
    if [o["index"] for o in ops] != list(range(want)):
        fail("resc bench --json: ops are not 0..%d in order" % (want - 1))
    if not all(o["ms"] >= 0 and o["what"] and o["output"] for o in ops) or sum(o["ms"] for o in ops) <= 0:
        fail("resc bench --json: op rows incomplete")
    if not any(o["kind"] == "conv" and o["macs"] > 0 and o["source"] for o in ops):
        fail("resc bench --json: no conv with its MACs and ONNX node name")


def mode_progress(a, resc, models):
    if not shutil.which("script"):
        fail("script(1) (util-linux) is missing")
    obj = os.path.join(a.work, "d.o")
    log = os.path.join(a.work, "tty.log")
    for quiet in (False, True):
        cmd = "%s compile %s -o %s%s 1>/dev/null" % (resc, models["digits"], obj, " --quiet" if quiet else "")
        run(["script", "-qefc", cmd, log])
        tty = open(log, errors="replace").read()
        stages = ["parsing", "optimising", "lowering op", "LLVM optimisation", "codegen"]
        seen = [s for s in stages if s in tty]
        print("on a terminal%s: %s" % (" with --quiet" if quiet else "", seen))
        if quiet and seen:
            fail("--quiet still shows progress")
        if not quiet and seen != stages:
            fail("progress on a terminal shows %s, want %s" % (seen, stages))
        if not quiet and not re.search(r"lowering op \d+/\d+", tty):
            fail("no op counts")
    r = run([resc, "compile", models["digits"], "-o", obj])
    if r.stderr:
        fail("stderr is not a terminal, yet: %r" % r.stderr)


def mode_cli_doc(a, resc, models):
    want = run([resc, "help", "--markdown"]).stdout
    path = os.path.join(a.src, "docs", "cli.md")
    have = open(path).read() if os.path.exists(path) else ""
    if have != want:
        with open(os.path.join(a.work, "cli.md"), "w") as f:
            f.write(want)
        sys.stdout.writelines(__import__("difflib").unified_diff(
            have.splitlines(True), want.splitlines(True), "docs/cli.md", "resc help --markdown"))
        fail("docs/cli.md is stale: regenerate it with `build/bin/resc help --markdown > docs/cli.md`")
    # and every command of the table has its --help
    for cmd in re.findall(r"^## resc (\S+)", want, re.M):
        h = run([resc, cmd, "--help"]).stdout
        if not h.startswith("usage: resc " + cmd):
            fail("resc %s --help" % cmd)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--models", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--mode", required=True, choices=["dot", "report", "bench", "progress", "cli-doc"])
    a = ap.parse_args()
    resc = os.path.join(a.bin, "resc")
    models = {"digits": os.path.join(a.src, "models", "digits", "model.onnx"),
              "resnet50": os.path.join(a.models, "resnet50", "model.onnx")}
    if a.mode in ("dot", "report") and not os.path.exists(models["resnet50"]):
        fail("%s is missing (run scripts/make-models)" % models["resnet50"])
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    globals()["mode_" + a.mode.replace("-", "_")](a, resc, models)
    print("PASS")


if __name__ == "__main__":
    main()
