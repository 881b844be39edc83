#!/bin/bash
# Builds the stand-in for envoyproxy/envoy:vX.Y.Z from an Envoy binary:
#   deploy/envoy-image/build.sh ENVOY_BINARY TAG
# The base is Debian 12 minbase made by debootstrap from Debian's archive and
# imported into Docker (no registry needed). The root file system's tarball is
# kept in $MONOGRAM_CACHE (default ~/.cache/monogram) and the imported base in
# the engine, so each is made once. Uses the engine `docker` talks to.
set -euo pipefail
binary=$1 tag=$2
here=$(cd "$(dirname "$0")" && pwd)
cache=${MONOGRAM_CACHE:-$HOME/.cache/monogram}/envoy-image
base=monogram/debian:bookworm-minbase
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

if ! docker image inspect "$base" >/dev/null 2>&1; then
    tarball=$cache/bookworm-minbase.tar
    if [ ! -s "$tarball" ]; then
        command -v debootstrap >/dev/null || { echo "build.sh: debootstrap is not installed" >&2; exit 1; }
        mkdir -p "$cache"
        root=$(mktemp -d "$cache/rootfs.XXXXXX")
        trap 'rm -rf "$root"' EXIT
        echo "build.sh: debootstrap --variant=minbase bookworm from $mirror"
        debootstrap --variant=minbase bookworm "$root" "$mirror" >"$cache/debootstrap.log" 2>&1 \
            || { tail -20 "$cache/debootstrap.log" >&2; exit 1; }
        tar -C "$root" -cf "$tarball.part" .
        mv "$tarball.part" "$tarball"
        rm -rf "$root"
    fi
    docker import "$tarball" "$base" >/dev/null
    echo "build.sh: imported $tarball as $base"
fi

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
cp "$here/Dockerfile" "$here/docker-entrypoint.sh" "$context/"
cp "$(readlink -f "$binary")" "$context/envoy"
out=$(docker build --quiet --build-arg BASE="$base" -t "$tag" "$context" 2>&1) || { echo "$out" >&2; exit 1; }
echo "build.sh: built $tag from $binary"
