#!/bin/sh
# Builds a tiny offline image from busybox-static: /bin/busybox plus a link per applet, PATH=/bin.
# Usage: scripts/make-test-image.sh [NAME]   (default localhost/busybox:test). Skips when the image exists.
set -eu

NAME="${1:-localhost/busybox:test}"
BUSYBOX=/bin/busybox

if ! command -v podman >/dev/null 2>&1; then
  echo "make-test-image.sh: podman is not installed; run scripts/install-podman.sh as root first" >&2
  exit 1
fi

if podman image exists "$NAME"; then
  echo "$NAME"
  exit 0
fi

if ! "$BUSYBOX" --list >/dev/null 2>&1; then
  echo "make-test-image.sh: $BUSYBOX is not a static busybox; run scripts/install-podman.sh (installs busybox-static)" >&2
  exit 1
fi

root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/tmp" "$root/etc"
chmod 1777 "$root/tmp"
cp "$BUSYBOX" "$root/bin/busybox"
for applet in $("$BUSYBOX" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done
# Some programs look up the current user; give them root and nobody.
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"

echo "+ podman import $NAME" >&2
tar -C "$root" -c . | podman import --change 'ENV PATH=/bin' --change 'CMD ["/bin/sh"]' - "$NAME" >/dev/null
echo "$NAME"
