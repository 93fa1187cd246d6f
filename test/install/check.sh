#!/bin/sh
# Installs resc into a temporary prefix and uses it as a user would:
#   1. the installed tree has bin/resc, bin/resc-opt, LIBDIR/libresc_rt.a,
#      include/resc_rt.h, LIBDIR/pkgconfig/resc_rt.pc;
#   2. the installed resc compiles the digits model; examples/embed.c links
#      against it with `pkg-config --cflags --libs resc_rt` and with
#      `resc config --cflags --libs` (whose flags point into the prefix);
#   3. examples/cmake (the snippet of docs/install.md) configures, compiles
#      the model at build time and links;
#   4. the prefix still works after being moved (resc config, resc_rt.pc).
# Each program must classify the test split at the model's accuracy.
#
#     check.sh BUILD_DIR SRC_DIR WORK_DIR LIBDIR
set -eu
B=$1 S=$2 W=$3 L=$4
rm -rf "$W"
mkdir -p "$W"
P="$W/prefix"
fail() { echo "FAIL: $*"; exit 1; }

cmake --install "$B" --prefix "$P" >"$W/install.log" 2>&1 || { cat "$W/install.log"; fail "cmake --install"; }
for f in bin/resc bin/resc-opt "$L/libresc_rt.a" include/resc_rt.h "$L/pkgconfig/resc_rt.pc"; do
	[ -f "$P/$f" ] || fail "$P/$f not installed"
done
[ -x "$P/bin/resc" ] && [ -x "$P/bin/resc-opt" ] || fail "tools not executable"
"$P/bin/resc" --version

# accuracy line "embed: accuracy 0.9889 (356/360)" of a program, which must be > 0.95
check_run() {
	out=$("$@") || fail "$* exited with $?"
	echo "$out"
	echo "$out" | awk '/accuracy/ { ok = $3 > 0.95 } END { exit !ok }' || fail "$*: accuracy too low"
}

# 2. the installed compiler, linked through pkg-config and through resc config
"$P/bin/resc" compile "$S/models/digits/model.onnx" -o "$W/digits_net.o" --name digits_net
[ -f "$W/digits_net.h" ] || fail "no digits_net.h"
PCF=$(PKG_CONFIG_PATH="$P/$L/pkgconfig" pkg-config --cflags --libs resc_rt) || fail "pkg-config resc_rt"
echo "pkg-config --cflags --libs resc_rt: $PCF"
cc -O2 -I"$W" "$S/examples/embed.c" "$W/digits_net.o" $PCF -o "$W/embed-pc"
check_run "$W/embed-pc" "$S/models/digits/test.bin"

RCF=$("$P/bin/resc" config --cflags --libs)
echo "resc config --cflags --libs: $RCF"
RP=$(cd "$P" && pwd -P)
case "$RCF" in
*"-I$RP/include "*"-L$RP/$L "*) ;;
*) fail "resc config does not point into the prefix $RP" ;;
esac
cc -O2 -I"$W" "$S/examples/embed.c" "$W/digits_net.o" $RCF -o "$W/embed-config"
check_run "$W/embed-config" "$S/models/digits/test.bin"

# 3. a CMake user project compiling the model at build time (docs/install.md)
cmake -S "$S/examples/cmake" -B "$W/app" -DCMAKE_PREFIX_PATH="$P" >"$W/app.log" 2>&1 ||
	{ cat "$W/app.log"; fail "configuring examples/cmake"; }
cmake --build "$W/app" >>"$W/app.log" 2>&1 || { cat "$W/app.log"; fail "building examples/cmake"; }
check_run "$W/app/embed" "$S/models/digits/test.bin"

# 4. relocation: move the prefix; both ways of finding the runtime follow it
mv "$P" "$W/moved"
RCF=$("$W/moved/bin/resc" config --cflags --libs)
RM=$(cd "$W/moved" && pwd -P)
case "$RCF" in
*"-I$RM/include "*"-L$RM/$L "*) ;;
*) fail "after moving the prefix, resc config says: $RCF" ;;
esac
PCF=$(PKG_CONFIG_PATH="$W/moved/$L/pkgconfig" pkg-config --cflags --libs resc_rt)
cc -O2 -I"$W" "$S/examples/embed.c" "$W/digits_net.o" $PCF -o "$W/embed-moved"
check_run "$W/embed-moved" "$S/models/digits/test.bin"
echo "install: ok"
