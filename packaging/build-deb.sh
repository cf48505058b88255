#!/bin/bash
# Build the tjd Debian package from a clean copy of the source tree.
#
# Usage: packaging/build-deb.sh [OUTPUT-DIR]      (default: ./dist)
#
# The copy holds what git tracks plus new files git does not ignore (so an
# in-tree build's products never leak in, and the working tree is left
# alone); packaging/debian becomes its debian/, and `dpkg-buildpackage -us
# -uc -b` builds it.  The .deb, .buildinfo and .changes land in OUTPUT-DIR;
# the build log in OUTPUT-DIR/build.log.  DEB_BUILD_OPTIONS is passed on
# (e.g. "nocheck" to skip the unit tests).  Needs the Build-Depends of
# packaging/debian/control (dpkg-buildpackage checks them).
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
WORK=

# Copy the source tree without build products into DIR.
export_tree() {
	local dir=$1
	if git -C "$TOP" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		# Deleted but not yet committed files are skipped.
		# shellcheck disable=SC2016 # $f expands in the inner shell
		(cd "$TOP" && git ls-files -z --cached --others --exclude-standard |
			xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh) |
			tar -C "$TOP" --null -T - -cf - | tar -C "$dir" -xf -
	else
		# Not a git checkout (e.g. a release tarball): copy, then clean.
		cp -a "$TOP/." "$dir/"
		if [ -f "$dir/Makefile" ]; then
			make -C "$dir" distclean >/dev/null 2>&1 || true
		fi
	fi
	rm -rf "$dir/debian"
	cp -a "$TOP/packaging/debian" "$dir/debian"
}

main() {
	local out=${1:-$TOP/dist} version source
	mkdir -p "$out"
	out=$(cd "$out" && pwd)
	WORK=$(mktemp -d /tmp/tjd-deb.XXXXXX)
	trap 'rm -rf "$WORK"' EXIT
	version=$(dpkg-parsechangelog -l "$TOP/packaging/debian/changelog" -S Version)
	source=$WORK/tjd-${version%-*}
	mkdir -p "$source"
	export_tree "$source"
	echo "build-deb: building tjd $version in $source"
	if ! (cd "$source" && dpkg-buildpackage -us -uc -b -j"$(nproc)") >"$out/build.log" 2>&1; then
		echo "build-deb: dpkg-buildpackage failed; last lines of $out/build.log:" >&2
		tail -n 40 "$out/build.log" >&2
		exit 1
	fi
	rm -f "$out"/tjd_*.deb "$out"/tjd-dbgsym_*.deb "$out"/tjd_*.buildinfo "$out"/tjd_*.changes
	cp "$WORK"/*.deb "$WORK"/*.buildinfo "$WORK"/*.changes "$out/"
	ls "$out"/*.deb
}

main "$@"
