"""Test images made on the spot with Pillow: phone photos with EXIF orientation and GPS, ICC
profiles, transparency, HEIC, and broken files of every kind the images stage must report."""
from __future__ import annotations

import io
import struct
import zlib

from PIL import Image, ImageDraw
from PIL.ExifTags import IFD

SECRET = "ZL-SECRET-HOME"  # written into every metadata field; must never reach output/
GPS = {1: "N", 2: (30.0, 15.0, 12.5), 3: "E", 4: (120.0, 10.0, 5.0)}
XMP = (f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       f'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="30,15.2N" '
       f'exif:UserComment="{SECRET}"/></rdf:RDF></x:xmpmeta>').encode()

# sRGB primaries adapted to D50, as an ICC profile states them
SRGB_RED = (0.4361, 0.2225, 0.0139)
SRGB_GREEN = (0.3851, 0.7169, 0.0971)
SRGB_BLUE = (0.1431, 0.0606, 0.7141)


def exif(orientation: int = 1) -> Image.Exif:
    data = Image.Exif()
    data[0x010F] = "ZL-Phone"  # Make
    data[0x010E] = SECRET  # ImageDescription
    if orientation != 1:
        data[0x0112] = orientation
    data.get_ifd(IFD.GPSInfo).update(GPS)
    return data


def scene(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """Something with edges and colour, so that encoders have work to do; a red block marks the
    top-left corner as stored."""
    image = Image.new(mode, (width, height), (235, 228, 210, 255) if mode == "RGBA" else (235, 228, 210))
    draw = ImageDraw.Draw(image)
    for i in range(0, width, max(8, width // 12)):
        draw.line((i, 0, width - i, height), fill=(40, 90, 160), width=3)
    draw.rectangle((0, 0, width // 4, height // 4), fill=(220, 20, 30))
    return image


def jpeg(width: int, height: int, orientation: int = 1, icc: bytes | None = None, quality: int = 90) -> bytes:
    out = io.BytesIO()
    params = {"exif": exif(orientation), "xmp": XMP, "comment": SECRET, "quality": quality}
    if icc:
        params["icc_profile"] = icc
    scene(width, height).save(out, "JPEG", **params)
    return out.getvalue()


def png(width: int, height: int, transparent: bool = True) -> bytes:
    from PIL.PngImagePlugin import PngInfo

    image = scene(width, height, "RGBA")
    if transparent:
        ImageDraw.Draw(image).ellipse((width // 2, height // 2, width, height), fill=(0, 0, 0, 0))
    info = PngInfo()
    info.add_text("Comment", SECRET)
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info, exif=exif())
    return out.getvalue()


def webp(width: int, height: int) -> bytes:
    out = io.BytesIO()
    scene(width, height).save(out, "WEBP", exif=exif(), xmp=XMP)
    return out.getvalue()


def heic(width: int, height: int) -> bytes:
    from pillow_heif import register_heif_opener

    register_heif_opener()
    out = io.BytesIO()
    scene(width, height).save(out, "HEIF", exif=exif().tobytes(), xmp=XMP)
    return out.getvalue()


def gif(width: int, height: int) -> bytes:
    frames = [scene(width, height).convert("P"), Image.new("P", (width, height), 3)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=200, loop=0)
    return out.getvalue()


def truncated_jpeg() -> bytes:
    data = jpeg(600, 400)
    return data[: len(data) * 2 // 3]


def damaged_png() -> bytes:
    """A PNG whose compressed pixels were garbled (a bad disk or a half-broken transfer)."""
    data = bytearray(png(300, 200))
    start = data.index(b"IDAT") + 20
    for index in range(start, start + 40):
        data[index] ^= 0x5A
    return bytes(data)


def jpeg_claiming(width: int, height: int) -> bytes:
    """A tiny JPEG whose header claims width × height (what a crafted file looks like)."""
    data = bytearray(jpeg(16, 16))
    sof = data.index(b"\xff\xc0")
    data[sof + 5: sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def png_bomb(side: int = 20_000) -> bytes:
    """A real 1-bit PNG of side × side pixels: about 50 KB that would decode to 400 megapixels."""
    row = b"\0" + bytes((side + 7) // 8)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def wide_jpeg(width: int = 30_000, height: int = 400) -> bytes:
    out = io.BytesIO()
    scene(width, height).save(out, "JPEG", quality=85)
    return out.getvalue()


# -- a hand-made ICC profile (matrix/TRC, version 2) ------------------------------------------------

def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz(x: float, y: float, z: float) -> bytes:
    return b"XYZ " + bytes(4) + _s15(x) + _s15(y) + _s15(z)


def _curve(gamma: float) -> bytes:
    return b"curv" + bytes(4) + struct.pack(">IH", 1, round(gamma * 256)) + bytes(2)


def _description(text: str) -> bytes:
    ascii_text = text.encode() + b"\0"
    return b"desc" + bytes(4) + struct.pack(">I", len(ascii_text)) + ascii_text + bytes(8 + 3 + 67)


def rgb_profile(red, green, blue, gamma: float = 2.2, name: str = "zhuanlan test RGB") -> bytes:
    """An RGB display profile with the given colorants. With red and green swapped, pure red in a
    photo means sRGB green: a converter that ignores the profile gets the colour visibly wrong."""
    tags = [(b"desc", _description(name)), (b"cprt", b"text" + bytes(4) + b"none\0"),
            (b"wtpt", _xyz(0.9642, 1.0, 0.8249)), (b"rXYZ", _xyz(*red)), (b"gXYZ", _xyz(*green)),
            (b"bXYZ", _xyz(*blue)), (b"rTRC", _curve(gamma)), (b"gTRC", _curve(gamma)), (b"bTRC", _curve(gamma))]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for signature, body in tags:
        body += bytes(-len(body) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body
    header = (struct.pack(">I", offset + len(data)) + bytes(4) + struct.pack(">I", 0x02100000) + b"mntrRGB XYZ "
              + bytes(12) + b"acsp" + bytes(28) + _s15(0.9642) + _s15(1.0) + _s15(0.8249))
    header += bytes(128 - len(header))
    return header + struct.pack(">I", len(tags)) + table + data


def swapped_profile() -> bytes:
    return rgb_profile(SRGB_GREEN, SRGB_RED, SRGB_BLUE, name="red-green swapped")


def solid_jpeg(width: int, height: int, colour: tuple[int, int, int], icc: bytes | None = None) -> bytes:
    out = io.BytesIO()
    params = {"quality": 95}
    if icc:
        params["icc_profile"] = icc
    Image.new("RGB", (width, height), colour).save(out, "JPEG", **params)
    return out.getvalue()
