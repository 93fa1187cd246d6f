#!/bin/sh
# Builds and runs one example against the build tree; the accuracy it prints
# on the digits test split must be above 0.95.  Used by ctest (examples/*).
#
#     check.sh c|python BUILD_BIN_DIR SRC_DIR WORK_DIR
set -eu
K=$1 BIN=$2 S=$3 W=$4
rm -rf "$W"
mkdir -p "$W"
case $K in
c)
	"$BIN/resc" compile "$S/models/digits/model.onnx" -o "$W/digits_net.o" --name digits_net
	cc -O2 -I"$W" "$S/examples/embed.c" "$W/digits_net.o" $("$BIN/resc" config --cflags --libs) -o "$W/embed"
	out=$("$W/embed" "$S/models/digits/test.bin")
	;;
python)
	"$BIN/resc" compile "$S/models/digits/model.onnx" --emit shared -o "$W/digits_net.so"
	out=$(/usr/bin/python3 "$S/examples/python/classify.py" "$W/digits_net.so" "$S/models/digits/test.bin")
	;;
*)
	echo "check.sh: unknown kind '$K'" >&2
	exit 2
	;;
esac
echo "$out"
echo "$out" | awk '/accuracy/ { ok = $(NF-1) > 0.95 } END { exit !ok }' || { echo "FAIL: accuracy too low"; exit 1; }
