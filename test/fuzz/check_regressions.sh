#!/bin/sh
# Every input the fuzzer ever crashed on (test/fuzz/regressions/*, named
# after what it found) through `resc compile --emit llvm -O0`, the path the
# fuzz target takes: exit 0, or exit 1 with one line "resc: error: ...",
# never a crash, within 60 s.
#   check_regressions.sh RESC DIR
set -u
RESC=$1; DIR=$2
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
pass=0; fail=0
for f in "$DIR"/*; do
	case "$f" in *.md|*'*') continue ;; esac
	cp "$f" "$W/model.onnx"
	err=$(timeout 60 "$RESC" compile "$W/model.onnx" --emit llvm -O0 -o "$W/out.ll" 2>&1 >/dev/null)
	rc=$?
	lines=$(printf '%s\n' "$err" | grep -c '')
	if [ $rc -eq 0 ] || { [ $rc -eq 1 ] && [ "$lines" -eq 1 ] && printf '%s' "$err" | grep -q '^resc: error: '; }; then
		pass=$((pass+1))
	else
		echo "FAIL $(basename "$f") (exit $rc): $err"; fail=$((fail+1))
	fi
done
echo "fuzz regressions: $pass passed, $fail failed"
[ $fail -eq 0 ]
