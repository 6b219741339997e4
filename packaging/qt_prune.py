"""Which parts of Qt and Python the packaged Field Intake ships, shared by the three specs.

The application imports QtCore, QtGui, QtWidgets, QtCharts and QtNetwork (only its local
socket, so a second start reveals a window the panic key hid), nothing else. PyInstaller's Qt
hooks collect every plugin those modules might load; most of them drag in whole Qt libraries
(Quick for the virtual keyboard, Network for TLS and touch input, Wayland, GTK). Dropping them
makes the folder smaller and also removes code paths that matter for a seized laptop:

- no platform theme (GTK 3, xdg-desktop-portal): the GTK and portal file choosers write the
  chosen files to recently-used.xbel; Qt's own dialog, which the application asks for, does
  not. Without the theme plugin a native dialog cannot even be loaded by mistake.
- no TLS, network-information or bearer plugins: the application never goes online (QtNetwork
  itself stays for the same-user local socket).
- no Wayland plugin: Wayland desktops run the window through XWayland (xcb).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Python modules never needed at run time (test tools, other GUI toolkits, unused Qt bindings).
EXCLUDED_MODULES = [
    "tkinter", "_tkinter", "turtle", "turtledemo", "idlelib", "lib2to3", "pydoc_data",
    "pytest", "_pytest", "pytestqt", "hypothesis", "mypy", "ruff", "IPython", "numpy",
    "setuptools", "pip", "distutils",
    # Pillow only reads EXIF headers of photos and pictures for PDFs: no AVIF decoder (its
    # libraries are the largest Pillow brings, and one less parser for hostile files), no Tk.
    "PIL._avif", "PIL.AvifImagePlugin", "PIL._imagingtk", "PIL.ImageTk",
    *[f"PySide6.{name}" for name in (
        "Qt3DAnimation", "Qt3DCore", "Qt3DExtras", "Qt3DInput", "Qt3DLogic", "Qt3DRender",
        "QtBluetooth", "QtCanvasPainter", "QtConcurrent", "QtDBus", "QtDataVisualization",
        "QtDesigner", "QtGraphs", "QtGraphsWidgets", "QtHelp", "QtHttpServer", "QtLabsStyleKit",
        "QtLocation", "QtMultimedia", "QtMultimediaWidgets", "QtNetworkAuth",
        "QtNfc", "QtOpenGL", "QtOpenGLWidgets", "QtPdf", "QtPdfWidgets", "QtPositioning",
        "QtPrintSupport", "QtQml", "QtQuick", "QtQuick3D", "QtQuickControls2", "QtQuickTest",
        "QtQuickWidgets", "QtRemoteObjects", "QtScxml", "QtSensors", "QtSerialBus",
        "QtSerialPort", "QtSpatialAudio", "QtSql", "QtStateMachine", "QtSvg", "QtSvgWidgets",
        "QtTest", "QtTextToSpeech", "QtUiTools", "QtWebChannel", "QtWebEngineCore",
        "QtWebEngineQuick", "QtWebEngineWidgets", "QtWebSockets", "QtWebView", "QtXml",
        "QtAsyncio",
    )],
]

# Qt plugins kept, per folder (file stems without the lib prefix, Linux / Windows / macOS).
KEPT_PLUGINS = {
    "platforms": {"qxcb", "qoffscreen", "qwindows", "qcocoa"},
    "imageformats": {"qjpeg"},  # PNG is built into QtGui
    "platforminputcontexts": {"composeplatforminputcontextplugin",
                              "ibusplatforminputcontextplugin"},
    "styles": {"qmodernwindowsstyle", "qwindowsvistastyle", "qmacstyle"},
}

# Qt libraries that only the dropped plugins needed (QtCharts links QtOpenGL and
# QtOpenGLWidgets, so those stay).
DROPPED_QT_LIBS = re.compile(
    r"Qt6(Quick|Qml|NetworkAuth|Wayland|Wl|VirtualKeyboard|Pdf|Svg|Multimedia|WebEngine|3D|"
    r"Designer|Sql|Test|Positioning|Sensors|SerialPort|Bluetooth|Nfc|EglF[sS]|Location|Graphs|DataVisualization|Help|Xml|StateMachine|ShaderTools)"
)
# Qt's own translations: only the languages the application ships, only base Qt.
KEPT_TRANSLATIONS = re.compile(r"^qt(base)?_(en|ru|kk)\.qm$")
# Libraries the dropped GTK theme would have pulled in from the system.
DROPPED_SYSTEM_LIBS = re.compile(r"^lib(gtk-3|gdk-3|atk|pango|cairo|gdk_pixbuf|harfbuzz-gobject)")


def _keep(dest: str) -> bool:
    parts = dest.replace("\\", "/").split("/")
    name = parts[-1]
    if "plugins" in parts:
        at = parts.index("plugins")
        folder = parts[at + 1] if len(parts) > at + 2 else ""
        stem = re.sub(r"^lib", "", name.split(".")[0])
        return stem in KEPT_PLUGINS.get(folder, set())
    if "translations" in parts and name.endswith(".qm"):
        return bool(KEPT_TRANSLATIONS.match(name))
    return not (DROPPED_QT_LIBS.search(name) or DROPPED_SYSTEM_LIBS.match(name))


def prune(binaries: Iterable[tuple], datas: Iterable[tuple], *, platform: str) -> tuple:
    """Return (binaries, datas) without the Qt parts listed above. `platform` is for messages."""
    binaries, datas = list(binaries), list(datas)
    kept_bins = [entry for entry in binaries if _keep(entry[0])]
    kept_datas = [entry for entry in datas if _keep(entry[0])]
    print(f"qt_prune[{platform}]: kept {len(kept_bins)} of {len(binaries)} binaries, "
          f"{len(kept_datas)} of {len(datas)} data files")
    return kept_bins, kept_datas
