#!/usr/bin/env python3
"""Draw the logos of Maillage's three demo cooperatives.

Flat logos made only from geometric shapes (no fonts, no text, no third-party
images), so that the project owns them and can dedicate them to the public
domain (CC0-1.0). Deterministic: no randomness at all.

    pip install pillow
    python3 server/data/sample-logos/make.py

Writes `<slug>.png` next to this script: 512 x 512, RGB on a white
background, optimised, no metadata chunk (no text, time, gamma, ICC or
physical size).
"""

import math
import os

from PIL import Image, ImageChops, ImageDraw

OUT_DIR = os.path.dirname(os.path.abspath(__file__))
SIZE = 512
SS = 4  # supersampling factor: drawn at 4x, then each 4 x 4 block averaged
        # (exact coverage anti-aliasing, no ringing: small files)
WHITE = (255, 255, 255)


# --------------------------------------------------------------------------
# Drawing helpers
# --------------------------------------------------------------------------

def hexcol(s):
    s = s.lstrip("#")
    return tuple(int(s[i:i + 2], 16) for i in (0, 2, 4))


def shade(col, f):
    """Darken (f < 1) or lighten (f > 1, towards white) a colour."""
    if f <= 1:
        return tuple(max(0, int(round(c * f))) for c in col)
    t = f - 1
    return tuple(min(255, int(round(c + (255 - c) * t))) for c in col)


def rotate(points, cx, cy, deg):
    a = math.radians(deg)
    ca, sa = math.cos(a), math.sin(a)
    return [(cx + (x - cx) * ca - (y - cy) * sa, cy + (x - cx) * sa + (y - cy) * ca)
            for x, y in points]


def circle_points(cx, cy, r, n=96):
    return [(cx + r * math.cos(2 * math.pi * i / n), cy + r * math.sin(2 * math.pi * i / n))
            for i in range(n)]


def capsule_points(cx, cy, length, thick, deg, n=24):
    """Stadium shape centred on (cx, cy), long axis at angle `deg`."""
    r = thick / 2
    half = max(0.0, length / 2 - r)
    pts = []
    for i in range(n + 1):
        a = -math.pi / 2 + math.pi * i / n
        pts.append((cx + half + r * math.cos(a), cy + r * math.sin(a)))
    for i in range(n + 1):
        a = math.pi / 2 + math.pi * i / n
        pts.append((cx - half + r * math.cos(a), cy + r * math.sin(a)))
    return rotate(pts, cx, cy, deg)


def leaf_points(x0, y0, x1, y1, bulge, n=24):
    """Almond-shaped leaf from (x0, y0) to (x1, y1), `bulge` = half its width."""
    length = math.hypot(x1 - x0, y1 - y0)
    deg = math.degrees(math.atan2(y1 - y0, x1 - x0))
    pts = []
    for i in range(n + 1):
        t = i / n
        pts.append((x0 + length * t, y0 - bulge * math.sin(math.pi * t)))
    for i in range(1, n):
        t = 1 - i / n
        pts.append((x0 + length * t, y0 + bulge * math.sin(math.pi * t)))
    return rotate(pts, x0, y0, deg)


class Canvas:
    """A square canvas drawn at SS times its size. Shapes are drawn through
    masks, so that a shape can have holes (a wrench's jaws) over any colour."""

    def __init__(self, bg=WHITE):
        self.n = SIZE * SS
        self.img = Image.new("RGB", (self.n, self.n), bg)

    def mask(self):
        m = Image.new("L", (self.n, self.n), 0)
        return m, ImageDraw.Draw(m)

    def fill(self, mask, col):
        self.img.paste(col, (0, 0, self.n, self.n), mask)

    def shape(self, parts, col):
        """`parts`: list of (polygon, keep) drawn in order; keep=False cuts."""
        m, d = self.mask()
        for pts, keep in parts:
            d.polygon([(x * SS, y * SS) for x, y in pts], fill=255 if keep else 0)
        self.fill(m, col)

    def poly(self, pts, col):
        self.shape([(pts, True)], col)

    def circle(self, cx, cy, r, col):
        self.poly(circle_points(cx, cy, r, n=max(48, int(r * 1.5))), col)

    def ring(self, cx, cy, r, width, col):
        """Ring whose stroke is centred on radius r."""
        n = max(64, int(r * 1.5))
        self.shape([(circle_points(cx, cy, r + width / 2, n), True),
                    (circle_points(cx, cy, r - width / 2, n), False)], col)

    def segment(self, p0, p1, width, col):
        """A thick line with round ends."""
        (x0, y0), (x1, y1) = p0, p1
        length = math.hypot(x1 - x0, y1 - y0) + width
        deg = math.degrees(math.atan2(y1 - y0, x1 - x0))
        self.poly(capsule_points((x0 + x1) / 2, (y0 + y1) / 2, length, width, deg), col)

    def arc(self, cx, cy, rx, ry, start, end, width, col, n=64):
        """Elliptic arc (degrees, clockwise from 3 o'clock like Pillow), round ends."""
        pts_out, pts_in = [], []
        for i in range(n + 1):
            a = math.radians(start + (end - start) * i / n)
            pts_out.append((cx + (rx + width / 2) * math.cos(a), cy + (ry + width / 2) * math.sin(a)))
            pts_in.append((cx + (rx - width / 2) * math.cos(a), cy + (ry - width / 2) * math.sin(a)))
        self.poly(pts_out + pts_in[::-1], col)
        for a in (start, end):
            a = math.radians(a)
            self.circle(cx + rx * math.cos(a), cy + ry * math.sin(a), width / 2, col)

    def finish(self):
        return self.img.resize((SIZE, SIZE), Image.BOX)


def save(img, slug):
    path = os.path.join(OUT_DIR, slug + ".png")
    # A fresh image (no .info carried over) and no pnginfo/icc/dpi arguments:
    # the file holds only IHDR, IDAT and IEND.
    clean = Image.new("RGB", img.size)
    clean.paste(img)
    clean.save(path, "PNG", optimize=True)
    return path


# --------------------------------------------------------------------------
# Shared piece: a double-ended spanner (open jaws at one end, a ring at the
# other), as a list of mask parts, so it can be drawn with a halo around it.
# --------------------------------------------------------------------------

def wrench_parts(cx, cy, length, width, deg, grow=0.0):
    """Wrench centred on (cx, cy), long axis at `deg`, open end towards +x.
    `grow` widens the whole outline (for a halo drawn under the wrench)."""
    g = grow
    R = width * 1.22            # radius of each head
    half = length / 2
    oc = half - R               # centre of the open head (on the axis)
    rc = -(half - R * 0.92)     # centre of the ring head

    def at(pts):
        return rotate([(cx + x, cy + y) for x, y in pts], cx, cy, deg)

    def disc(x, y, r, n=64):
        return [(x + r * math.cos(2 * math.pi * i / n), y + r * math.sin(2 * math.pi * i / n))
                for i in range(n)]

    parts = [
        (at(capsule_points(0, 0, 2 * (half - R * 0.6), width + 2 * g, 0)), True),
        (at(disc(oc, 0, R + g)), True),
        (at(disc(rc, 0, R * 0.95 + g)), True),
    ]
    # the jaws: a slot with a round bottom, open towards +x
    sw = R * 0.78 - 2 * g
    x0 = oc - R * 0.12 + g
    slot = [(x0, -sw / 2), (half + R + 10, -sw / 2), (half + R + 10, sw / 2), (x0, sw / 2)]
    parts.append((at(slot), False))
    parts.append((at(disc(x0, 0, sw / 2)), False))
    # the ring: a hexagonal hole
    hr = R * 0.44 - g
    hexagon = [(rc + hr * math.cos(math.radians(60 * i + 30)), hr * math.sin(math.radians(60 * i + 30)))
               for i in range(6)]
    parts.append((at(hexagon), False))
    return parts


# --------------------------------------------------------------------------
# The logos
# --------------------------------------------------------------------------

def coop_du_pret():
    """La Coop du Prêt: two neighbours (two overlapping discs) share a tool."""
    teal = hexcol("#1d6270")
    light = shade(teal, 1.45)
    deep = shade(teal, 0.62)
    c = Canvas()
    r, d = 160, 144
    lx, rx, cy = 256 - d / 2, 256 + d / 2, 256
    c.circle(rx, cy, r, light)
    c.circle(lx, cy, r, teal)
    # the overlap, darker
    m1, d1 = c.mask()
    d1.polygon([(x * SS, y * SS) for x, y in circle_points(lx, cy, r, 240)], fill=255)
    m2, d2 = c.mask()
    d2.polygon([(x * SS, y * SS) for x, y in circle_points(rx, cy, r, 240)], fill=255)
    c.fill(ImageChops.multiply(m1, m2), deep)
    # the tool passed from one to the other
    c.shape(wrench_parts(256, 256, 320, 50, -35), WHITE)
    return c.finish()


def atelier_velo():
    """Atelier Vélo Solidaire de Roubaix: a bicycle wheel and a wrench."""
    brick = hexcol("#a23c1f")
    pale = shade(brick, 1.6)
    dark = shade(brick, 0.55)
    c = Canvas()
    cx = cy = 256
    R = 222
    tyre = 46
    c.ring(cx, cy, R - tyre / 2, tyre, brick)
    c.ring(cx, cy, R - tyre - 10, 12, pale)          # rim
    inner = R - tyre - 14
    for i in range(12):
        a = 2 * math.pi * (i + 0.5) / 12
        p0 = (cx + 26 * math.cos(a), cy + 26 * math.sin(a))
        p1 = (cx + inner * math.cos(a), cy + inner * math.sin(a))
        c.segment(p0, p1, 10, brick)
    c.circle(cx, cy, 42, brick)                       # hub
    c.circle(cx, cy, 16, WHITE)
    # the wrench, inside the rim (so that it does not read as a "no entry"
    # bar), steep, with a white halo to stand out from the spokes
    c.shape(wrench_parts(cx, cy, 330, 56, -60, grow=14), WHITE)
    c.shape(wrench_parts(cx, cy, 330, 56, -60), dark)
    return c.finish()


def epicerie_solidaire():
    """Épicerie solidaire: a basket of vegetables, a carrot and a leaf."""
    green = hexcol("#2f6b4f")
    ochre = hexcol("#845400")
    leaf = (76, 140, 98)         # a fresher green, for the salad leaf
    carrot = (201, 122, 32)      # the ochre, brighter, for the carrot
    c = Canvas()
    # handle, behind everything
    c.arc(256, 262, 150, 176, 180, 360, 30, ochre)
    # the carrot's greens, then the carrot, leaning right
    tip, top = (250, 420), (346, 150)
    for (dx, dy) in ((-56, -92), (-8, -112), (40, -88)):
        c.poly(leaf_points(top[0], top[1] + 6, top[0] + dx, top[1] + dy, 15), green)
    deg = math.degrees(math.atan2(top[1] - tip[1], top[0] - tip[0]))
    L = math.hypot(top[0] - tip[0], top[1] - tip[1])
    body = [(L, -36), (L, 36), (0, 6), (0, -6)]
    body = rotate([(tip[0] + x, tip[1] + y) for x, y in body], tip[0], tip[1], deg)
    c.poly(body, carrot)
    c.circle(top[0], top[1], 36 * 0.98, carrot)
    for t in (0.62, 0.78):   # the carrot's rings
        px, py = tip[0] + (top[0] - tip[0]) * t, tip[1] + (top[1] - tip[1]) * t
        w = 36 * t
        a = math.radians(deg + 90)
        c.segment((px - w * 0.8 * math.cos(a), py - w * 0.8 * math.sin(a)),
                  (px - w * 0.1 * math.cos(a), py - w * 0.1 * math.sin(a)), 7, shade(ochre, 0.9))
    # a big leaf (salad, herbs) leaning left, with its midrib
    c.poly(leaf_points(236, 300, 118, 120, 58), leaf)
    c.segment((226, 290), (150, 170), 8, WHITE)
    # the basket
    rim_y0, rim_y1 = 262, 304
    body = [(92, rim_y1 - 4), (420, rim_y1 - 4), (388, 442), (124, 442)]
    c.poly(body, green)
    c.shape([(capsule_points(256, 442 - 10, 264, 20, 0), True)], green)
    for y in (348, 394):   # the weave
        k = (y - rim_y1) / (442 - rim_y1)
        xl, xr = 92 + 32 * k, 420 - 32 * k
        c.segment((xl + 26, y), (xr - 26, y), 12, WHITE)
    for x in (200, 256, 312):
        c.segment((x + (x - 256) * 0.12, rim_y1 + 20), (x, 420), 12, WHITE)
    c.poly(capsule_points(256, (rim_y0 + rim_y1) / 2, 380, rim_y1 - rim_y0, 0), shade(green, 0.75))
    return c.finish()


LOGOS = [
    # (slug, function)
    ("coop-du-pret", coop_du_pret),
    ("atelier-velo-roubaix", atelier_velo),
    ("epicerie-solidaire-vda", epicerie_solidaire),
]


def main():
    for slug, fn in LOGOS:
        path = save(fn(), slug)
        print(f"{os.path.basename(path)}\t{os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
