#!/bin/sh
# Builds test/models/concurrency.c against a compiled digits model and runs it.
set -eu
BIN=$1; SRC=$2; WORK=$3
rm -rf "$WORK"; mkdir -p "$WORK"
"$BIN/resc" compile "$SRC/models/digits/model.onnx" -o "$WORK/net.o" --name net
cc -O2 -I"$WORK" "$SRC/test/models/concurrency.c" "$WORK/net.o" $("$BIN/resc" config --cflags --libs) -o "$WORK/conc"
RESC_NUM_THREADS=2 "$WORK/conc"
