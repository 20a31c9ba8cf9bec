#!/usr/bin/env bash
# Installs code-server 4.100.3 (VS Code 1.100.3, the last line on Node 20) into the git-ignored .tools/code-server,
# where the extension-host suite and the workbench e2e tests find it. Cached: a second run does nothing.
# Offline-safe: ripgrep comes from Debian (/usr/bin/rg) through the cache @vscode/ripgrep's postinstall looks in.
set -euo pipefail
cd "$(dirname "$0")/../.."

VERSION=4.100.3
DEST=.tools/code-server
BIN="$DEST/node_modules/.bin/code-server"
STAMP="$DEST/.installed-$VERSION"

if [ -f "$STAMP" ] && [ -x "$BIN" ]; then
  echo "code-server $VERSION already installed in $DEST"
  exit 0
fi

if ! command -v rg >/dev/null 2>&1; then
  echo "ripgrep is missing: run 'bash tools/ci/apt.sh' (or apt-get install ripgrep libkrb5-dev) first" >&2
  exit 1
fi

# @vscode/ripgrep@1.15.11 downloads from GitHub unless this archive exists; rg must sit at the archive's root.
RG_CACHE="${TMPDIR:-/tmp}/vscode-ripgrep-cache-1.15.11"
RG_TGZ="$RG_CACHE/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
if [ ! -f "$RG_TGZ" ]; then
  mkdir -p "$RG_CACHE"
  tar czf "$RG_TGZ.tmp" -C "$(dirname "$(command -v rg)")" rg
  mv "$RG_TGZ.tmp" "$RG_TGZ"
fi

mkdir -p "$DEST"
[ -f "$DEST/package.json" ] || echo '{"name":"switchboard-code-server","private":true}' > "$DEST/package.json"
echo "installing code-server $VERSION into $DEST (about 80 s, 300 MB)"
start=$(date +%s)
# unsafe_perm: its postinstall refuses to run as root otherwise; yes: node-pty's postinstall runs `npx node-gyp`.
( cd "$DEST" && npm_config_unsafe_perm=true npm_config_yes=true \
    npm install --no-audit --no-fund --no-save "code-server@$VERSION" )
[ -x "$BIN" ] || { echo "code-server install finished but $BIN is missing" >&2; exit 1; }
touch "$STAMP"
echo "code-server $VERSION installed in $(( $(date +%s) - start )) s"
