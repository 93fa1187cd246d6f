#!/usr/bin/python3
"""Runs the shell commands of the documentation, so the docs cannot rot.

    run_doc_commands.py --build BUILD --src SRC --work DIR [FILE.md...]

The convention (docs/testing.md): in the files listed in DOC_FILES (or given
on the command line), every fenced block opened with ```sh runs; a block
opened with ```sh norun is for reading only (it needs root, takes minutes,
or names a file the reader has).  Each file's blocks run in order, each as
one `bash -e -o pipefail` script, in a fresh folder that looks like the
repository root after `make`: build/ (the build tree under test), models/,
examples/, docs/ and runtime/ are links to the real ones, so the commands run
exactly as written.  A block fails the test when it exits non-zero.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

DOC_FILES = ["docs/getting-started.md", "docs/embedding.md"]
LINKS = ["models", "examples", "docs", "runtime", "test"]


def blocks(path):
    """(line number, info string, text) of every fenced block."""
    out, cur, info, start = [], None, None, 0
    for n, line in enumerate(open(path), 1):
        m = re.match(r"^```(.*)$", line.rstrip("\n"))
        if m and cur is None:
            cur, info, start = [], m.group(1).strip(), n
        elif m and cur is not None:
            out.append((start, info, "".join(cur)))
            cur = None
        elif cur is not None:
            cur.append(line)
    if cur is not None:
        sys.exit("FAILED: %s: unclosed fence at line %d" % (path, start))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("files", nargs="*")
    a = ap.parse_args()
    files = a.files or DOC_FILES
    total = 0
    for rel in files:
        path = os.path.join(a.src, rel)
        runnable = [(n, t) for n, info, t in blocks(path) if info.split()[:1] == ["sh"] and "norun" not in info.split()]
        if not runnable:
            sys.exit("FAILED: %s has no runnable ```sh block" % rel)
        work = os.path.join(a.work, os.path.basename(rel).replace(".md", ""))
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        os.symlink(os.path.abspath(a.build), os.path.join(work, "build"))
        for d in LINKS:
            os.symlink(os.path.join(os.path.abspath(a.src), d), os.path.join(work, d))
        env = dict(os.environ, RESC_NUM_THREADS=os.environ.get("RESC_NUM_THREADS", "2"))
        for n, text in runnable:
            t0 = time.time()
            print("---- %s:%d\n%s" % (rel, n, text), end="", flush=True)
            r = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", text], cwd=work, env=env,
                               capture_output=True, text=True, timeout=900)
            print(r.stdout[-3000:], end="")
            if r.returncode != 0:
                print(r.stderr[-3000:], end="", file=sys.stderr)
                sys.exit("FAILED: %s:%d: the block exits %d" % (rel, n, r.returncode))
            print("---- ok (%.1f s)" % (time.time() - t0), flush=True)
            total += 1
    print("PASS: %d blocks" % total)


if __name__ == "__main__":
    main()
