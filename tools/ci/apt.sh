#!/usr/bin/env bash
# Debian packages the tests use: Chromium (browser tests), Python clients for interoperability (websockets, pika),
# amqp-tools and kcat (independent broker clients), ripgrep and libkrb5-dev (code-server's install).
# python3-grpcio and python3-grpc-tools: the seed's gRPC generation from Python (stubs generated at test time).
set -euo pipefail
PKGS=(chromium python3-websockets python3-pika amqp-tools kcat ripgrep libkrb5-dev python3-grpcio python3-grpc-tools)
missing=()
for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
echo "debian packages ready"
