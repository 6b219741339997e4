"""Draw the Field Intake icon (a shield holding a clipboard) as SVG and PNGs.

One geometry, two renderers: the SVG is written by hand from the shapes below and the PNGs are
drawn with Pillow at 2048 px and scaled down, so the icon needs no SVG renderer at build time.
The output is deterministic (Pillow writes no timestamps), so running this again changes nothing.
Run: .venv/bin/python packaging/icons/make_icons.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
UNITS = 512  # the SVG's viewBox; every coordinate below is in these units
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)

SHIELD = "#1f3a5f"
PAPER = "#ffffff"
CLIP = "#f2b630"

Point = tuple[float, float]

# The shield: top edge arched slightly, straight sides, two cubic curves meeting at the point.
TOP_LEFT: Point = (64, 88)
TOP_CTRL: Point = (256, 24)
TOP_RIGHT: Point = (448, 88)
SIDE_BOTTOM = 240
BOTTOM: Point = (256, 488)
RIGHT_CURVE = ((448, 370), (360, 440))
LEFT_CURVE = ((152, 440), (64, 370))

# Rounded rectangles: (x, y, width, height, radius, colour)
PAPER_RECT = (160, 140, 192, 264, 20, PAPER)
CLIP_RECT = (208, 112, 96, 52, 14, CLIP)
LINES = [(192, 212, 128, 20, 10, SHIELD), (192, 262, 128, 20, 10, SHIELD),
         (192, 312, 88, 20, 10, SHIELD)]


def _quad(p0: Point, p1: Point, p2: Point, steps: int = 64) -> list[Point]:
    return [((1 - t) ** 2 * p0[0] + 2 * (1 - t) * t * p1[0] + t * t * p2[0],
             (1 - t) ** 2 * p0[1] + 2 * (1 - t) * t * p1[1] + t * t * p2[1])
            for t in (i / steps for i in range(steps + 1))]


def _cubic(p0: Point, p1: Point, p2: Point, p3: Point, steps: int = 96) -> list[Point]:
    def at(t: float, k: int) -> float:
        u = 1 - t
        return u**3 * p0[k] + 3 * u * u * t * p1[k] + 3 * u * t * t * p2[k] + t**3 * p3[k]

    return [(at(t, 0), at(t, 1)) for t in (i / steps for i in range(steps + 1))]


def shield_polygon() -> list[Point]:
    right_side: Point = (TOP_RIGHT[0], SIDE_BOTTOM)
    left_side: Point = (TOP_LEFT[0], SIDE_BOTTOM)
    return (_quad(TOP_LEFT, TOP_CTRL, TOP_RIGHT)
            + _cubic(right_side, RIGHT_CURVE[0], RIGHT_CURVE[1], BOTTOM)
            + _cubic(BOTTOM, LEFT_CURVE[0], LEFT_CURVE[1], left_side))


def svg() -> str:
    def rect(r: tuple[int, int, int, int, int, str]) -> str:
        x, y, w, h, rad, colour = r
        return f'  <rect x="{x}" y="{y}" width="{w}" height="{h}" rx="{rad}" fill="{colour}"/>\n'

    (c1, c2), (c3, c4) = RIGHT_CURVE, LEFT_CURVE
    path = (f"M {TOP_LEFT[0]} {TOP_LEFT[1]} Q {TOP_CTRL[0]} {TOP_CTRL[1]} "
            f"{TOP_RIGHT[0]} {TOP_RIGHT[1]} L {TOP_RIGHT[0]} {SIDE_BOTTOM} "
            f"C {c1[0]} {c1[1]} {c2[0]} {c2[1]} {BOTTOM[0]} {BOTTOM[1]} "
            f"C {c3[0]} {c3[1]} {c4[0]} {c4[1]} {TOP_LEFT[0]} {SIDE_BOTTOM} Z")
    body = f'  <path d="{path}" fill="{SHIELD}"/>\n' + rect(PAPER_RECT) + rect(CLIP_RECT)
    body += "".join(rect(line) for line in LINES)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{UNITS}" height="{UNITS}" '
            f'viewBox="0 0 {UNITS} {UNITS}">\n  <title>Field Intake</title>\n{body}</svg>\n')


def master(px: int = 2048) -> Image.Image:
    scale = px / UNITS
    img = Image.new("RGBA", (px, px), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.polygon([(x * scale, y * scale) for x, y in shield_polygon()], fill=SHIELD)
    for x, y, w, h, rad, colour in [PAPER_RECT, CLIP_RECT, *LINES]:
        draw.rounded_rectangle((x * scale, y * scale, (x + w) * scale, (y + h) * scale),
                               radius=rad * scale, fill=colour)
    return img


def main() -> None:
    (HERE / "field-intake.svg").write_text(svg(), encoding="utf-8")
    big = master()
    for size in SIZES:
        big.resize((size, size), Image.Resampling.LANCZOS).save(
            HERE / f"field-intake-{size}.png", optimize=True)
    # Windows wants one .ico with several sizes, macOS one .icns.
    big.resize((256, 256), Image.Resampling.LANCZOS).save(
        HERE / "field-intake.ico", sizes=[(16, 16), (24, 24), (32, 32), (48, 48), (64, 64),
                                          (128, 128), (256, 256)])
    big.resize((1024, 1024), Image.Resampling.LANCZOS).save(
        HERE / "field-intake-1024.png", optimize=True)
    big.resize((1024, 1024), Image.Resampling.LANCZOS).save(
        HERE.parent / "macos" / "field-intake.icns")


if __name__ == "__main__":
    main()
