#!/usr/bin/env bash
# 社協デスク — per-user install for Linux (no sudo).
#
# Run from the root of the extracted tarball, which holds:
#   install.sh
#   shakyo-desk/                                    the PyInstaller onedir app
#   share/applications/jp.shakyo_desk.ShakyoDesk.desktop
#   share/metainfo/jp.shakyo_desk.ShakyoDesk.metainfo.xml
#   share/icons/hicolor/256x256/apps/shakyo-desk.png
#   share/icons/hicolor/scalable/apps/shakyo-desk.svg
#
#   ./install.sh              install or update (safe to run again)
#   ./install.sh --uninstall  remove the program; the records are kept
#
# The data folder (~/.local/share/shakyo-desk, with the encrypted store) is never touched,
# neither here nor by --uninstall. A copy of this script is left in the program folder as
# uninstall.sh, so the program can be removed later without the tarball.
set -euo pipefail

APP_ID="jp.shakyo_desk.ShakyoDesk"
ICON_NAME="shakyo-desk"

DATA_HOME="${XDG_DATA_HOME:-$HOME/.local/share}"
OPT_DIR="$HOME/.local/opt"
APP_DIR="$OPT_DIR/shakyo-desk"
BIN_DIR="$HOME/.local/bin"
APPS_DIR="$DATA_HOME/applications"
METAINFO_DIR="$DATA_HOME/metainfo"
ICONS_DIR="$DATA_HOME/icons/hicolor"
# Where the app keeps its records (platformdirs user_data_dir): never removed by this script.
USER_DATA_DIR="$DATA_HOME/shakyo-desk"

STAGE_DIR="$OPT_DIR/.shakyo-desk.new"
OLD_DIR="$OPT_DIR/.shakyo-desk.old"

say() { printf '%s\n' "$*"; }
fail() {
    printf '%s\n' "$*" >&2
    exit 1
}

usage() {
    cat <<'EOF'
社協デスクを、このユーザーのためにインストールします（管理者の権限は要りません）。

使い方：
  ./install.sh              インストール、または新しい版への更新
  ./install.sh --uninstall  プログラムを削除します（記録のデータは残します）
  ./install.sh --help       この説明を表示します
EOF
}

# ---- arguments ---------------------------------------------------------------------------

mode=install
if [ "$(basename "$0")" = "uninstall.sh" ]; then
    mode=uninstall
fi
for arg in "$@"; do
    case "$arg" in
        --uninstall) mode=uninstall ;;
        -h | --help)
            usage
            exit 0
            ;;
        *)
            usage >&2
            fail "「$arg」は使えない指定です。"
            ;;
    esac
done

if [ "$(id -u)" -eq 0 ] && [ -n "${SUDO_USER:-}" ]; then
    fail "sudo を付けずに実行してください。社協デスクは、使う人のユーザーでインストールします。"
fi

# Refuse anything that would put the program folder inside the data folder (or the reverse).
case "$APP_DIR/" in
    "$USER_DATA_DIR/"*) fail "インストール先（$APP_DIR）がデータのフォルダと重なっています。中止しました。" ;;
esac
case "$USER_DATA_DIR/" in
    "$APP_DIR/"*) fail "データのフォルダ（$USER_DATA_DIR）がインストール先と重なっています。中止しました。" ;;
esac

# True when this user runs the installed program (the app or the console variant, e.g. a
# nightly backup). A copy started from elsewhere (an unpacked tarball) does not count.
app_is_running() {
    command -v pgrep >/dev/null 2>&1 || return 1
    local pid exe
    for pid in $(pgrep -u "$(id -u)" -x 'shakyo-desk|shakyo-desk-cli' 2>/dev/null); do
        exe="$(readlink "/proc/$pid/exe" 2>/dev/null)" || return 0 # cannot tell: assume ours
        case "$exe" in
            "$APP_DIR"/*) return 0 ;;
        esac
    done
    return 1
}

# A link in ~/.local/bin that we made (points into our program folder).
is_our_link() {
    [ -L "$1" ] || return 1
    case "$(readlink "$1")" in
        "$APP_DIR"/*) return 0 ;;
    esac
    return 1
}

remove_our_link() {
    if is_our_link "$1"; then
        rm -f "$1"
    fi
}

refresh_caches() {
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q "$APPS_DIR" >/dev/null 2>&1 || true
    fi
    if [ -d "$ICONS_DIR" ]; then
        touch "$ICONS_DIR" 2>/dev/null || true
        # Only refresh a cache that already exists; a missing cache is simply not used.
        if [ -f "$ICONS_DIR/icon-theme.cache" ] && command -v gtk-update-icon-cache >/dev/null 2>&1; then
            gtk-update-icon-cache -q -t -f "$ICONS_DIR" >/dev/null 2>&1 || true
        fi
    fi
}

data_kept_message() {
    if [ -d "$USER_DATA_DIR" ]; then
        say "記録のデータは削除していません。次のフォルダにそのまま残っています："
        say "  $USER_DATA_DIR"
        say "もう一度インストールすると、同じデータをそのまま使えます。"
    else
        say "記録のデータのフォルダ（$USER_DATA_DIR）はありませんでした。"
    fi
}

# ---- uninstall ---------------------------------------------------------------------------

uninstall() {
    if app_is_running; then
        fail "社協デスクが起動しています。社協デスクを終了してから、もう一度実行してください。"
    fi
    local found=no
    if [ -e "$APP_DIR" ] || [ -L "$APP_DIR" ]; then
        found=yes
    fi
    remove_our_link "$BIN_DIR/shakyo-desk"
    remove_our_link "$BIN_DIR/shakyo-desk-cli"
    rm -f "$APPS_DIR/$APP_ID.desktop" \
        "$METAINFO_DIR/$APP_ID.metainfo.xml" \
        "$ICONS_DIR/256x256/apps/$ICON_NAME.png" \
        "$ICONS_DIR/scalable/apps/$ICON_NAME.svg"
    rm -rf "$STAGE_DIR" "$OLD_DIR" "$APP_DIR"
    refresh_caches
    if [ "$found" = yes ]; then
        say "社協デスクのプログラムを削除しました。"
    else
        say "社協デスクのプログラムは見つかりませんでした（すでに削除されています）。"
    fi
    data_kept_message
}

# ---- install -----------------------------------------------------------------------------

# The desktop entry with Exec/TryExec pointing at the installed program, so the menu works
# even when ~/.local/bin is not yet on PATH (it is added at the next login on most systems).
write_desktop_file() {
    local source="$1" target="$2" exe="$APP_DIR/shakyo-desk" exec_value
    if [[ "$exe" =~ ^[A-Za-z0-9/._+-]+$ ]]; then
        exec_value="$exe"
    elif [[ "$exe" != *[\"\`\$\\%]* ]]; then
        exec_value="\"$exe\""
    else
        exec_value="shakyo-desk" # unusual characters in the path: rely on ~/.local/bin
    fi
    local line tmp="$target.partial"
    : >"$tmp"
    while IFS= read -r line || [ -n "$line" ]; do
        case "$line" in
            Exec=*) line="Exec=$exec_value" ;;
            TryExec=*) line="TryExec=$exe" ;;
        esac
        printf '%s\n' "$line" >>"$tmp"
    done <"$source"
    mv -f "$tmp" "$target"
}

install_app() {
    local src
    src="$(cd "$(dirname "$0")" && pwd)"
    local app_src="$src/shakyo-desk"
    local desktop_src="$src/share/applications/$APP_ID.desktop"
    local metainfo_src="$src/share/metainfo/$APP_ID.metainfo.xml"
    local png_src="$src/share/icons/hicolor/256x256/apps/$ICON_NAME.png"
    local svg_src="$src/share/icons/hicolor/scalable/apps/$ICON_NAME.svg"

    if [ ! -f "$app_src/shakyo-desk" ] || [ ! -x "$app_src/shakyo-desk" ]; then
        fail "プログラム（$app_src/shakyo-desk）が見つかりません。圧縮ファイルをすべて展開したフォルダの中で ./install.sh を実行してください。"
    fi
    if [ "$app_src" = "$APP_DIR" ]; then
        fail "すでにインストールされた場所から実行しています。新しい版の圧縮ファイルを展開したフォルダで実行してください。"
    fi
    local f
    for f in "$desktop_src" "$metainfo_src" "$png_src" "$svg_src"; do
        [ -f "$f" ] || fail "必要なファイル（$f）が見つかりません。圧縮ファイルをもう一度展開してください。"
    done
    if app_is_running; then
        fail "社協デスクが起動しています。社協デスクを終了してから、もう一度実行してください。"
    fi

    local updating=no
    if [ -d "$APP_DIR" ]; then
        updating=yes
    fi

    mkdir -p "$OPT_DIR" "$BIN_DIR" "$APPS_DIR" "$METAINFO_DIR" \
        "$ICONS_DIR/256x256/apps" "$ICONS_DIR/scalable/apps"

    # Copy to a staging folder first, then swap it in, so an interrupted copy never leaves a
    # half-installed program behind.
    rm -rf "$STAGE_DIR" "$OLD_DIR"
    trap 'rm -rf "$STAGE_DIR"' EXIT
    cp -a "$app_src" "$STAGE_DIR" ||
        fail "プログラムをコピーできませんでした。空き容量を確かめて、もう一度実行してください。"
    if cp -f "$0" "$STAGE_DIR/uninstall.sh" 2>/dev/null; then
        chmod 755 "$STAGE_DIR/uninstall.sh"
    fi
    if [ -e "$APP_DIR" ] || [ -L "$APP_DIR" ]; then
        mv "$APP_DIR" "$OLD_DIR"
    fi
    mv "$STAGE_DIR" "$APP_DIR"
    rm -rf "$OLD_DIR"
    trap - EXIT

    local name
    for name in shakyo-desk shakyo-desk-cli; do
        [ -f "$APP_DIR/$name" ] || continue
        local link="$BIN_DIR/$name"
        if [ -e "$link" ] && ! [ -L "$link" ]; then
            say "注意：$link には別のファイル（pip などで入れたもの）があるため、そのままにしました。"
            continue
        fi
        ln -sfn "$APP_DIR/$name" "$link"
    done

    write_desktop_file "$desktop_src" "$APPS_DIR/$APP_ID.desktop"
    cp -f "$metainfo_src" "$METAINFO_DIR/$APP_ID.metainfo.xml"
    cp -f "$png_src" "$ICONS_DIR/256x256/apps/$ICON_NAME.png"
    cp -f "$svg_src" "$ICONS_DIR/scalable/apps/$ICON_NAME.svg"
    refresh_caches

    if [ "$updating" = yes ]; then
        say "社協デスクを新しい版に更新しました。記録のデータはそのまま使えます。"
    else
        say "社協デスクをインストールしました。"
    fi
    say "  プログラム：$APP_DIR"
    say "  起動方法：アプリの一覧（メニュー）から「社協デスク」を選んでください。"
    case ":$PATH:" in
        *":$BIN_DIR:"*) say "  端末からは shakyo-desk で起動できます。" ;;
        *) say "  端末からは $BIN_DIR/shakyo-desk で起動できます（次回のログインからは shakyo-desk だけで起動できることがあります）。" ;;
    esac
    say "  データの保存場所：$USER_DATA_DIR/store（このスクリプトは一切変更しません）"
    say "  削除するとき：$APP_DIR/uninstall.sh（記録のデータは残ります）"

    if command -v ldconfig >/dev/null 2>&1 && ! ldconfig -p 2>/dev/null | grep -q 'libxcb-cursor\.so\.0'; then
        say ""
        say "注意：画面の表示に必要な部品（libxcb-cursor0）が入っていないようです。起動できないときは、"
        say "パソコンの管理者に次のコマンドを実行してもらってください："
        say "  sudo apt-get install libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libfontconfig1 libdbus-1-3"
    fi
}

if [ "$mode" = uninstall ]; then
    uninstall
else
    install_app
fi
