#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Looks at screenshots for the browser tests (standard library only: zlib, no PIL).

Reads a PNG (what Firefox's --screenshot writes: 8-bit grey, RGB, palette, grey+alpha or
RGBA, not interlaced) or an XWD file (what Xvfb -fbdir keeps up to date, ZPixmap, 24 or
32 bits a pixel). Alpha is ignored. Colours are written RRGGBB in hex.

  pixels.py info FILE
      "width=W height=H"
  pixels.py dominant FILE [--box X,Y,W,H]
      the most frequent colour of the image (or of the box) and its share:
      "color=RRGGBB share=0.973 pixels=N"
  pixels.py band FILE --color RRGGBB [--min-count N] [--tolerance T]
      the longest run of consecutive rows with at least N pixels (default 100) of the
      colour (each channel within T, default 3): "start=Y length=L left=X right=X
      solid_left=S share=F", where left and right are the outermost such pixels of the
      run, solid_left the number of its rows whose pixels from left to left+15 are all of
      the colour, and share the colour's share of the box left..right x run;
      "start=-1 length=0 ..." if there is none. (A banner with text on it: text rows
      have fewer pixels of its colour, but the margin left of the text is solid.)
  pixels.py topng FILE OUT.png
      writes FILE (an XWD, typically) as an RGB PNG
"""
import argparse
import struct
import sys
import zlib
from collections import Counter


class Image:
    def __init__(self, width, height, rows):
        self.width = width
        self.height = height
        self.rows = rows  # list of bytes, 3 bytes (R, G, B) a pixel

    def pixel(self, x, y):
        r = self.rows[y]
        return r[3 * x:3 * x + 3]


def _unfilter(data, width, height, bpp):
    stride = width * bpp
    rows = []
    prev = bytearray(stride)
    pos = 0
    for _ in range(height):
        ftype = data[pos]
        cur = bytearray(data[pos + 1:pos + 1 + stride])
        pos += 1 + stride
        if len(cur) != stride:
            raise ValueError("truncated image data")
        if ftype == 0:
            pass
        elif ftype == 1:  # Sub
            for i in range(bpp, stride):
                cur[i] = (cur[i] + cur[i - bpp]) & 0xFF
        elif ftype == 2:  # Up
            cur = bytearray((a + b) & 0xFF for a, b in zip(cur, prev))
        elif ftype == 3:  # Average
            for i in range(stride):
                left = cur[i - bpp] if i >= bpp else 0
                cur[i] = (cur[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif ftype == 4:  # Paeth
            for i in range(stride):
                if i >= bpp:
                    a = cur[i - bpp]
                    c = prev[i - bpp]
                else:
                    a = c = 0
                b = prev[i]
                p = a + b - c
                pa = abs(p - a)
                pb = abs(p - b)
                pc = abs(p - c)
                if pa <= pb and pa <= pc:
                    pr = a
                elif pb <= pc:
                    pr = b
                else:
                    pr = c
                cur[i] = (cur[i] + pr) & 0xFF
        else:
            raise ValueError(f"bad PNG filter type {ftype}")
        rows.append(cur)
        prev = cur
    return rows


def read_png(data):
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos = 8
    idat = []
    palette = None
    hdr = None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"PLTE":
            palette = body
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if hdr is None:
        raise ValueError("PNG without IHDR")
    width, height, depth, ctype, _comp, _filt, interlace = hdr
    if depth != 8 or interlace != 0:
        raise ValueError(f"unsupported PNG (bit depth {depth}, interlace {interlace})")
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(ctype)
    if channels is None:
        raise ValueError(f"unsupported PNG colour type {ctype}")
    raw = zlib.decompress(b"".join(idat))
    rows = _unfilter(raw, width, height, channels)
    out = []
    for r in rows:
        if ctype == 2:
            out.append(bytes(r))
        elif ctype == 6:
            b = bytearray(width * 3)
            b[0::3] = r[0::4]
            b[1::3] = r[1::4]
            b[2::3] = r[2::4]
            out.append(bytes(b))
        elif ctype in (0, 4):
            g = r[0::channels]
            b = bytearray(width * 3)
            b[0::3] = g
            b[1::3] = g
            b[2::3] = g
            out.append(bytes(b))
        else:
            if palette is None:
                raise ValueError("palette PNG without PLTE")
            out.append(b"".join(palette[3 * i:3 * i + 3] for i in r))
    return Image(width, height, out)


def read_xwd(data):
    if len(data) < 100:
        raise ValueError("not an XWD file")
    for endian in (">", "<"):
        f = struct.unpack(endian + "25I", data[:100])
        if f[1] == 7:  # file_version
            break
    else:
        raise ValueError("not an XWD file (version 7)")
    (header_size, _version, fmt, depth, width, height, _xoff, byte_order, _unit, _bit_order,
     _pad, bpp, bpl, _vclass, rmask, gmask, bmask, _bits_rgb, _cmap_entries, ncolors,
     _ww, _wh, _wx, _wy, _bw) = f
    if fmt != 2 or bpp not in (24, 32) or depth < 24:
        raise ValueError(f"unsupported XWD (format {fmt}, depth {depth}, {bpp} bits a pixel)")
    pos = header_size + 12 * ncolors
    step = bpp // 8
    order = "little" if byte_order == 0 else "big"

    def shift(mask):
        s = 0
        while mask and not mask & 1:
            mask >>= 1
            s += 1
        return s

    rs, gs, bs = shift(rmask), shift(gmask), shift(bmask)
    fast = (step == 4 and order == "little" and (rmask, gmask, bmask) == (0xFF0000, 0xFF00, 0xFF))
    rows = []
    for y in range(height):
        line = data[pos + y * bpl:pos + y * bpl + width * step]
        if len(line) != width * step:
            raise ValueError("truncated XWD")
        b = bytearray(width * 3)
        if fast:  # B G R X in memory
            b[0::3] = line[2::4]
            b[1::3] = line[1::4]
            b[2::3] = line[0::4]
        else:
            for x in range(width):
                v = int.from_bytes(line[x * step:x * step + step], order)
                b[3 * x] = (v & rmask) >> rs
                b[3 * x + 1] = (v & gmask) >> gs
                b[3 * x + 2] = (v & bmask) >> bs
        rows.append(bytes(b))
    return Image(width, height, rows)


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return read_png(data)
    return read_xwd(data)


def write_png(img, path):
    raw = b"".join(b"\x00" + r for r in img.rows)

    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body +
                struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    png = (b"\x89PNG\r\n\x1a\n" +
           chunk(b"IHDR", struct.pack(">IIBBBBB", img.width, img.height, 8, 2, 0, 0, 0)) +
           chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))
    with open(path + ".part", "wb") as f:
        f.write(png)
    import os
    os.replace(path + ".part", path)


def parse_color(text):
    text = text.lstrip("#")
    if len(text) != 6:
        raise argparse.ArgumentTypeError("colour: RRGGBB")
    return bytes.fromhex(text)


def cmd_dominant(img, box):
    x, y, w, h = box if box else (0, 0, img.width, img.height)
    if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > img.width or y + h > img.height:
        raise ValueError(f"box {x},{y},{w},{h} outside the {img.width}x{img.height} image")
    count = Counter()
    for row in img.rows[y:y + h]:
        seg = row[3 * x:3 * (x + w)]
        count.update(seg[i:i + 3] for i in range(0, len(seg), 3))
    color, n = count.most_common(1)[0]
    print(f"color={color.hex()} share={n / (w * h):.3f} pixels={w * h}")


def cmd_band(img, color, min_count, tol):
    if min_count is None:
        min_count = 100
    cr, cg, cb = color

    def match_row(row):
        r, g, b = row[0::3], row[1::3], row[2::3]
        return [abs(r[i] - cr) <= tol and abs(g[i] - cg) <= tol and abs(b[i] - cb) <= tol
                for i in range(img.width)]

    best = (-1, 0)
    start = None
    matches = []
    for y, row in enumerate(img.rows):
        m = match_row(row)
        matches.append(m)
        if sum(m) >= min_count:
            if start is None:
                start = y
            if y - start + 1 > best[1]:
                best = (start, y - start + 1)
        else:
            start = None
    s, length = best
    if length == 0:
        print("start=-1 length=0 left=-1 right=-1 solid_left=0 share=0")
        return
    left = min(m.index(True) for m in matches[s:s + length])
    right = max(img.width - 1 - m[::-1].index(True) for m in matches[s:s + length])
    solid = sum(1 for m in matches[s:s + length] if all(m[left:left + 16]))
    inside = sum(sum(m[left:right + 1]) for m in matches[s:s + length])
    share = inside / ((right - left + 1) * length)
    print(f"start={s} length={length} left={left} right={right} solid_left={solid} share={share:.3f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("info")
    p.add_argument("file")
    p = sub.add_parser("dominant")
    p.add_argument("file")
    p.add_argument("--box", type=lambda s: tuple(int(v) for v in s.split(",")))
    p = sub.add_parser("band")
    p.add_argument("file")
    p.add_argument("--color", type=parse_color, required=True)
    p.add_argument("--min-count", type=int)
    p.add_argument("--tolerance", type=int, default=3)
    p = sub.add_parser("topng")
    p.add_argument("file")
    p.add_argument("out")
    args = ap.parse_args()
    try:
        img = load(args.file)
        if args.cmd == "info":
            print(f"width={img.width} height={img.height}")
        elif args.cmd == "dominant":
            cmd_dominant(img, args.box)
        elif args.cmd == "band":
            cmd_band(img, args.color, args.min_count, args.tolerance)
        elif args.cmd == "topng":
            write_png(img, args.out)
    except (OSError, ValueError, zlib.error, struct.error) as e:
        print(f"pixels.py: {args.file}: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
