"""Image benchmark: a site with 200 phone photos (4000×3000 JPEGs of about 5 MB, with EXIF,
GPS and, for some, orientation 6), built cold and warm; then what a phone downloads per page.

    python benchmarks/bench_images.py               # 200 photos, 3 runs of each build
    python benchmarks/bench_images.py --photos 40 --runs 1

Prints two Markdown tables: build times (median wall seconds, seconds in the images stage,
derivatives encoded, peak memory of the process tree), and image bytes per story page: the
photos as uploaded (what the site served before the images stage) against what headless
Chromium at 360×740 actually downloads at device pixel ratio 2 and 3.
"""
from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import random
import re
import resource
import shutil
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from corpus import generate  # noqa: E402
from measure import median, run, table  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
PHOTO_SIZE = (4000, 3000)
PER_STORY = 2
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


# -- the corpus --------------------------------------------------------------------------------------

_NOISE = None


def _noise():
    global _NOISE
    if _NOISE is None:
        from PIL import Image

        w, h = PHOTO_SIZE
        _NOISE = Image.merge("RGB", [Image.effect_noise((w + 400, h + 300), 48) for _ in range(3)])
    return _NOISE


def make_photo(index: int) -> bytes:
    """A phone-like photo: soft shapes, sensor noise (so it weighs what a photo weighs), and the
    EXIF a phone writes, GPS position included."""
    from PIL import Image, ImageDraw, ImageFilter
    from PIL.ExifTags import IFD

    rng = random.Random(index)
    w, h = PHOTO_SIZE
    small = Image.new("RGB", (w // 8, h // 8), tuple(rng.randrange(60, 200) for _ in range(3)))
    draw = ImageDraw.Draw(small)
    for _ in range(40):
        x, y, s = rng.randrange(w // 8), rng.randrange(h // 8), rng.randrange(20, 160)
        draw.ellipse((x, y, x + s, y + s), fill=tuple(rng.randrange(256) for _ in range(3)))
    scene = small.filter(ImageFilter.GaussianBlur(2)).resize(PHOTO_SIZE, Image.Resampling.BICUBIC)
    ox, oy = rng.randrange(400), rng.randrange(300)
    photo = Image.blend(scene, _noise().crop((ox, oy, ox + w, oy + h)), 0.22)
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "ZL-Phone", "ZL-Model 12"
    exif[0x0132] = "2024:05:01 09:30:00"
    if index % 5 == 0:
        exif[0x0112] = 6  # held upright: stored landscape, shown portrait
    exif.get_ifd(IFD.GPSInfo).update({1: "N", 2: (30.0, 15.0, float(index % 60)), 3: "E", 4: (120.0, 10.0, 5.0)})
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=92, exif=exif)
    return out.getvalue()


def _write_photo(args: tuple[Path, int]) -> int:
    folder, index = args
    data = make_photo(index)
    (folder / f"photo-{index:03d}.jpg").write_bytes(data)
    return len(data)


def corpus(photos: int) -> Path:
    site = CORPUS_DIR / f"images-{photos}"
    marker = site / ".generated"
    if marker.exists():
        return site
    stories = photos // PER_STORY
    generate(site, stories)
    folder = site / "content/images"
    folder.mkdir(parents=True, exist_ok=True)
    with multiprocessing.get_context("fork").Pool() as pool:
        sizes = pool.map(_write_photo, [(folder, i) for i in range(photos)])
    for index, path in enumerate(sorted((site / "content/stories").rglob("*.md"))):
        pictures = "\n\n".join(f'![活动现场](../../images/photo-{index * PER_STORY + k:03d}.jpg "现场照片 {k + 1}")'
                               for k in range(PER_STORY))
        text = path.read_text("utf-8")
        head, _, body = text.partition("\n---\n")
        first, _, rest = body.partition("\n\n")
        path.write_text(f"{head}\n---\n{first}\n\n{pictures}\n\n{rest}", "utf-8")
    print(f"generated {photos} photos, {sum(sizes) / photos / 1e6:.1f} MB each on average", file=sys.stderr)
    marker.write_text("ok")
    return site


# -- builds --------------------------------------------------------------------------------------------

BUILD_SCRIPT = """
import json, sys
from pathlib import Path
from zhuanlan.pipeline import BuildOptions, build
result = build(BuildOptions(Path(sys.argv[1]), output_dir=Path(sys.argv[2])))
print("RESULT " + json.dumps({"images": result.timings.get("images", 0.0), "encoded": result.images.encoded,
                              "decoded": result.images.decoded, "seconds": result.seconds}))
"""


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def build(site: Path, out: Path):
    cpu = _cpu_of_children()
    result = run([sys.executable, "-c", BUILD_SCRIPT, str(site), str(out)], cwd=str(REPO))
    if result.returncode != 0:
        raise SystemExit(f"build failed:\n{result.output}")
    stats = json.loads(re.search(r"^RESULT (.*)$", result.output, re.M)[1])
    stats["cpu"] = _cpu_of_children() - cpu  # the build and its workers; steadier than wall time on a busy machine
    return result, stats


def bench_builds(site: Path, runs: int) -> list[list[str]]:
    phases: dict[str, list] = {"cold": [], "warm (nothing changed)": []}
    out = site / "runs" / "out"
    for _ in range(runs):
        shutil.rmtree(site / ".cache", ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)
        for phase in phases:
            phases[phase].append(build(site, out))
    rows = []
    for phase, results in phases.items():
        rows.append([phase, f"{median([r.seconds for r, _ in results]):.2f}",
                     f"{median([s['images'] for _, s in results]):.2f}", f"{median([s['cpu'] for _, s in results]):.1f}",
                     str(results[-1][1]["encoded"]), str(results[-1][1]["decoded"]),
                     f"{median([r.peak_mb for r, _ in results]):.0f}"])
    return rows


# -- bytes per page ------------------------------------------------------------------------------------

def bench_bytes(site: Path, pages: int) -> list[list[str]]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return [["(playwright not installed)", "", "", "", "", ""]]
    sys.path.insert(0, str(REPO / "tests"))
    from conftest import CHROMIUM, serve  # the same static server the tests use

    out = site / "runs" / "out"
    base_path = "/dangjian/"
    server = serve(out, base_path)
    root = f"http://127.0.0.1:{server.server_address[1]}{base_path}"
    story_urls = sorted(p.parent.relative_to(out).as_posix() + "/" for p in (out / "stories").rglob("index.html"))
    story_urls = story_urls[:: max(1, len(story_urls) // pages)][:pages]
    sources = {p.stem: p.stat().st_size for p in (site / "content/images").iterdir()}
    measured: dict[str, list[tuple[int, int]]] = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for dpr in (2, 3):
                context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=dpr,
                                              is_mobile=True)
                for url in story_urls:
                    page = context.new_page()
                    fetched: list[str] = []
                    page.on("requestfinished", lambda request, f=fetched: f.append(request.url))
                    page.goto(root + url)
                    for _ in range(30):  # scroll through, so that every lazy image is wanted
                        page.mouse.wheel(0, 700)
                        page.wait_for_timeout(30)
                    page.wait_for_load_state("networkidle")
                    images = [u.split(base_path, 1)[1] for u in fetched if "/images/" in u]
                    got = sum((out / rel).stat().st_size for rel in set(images))
                    # What the same page loaded before: each photo it shows, as uploaded.
                    stems = {re.sub(r"(-\d+(x\d+)?)?\.[0-9a-f]{10}$", "", Path(rel).stem) for rel in images}
                    before = sum(sources.get(stem, 0) for stem in stems)
                    measured.setdefault(url, []).append((before, got))
                    page.close()
                context.close()
            browser.close()
    finally:
        server.shutdown()
    before = [m[0][0] for m in measured.values()]
    dpr2 = [m[0][1] for m in measured.values()]
    dpr3 = [m[1][1] for m in measured.values()]
    html = statistics.median((out / u / "index.html").stat().st_size for u in measured)
    source_total = sum(sources.values())
    output_total = sum(p.stat().st_size for p in (out / "images").iterdir())

    def mb(n: float) -> str:
        return f"{n / 1e6:.2f} MB" if n >= 1e6 else f"{n / 1e3:.0f} KB"

    def share(part: float, whole: float) -> str:
        return f"{part / whole:.2%}"

    mid_before, mid2, mid3 = (statistics.median(v) for v in (before, dpr2, dpr3))
    return [
        ["story page, median", mb(mid_before), mb(mid2), mb(mid3), share(mid2, mid_before), share(mid3, mid_before)],
        ["story page, largest", mb(max(before)), mb(max(dpr2)), mb(max(dpr3)), share(max(dpr2), max(before)),
         share(max(dpr3), max(before))],
        ["page HTML, median", mb(html), "", "", "", ""],
        ["all images of the site", mb(source_total), f"output/images: {mb(output_total)}", "",
         share(output_total, source_total), ""],
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pages", type=int, default=20, help="story pages loaded in Chromium")
    args = parser.parse_args()
    site = corpus(args.photos)
    rows = bench_builds(site, args.runs)
    print(table(["build", "wall s (median)", "images stage s", "CPU s", "encoded", "decoded", "peak MB"], rows))
    print()
    print(table(["images per page", "as uploaded", "downloaded, 360 px @2x", "@3x", "@2x / uploaded",
                 "@3x / uploaded"],
                bench_bytes(site, args.pages)))
    shutil.rmtree(site / "runs", ignore_errors=True)


if __name__ == "__main__":
    main()
