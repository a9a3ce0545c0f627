#!/usr/bin/env bash
# Install the Debian packages the site needs: Fashion-MNIST (offline data) and Chromium (browser
# tests). As root with apt it installs them; otherwise it says what to run, and the data falls
# back to torchvision's download when the network allows it.
set -u
need=()
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || need+=(dataset-fashion-mnist)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo -n"   # passwordless sudo (e.g. GitHub Actions); never prompts
if command -v apt-get >/dev/null 2>&1 && { [ -z "$sudo" ] || sudo -n true 2>/dev/null; }; then
  echo "installing Debian packages: ${need[*]}"
  $sudo env DEBIAN_FRONTEND=noninteractive sh -c 'apt-get update -qq && apt-get install -y -qq "$@" >/dev/null' \
    sh "${need[@]}" || echo "warning: apt-get could not install ${need[*]}; see the notes below" >&2
  for p in "${need[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || echo "note: $p is still missing (not in this system's package lists?)" >&2
  done
else
  echo "note: missing Debian packages: ${need[*]}" >&2
  echo "      install them with: sudo apt-get install ${need[*]}" >&2
  echo "      (without dataset-fashion-mnist, torchvision downloads the data when online;" >&2
  echo "       without chromium, the browser tests are skipped)" >&2
fi
