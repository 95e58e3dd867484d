"""A task bar for a test X display: a window along the bottom of the screen that reserves
``HEIGHT`` pixels there (``_NET_WM_STRUT_PARTIAL``, a dock), as Windows' task bar does. The
window manager then keeps maximised windows above it and publishes the smaller work area
(``_NET_WORKAREA``), which Qt reports as the screen's available geometry.

    DISPLAY=:57 python -m tests.ui.xstrut [HEIGHT]

Plain libX11 through ctypes (no Qt, no python-xlib). Prints ``ready`` once mapped and runs
until it is killed."""

from __future__ import annotations

import ctypes
import ctypes.util
import signal
import sys
import time

HEIGHT = 40


class SizeHints(ctypes.Structure):  # XSizeHints
    _fields_ = [("flags", ctypes.c_long), ("x", ctypes.c_int), ("y", ctypes.c_int), ("width", ctypes.c_int),
                ("height", ctypes.c_int), ("min_width", ctypes.c_int), ("min_height", ctypes.c_int),
                ("max_width", ctypes.c_int), ("max_height", ctypes.c_int), ("width_inc", ctypes.c_int),
                ("height_inc", ctypes.c_int), ("min_aspect", ctypes.c_int * 2), ("max_aspect", ctypes.c_int * 2),
                ("base_width", ctypes.c_int), ("base_height", ctypes.c_int), ("win_gravity", ctypes.c_int)]


US_POSITION, US_SIZE, P_POSITION, P_SIZE = 1, 2, 4, 8


def main(argv: list[str]) -> int:
    height = int(argv[0]) if argv else HEIGHT
    x11 = ctypes.cdll.LoadLibrary(ctypes.util.find_library("X11") or "libX11.so.6")
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XDefaultRootWindow.restype = ctypes.c_ulong
    x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    x11.XDefaultScreen.argtypes = [ctypes.c_void_p]
    x11.XDisplayWidth.argtypes = [ctypes.c_void_p, ctypes.c_int]
    x11.XDisplayHeight.argtypes = [ctypes.c_void_p, ctypes.c_int]
    x11.XCreateSimpleWindow.restype = ctypes.c_ulong
    x11.XCreateSimpleWindow.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_int,
                                        ctypes.c_uint, ctypes.c_uint, ctypes.c_uint, ctypes.c_ulong, ctypes.c_ulong]
    x11.XInternAtom.restype = ctypes.c_ulong
    x11.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    x11.XChangeProperty.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_int,
                                    ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
    x11.XSetWMNormalHints.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(SizeHints)]
    x11.XMapWindow.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
    x11.XFlush.argtypes = [ctypes.c_void_p]
    x11.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]

    display = x11.XOpenDisplay(None)
    if not display:
        print("cannot open the display", file=sys.stderr)
        return 1
    screen = x11.XDefaultScreen(display)
    width, screen_height = x11.XDisplayWidth(display, screen), x11.XDisplayHeight(display, screen)
    root = x11.XDefaultRootWindow(display)
    window = x11.XCreateSimpleWindow(display, root, 0, screen_height - height, width, height, 0, 0, 0x3c3c3c)

    def atom(name: str) -> int:
        return x11.XInternAtom(display, name.encode(), 0)

    cardinal, atom_type = atom("CARDINAL"), atom("ATOM")
    # left, right, top, bottom, then the start and end of each edge's reserved range
    strut = (ctypes.c_long * 12)(0, 0, 0, height, 0, 0, 0, 0, 0, 0, 0, width - 1)
    x11.XChangeProperty(display, window, atom("_NET_WM_STRUT_PARTIAL"), cardinal, 32, 0, strut, 12)
    x11.XChangeProperty(display, window, atom("_NET_WM_STRUT"), cardinal, 32, 0, strut, 4)
    dock = (ctypes.c_long * 1)(atom("_NET_WM_WINDOW_TYPE_DOCK"))
    x11.XChangeProperty(display, window, atom("_NET_WM_WINDOW_TYPE"), atom_type, 32, 0, dock, 1)
    hints = SizeHints(flags=US_POSITION | US_SIZE | P_POSITION | P_SIZE, x=0, y=screen_height - height,
                      width=width, height=height)
    x11.XSetWMNormalHints(display, window, ctypes.byref(hints))  # where it is: along the bottom
    x11.XMapWindow(display, window)
    x11.XSync(display, 0)
    print("ready", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
