#!/usr/bin/env bash
# Build the Linux tarball of 社協デスク and prove it works:
#   1. PyInstaller onedir (installers/pyinstaller/shakyo_desk.spec) into dist/shakyo-desk/
#   2. the tarball dist/shakyo-desk-<version>-linux-<arch>.tar.gz: the app folder, the desktop
#      entry, AppStream metadata, icons and install.sh (per-user install, see README.md)
#   3. the tarball unpacked into a fresh folder, and `shakyo-desk-cli --selftest` run from there
# Needs the build extra: pip install -e '.[build]'. Exits non-zero when any step fails.
set -euo pipefail
cd "$(dirname "$0")/../.."

version=$(python3 -c 'import shakyo_desk; print(shakyo_desk.__version__)')
arch=$(uname -m)
name="shakyo-desk-${version}-linux-${arch}"

echo "== PyInstaller (${name})"
python3 -m PyInstaller --noconfirm --clean --log-level WARN installers/pyinstaller/shakyo_desk.spec

echo "== tarball"
stage="build/linux-tarball/${name}"
rm -rf "build/linux-tarball"
mkdir -p "${stage}"
cp -a dist/shakyo-desk "${stage}/shakyo-desk"
install -Dm644 -t "${stage}/share/applications" installers/linux/*.desktop
install -Dm644 -t "${stage}/share/metainfo" installers/linux/*.metainfo.xml
install -Dm644 resources/icons/shakyo-desk-256.png "${stage}/share/icons/hicolor/256x256/apps/shakyo-desk.png"
install -Dm644 resources/icons/shakyo-desk.svg "${stage}/share/icons/hicolor/scalable/apps/shakyo-desk.svg"
install -Dm755 installers/linux/install.sh "${stage}/install.sh"
install -Dm644 resources/fonts/OFL.txt "${stage}/licenses/BIZ-UD-Gothic-OFL.txt"
tarball="dist/${name}.tar.gz"
tar -C build/linux-tarball -czf "${tarball}" "${name}"

echo "== self-test from the unpacked tarball"
check=$(mktemp -d)
trap 'rm -rf "${check}"' EXIT
tar -C "${check}" -xzf "${tarball}"
env -u DISPLAY -u WAYLAND_DISPLAY -u QT_QPA_PLATFORM "${check}/${name}/shakyo-desk/shakyo-desk-cli" --selftest

du -sh dist/shakyo-desk "${tarball}"
echo "built ${tarball}"
