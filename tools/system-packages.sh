#!/usr/bin/env bash
# Install the Debian packages the site needs: Fashion-MNIST (offline data) and Chromium (browser
# tests). As root with apt it installs them; otherwise it says what to run, and the data falls
# back to torchvision's download when the network allows it.
set -u
need=()
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || need+=(dataset-fashion-mnist)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null || {
    echo "apt-get could not install ${need[*]}" >&2; exit 1; }
else
  echo "note: missing Debian packages: ${need[*]}" >&2
  echo "      install them with: sudo apt-get install ${need[*]}" >&2
  echo "      (without dataset-fashion-mnist, torchvision downloads the data when online;" >&2
  echo "       without chromium, the browser tests are skipped)" >&2
fi
