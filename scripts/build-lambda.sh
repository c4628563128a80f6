#!/usr/bin/env bash
# Builds and packages the two Lambda zips, each checked by `harness package`
# (a Linux ELF for the architecture, glibc <= provided.al2023's 2.34):
#   target/lambda/authorizer.zip      the lean build: PEM and JWKS keys, no AWS SDK
#   target/lambda/authorizer-kms.zip  with the KMS key source (aws-sdk-kms)
# and prints each zip's size. Usage: scripts/build-lambda.sh [x86_64|arm64]
#
# arm64 cross-builds with rustup's aarch64-unknown-linux-gnu standard library
# and Debian's aarch64-linux-gnu-gcc as the linker (or use
# `cargo lambda build --release --arm64`); the machine this project is
# developed on reaches no aarch64 standard library, so only x86_64 is built
# in CI. Environment: CARGO_TARGET_DIR (default target), LAMBDA_OUT (default
# target/lambda), HARNESS (default: the release harness in the target dir).
set -euo pipefail
cd "$(dirname "$0")/.."
arch="${1:-x86_64}"
target_dir="${CARGO_TARGET_DIR:-target}"
out="${LAMBDA_OUT:-target/lambda}"
case "$arch" in
  x86_64) triple="" ;;
  arm64)
    triple=aarch64-unknown-linux-gnu
    if ! rustup target list --installed 2>/dev/null | grep -qx "$triple"; then
      echo "build-lambda: arm64 needs the $triple standard library (rustup target add $triple) and a linker (apt-get install gcc-aarch64-linux-gnu)" >&2
      exit 2
    fi
    export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER="${CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER:-aarch64-linux-gnu-gcc}"
    ;;
  *) echo "usage: $0 [x86_64|arm64]" >&2; exit 2 ;;
esac
target_flag=()
sub=release
if [ -n "$triple" ]; then target_flag=(--target "$triple"); sub="$triple/release"; fi

harness="${HARNESS:-$target_dir/release/harness}"
# The same package set as the README's and CI's release build, so the
# dependencies are built once for both.
[ -x "$harness" ] || cargo build --release -p authorizer -p harness
mkdir -p "$out"

# The KMS build shares the workspace's target directory (its AWS SDK is
# already built there for the harness); the lean build has its own, so the
# two never overwrite each other's binary and the lean one links no SDK.
cargo build --release -p authorizer --features kms "${target_flag[@]}"
cp "$target_dir/$sub/authorizer" "$out/authorizer-kms"
cargo build --release -p authorizer --target-dir "$target_dir/lean" "${target_flag[@]}"
cp "$target_dir/lean/$sub/authorizer" "$out/authorizer"

for flavour in authorizer authorizer-kms; do
  "$harness" package --architecture "$arch" --binary "$out/$flavour" --out "$out/$flavour.zip"
done
