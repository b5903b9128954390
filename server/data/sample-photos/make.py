#!/usr/bin/env python3
"""Draw the sample photos of Maillage's demo listings.

Flat-style illustrations made only from geometric shapes (no fonts, no
third-party images), so that the project owns them and can dedicate them to
the public domain (CC0-1.0). Deterministic: the only randomness comes from
`random.Random` instances with fixed seeds.

    pip install pillow
    python3 server/data/sample-photos/make.py

Writes `<slug>.jpg` next to this script: 1280 x 960 (one of them 960 x 1280),
JPEG quality 78, optimised, baseline (not progressive), no EXIF/ICC/comment.
"""

import math
import os
import random

from PIL import Image, ImageDraw

OUT_DIR = os.path.dirname(os.path.abspath(__file__))
SS = 2  # supersampling factor (drawn at 2x, then reduced: smooth edges)


# --------------------------------------------------------------------------
# Drawing helpers
# --------------------------------------------------------------------------

def shade(col, f):
    """Darken (f < 1) or lighten (f > 1, towards white) a colour."""
    if f <= 1:
        return tuple(max(0, int(round(c * f))) for c in col)
    t = f - 1
    return tuple(min(255, int(round(c + (255 - c) * t))) for c in col)


def mix(a, b, t):
    return tuple(int(round(x + (y - x) * t)) for x, y in zip(a, b))


def rotate(points, cx, cy, deg):
    a = math.radians(deg)
    ca, sa = math.cos(a), math.sin(a)
    return [(cx + (x - cx) * ca - (y - cy) * sa, cy + (x - cx) * sa + (y - cy) * ca)
            for x, y in points]


def capsule_points(cx, cy, length, thick, deg, n=16):
    """Stadium shape centred on (cx, cy), long axis at angle `deg`."""
    r = thick / 2
    half = length / 2 - r
    pts = []
    for i in range(n + 1):
        a = -math.pi / 2 + math.pi * i / n
        pts.append((cx + half + r * math.cos(a), cy + r * math.sin(a)))
    for i in range(n + 1):
        a = math.pi / 2 + math.pi * i / n
        pts.append((cx - half + r * math.cos(a), cy + r * math.sin(a)))
    return rotate(pts, cx, cy, deg)


def ellipse_points(cx, cy, rx, ry, n=48, deg=0, wobble=0.0, rng=None):
    pts = []
    for i in range(n):
        a = 2 * math.pi * i / n
        k = 1.0
        if wobble and rng is not None:
            k += rng.uniform(-wobble, wobble)
        pts.append((cx + rx * k * math.cos(a), cy + ry * k * math.sin(a)))
    return rotate(pts, cx, cy, deg) if deg else pts


def smooth_closed(points, passes=2):
    """Chaikin smoothing of a closed polygon."""
    for _ in range(passes):
        out = []
        n = len(points)
        for i in range(n):
            (x0, y0), (x1, y1) = points[i], points[(i + 1) % n]
            out.append((0.75 * x0 + 0.25 * x1, 0.75 * y0 + 0.25 * y1))
            out.append((0.25 * x0 + 0.75 * x1, 0.25 * y0 + 0.75 * y1))
        points = out
    return points


class Canvas:
    def __init__(self, w, h, bg):
        self.w, self.h = w, h
        self.img = Image.new("RGB", (w * SS, h * SS), bg)
        self.d = ImageDraw.Draw(self.img)

    @staticmethod
    def _p(points):
        return [(x * SS, y * SS) for x, y in points]

    def rect(self, x0, y0, x1, y1, fill=None, r=0, outline=None, width=0):
        box = [x0 * SS, y0 * SS, x1 * SS, y1 * SS]
        if r:
            self.d.rounded_rectangle(box, radius=r * SS, fill=fill, outline=outline,
                                     width=int(width * SS))
        else:
            self.d.rectangle(box, fill=fill, outline=outline, width=int(width * SS))

    def ellipse(self, x0, y0, x1, y1, fill=None, outline=None, width=0):
        self.d.ellipse([x0 * SS, y0 * SS, x1 * SS, y1 * SS], fill=fill, outline=outline,
                       width=int(width * SS))

    def circle(self, cx, cy, r, fill=None, outline=None, width=0):
        self.ellipse(cx - r, cy - r, cx + r, cy + r, fill, outline, width)

    def ring(self, cx, cy, r, width, col):
        """Ring whose stroke is centred on radius r."""
        R = r + width / 2
        self.ellipse(cx - R, cy - R, cx + R, cy + R, outline=col, width=width)

    def poly(self, points, fill=None, outline=None, width=0):
        self.d.polygon(self._p(points), fill=fill, outline=outline,
                       width=int(width * SS) if outline else 0)

    def line(self, points, col, width, caps=True):
        self.d.line(self._p(points), fill=col, width=int(width * SS), joint="curve")
        if caps:
            for x, y in (points[0], points[-1]):
                self.circle(x, y, width / 2, fill=col)

    def arc(self, cx, cy, r, start, end, col, width):
        R = r + width / 2
        self.d.arc([(cx - R) * SS, (cy - R) * SS, (cx + R) * SS, (cy + R) * SS],
                   start, end, fill=col, width=int(width * SS))

    def earc(self, x0, y0, x1, y1, start, end, col, width):
        self.d.arc([x0 * SS, y0 * SS, x1 * SS, y1 * SS], start, end, fill=col,
                   width=int(width * SS))

    def chord(self, x0, y0, x1, y1, start, end, fill):
        self.d.chord([x0 * SS, y0 * SS, x1 * SS, y1 * SS], start, end, fill=fill)

    def pie(self, x0, y0, x1, y1, start, end, fill):
        self.d.pieslice([x0 * SS, y0 * SS, x1 * SS, y1 * SS], start, end, fill=fill)

    def shadow(self, cx, cy, rx, ry, col):
        self.ellipse(cx - rx, cy - ry, cx + rx, cy + ry, fill=col)

    def finish(self):
        return self.img.resize((self.w, self.h), Image.LANCZOS)


def save(img, slug):
    path = os.path.join(OUT_DIR, slug + ".jpg")
    # A fresh image (no .info carried over) and no exif/icc/comment arguments:
    # the file holds only the JFIF header and the picture.
    clean = Image.new("RGB", img.size)
    clean.paste(img)
    clean.save(path, "JPEG", quality=78, optimize=True, progressive=False)
    return path


# --------------------------------------------------------------------------
# Shared pieces
# --------------------------------------------------------------------------

TYRE = (52, 54, 60)
RIM = (176, 184, 192)
SPOKE = (150, 158, 168)
STEEL = (168, 176, 186)
DARK = (58, 60, 66)


def wheel(c, cx, cy, r, spokes=20, tyre=TYRE, rim=RIM, spoke=SPOKE, hub=DARK):
    tw = max(8, r * 0.11)
    c.ring(cx, cy, r - tw / 2, tw, tyre)
    c.ring(cx, cy, r - tw - r * 0.025, r * 0.05, rim)
    inner = r - tw - r * 0.05
    hub_r = r * 0.07
    for i in range(spokes):
        a = 2 * math.pi * i / spokes
        off = 0.35 if i % 2 else -0.35
        x0 = cx + hub_r * 0.8 * math.cos(a + off)
        y0 = cy + hub_r * 0.8 * math.sin(a + off)
        x1 = cx + inner * math.cos(a)
        y1 = cy + inner * math.sin(a)
        c.line([(x0, y0), (x1, y1)], spoke, max(2, r * 0.012), caps=False)
    c.circle(cx, cy, hub_r, fill=hub)
    c.circle(cx, cy, hub_r * 0.45, fill=rim)


def gear(c, cx, cy, r, teeth, col, depth=None):
    depth = depth or r * 0.12
    pts = []
    for i in range(teeth * 2):
        a = math.pi * i / teeth
        rr = r if i % 2 == 0 else r - depth
        pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
    c.poly(pts, fill=col)


def bike(c, ox, oy, k=1.0, frame=(46, 120, 170), fenders=None, rack=False,
         basket=False, lamp=True, saddle_col=(70, 52, 44), grips=(70, 52, 44),
         kickstand=False):
    """A classic diamond-frame bike, rear hub at (ox, oy), facing right."""

    def P(x, y):
        return (ox + x * k, oy + y * k)

    r = 185 * k
    rear, front = P(0, 0), P(600, 0)
    bb = P(250, 25)
    seat_top = P(200, -290)
    seat_lug = P(203, -268)
    head_top, head_bot = P(520, -300), P(540, -225)
    tube = 17 * k

    wheel(c, *rear, r)
    wheel(c, *front, r)

    if fenders:
        c.arc(*rear, r + 14 * k, 165, 320, fenders, 11 * k)
        c.arc(*front, r + 14 * k, 205, 375, fenders, 11 * k)

    # drivetrain
    chain = (90, 92, 98)
    c.line([(bb[0], bb[1] - 46 * k), (rear[0], rear[1] - 22 * k)], chain, 5 * k)
    c.line([(bb[0], bb[1] + 46 * k), (rear[0], rear[1] + 22 * k)], chain, 5 * k)
    gear(c, *rear, 24 * k, 12, (120, 124, 132))
    gear(c, *bb, 52 * k, 18, (120, 124, 132))
    c.circle(*bb, 36 * k, fill=(150, 156, 164))

    if rack:
        c.line([P(-95, -222), P(180, -232)], DARK, 9 * k)
        c.line([P(-70, -222), rear], DARK, 7 * k)
        c.line([P(40, -226), rear], DARK, 7 * k)

    # frame
    c.line([bb, rear], frame, tube * 0.85)
    c.line([seat_lug, rear], frame, tube * 0.8)
    c.line([bb, seat_top], frame, tube)
    c.line([seat_lug, P(525, -282)], frame, tube)
    c.line([bb, head_bot], frame, tube * 1.1)
    c.line([head_top, head_bot], frame, tube * 1.5)
    c.line([head_bot, front], frame, tube * 0.8)

    # seat post + saddle
    c.line([seat_top, P(192, -335)], STEEL, 10 * k)
    c.poly([P(135, -350), P(148, -366), P(230, -360), P(258, -350), P(232, -337),
            P(160, -334)], fill=saddle_col)

    # stem + swept-back handlebar
    c.line([head_top, P(515, -340)], STEEL, 11 * k)
    c.line([P(515, -340), P(548, -350), P(528, -372), P(478, -378)], STEEL, 10 * k)
    c.line([P(490, -377), P(455, -379)], grips, 16 * k)

    if basket:
        bx0, by0 = P(560, -375)
        bx1, by1 = P(690, -265)
        wick = (196, 148, 84)
        c.rect(bx0, by0, bx1, by1, fill=wick, r=8 * k)
        for i in range(1, 4):
            y = by0 + (by1 - by0) * i / 4
            c.line([(bx0 + 4, y), (bx1 - 4, y)], shade(wick, 0.8), 4 * k, caps=False)
        for i in range(1, 6):
            x = bx0 + (bx1 - bx0) * i / 6
            c.line([(x, by0 + 4), (x, by1 - 4)], shade(wick, 0.85), 3 * k, caps=False)
        c.line([P(548, -300), P(560, -300)], DARK, 6 * k)

    if lamp:
        lx, ly = P(548, -205)
        c.rect(lx, ly - 12 * k, lx + 30 * k, ly + 12 * k, fill=(240, 240, 236), r=6 * k)
        c.circle(lx + 30 * k, ly, 10 * k, fill=(255, 214, 90))

    if kickstand:
        c.line([P(235, 30), P(200, 185)], DARK, 8 * k)

    # crank + pedal
    pd = P(300, 105)
    c.line([bb, pd], (70, 72, 78), 13 * k)
    c.rect(pd[0] - 30 * k, pd[1] - 9 * k, pd[0] + 30 * k, pd[1] + 9 * k, fill=DARK, r=4 * k)
    c.circle(*bb, 10 * k, fill=(200, 204, 210))
    return {"rear": rear, "front": front, "bb": bb, "seat_post": P(196, -318), "r": r}


def ground(c, y, col):
    c.rect(0, y, c.w, c.h, fill=col)


# --------------------------------------------------------------------------
# The pictures
# --------------------------------------------------------------------------

def velo_de_ville():
    bg = (238, 231, 216)
    c = Canvas(1280, 960, bg)
    c.circle(170, 170, 105, fill=(247, 214, 160))
    # low rooftops on the horizon
    town = (223, 212, 194)
    x = -20
    rng = random.Random(11)
    while x < 1300:
        w = rng.choice([110, 140, 170])
        h = rng.choice([150, 190, 230])
        c.rect(x, 780 - h, x + w, 800, fill=town)
        c.poly([(x - 8, 780 - h), (x + w / 2, 780 - h - 70), (x + w + 8, 780 - h)], fill=town)
        x += w + 24
    ground(c, 800, (196, 202, 186))
    c.rect(0, 800, c.w, 812, fill=(178, 186, 168))
    k = 1.12
    r = 185 * k
    ox = (1280 - (600 + 370) * k) / 2 + r
    oy = 820 - r
    c.shadow(ox + 300 * k, 825, 560 * k, 22, (172, 180, 160))
    bike(c, ox, oy, k, frame=(44, 122, 168), fenders=(70, 76, 84), rack=True,
         basket=True, kickstand=False)
    return c.finish()


def remorque_velo():
    bg = (226, 236, 232)
    c = Canvas(1280, 960, bg)
    c.circle(230, 200, 110, fill=(244, 226, 170))
    ground(c, 830, (190, 200, 186))
    c.rect(0, 830, c.w, 842, fill=(170, 182, 166))
    c.shadow(250, 836, 230, 16, (168, 178, 162))
    c.shadow(860, 836, 360, 18, (168, 178, 162))

    # bike on the right, facing right
    k = 0.74
    r = 185 * k
    ox = 1280 - 70 - 600 * k - r
    oy = 830 - r
    bike(c, ox, oy, k, frame=(200, 72, 60), fenders=(70, 76, 84), lamp=True)

    # trailer: tow bar to the bike's rear axle
    hub_y = 830 - 110
    c.line([(445, 672), (540, 664), (ox - 10, oy - 2)], DARK, 14)
    c.circle(ox, oy, 12, fill=(90, 92, 98))
    # safety flag
    c.line([(92, 600), (92, 250)], (90, 92, 98), 7)
    c.poly([(96, 252), (230, 282), (96, 318)], fill=(240, 120, 40))
    # loads
    card = (205, 160, 105)
    c.rect(110, 430, 275, 590, fill=card, r=4)
    c.rect(110, 498, 275, 516, fill=shade(card, 1.35))
    c.rect(290, 470, 430, 590, fill=shade(card, 0.92), r=4)
    c.rect(350, 470, 368, 590, fill=shade(card, 1.3))
    c.rect(140, 330, 255, 430, fill=shade(card, 1.08), r=4)
    c.rect(140, 372, 255, 388, fill=shade(card, 1.4))
    # strap
    c.line([(100, 520), (440, 540)], (40, 80, 150), 10)
    # trailer tub
    tub = (52, 110, 150)
    c.rect(70, 585, 450, 700, fill=tub, r=16)
    c.rect(70, 585, 450, 606, fill=shade(tub, 1.25), r=10)
    c.line([(60, 590), (460, 590)], (40, 44, 50), 10)
    # wheel in front of the tub
    wheel(c, 250, hub_y, 110, spokes=16)
    c.arc(250, hub_y, 124, 185, 355, (40, 44, 50), 10)
    return c.finish()


def wrench(c, x, top, length, w, col, bg):
    c.rect(x - w / 2, top, x + w / 2, top + length, fill=col, r=w / 2)
    c.circle(x, top, w * 1.55, fill=col)
    c.rect(x - w * 0.55, top - w * 1.7, x + w * 0.55, top - w * 0.2, fill=bg)
    c.circle(x, top + length, w * 1.25, fill=col)
    c.circle(x, top + length, w * 0.65, fill=bg)


def poste_reparation():
    wall = (216, 226, 214)
    c = Canvas(1280, 960, wall)
    floor = (176, 168, 158)
    ground(c, 850, floor)
    c.rect(0, 850, c.w, 862, fill=(158, 150, 140))

    # pegboard with tools
    peg = (214, 186, 140)
    px0, py0, px1, py1 = 850, 80, 1240, 440
    c.rect(px0, py0, px1, py1, fill=peg, r=10)
    for iy in range(5):
        for ix in range(9):
            c.circle(px0 + 24 + ix * 43, py0 + 24 + iy * 80, 4, fill=shade(peg, 0.78))
    steel = (170, 178, 188)
    for i, (L, w) in enumerate([(220, 15), (190, 13), (165, 11), (140, 10)]):
        wrench(c, 895 + i * 50, 140, L, w, steel, peg)
    # screwdrivers
    for i, col in enumerate([(210, 60, 50), (240, 180, 40)]):
        x = 1100 + i * 44
        c.rect(x - 14, 130, x + 14, 240, fill=col, r=12)
        c.rect(x - 5, 250, x + 5, 400, fill=steel)
        c.poly([(x - 5, 400), (x + 5, 400), (x + 2, 420), (x - 2, 420)], fill=steel)
    # hammer
    c.rect(1195, 150, 1213, 410, fill=(180, 130, 80), r=8)
    c.rect(1168, 130, 1232, 172, fill=(90, 96, 106), r=6)
    # tyre levers on a shelf under the board
    c.rect(860, 470, 1230, 486, fill=(150, 110, 70), r=4)
    for i, col in enumerate([(50, 110, 190), (50, 160, 90), (240, 140, 40)]):
        c.rect(1010 + i * 40, 400, 1036 + i * 40, 470, fill=col, r=12)

    # repair stand: tripod, post and clamp arm (behind the bike)
    stand = (60, 64, 72)
    sx = 390
    c.shadow(560, 862, 400, 16, (156, 148, 138))
    c.line([(sx, 760), (300, 858)], stand, 14)
    c.line([(sx, 760), (545, 858)], stand, 14)
    c.line([(sx, 760), (sx + 30, 866)], shade(stand, 0.8), 12)
    c.line([(sx, 770), (sx, 300)], stand, 20)
    c.rect(sx - 14, 520, sx + 14, 560, fill=(200, 60, 50), r=5)  # height lock

    k = 0.8
    b = bike(c, 300, 610, k, frame=(70, 150, 110), lamp=False)
    # clamp on the seat post, arm from the post top
    spx, spy = b["seat_post"]
    c.line([(sx, 305), (spx - 10, spy)], stand, 16)
    c.rect(spx - 28, spy - 26, spx + 28, spy + 26, fill=(200, 60, 50), r=8)
    c.line([(spx, spy + 26), (spx + 6, spy + 70)], stand, 8)
    c.circle(spx + 6, spy + 74, 10, fill=stand)
    return c.finish()


def roues_26_28():
    bg = (236, 232, 222)
    c = Canvas(1280, 960, bg)
    c.circle(640, 380, 300, fill=(228, 222, 208))
    g = 860
    ground(c, g, (200, 194, 180))
    c.rect(0, g, c.w, g + 12, fill=(184, 178, 164))
    for cx, r in ((280, 212), (985, 236)):
        c.shadow(cx, g + 4, r * 0.9, 14, (180, 174, 160))
        wheel(c, cx, g - r, r, spokes=28)
        # cassette
        for i, rr in enumerate([r * 0.30, r * 0.26, r * 0.22, r * 0.18, r * 0.14]):
            gear(c, cx, g - r, rr, 14 + 2 * (4 - i), shade((130, 134, 142), 1 + 0.08 * i))
        c.circle(cx, g - r, r * 0.07, fill=DARK)
        # quick-release lever
        c.line([(cx, g - r), (cx + r * 0.28, g - r - r * 0.1)], (200, 204, 210), 10)
    # swap arrows
    acc = (232, 112, 52)
    c.line([(530, 560), (660, 560)], acc, 22)
    c.poly([(660, 522), (716, 560), (660, 598)], fill=acc)
    acc2 = (52, 128, 160)
    c.line([(580, 680), (710, 680)], acc2, 22)
    c.poly([(580, 642), (524, 680), (580, 718)], fill=acc2)
    return c.finish()


def panier_legumes():
    bg = (246, 236, 214)
    c = Canvas(1280, 960, bg)
    c.circle(640, 420, 360, fill=(236, 226, 198))
    table = (186, 140, 96)
    ground(c, 780, table)
    c.rect(0, 780, c.w, 796, fill=shade(table, 1.15))
    c.shadow(640, 842, 380, 30, shade(table, 0.85))

    wick = (204, 152, 82)
    # handle (behind)
    c.earc(370, 180, 910, 760, 180, 360, shade(wick, 0.82), 26)

    # leeks
    for (cx, cy, ang) in ((470, 430, -64), (530, 420, -76)):
        a = math.radians(ang)
        ux, uy = math.cos(a), math.sin(a)
        c.poly(capsule_points(cx, cy, 380, 58, ang), fill=(236, 236, 214))
        mx, my = cx + 60 * ux, cy + 60 * uy
        c.poly(capsule_points(mx + 50 * ux, my + 50 * uy, 200, 58, ang), fill=(150, 196, 110))
        ex, ey = cx + 190 * ux, cy + 190 * uy
        for da, col in ((-16, (70, 130, 70)), (14, (90, 150, 80)), (0, (60, 118, 62))):
            aa = math.radians(ang + da)
            c.poly([(ex - 26 * uy, ey + 26 * ux), (ex + 26 * uy, ey - 26 * ux),
                    (ex + 160 * math.cos(aa), ey + 160 * math.sin(aa))], fill=col)
    # cabbage
    cab = (120, 176, 96)
    c.circle(420, 520, 125, fill=cab)
    c.circle(420, 520, 82, fill=shade(cab, 1.25))
    for da in (200, 240, 290, 330):
        c.arc(420, 545, 100, da, da + 40, shade(cab, 0.8), 8)
    c.line([(420, 440), (420, 600)], shade(cab, 1.5), 7)
    # squash
    sq = (236, 140, 50)
    c.ellipse(560, 420, 820, 640, fill=sq)
    for x0, x1 in ((600, 780), (640, 740)):
        c.earc(x0, 420, x1, 640, 0, 360, shade(sq, 0.85), 6)
    c.rect(678, 396, 702, 432, fill=(110, 90, 50), r=6)
    # carrots, in front of the squash, with their tops
    for bx, by, ang in ((800, 505, -80), (870, 485, -70), (935, 495, -58)):
        a = math.radians(ang)
        tx, ty = bx + 110 * math.cos(a), by + 110 * math.sin(a)
        for j, da in enumerate((-24, -8, 8, 24)):
            aa = math.radians(ang + da)
            c.line([(tx, ty), (tx + 140 * math.cos(aa), ty + 140 * math.sin(aa))],
                   (84, 150, 70) if j % 2 else (60, 128, 58), 11)
        nx, ny = -math.sin(a), math.cos(a)
        c.poly([(tx + nx * 32, ty + ny * 32), (tx - nx * 32, ty - ny * 32),
                (bx - 250 * math.cos(a), by - 250 * math.sin(a))], fill=(238, 128, 40))
        for t in (0.25, 0.5):
            px, py = tx - (110 + 250) * t * math.cos(a), ty - (110 + 250) * t * math.sin(a)
            w = 32 * (1 - t) * 0.7
            c.line([(px - nx * w, py - ny * w), (px, py)], (200, 100, 30), 4)
    # potatoes at the front
    rng = random.Random(5)
    for i, (x, y) in enumerate(((520, 600), (640, 615), (880, 600), (790, 620))):
        col = mix((200, 160, 100), (180, 130, 80), (i % 2) * 0.6)
        c.poly(smooth_closed(ellipse_points(x, y, 68, 46, 14, wobble=0.08, rng=rng)), fill=col)

    # basket front
    top, bot = 560, 810
    body = [(300, top), (980, top), (900, bot), (380, bot)]
    c.poly(body, fill=wick)
    for i in range(1, 7):
        t = i / 7
        y = top + (bot - top) * t
        xl = 300 + 80 * t
        xr = 980 - 80 * t
        c.line([(xl, y), (xr, y)], shade(wick, 0.78), 6, caps=False)
    for i in range(1, 12):
        t = i / 12
        c.line([(300 + 680 * t, top), (380 + 520 * t, bot)], shade(wick, 0.88), 4, caps=False)
    c.rect(285, top - 24, 995, top + 22, fill=shade(wick, 0.85), r=20)
    c.rect(300, top - 16, 980, top - 4, fill=shade(wick, 1.15), r=6)
    return c.finish()


def potato(c, x, y, rx, ry, rng, col):
    c.poly(smooth_closed(ellipse_points(x, y, rx, ry, 14, deg=rng.uniform(-25, 25),
                                        wobble=0.09, rng=rng)), fill=col)
    c.ellipse(x - rx * 0.5, y - ry * 0.55, x + rx * 0.1, y - ry * 0.1, fill=shade(col, 1.12))
    for _ in range(3):
        ex = x + rng.uniform(-0.6, 0.6) * rx
        ey = y + rng.uniform(-0.5, 0.5) * ry
        c.circle(ex, ey, 4, fill=shade(col, 0.7))


def pommes_de_terre():
    bg = (238, 230, 212)
    c = Canvas(1280, 960, bg)
    c.circle(900, 300, 250, fill=(230, 220, 196))
    floor = (168, 140, 108)
    ground(c, 800, floor)
    c.rect(0, 800, c.w, 812, fill=shade(floor, 1.12))
    c.shadow(600, 850, 380, 28, shade(floor, 0.85))

    jute = (212, 182, 128)
    # sack body (floppy burlap)
    body = smooth_closed([(400, 430), (780, 430), (850, 540), (880, 700), (860, 810), (820, 845),
                          (360, 845), (320, 810), (300, 700), (330, 540)], 3)
    c.poly(body, fill=jute)
    fold = shade(jute, 0.86)
    for pts in (((450, 500), (420, 640), (440, 800)), ((735, 500), (770, 650), (750, 800)),
                ((600, 520), (590, 600))):
        c.line(list(pts), fold, 6)
    # printed stripes and a potato stamp
    band = (92, 140, 84)
    c.rect(326, 560, 854, 580, fill=band)
    c.rect(330, 760, 850, 780, fill=band)
    stamp = (150, 104, 66)
    c.poly(smooth_closed(ellipse_points(590, 670, 90, 56, 16, deg=-8)), fill=stamp)
    for ex, ey in ((550, 650), (612, 690), (640, 650)):
        c.circle(ex, ey, 7, fill=jute)
    # open mouth: inner shadow, heap of potatoes, turned-down cuff
    c.ellipse(370, 365, 810, 455, fill=shade(jute, 0.5))
    rng = random.Random(3)
    cols = [(206, 164, 98), (190, 146, 86), (214, 176, 110), (180, 136, 80)]
    for i, (x, y) in enumerate(((440, 380), (525, 345), (615, 350), (705, 345), (770, 385),
                                 (490, 410), (585, 400), (680, 410))):
        potato(c, x, y, 62, 44, rng, cols[i % 4])
    top = [(590 + 225 * math.cos(math.pi * i / 48), 410 + 45 * math.sin(math.pi * i / 48))
           for i in range(49)]
    wave = [(x, y + 66 + 10 * math.sin(i * 0.75)) for i, (x, y) in enumerate(top)]
    c.poly(top + wave[::-1], fill=shade(jute, 0.8))
    c.line(top, shade(jute, 1.15), 8)
    # spilled potatoes
    for i, (x, y) in enumerate(((910, 800), (1010, 820), (1100, 790), (960, 740), (1180, 830),
                                 (250, 830), (160, 810))):
        potato(c, x, y, 66, 46, rng, cols[(i + 1) % 4])
    return c.finish()


def pain():
    bg = (246, 234, 210)
    c = Canvas(1280, 960, bg)
    c.circle(300, 250, 200, fill=(240, 222, 190))
    table = (120, 150, 160)
    ground(c, 720, table)
    c.rect(0, 720, c.w, 734, fill=shade(table, 1.15))
    wood = (214, 170, 118)
    c.shadow(640, 840, 560, 36, shade(table, 0.82))
    c.rect(90, 600, 1130, 830, fill=wood, r=40)
    c.rect(1110, 680, 1220, 750, fill=wood, r=30)
    c.circle(1185, 715, 14, fill=shade(table, 1.0))
    c.rect(90, 800, 1130, 830, fill=shade(wood, 0.85), r=20)
    crust = (200, 132, 62)
    score = (240, 204, 140)
    # baguettes (behind)
    for cx, cy, L, T, ang in ((760, 560, 760, 96, -14), (820, 670, 700, 92, -6)):
        c.poly(capsule_points(cx, cy + 14, L, T, ang), fill=shade(crust, 0.8))
        c.poly(capsule_points(cx, cy, L, T, ang), fill=crust)
        a = math.radians(ang)
        for i in range(-2, 3):
            sx = cx + i * L * 0.17 * math.cos(a)
            sy = cy + i * L * 0.17 * math.sin(a)
            c.poly(ellipse_points(sx, sy, 52, 13, 20, deg=ang - 22), fill=score)
    # round loaf
    c.ellipse(200, 470, 560, 770, fill=shade(crust, 0.8))
    c.ellipse(200, 450, 560, 750, fill=crust)
    c.ellipse(240, 470, 500, 620, fill=shade(crust, 1.12))
    c.line([(300, 520), (470, 680)], score, 18)
    c.line([(460, 520), (290, 680)], score, 18)
    # wheat ear
    stem = (200, 160, 70)
    c.line([(880, 330), (1120, 140)], stem, 6)
    for i in range(6):
        t = 0.35 + i * 0.11
        x, y = 880 + 240 * t, 330 - 190 * t
        c.poly(ellipse_points(x - 8, y - 18, 26, 11, 16, deg=-80), fill=(222, 182, 84))
        c.poly(ellipse_points(x + 14, y + 4, 26, 11, 16, deg=-10), fill=(222, 182, 84))
    return c.finish()


def hexagon(cx, cy, r, deg=0):
    return [(cx + r * math.cos(math.radians(60 * i + deg)),
             cy + r * math.sin(math.radians(60 * i + deg))) for i in range(6)]


def miel():
    bg = (250, 240, 206)
    c = Canvas(1280, 960, bg)
    # big faint honeycomb in the background
    hx = (244, 228, 180)
    r = 90
    for row in range(-1, 6):
        for col in range(-1, 10):
            cx = col * r * 1.5 + 60
            cy = row * r * math.sqrt(3) + (col % 2) * r * math.sqrt(3) / 2 + 40
            c.poly(hexagon(cx, cy, r - 8), fill=hx)
    table = (170, 118, 74)
    ground(c, 790, table)
    c.rect(0, 790, c.w, 804, fill=shade(table, 1.15))
    c.shadow(640, 850, 470, 26, shade(table, 0.82))

    honey = (232, 158, 36)

    def jar(x0, y0, x1, y1, lid):
        w = x1 - x0
        c.rect(x0, y0 + 40, x1, y1, fill=(246, 232, 196), r=30)  # glass
        c.rect(x0 + 10, y0 + 70, x1 - 10, y1 - 10, fill=honey, r=24)
        c.rect(x0 + 26, y0 + 90, x0 + 26 + w * 0.1, y1 - 40, fill=shade(honey, 1.3), r=10)
        c.ellipse(x0 + w * 0.22, y0 + (y1 - y0) * 0.42, x1 - w * 0.22, y0 + (y1 - y0) * 0.72,
                  fill=(252, 246, 228))
        c.poly(hexagon((x0 + x1) / 2, y0 + (y1 - y0) * 0.57, w * 0.09), fill=honey)
        if lid == "cloth":
            cloth = [(x0 - 30, y0 + 70), (x0 - 10, y0 - 10), (x1 + 10, y0 - 10),
                     (x1 + 30, y0 + 70), ((x0 + x1) / 2, y0 + 50)]
            c.poly(cloth, fill=(250, 250, 246))
            sq = 36
            for iy in range(3):
                for ix in range(int((w + 60) / sq) + 1):
                    if (ix + iy) % 2 == 0:
                        xx = x0 - 10 + ix * sq
                        yy = y0 - 10 + iy * sq
                        if xx >= x1 + 10 or yy >= y0 + 46:
                            continue
                        c.rect(xx, yy, min(xx + sq, x1 + 10), min(yy + sq, y0 + 46),
                               fill=(214, 70, 60))
            c.rect(x0 - 10, y0 + 40, x1 + 10, y0 + 56, fill=(120, 84, 50), r=8)
        else:
            c.rect(x0 - 6, y0, x1 + 6, y0 + 48, fill=(204, 160, 60), r=10)
            c.rect(x0 - 6, y0 + 30, x1 + 6, y0 + 48, fill=(180, 136, 46), r=8)

    jar(520, 330, 790, 800, "cloth")
    jar(300, 520, 480, 800, "metal")
    # honey dipper: handle and a head of stacked discs
    a = math.radians(-30)
    c.line([(900, 740), (1120, 613)], (180, 126, 70), 16)
    c.poly(capsule_points(870, 757, 110, 56, -30), fill=(176, 122, 64))
    for i in range(-2, 3):
        x, y = 870 + i * 20 * math.cos(a), 757 + i * 20 * math.sin(a)
        c.poly(ellipse_points(x, y, 9, 38, 20, deg=-30), fill=(214, 160, 96))
    c.poly(ellipse_points(845, 800, 44, 13, 24), fill=honey)
    c.poly(capsule_points(836, 785, 40, 14, 90), fill=honey)
    # piece of comb
    comb = (240, 190, 70)
    for (cx, cy) in ((1040, 470), (1110, 430), (1110, 510), (1180, 470), (1040, 550), (1180, 550)):
        c.poly(hexagon(cx, cy, 44), fill=shade(comb, 0.85))
        c.poly(hexagon(cx, cy, 36), fill=comb)
    # bee and its path
    for i in range(7):
        c.circle(860 + i * 32, 300 - math.sin(i * 0.9) * 30, 5, fill=(200, 170, 110))
    bx, by = 1120, 250
    c.ellipse(bx - 40, by - 78, bx + 6, by - 18, fill=(236, 244, 250))
    c.ellipse(bx - 6, by - 74, bx + 44, by - 20, fill=(222, 236, 246))
    c.poly(ellipse_points(bx, by, 58, 38, 32), fill=(246, 196, 40))
    for dx in (-18, 12):
        c.poly([(bx + dx - 8, by - 37), (bx + dx + 10, by - 37), (bx + dx + 10, by + 37),
                (bx + dx - 8, by + 37)], fill=(50, 44, 40))
    c.circle(bx + 60, by, 26, fill=(50, 44, 40))
    c.poly([(bx - 58, by - 6), (bx - 80, by), (bx - 58, by + 6)], fill=(50, 44, 40))
    c.circle(bx + 66, by - 6, 6, fill=(255, 255, 255))  # eye
    return c.finish()


def perceuse_visseuse():
    bg = (226, 234, 238)
    c = Canvas(1280, 960, bg)
    c.circle(640, 400, 330, fill=(214, 226, 232))
    bench = (196, 150, 98)
    ground(c, 800, bench)
    c.rect(0, 800, c.w, 816, fill=shade(bench, 1.15))
    c.shadow(640, 812, 330, 18, shade(bench, 0.84))

    body = (34, 150, 136)
    rubber = (56, 60, 68)
    # bit and chuck
    c.rect(110, 374, 300, 404, fill=(190, 196, 204), r=6)
    for i in range(7):
        x = 130 + i * 24
        c.line([(x, 376), (x + 14, 402)], (140, 146, 156), 5, caps=False)
    c.poly([(110, 374), (80, 389), (110, 404)], fill=(190, 196, 204))
    c.rect(280, 330, 410, 448, fill=rubber, r=18)
    for i in range(5):
        x = 296 + i * 22
        c.rect(x, 338, x + 10, 440, fill=shade(rubber, 1.3), r=4)
    c.rect(400, 318, 470, 460, fill=(230, 130, 40), r=14)  # torque collar
    # handle (behind the housing)
    c.poly([(630, 430), (820, 430), (790, 700), (600, 700)], fill=body)
    c.poly([(730, 470), (806, 470), (780, 690), (700, 690)], fill=rubber)
    # motor housing
    c.rect(450, 290, 930, 480, fill=body, r=70)
    c.rect(820, 290, 930, 480, fill=rubber, r=60)
    c.rect(820, 290, 870, 480, fill=rubber)
    for i in range(4):
        y = 330 + i * 34
        c.rect(850, y, 910, y + 14, fill=shade(rubber, 0.6), r=7)
    c.rect(520, 306, 790, 330, fill=shade(body, 1.3), r=12)  # highlight
    c.rect(600, 268, 680, 296, fill=rubber, r=8)  # gear selector
    c.circle(500, 470, 10, fill=(255, 236, 150))  # LED
    # trigger
    c.rect(580, 480, 636, 560, fill=rubber, r=20)
    # battery
    c.rect(540, 690, 880, 800, fill=rubber, r=18)
    c.rect(560, 700, 860, 730, fill=body, r=10)
    for i in range(3):
        c.rect(590 + i * 36, 750, 616 + i * 36, 764, fill=(120, 220, 120), r=5)
    # spare battery
    c.shadow(1090, 812, 120, 12, shade(bench, 0.84))
    c.rect(980, 690, 1200, 800, fill=rubber, r=18)
    c.rect(1000, 700, 1180, 730, fill=body, r=10)
    c.rect(1020, 660, 1160, 694, fill=shade(rubber, 1.3), r=10)
    # bit case
    c.shadow(230, 812, 160, 12, shade(bench, 0.84))
    c.rect(80, 720, 380, 800, fill=(40, 90, 150), r=12)
    for i in range(8):
        x = 110 + i * 34
        h = 40 + i * 8
        c.rect(x, 720 - h, x + 8 + i, 724, fill=(190, 196, 204), r=3)
    c.rect(80, 740, 380, 752, fill=shade((40, 90, 150), 1.3), r=4)
    return c.finish()


def escabeau():
    W, H = 960, 1280
    wall = (236, 226, 210)
    c = Canvas(W, H, wall)
    floor = (196, 168, 136)
    g = 1130
    ground(c, g, floor)
    c.rect(0, g, W, g + 14, fill=shade(floor, 1.15))
    c.rect(0, g - 40, W, g, fill=(250, 246, 238))  # skirting board
    # ceiling lamp
    c.line([(760, 0), (760, 150)], (80, 80, 84), 6, caps=False)
    c.rect(740, 150, 780, 190, fill=(80, 80, 84), r=6)
    c.circle(760, 228, 44, fill=(255, 232, 150))
    c.circle(760, 228, 70, outline=(250, 220, 150), width=6)

    c.shadow(520, g + 16, 330, 22, shade(floor, 0.84))
    alu = (186, 194, 204)
    alu_d = (150, 158, 170)

    def rail(p0, p1, col, w=34):
        c.line([p0, p1], col, w, caps=False)

    # rear legs (behind)
    rail((600, 300), (820, g - 8), alu_d)
    rail((420, 300), (600, g - 8), alu_d)
    c.rect(800, g - 20, 850, g + 4, fill=DARK, r=8)
    c.rect(580, g - 20, 630, g + 4, fill=DARK, r=8)
    # spreader strap
    c.line([(640, 790), (740, 790)], (220, 80, 60), 10)

    # front legs geometry
    L0, L1 = (250, g), (392, 300)   # bottom, top
    R0, R1 = (650, g), (568, 300)

    def at(p0, p1, y):
        t = (y - p0[1]) / (p1[1] - p0[1])
        return p0[0] + (p1[0] - p0[0]) * t

    for i in range(5):
        y = 990 - i * 150
        xl, xr = at(L0, L1, y), at(R0, R1, y)
        c.poly([(xl + 4, y - 22), (xr - 4, y - 22), (xr + 14, y), (xl - 14, y)],
               fill=(214, 220, 228))
        c.rect(xl - 14, y, xr + 14, y + 30, fill=alu, r=4)
        for j in range(1, 6):
            x = xl + (xr - xl) * j / 6
            c.line([(x - 2, y - 18), (x + 6, y - 3)], alu_d, 3, caps=False)
    rail(L0, L1, alu)
    rail(R0, R1, alu)
    for x in (L0[0], R0[0]):
        c.rect(x - 30, g - 22, x + 30, g + 4, fill=DARK, r=8)
    # top cap / tool tray
    cap = (60, 110, 170)
    c.rect(360, 250, 620, 318, fill=cap, r=14)
    c.rect(380, 262, 600, 284, fill=shade(cap, 0.7), r=8)
    # safety bar
    c.line([(392, 250), (400, 150), (560, 150), (568, 250)], alu, 16)

    # paint pot and roller on the floor
    pot = (240, 242, 244)
    c.shadow(160, g + 14, 80, 10, shade(floor, 0.84))
    c.rect(90, g - 130, 230, g + 8, fill=pot, r=10)
    c.rect(90, g - 130, 230, g - 108, fill=(100, 170, 200), r=8)
    c.rect(90, g - 80, 230, g - 30, fill=(100, 170, 200))
    c.arc(160, g - 130, 66, 200, 340, (120, 124, 130), 6)
    ry = g + 90
    c.shadow(730, ry + 28, 120, 9, shade(floor, 0.84))
    c.poly(capsule_points(690, ry, 170, 50, 0), fill=(100, 170, 200))
    c.line([(775, ry), (800, ry), (800, ry + 26), (860, ry + 30)], (120, 124, 130), 7)
    c.line([(860, ry + 30), (900, ry + 32)], (60, 64, 70), 14)
    return c.finish()


def velo_cargo():
    bg = (232, 238, 226)
    c = Canvas(1280, 960, bg)
    c.circle(1060, 230, 130, fill=(246, 224, 168))
    g = 850
    ground(c, g, (196, 204, 184))
    c.rect(0, g, c.w, g + 12, fill=(178, 188, 166))
    c.shadow(640, g + 6, 560, 20, (172, 182, 160))

    frame = (56, 88, 140)
    tube = 19
    rr, fr = 165, 112
    rear = (200, g - rr)
    front = (1080, g - fr)
    bb = (420, g - rr + 20)
    seat_top = (370, 420)
    head_top, head_bot = (600, 418), (622, 500)

    wheel(c, *rear, rr, spokes=20)
    wheel(c, *front, fr, spokes=16)
    c.arc(*rear, rr + 14, 165, 330, (70, 76, 84), 11)
    c.arc(*front, fr + 12, 200, 360, (70, 76, 84), 10)

    chain = (90, 92, 98)
    c.line([(bb[0], bb[1] - 44), (rear[0], rear[1] - 22)], chain, 5)
    c.line([(bb[0], bb[1] + 44), (rear[0], rear[1] + 22)], chain, 5)
    gear(c, *rear, 24, 12, (120, 124, 132))
    gear(c, *bb, 50, 18, (120, 124, 132))
    c.circle(*bb, 34, fill=(150, 156, 164))
    # rear rack
    c.line([(90, 478), (350, 470)], DARK, 9)
    c.line([(110, 478), rear], DARK, 7)

    # frame: rear triangle, seat tube, then the long low beam to the front
    c.line([bb, rear], frame, tube * 0.85)
    c.line([(373, 448), rear], frame, tube * 0.8)
    c.line([bb, seat_top], frame, tube)
    c.line([(373, 448), (604, 440)], frame, tube)
    c.line([bb, head_bot], frame, tube * 1.1)
    c.line([head_top, head_bot], frame, tube * 1.5)
    c.line([head_bot, (660, 700), (1010, 700), (1040, 640)], frame, tube * 1.2)
    c.line([(1040, 600), (1040, 650), front], frame, tube * 0.9)  # front fork
    c.line([(622, 560), (1030, 610)], (120, 124, 132), 7)  # steering rod
    # electric battery on the down tube
    c.poly(capsule_points(520, 598, 150, 40, -49), fill=DARK)

    # the wooden box, with shopping sticking out
    wood = (212, 168, 112)
    for da, col in ((-14, (70, 130, 70)), (10, (90, 150, 80)), (0, (60, 118, 62))):
        aa = math.radians(-70 + da)
        c.poly([(740, 390), (776, 402), (758 + 190 * math.cos(aa), 396 + 190 * math.sin(aa))],
               fill=col)  # leek leaves
    c.poly(capsule_points(775, 450, 200, 40, -70), fill=(150, 196, 110))
    c.poly(capsule_points(788, 470, 240, 36, -70), fill=(236, 236, 214))
    c.poly(capsule_points(880, 440, 330, 56, -78), fill=(204, 140, 66))  # baguette
    c.rect(680, 470, 1000, 640, fill=(236, 232, 220), r=8)  # bag
    c.rect(660, 500, 1020, 700, fill=wood, r=10)
    for i in range(1, 4):
        y = 500 + i * 50
        c.line([(664, y), (1016, y)], shade(wood, 0.8), 4, caps=False)
    c.rect(650, 490, 1030, 512, fill=shade(wood, 0.85), r=8)
    c.rect(660, 500, 680, 700, fill=shade(wood, 0.88))
    c.rect(1000, 500, 1020, 700, fill=shade(wood, 0.88))

    # saddle, handlebar
    c.line([seat_top, (363, 385)], STEEL, 10)
    c.poly([(310, 370), (322, 354), (400, 358), (430, 368), (404, 382), (336, 384)],
           fill=(70, 52, 44))
    c.line([head_top, (596, 375)], STEEL, 11)
    c.line([(596, 375), (630, 366), (612, 342), (560, 336)], STEEL, 10)
    c.line([(572, 337), (536, 336)], (70, 52, 44), 16)
    # crank
    pd = (470, g - rr + 100)
    c.line([bb, pd], (70, 72, 78), 13)
    c.rect(pd[0] - 30, pd[1] - 9, pd[0] + 30, pd[1] + 9, fill=DARK, r=4)
    c.circle(*bb, 10, fill=(200, 204, 210))
    return c.finish()


def tente():
    sky = (204, 228, 238)
    c = Canvas(1280, 960, sky)
    c.circle(1040, 190, 90, fill=(255, 236, 170))
    # hills
    c.ellipse(-300, 560, 700, 1000, fill=(160, 200, 150))
    c.ellipse(400, 590, 1600, 1050, fill=(146, 190, 138))
    g = 800
    grass = (126, 176, 110)
    ground(c, g, grass)
    # trees
    for x, s in ((120, 1.0), (230, 0.8), (1150, 1.1)):
        c.rect(x - 12 * s, g - 120 * s, x + 12 * s, g, fill=(120, 86, 60))
        c.poly([(x - 90 * s, g - 100 * s), (x, g - 380 * s), (x + 90 * s, g - 100 * s)],
               fill=(60, 126, 84))
        c.poly([(x - 70 * s, g - 200 * s), (x, g - 430 * s), (x + 70 * s, g - 200 * s)],
               fill=(72, 140, 94))

    c.shadow(640, g + 20, 470, 34, shade(grass, 0.82))
    fly = (236, 118, 56)
    # guy lines and pegs
    for (x0, y0, x1) in ((330, 640, 170), (950, 640, 1110)):
        c.line([(x0, y0), (x1, g + 24)], (90, 90, 90), 4, caps=False)
        c.line([(x1, g + 10), (x1, g + 36)], (80, 80, 84), 8)
    # dome
    c.chord(240, 340, 1040, 1260, 180, 360, fill=fly)
    c.chord(420, 360, 860, 1240, 180, 360, fill=shade(fly, 1.18))
    # poles
    for x0, x1 in ((240, 1040), (420, 860)):
        c.earc(x0, 340, x1, 1260, 180, 360, shade(fly, 0.7), 9)
    c.earc(300, 360, 980, 1080, 195, 345, shade(fly, 0.7), 7)
    # door: dark opening, rolled flap, zip
    c.chord(505, 560, 775, 1040, 180, 360, fill=(70, 58, 60))
    c.poly([(505, 800), (640, 560), (640, 800)], fill=shade(fly, 1.1))
    c.poly(capsule_points(575, 690, 280, 36, -61), fill=shade(fly, 0.85))
    c.line([(640, 562), (640, 800)], (250, 210, 90), 5, caps=False)
    # ground sheet rim and stakes at the base
    c.rect(230, g - 10, 1050, g + 6, fill=(50, 90, 140), r=6)
    for x in (250, 1030):
        c.line([(x, g - 4), (x, g + 22)], (80, 80, 84), 8)
    # grass tufts
    for x in (90, 380, 880, 1000, 1200, 520):
        for dx, h in ((-10, 26), (0, 36), (10, 26)):
            c.line([(x + dx * 0.3, g + 70), (x + dx, g + 70 - h)], shade(grass, 0.8), 5)
    return c.finish()


PICTURES = [
    # (slug, function)
    ("velo-de-ville", velo_de_ville),
    ("remorque-velo", remorque_velo),
    ("poste-reparation-velo", poste_reparation),
    ("roues-26-28-pouces", roues_26_28),
    ("panier-legumes", panier_legumes),
    ("pommes-de-terre", pommes_de_terre),
    ("pain", pain),
    ("miel", miel),
    ("perceuse-visseuse", perceuse_visseuse),
    ("escabeau", escabeau),
    ("velo-cargo", velo_cargo),
    ("tente", tente),
]


def main():
    for slug, fn in PICTURES:
        path = save(fn(), slug)
        print(f"{os.path.basename(path)}\t{os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
