"""Regenerate the raster app icons from shakyo-desk.svg.

    python resources/icons/make_icons.py                 # PNGs (256, 48) and the Windows .ico
    python resources/icons/make_icons.py --icns FILE     # also a macOS .icns (Pillow, any OS)
    python resources/icons/make_icons.py --iconset DIR   # also an .iconset folder for iconutil

Each size is rendered from the SVG directly (not scaled down from a large bitmap), so the small
icons stay sharp. Needs PySide6 (QtSvg) and Pillow; runs without a display.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PIL import Image  # noqa: E402
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

HERE = Path(__file__).resolve().parent
SVG = HERE / "shakyo-desk.svg"
PNG_SIZES = (256, 48)
ICO_SIZES = (16, 20, 24, 32, 40, 48, 64, 128, 256)
# name in an .iconset folder -> pixel size (what iconutil expects)
ICONSET = {
    "icon_16x16.png": 16, "icon_16x16@2x.png": 32,
    "icon_32x32.png": 32, "icon_32x32@2x.png": 64,
    "icon_128x128.png": 128, "icon_128x128@2x.png": 256,
    "icon_256x256.png": 256, "icon_256x256@2x.png": 512,
    "icon_512x512.png": 512, "icon_512x512@2x.png": 1024,
}
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)


def render(renderer: QSvgRenderer, size: int) -> Image.Image:
    """The SVG drawn at size x size pixels, as an RGBA Pillow image."""
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return Image.open(io.BytesIO(bytes(data))).convert("RGBA")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--svg", type=Path, default=SVG, help="source SVG (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=HERE, help="folder for the PNGs and the .ico")
    parser.add_argument("--icns", type=Path, help="also write a macOS .icns file here")
    parser.add_argument("--iconset", type=Path, help="also write an .iconset folder for iconutil")
    args = parser.parse_args(argv)

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(args.svg))
    if not renderer.isValid():
        print(f"cannot read {args.svg}", file=sys.stderr)
        return 1

    cache: dict[int, Image.Image] = {}

    def at(size: int) -> Image.Image:
        if size not in cache:
            cache[size] = render(renderer, size)
        return cache[size]

    args.out.mkdir(parents=True, exist_ok=True)
    written = []
    for size in PNG_SIZES:
        path = args.out / f"shakyo-desk-{size}.png"
        at(size).save(path, optimize=True)
        written.append(path)

    ico = args.out / "shakyo-desk.ico"
    largest = at(max(ICO_SIZES))
    largest.save(ico, format="ICO", sizes=[(s, s) for s in ICO_SIZES],
                 append_images=[at(s) for s in ICO_SIZES if s != largest.width])
    written.append(ico)

    if args.iconset:
        args.iconset.mkdir(parents=True, exist_ok=True)
        for name, size in ICONSET.items():
            at(size).save(args.iconset / name)
        written.append(args.iconset)

    if args.icns:
        args.icns.parent.mkdir(parents=True, exist_ok=True)
        biggest = at(max(ICNS_SIZES))
        biggest.save(args.icns, format="ICNS",
                     append_images=[at(s) for s in ICNS_SIZES if s != biggest.width])
        written.append(args.icns)

    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
