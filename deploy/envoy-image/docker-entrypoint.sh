#!/bin/sh
# As the official image's entrypoint: arguments starting with "-" are
# Envoy's, and a container started as root runs its command as user envoy
# (uid 101) unless ENVOY_UID=0.
set -e
if [ "${1#-}" != "$1" ]; then
    set -- envoy "$@"
fi
if [ "$(id -u)" = 0 ] && [ "${ENVOY_UID:-101}" != 0 ]; then
    exec setpriv --reuid="${ENVOY_UID:-101}" --regid="${ENVOY_GID:-101}" --clear-groups -- "$@"
fi
exec "$@"
