#!/usr/bin/env bash
# Build 社協デスク for macOS: the .app bundle and a .dmg with an /Applications link.
#
#   installers/macos/build.sh [--python PY] [--no-venv]
#                             [--sign "Developer ID Application: NAME (TEAMID)"]
#                             [--notarize KEYCHAIN_PROFILE]
#
# Steps: virtual environment (build/venv-macos) with the app and PyInstaller → the app icon
# (resources/icons/shakyo-desk.icns, from the SVG) → PyInstaller with the shared spec →
# self-test of the console executable inside the bundle → optional signing → .dmg →
# optional notarisation and stapling.
#
# Output: dist/社協デスク.app and dist/shakyo-desk-<version>-macos-<arch>.dmg
#
# Assumption about the spec (installers/pyinstaller/shakyo_desk.spec): BUNDLE() receives both
# executables, so the console one lands next to the app's main executable in
# 社協デスク.app/Contents/MacOS/shakyo-desk-cli. The self-test runs it from there.
# See README.md for signing, notarisation and Gatekeeper.
set -euo pipefail

APP_NAME="社協デスク"
BUNDLE_ID="jp.shakyo-desk.app"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ICONS="$ROOT/resources/icons"
SPEC="$ROOT/installers/pyinstaller/shakyo_desk.spec"
ENTITLEMENTS="$ROOT/installers/macos/entitlements.plist"
BUILD="$ROOT/build/macos"
APP="$ROOT/dist/$APP_NAME.app"

python_cmd="python3"
use_venv=yes
sign_identity=""
notary_profile=""

step() { printf '\n==> %s\n' "$*"; }
die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

usage() {
    sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
    case "$1" in
        --python)
            [ $# -ge 2 ] || die "--python needs a value"
            python_cmd="$2"
            shift 2
            ;;
        --no-venv)
            use_venv=no
            shift
            ;;
        --sign)
            [ $# -ge 2 ] || die "--sign needs a signing identity"
            sign_identity="$2"
            shift 2
            ;;
        --notarize)
            [ $# -ge 2 ] || die "--notarize needs a notarytool keychain profile"
            notary_profile="$2"
            shift 2
            ;;
        -h | --help)
            usage
            exit 0
            ;;
        *) die "unknown option: $1 (see --help)" ;;
    esac
done

[ "$(uname -s)" = "Darwin" ] || die "build this on macOS (PyInstaller makes the .app only there)"
[ -f "$SPEC" ] || die "missing $SPEC"
if [ -n "$notary_profile" ] && [ -z "$sign_identity" ]; then
    die "--notarize needs --sign (Apple notarises only signed apps)"
fi

VERSION="$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' "$ROOT/shakyo_desk/__init__.py")"
[ -n "$VERSION" ] || die "cannot read __version__ from shakyo_desk/__init__.py"
ARCH="$(uname -m)"
DMG="$ROOT/dist/shakyo-desk-$VERSION-macos-$ARCH.dmg"
echo "shakyo-desk $VERSION for macOS ($ARCH)"

cd "$ROOT"
mkdir -p "$BUILD"

# ---- Python ------------------------------------------------------------------------------
if [ "$use_venv" = yes ]; then
    venv="$ROOT/build/venv-macos"
    if [ ! -x "$venv/bin/python" ]; then
        step "Create virtual environment $venv"
        "$python_cmd" -m venv "$venv"
    fi
    PY="$venv/bin/python"
    step "Install the app and PyInstaller"
    "$PY" -m pip install --upgrade pip
    "$PY" -m pip install . pyinstaller
else
    PY="$python_cmd"
fi
"$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' ||
    die "Python 3.11 or later is needed ($PY)"

# ---- icon: resources/icons/shakyo-desk.icns (the spec uses it when present) -----------------
ICNS="$ICONS/shakyo-desk.icns"
if [ ! -f "$ICNS" ] || [ "$ICONS/shakyo-desk.svg" -nt "$ICNS" ]; then
    step "Make $ICNS"
    iconset="$BUILD/shakyo-desk.iconset"
    rm -rf "$iconset"
    if command -v iconutil >/dev/null 2>&1; then
        # Every size rendered from the SVG; if that fails, scale the 256 px PNG with sips.
        if ! "$PY" "$ICONS/make_icons.py" --out "$BUILD/icons" --iconset "$iconset" >/dev/null; then
            echo "make_icons.py failed; scaling shakyo-desk-256.png with sips instead"
            rm -rf "$iconset"
            mkdir -p "$iconset"
            for size in 16 32 128 256 512; do
                sips -z "$size" "$size" "$ICONS/shakyo-desk-256.png" --out "$iconset/icon_${size}x${size}.png" >/dev/null
                double=$((size * 2))
                sips -z "$double" "$double" "$ICONS/shakyo-desk-256.png" --out "$iconset/icon_${size}x${size}@2x.png" >/dev/null
            done
        fi
        iconutil -c icns "$iconset" -o "$ICNS"
    else
        # No iconutil (unusual on macOS): Pillow writes the .icns itself.
        "$PY" "$ICONS/make_icons.py" --out "$BUILD/icons" --icns "$ICNS" >/dev/null
    fi
fi

# ---- PyInstaller ---------------------------------------------------------------------------
step "PyInstaller"
"$PY" -m PyInstaller --noconfirm --clean "$SPEC"
[ -d "$APP" ] || die "PyInstaller did not produce $APP"
CLI="$APP/Contents/MacOS/shakyo-desk-cli"
[ -x "$CLI" ] || die "no console executable at $CLI (see the assumption at the top of this script)"
[ -x "$APP/Contents/MacOS/shakyo-desk" ] || die "no app executable at $APP/Contents/MacOS/shakyo-desk"

# ---- signing -------------------------------------------------------------------------------
if [ -n "$sign_identity" ]; then
    step "Sign $APP"
    codesign --force --deep --options runtime --timestamp \
        --entitlements "$ENTITLEMENTS" --sign "$sign_identity" "$APP"
    codesign --verify --deep --strict --verbose=2 "$APP"
fi

# ---- self-test (after signing, so the shipped binaries are what is tested) --------------------
step "Self-test: $CLI --selftest"
"$CLI" --selftest

# ---- notarise the app itself, so it opens offline once copied out of the .dmg ----------------
if [ -n "$notary_profile" ]; then
    step "Notarise the app"
    zip="$BUILD/shakyo-desk-app.zip"
    rm -f "$zip"
    ditto -c -k --keepParent "$APP" "$zip"
    xcrun notarytool submit "$zip" --keychain-profile "$notary_profile" --wait
    xcrun stapler staple "$APP"
    rm -f "$zip"
fi

# ---- .dmg with the app and an /Applications link ---------------------------------------------
step "Make $DMG"
staging="$BUILD/dmg"
rm -rf "$staging"
mkdir -p "$staging"
ditto "$APP" "$staging/$APP_NAME.app"
ln -s /Applications "$staging/Applications"
rm -f "$DMG"
hdiutil create -volname "$APP_NAME" -srcfolder "$staging" -ov -format UDZO -fs HFS+ "$DMG"
rm -rf "$staging"

if [ -n "$sign_identity" ]; then
    step "Sign the .dmg"
    codesign --force --timestamp --sign "$sign_identity" "$DMG"
fi
if [ -n "$notary_profile" ]; then
    step "Notarise the .dmg"
    xcrun notarytool submit "$DMG" --keychain-profile "$notary_profile" --wait
    xcrun stapler staple "$DMG"
    spctl --assess --type open --context context:primary-signature --verbose=2 "$DMG" || true
fi

step "Done"
echo "App:  $APP (bundle id $BUNDLE_ID)"
echo "DMG:  $DMG"
shasum -a 256 "$DMG"
