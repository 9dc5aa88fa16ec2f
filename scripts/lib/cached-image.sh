# Sourced by the offline image builds (scripts/build-*-image.sh): each image is built once per
# change of its inputs, and test files that ask for it at once wait for the first build.
#   image_build_lock NAME       one build of NAME at a time (lock file in $cache, held on fd 9)
#   files_hash ROOT FILE...     "path sha256" per file (paths relative to ROOT), for an inputs hash
#   exit_if_cached TAG HASH     when TAG exists with label knitfab.inputs-hash=HASH: print TAG, exit 0
# Sets $cache, the folder of the lock files and of anything else a build keeps between runs.

cache="${XDG_CACHE_HOME:-$HOME/.cache}/knitfab"
mkdir -p "$cache"

image_build_lock() {
  exec 9>"$cache/$1.lock"
  flock 9
}

files_hash() {
  files_hash_root="$1"
  shift
  for file in "$@"; do
    # Content and the path inside the repository (not this checkout's location).
    printf '%s ' "${file#"$files_hash_root"/}"
    sha256sum <"$file"
  done
}

exit_if_cached() {
  if podman image exists "$1"; then
    existing="$(podman image inspect --format '{{ index .Labels "knitfab.inputs-hash" }}' "$1" 2>/dev/null || true)"
    if [ "$existing" = "$2" ]; then
      echo "$1"
      exit 0
    fi
  fi
}
