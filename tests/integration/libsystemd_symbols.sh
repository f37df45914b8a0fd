#!/usr/bin/env bash
# libsystemd_symbols.sh - the binary runs on systemd 239 (RHEL 8): every
# libsystemd symbol it needs is versioned LIBSYSTEMD_239 or older; newer
# calls go through core/sd_compat.h, which looks them up at run time.
. tests/integration/lib.sh

if ! command -v objdump >/dev/null; then
	skip "objdump not installed (binutils)"
	exit 0
fi
newest=$(objdump -T "$AGENT" | grep -o 'LIBSYSTEMD_[0-9]*' | sed 's/LIBSYSTEMD_//' | sort -n | tail -n 1)
echo "# newest libsystemd symbol version required: LIBSYSTEMD_$newest"
check "a libsystemd symbol version is found" test -n "$newest"
check "no libsystemd symbol newer than 239 is required" test "${newest:-999}" -le 239
