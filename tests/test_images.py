"""The images stage, as a user meets it: phone photos in, light, clean, correctly turned images
and <picture> markup out; a second build encodes nothing; every bad image is reported at the
file and line that uses it."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image
from PIL.ExifTags import IFD

import imagefiles as files
from conftest import run_cli, tree_digest
from zhuanlan.images import process
from zhuanlan.pipeline import BuildOptions, build
from zhuanlan.render import filesize

STORY = "---\ntitle: 图片测试\ndate: 2022-03-15\ncolumns: [news]\n{front}---\n{body}\n"
IMAGE_SUFFIXES = (".jpg", ".png", ".webp", ".gif", ".svg")


def story(body: str = "正文。", **front: str) -> str:
    lines = "".join(f"{key}: {value}\n" for key, value in front.items())
    return STORY.format(front=lines, body=body)


def output_images(site: Path) -> list[Path]:
    """Every image in output/ but the default icon, which the build draws (favicon.py), not made from a photo."""
    return sorted(p for p in (site / "output").rglob("*") if p.suffix in IMAGE_SUFFIXES
                  and p.relative_to(site / "output").as_posix() != "favicon.svg")


class Tags(HTMLParser):
    """Every start tag in order, with its attributes, and whether it is inside <main>."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict, bool]] = []
        self._main = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "main":
            self._main = True
        self.tags.append((tag, dict(attrs), self._main))

    def handle_endtag(self, tag):
        if tag == "main":
            self._main = False

    def find(self, tag: str, main_only: bool = False) -> list[dict]:
        return [a for t, a, in_main in self.tags if t == tag and (in_main or not main_only)]


def page(site: Path, rel: str = "stories/story/index.html") -> str:
    return (site / "output" / rel).read_text("utf-8")


def srcset(value: str) -> list[tuple[str, int]]:
    return [(url, int(width[:-1])) for url, width in (item.strip().split() for item in value.split(","))]


def file_of(site: Path, url: str) -> Path:
    return site / "output" / url.removeprefix("/dangjian/")


# -- privacy --------------------------------------------------------------------------------------

def test_no_metadata_and_no_gps_reach_any_output_file(make_site):
    sources = {
        "content/images/phone.jpg": files.jpeg(1600, 1200, orientation=6, icc=files.swapped_profile()),
        "content/images/clear.png": files.png(500, 400, transparent=True),
        "content/images/shot.webp": files.webp(800, 600),
        "content/images/iphone.heic": files.heic(640, 480),
        "content/images/scan.jpg": files.jpeg(1000, 800),
    }
    for data in sources.values():  # the fixtures really carry what must be removed
        assert files.SECRET.encode() in data
    site = make_site({
        **sources,
        "content/stories/story.md": story(
            "![一](../images/phone.jpg)\n\n![二](../images/clear.png)\n\n![三](../images/shot.webp)\n\n"
            "![四](../images/iphone.heic)\n\n[原图](../images/phone.jpg)\n",
            cover="../images/phone.jpg", attachments="[../images/scan.jpg]"),
    })
    assert run_cli("--site", str(site)) == 0
    outputs = output_images(site)
    assert len(outputs) >= 20
    for path in outputs:
        data = path.read_bytes()
        assert files.SECRET.encode() not in data, path.name
        assert b"Exif\0\0" not in data and b"ns.adobe.com/xap" not in data, path.name
        with Image.open(path) as image:
            assert not image.getexif(), path.name
            assert not image.getexif().get_ifd(IFD.GPSInfo), path.name
            assert not {"exif", "xmp", "icc_profile", "XML:com.adobe.xmp", "comment", "Comment"} & set(image.info), \
                (path.name, image.info.keys())
    for name in ("phone.jpg", "clear.png", "shot.webp", "iphone.heic", "scan.jpg"):
        assert not (site / "output/images" / name).exists()  # the upload itself is never published


def test_a_photo_linked_or_attached_is_published_clean_at_full_size(make_site):
    site = make_site({
        "content/images/scan.jpg": files.jpeg(1000, 800),
        "content/files/通知.pdf": b"%PDF-1.4\n%test\n",
        "content/stories/story.md": story("正文。", attachments="[../images/scan.jpg, ../files/通知.pdf]"),
    })
    assert run_cli("--site", str(site)) == 0
    html = page(site)
    href = re.search(r'<a href="(/dangjian/images/scan\.[0-9a-f]{10}\.jpg)" download>', html)[1]
    clean = file_of(site, href)
    with Image.open(clean) as image:
        assert image.size == (1000, 800) and not image.getexif()
    assert f"（{filesize(clean.stat().st_size)}）" in html  # the size shown is the file offered
    assert 'href="/dangjian/files/%E9%80%9A%E7%9F%A5.pdf" download' in html  # attachments keep their names
    assert (site / "output/files/通知.pdf").read_bytes() == b"%PDF-1.4\n%test\n"


# -- orientation, sizes and formats ---------------------------------------------------------------

def test_a_portrait_photo_stored_with_orientation_6_comes_out_portrait(make_site):
    site = make_site({
        "content/images/portrait.jpg": files.jpeg(1600, 1200, orientation=6),  # stored landscape
        "content/stories/story.md": story("![竖拍](../images/portrait.jpg)"),
    })
    assert run_cli("--site", str(site)) == 0
    img = Tags(page(site)).find("img", main_only=True)[0]
    assert (img["width"], img["height"]) == ("1200", "1600")
    urls = [url for url, _ in srcset(img["srcset"])] + [url for url, _ in srcset(
        Tags(page(site)).find("source", main_only=True)[0]["srcset"])]
    for url in urls:
        with Image.open(file_of(site, url)) as image:
            assert image.height > image.width, url
            rgb = image.convert("RGB")
            # Orientation 6 turns the picture a quarter clockwise: the stored top-left red block
            # is shown at the top right.
            w, h = rgb.size
            assert _reddish(rgb.getpixel((w - 1 - w // 16, h // 16))), url
            assert not _reddish(rgb.getpixel((w // 16, h // 16))), url


def _reddish(pixel) -> bool:
    r, g, b = pixel[:3]
    return r > 180 and g < 90 and b < 90


def test_srcset_offers_the_configured_widths_and_never_upscales(make_site):
    site = make_site({
        "content/images/big.jpg": files.jpeg(2000, 1000),
        "content/images/small.jpg": files.jpeg(300, 200),
        "content/images/mid.jpg": files.jpeg(1000, 750),
        "content/stories/story.md": story("![大](../images/big.jpg)\n\n![小](../images/small.jpg)\n\n"
                                          "![中](../images/mid.jpg)"),
    })
    assert run_cli("--site", str(site)) == 0
    tags = Tags(page(site))
    sources = tags.find("source", main_only=True)
    images = tags.find("img", main_only=True)
    expected = [[480, 960, 1440], [300], [480, 1000]]  # 960 is within 10% of 1000 and left out
    for source, img, widths in zip(sources, images, expected):
        assert source["type"] == "image/webp"
        for value, suffix in ((source["srcset"], ".webp"), (img["srcset"], ".jpg")):
            offered = srcset(value)
            assert [w for _, w in offered] == widths
            for url, width in offered:
                assert url.endswith(suffix)
                with Image.open(file_of(site, url)) as image:
                    assert image.width == width
        assert source["sizes"] == img["sizes"] and img["sizes"]
    assert (images[0]["width"], images[0]["height"]) == ("1440", "720")
    assert (images[1]["width"], images[1]["height"]) == ("300", "200")
    for path in output_images(site):
        with Image.open(path) as image:
            assert image.width <= 2000


def test_transparent_png_keeps_a_png_fallback_and_opaque_png_becomes_jpeg(make_site):
    site = make_site({
        "content/images/clear.png": files.png(600, 400, transparent=True),
        "content/images/solid.png": files.png(600, 400, transparent=False),
        "content/stories/story.md": story("![透明](../images/clear.png)\n\n![不透明](../images/solid.png)"),
    })
    assert run_cli("--site", str(site)) == 0
    clear, solid = Tags(page(site)).find("img", main_only=True)
    assert all(url.endswith(".png") for url, _ in srcset(clear["srcset"]))
    with Image.open(file_of(site, clear["src"])) as image:
        assert image.mode == "RGBA" and image.getchannel("A").getextrema()[0] == 0
    assert all(url.endswith(".jpg") for url, _ in srcset(solid["srcset"]))


def test_gif_and_svg_pass_through_untouched(make_site):
    animation = files.gif(120, 90)
    logo = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 32"><rect width="64" height="32"/></svg>'
    site = make_site({
        "content/images/moving.gif": animation,
        "content/images/mark.svg": logo,
        "content/stories/story.md": story("![动图](../images/moving.gif)\n\n![标志](../images/mark.svg)"),
    })
    assert run_cli("--site", str(site)) == 0
    gif_img, svg_img = Tags(page(site)).find("img", main_only=True)
    assert re.fullmatch(r"/dangjian/images/moving\.[0-9a-f]{10}\.gif", gif_img["src"])
    assert file_of(site, gif_img["src"]).read_bytes() == animation
    assert (gif_img["width"], gif_img["height"]) == ("120", "90")
    assert file_of(site, svg_img["src"]).read_bytes() == logo
    assert (svg_img["width"], svg_img["height"]) == ("64", "32")


def test_an_svg_logo_becomes_the_favicon_ico_of_a_site_at_the_hosts_root(make_site):
    """Search engines show /favicon.ico beside results: an SVG logo is drawn into it, not the default star."""
    logo = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" fill="#00a000"/></svg>'
    site = make_site({
        "site.yaml": "title: 测试站\nbase_url: https://example.gov.cn/\nlogo: images/mark.svg\nfooter:\n  主办单位: 测试单位\n",
        "content/images/mark.svg": logo,
    })
    assert run_cli("--site", str(site), "--jobs", "1") == 0
    with Image.open(site / "output" / "favicon.ico") as icon:
        assert icon.size == (48, 48)
        assert icon.convert("RGB").getpixel((24, 24)) == (0, 160, 0)  # the logo's green, not the star's gold


def test_embedded_icc_profile_is_converted_to_srgb(make_site):
    # Pure red in a profile whose red is sRGB's green must come out green.
    site = make_site({
        "content/images/wide.jpg": files.solid_jpeg(600, 400, (255, 0, 0), icc=files.swapped_profile()),
        "content/images/plain.jpg": files.solid_jpeg(600, 400, (255, 0, 0)),
        "content/stories/story.md": story("![一](../images/wide.jpg)\n\n![二](../images/plain.jpg)"),
    })
    assert run_cli("--site", str(site)) == 0
    wide, plain = Tags(page(site)).find("source", main_only=True)
    for value, expect_green in ((wide["srcset"], True), (plain["srcset"], False)):
        with Image.open(file_of(site, srcset(value)[0][0])) as image:
            r, g, b = image.convert("RGB").getpixel((10, 10))
            assert (g > 200 and r < 60) if expect_green else (r > 200 and g < 60), (r, g, b)
            assert "icc_profile" not in image.info


def test_iphone_heic_is_read(make_site):
    site = make_site({
        "content/images/iphone.heic": files.heic(800, 600),
        "content/stories/story.md": story("![苹果手机照片](../images/iphone.heic)"),
    })
    assert run_cli("--site", str(site)) == 0
    img = Tags(page(site)).find("img", main_only=True)[0]
    assert (img["width"], img["height"]) == ("800", "600")
    assert img["src"].endswith(".jpg")


# -- markup ---------------------------------------------------------------------------------------

def test_markup_has_sizes_lazy_loading_after_the_first_image_and_captions(make_site):
    site = make_site({
        "content/images/a.jpg": files.jpeg(1200, 900),
        "content/images/b.jpg": files.jpeg(1200, 800),
        "content/stories/story.md": story('![甲图](../images/a.jpg "图注：甲")\n\n正文。\n\n![乙图](../images/b.jpg)'),
        "content/stories/other.md": story("正文。", cover="../images/b.jpg").replace("图片测试", "另一篇"),
    })
    assert run_cli("--site", str(site)) == 0
    html = page(site)
    images = Tags(html).find("img", main_only=True)
    assert images[0]["alt"] == "甲图" and "loading" not in images[0] and "decoding" not in images[0]
    for img in images[1:]:
        assert img.get("loading") == "lazy" and img.get("decoding") == "async", img
    for img in images:
        assert int(img["width"]) > 0 and int(img["height"]) > 0
    assert re.search(r"<figure><picture><source [^>]+><img [^>]+alt=\"甲图\"[^>]*></picture>"
                     r"<figcaption>图注：甲</figcaption></figure>", html), html
    home = Tags(page(site, "index.html")).find("img", main_only=True)
    thumb = next(img for img in home if img.get("class") == "story-thumb")
    assert thumb["sizes"] == "(min-width: 720px) 160px, 112px"
    assert [w for _, w in srcset(thumb["srcset"])] == [240, 480]
    assert (thumb["width"], thumb["height"]) == ("480", "360")  # the 4:3 list-card crop


def test_list_cards_use_the_configured_crop(make_site):
    site = make_site({
        "site.yaml": "title: 站\nbase_url: https://example.gov.cn/dangjian/\nimages:\n  card_ratio: 1/1\n",
        "content/images/wide.jpg": files.jpeg(1600, 900),
        "content/stories/story.md": story("正文。", cover="../images/wide.jpg"),
    })
    assert run_cli("--site", str(site)) == 0
    thumb = next(img for img in Tags(page(site, "index.html")).find("img") if img.get("class") == "story-thumb")
    for url, width in srcset(thumb["srcset"]):
        with Image.open(file_of(site, url)) as image:
            assert image.size == (width, width)


def test_every_story_has_a_share_image_of_at_least_300_pixels(make_site):
    site = make_site({
        "site.yaml": "title: 站\nbase_url: https://example.gov.cn/dangjian/\nimages:\n  share: images/share.jpg\n",
        "content/images/share.jpg": files.jpeg(1200, 630),
        "content/images/tiny.jpg": files.jpeg(200, 150),
        "content/images/clear.png": files.png(800, 600),
        "content/stories/small.md": story("![小](../images/tiny.jpg)").replace("图片测试", "小图"),
        "content/stories/clear.md": story("正文。", cover="../images/clear.png").replace("图片测试", "透明"),
        "content/stories/plain.md": story("没有图片。").replace("图片测试", "无图"),
    })
    assert run_cli("--site", str(site)) == 0
    for name in ("small", "clear", "plain"):
        html = page(site, f"stories/{name}/index.html")
        og = re.search(r'<meta property="og:image" content="([^"]+)">', html)[1]
        assert og.startswith("https://example.gov.cn/dangjian/images/") and og.endswith(".jpg")
        path = file_of(site, og.removeprefix("https://example.gov.cn"))
        with Image.open(path) as image:
            assert image.format == "JPEG" and image.mode == "RGB"
            assert min(image.size) >= 300, (name, image.size)
            assert f'content="{image.width}"' in html and f'content="{image.height}"' in html
        # WeChat takes the first large <img> of the page: a hidden, lazy one that is not downloaded
        first = Tags(html).find("img")[0]
        assert first["src"] == og.removeprefix("https://example.gov.cn") and first["loading"] == "lazy"
    assert "share" in page(site, "stories/plain/index.html").split('property="og:image" content="')[1][:60]


def test_without_a_default_share_image_a_notice_says_how_to_set_one(make_site, capsys):
    site = make_site({"content/stories/story.md": story("没有图片。")})
    assert run_cli("--site", str(site)) == 0
    assert re.search(r"site\.yaml: 提示: 2 篇文章没有图片.*images: \{share: images/share\.jpg\}", capsys.readouterr().err)


# -- the cache ------------------------------------------------------------------------------------

def cache_state(site: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in (site / ".cache/images").iterdir()}


def test_a_second_build_encodes_nothing_and_a_changed_photo_only_itself(make_site):
    site = make_site({
        "content/images/a.jpg": files.jpeg(1600, 1200),
        "content/images/b.jpg": files.jpeg(1200, 900, orientation=6),
        "content/images/c.png": files.png(700, 500),
        "content/stories/story.md": story("![甲](../images/a.jpg)\n\n![乙](../images/b.jpg)\n\n![丙](../images/c.png)",
                                          cover="../images/b.jpg"),
    })
    first = build(BuildOptions(site, workers=2))
    assert first.images.sources == 3 and first.images.decoded == 3 and first.images.encoded >= 16
    cache, out = cache_state(site), tree_digest(site / "output")

    second = build(BuildOptions(site, workers=2))
    assert (second.images.decoded, second.images.encoded) == (0, 0)
    assert second.images.fingerprint == first.images.fingerprint
    assert second.images.reused == first.images.encoded
    assert cache_state(site) == cache  # not one cached file rewritten
    assert tree_digest(site / "output") == out  # nor one output file

    (site / "content/images/b.jpg").touch()  # a new date, the same picture: hashed again, not decoded
    (site / ".cache/images/sources.json").unlink()
    touched = build(BuildOptions(site, workers=2))
    assert (touched.images.decoded, touched.images.encoded) == (0, 0)
    assert tree_digest(site / "output") == out

    (site / "content/images/a.jpg").write_bytes(files.jpeg(1600, 1200, quality=70))
    third = build(BuildOptions(site, workers=2))
    assert third.images.decoded == 1
    assert third.images.fingerprint != first.images.fingerprint
    assert third.images.encoded == 6  # a.jpg: 480, 960, 1440 in WebP and JPEG; nothing else
    assert len(cache_state(site)) == len(cache)  # the old photo's derivatives were swept away


def test_changed_image_options_make_new_names(make_site):
    site = make_site({
        "content/images/a.jpg": files.jpeg(1600, 1200),
        "content/stories/story.md": story("![甲](../images/a.jpg)"),
    })
    assert run_cli("--site", str(site)) == 0
    before = Tags(page(site)).find("img", main_only=True)[0]["srcset"]
    config = (site / "site.yaml").read_text("utf-8") + "images:\n  quality: 60\n"
    (site / "site.yaml").write_text(config, "utf-8")
    assert run_cli("--site", str(site)) == 0
    after = Tags(page(site)).find("img", main_only=True)[0]["srcset"]
    assert [w for _, w in srcset(before)] == [w for _, w in srcset(after)]
    assert not {u for u, _ in srcset(before)} & {u for u, _ in srcset(after)}  # hosts may cache forever


# -- bad input ------------------------------------------------------------------------------------

LINE = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+): 错误: (?P<message>.+)$", re.M)

BAD = {
    "content/images/truncated.jpg": files.truncated_jpeg(),
    "content/images/garbage.jpg": b"this is not a picture at all\n" * 20,
    "content/images/damaged.png": files.damaged_png(),
    "content/images/bomb.png": files.png_bomb(),
    "content/images/claims-huge.jpg": files.jpeg_claiming(30_000, 30_000),
    "content/images/panorama.jpg": files.wide_jpeg(),
    "content/files/report.pdf": b"%PDF-1.4\n",
}
BAD_STORY = """---
title: 坏图
date: 2022-03-15
cover: ../../files/report.pdf
---
第一段。

![截断](../../images/truncated.jpg)

![乱码](../../images/garbage.jpg)

![炸弹](../../images/bomb.png)

![假的大图](../../images/claims-huge.jpg)

![全景](../../images/panorama.jpg)

![不存在](../../images/nowhere.jpg)

![损坏](../../images/damaged.png)
"""
EXPECTED = [  # (file, line, words in the message)
    ("bad.md", 4, '封面 "../../files/report.pdf" 是 .pdf 文件，不是图片'),
    ("bad.md", 8, '图片 "../../images/truncated.jpg" 不完整（文件被截断'),
    ("bad.md", 10, '图片 "../../images/garbage.jpg" 不是能识别的图片格式'),
    ("bad.md", 12, '图片 "../../images/bomb.png" 只有 '),
    ("bad.md", 12, "20000×20000 像素，可能是损坏或恶意构造的文件（“解压炸弹”）"),
    ("bad.md", 14, '图片 "../../images/claims-huge.jpg" 只有 '),
    ("bad.md", 16, '图片 "../../images/panorama.jpg" 有 30000×400 像素，超过处理上限'),
    ("bad.md", 18, '图片 "../../images/nowhere.jpg" 指向的文件不存在'),
    ("bad.md", 20, '图片 "../../images/damaged.png" 已损坏，无法解码'),
    ("x.md", 3, '标志 "../images/garbage.jpg" 不是能识别的图片格式'),
    ("b.md", 4, '未知品牌 "nope"'),
]


def test_every_bad_image_is_reported_at_its_line_and_the_output_is_untouched(make_site, capsys):
    site = make_site({"content/stories/good.md": story("![好](../images/good.jpg)"),
                      "content/images/good.jpg": files.jpeg(800, 600)})
    assert run_cli("--site", str(site)) == 0
    before = tree_digest(site / "output")
    for rel, data in BAD.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_bytes(data)
    (site / "content/stories/sub").mkdir()
    (site / "content/stories/sub/bad.md").write_text(BAD_STORY, "utf-8")
    (site / "content/brands/x.md").write_text("---\nname: 新品牌\nlogo: ../images/garbage.jpg\n---\n", "utf-8")
    (site / "content/stories/b.md").write_text("---\ntitle: 乙\ndate: 2022-01-01\nbrand: nope\n---\n", "utf-8")
    capsys.readouterr()
    assert run_cli("--site", str(site)) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    found = [(m["path"].rsplit("/", 1)[-1], int(m["line"]), m["message"]) for m in LINE.finditer(err)]
    for name, line, words in EXPECTED:
        assert any(n == name and l == line and words in m for n, l, m in found), (name, line, words, err)
    assert tree_digest(site / "output") == before
    assert not list((site / "output").rglob("*.zhuanlan-tmp"))


def test_heic_without_its_reader_says_how_to_convert(make_site, capsys, monkeypatch):
    site = make_site({
        "content/images/iphone.heic": files.heic(320, 240),
        "content/stories/story.md": story("![苹果](../images/iphone.heic)"),
    })
    monkeypatch.setattr(process, "_heif_state", False)  # as on a machine without pillow-heif
    capsys.readouterr()
    assert run_cli("--site", str(site), "--jobs", "1") == 1
    err = capsys.readouterr().err
    assert re.search(r"story\.md:6: 错误: 图片 \"\.\./images/iphone\.heic\" 是 HEIC 格式.*pip install pillow-heif.*"
                     r"兼容性最佳", err), err


def test_bad_image_settings_are_reported_at_their_line(make_site, capsys):
    site = make_site({"site.yaml": "title: 站\nbase_url: https://a.gov.cn/\nimages:\n  widths: [0, 960]\n"
                                   "  card_ratio: 4x3\n  share: images/none.jpg\n"})
    capsys.readouterr()
    assert run_cli("--site", str(site)) == 1
    err = capsys.readouterr().err
    assert re.search(r"site\.yaml:4: 错误: 图片宽度 \"\[0, 960\]\" 应是 16 到 8000 之间的整数列表", err), err
    assert re.search(r"site\.yaml:5: 错误: 列表封面比例 \"4x3\" 应写成 宽:高，例如 4:3", err), err
    assert re.search(r"site\.yaml:6: 错误: 默认分享图 \"images/none\.jpg\" 不存在", err), err


# -- rules that hold for every size ---------------------------------------------------------------

def test_an_unquoted_ratio_is_read_as_a_ratio(make_site):
    site = make_site({"site.yaml": "title: 站\nbase_url: https://a.gov.cn/\nimages:\n  card_ratio: 1:1\n"})
    assert run_cli("--site", str(site)) == 0


@given(st.integers(1, 12_000), st.integers(1, 12_000),
       st.lists(st.integers(16, 8000), min_size=1, max_size=5).map(lambda ws: tuple(sorted(set(ws)))))
def test_planned_sizes_never_upscale_and_keep_the_aspect_ratio(width, height, widths):
    options = process.Options(widths=widths)
    for alpha in (False, True):
        record = process.Record(width, height, alpha=alpha)
        planned = process.plan(record, frozenset({"fit", "card", "full", "share"}), options)
        fit = planned["fit"]
        assert max(s.width for s in fit) == min(width, max(widths))
        for spec in fit + planned["full"]:
            assert spec.width <= width and spec.height <= height
            assert abs(spec.height - height * spec.width / width) <= 1
        for spec in planned["crop"]:
            assert spec.width <= width and spec.height <= height
        share = planned["share"][0]
        assert share.fmt == "jpeg" and min(share.width, share.height) >= process.SHARE_MIN
        assert max(share.width, share.height) <= process.SHARE_ASPECT * min(share.width, share.height) + 1
        if min(width, height) >= process.SHARE_MIN and width <= max(widths) and max(width, height) <= 2 * min(width, height):
            assert (share.width, share.height) == (width, height)


# -- in a phone browser ---------------------------------------------------------------------------

NATURAL_SIZES = """
async () => {
  const out = [];
  for (const img of document.querySelectorAll('main img')) {
    img.scrollIntoView();
    if (!img.complete) await new Promise(r => { img.onload = img.onerror = r; setTimeout(r, 3000); });
    // naturalWidth of a srcset pick is scaled by its density; load the file alone to see its pixels
    const probe = new Image();
    probe.src = img.currentSrc;
    await probe.decode().catch(() => {});
    const picture = img.closest('picture');
    const sets = [img.srcset, picture ? picture.querySelector('source').srcset : ''].join(',');
    out.push({src: img.currentSrc, natural: [probe.naturalWidth, probe.naturalHeight],
              attr: [+img.getAttribute('width'), +img.getAttribute('height')], sets,
              box: img.getBoundingClientRect().width});
  }
  return out;
}
"""


@pytest.mark.parametrize("path", ["", "stories/wu-dan-gong-zuo-fa/", "columns/banshishi/", "brands/wucai-linhu/"])
def test_example_images_load_at_their_natural_sizes_on_a_phone(phone, example_server, path):
    phone.goto(example_server + path)
    found = phone.evaluate(NATURAL_SIZES)
    assert found
    for image in found:
        natural_w, natural_h = image["natural"]
        assert natural_w > 0 and natural_h > 0, image  # not broken
        attr_w, attr_h = image["attr"]
        if image["src"].endswith(".svg"):
            continue
        assert image["src"].endswith(".webp"), image  # Chromium takes the WebP source
        chosen = [int(d[:-1]) for u, d in (s.split() for s in image["sets"].split(",") if s.strip())
                  if image["src"].endswith(u)]
        assert chosen == [natural_w], image  # the file is as wide as its srcset says
        assert abs(natural_h / natural_w - attr_h / attr_w) < 0.01, image  # width/height give the shape
        assert image["box"] <= 360
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    hidden = phone.locator(".share-image img")
    if hidden.count():
        share_url = hidden.get_attribute("src")
        assert not any(url.endswith(share_url) for url in phone.requests)  # hidden share image: no download
