#!/usr/bin/env python3
"""Opens a Quorum HTML report in headless Chromium and checks that it renders.

Used by Tests/ReportTests/ReportBrowserTests.swift; needs only python3's standard library and
Debian's `chromium` (plus a font, `fonts-dejavu-core`), which it installs with apt-get when
missing (as root, or via sudo), failing loudly when it cannot.

    python3 scripts/report_browser_check.py REPORT.html OUT_DIR

Two browser runs:
  1. `--dump-dom` of a copy of the page with a probe script appended at the end of <body>
     (after every chart, so it moves nothing): it records the page size and, for every
     `svg.chart`, its box in CSS pixels and how many shapes it holds.
  2. `--screenshot` of the unmodified page at 1200 px wide and the page's full height, with
     Chromium's log on stderr: every console message of the page is an error, because a
     report has no scripts and loads nothing.
Then it decodes the PNG (zlib + PNG row filters, in pure Python) and measures, inside each
chart's box, the share of non-white pixels and the number of saturated (coloured) pixels: an
axis frame alone is grey, data lines and bars are coloured.

Prints one JSON object on stdout:
  {"screenshot": path, "width": w, "height": h, "consoleErrors": [...],
   "charts": [{"id", "x", "y", "width", "height", "shapes", "nonWhiteFraction", "colouredPixels"}]}
Exits 0 when it could measure (the test judges the numbers), 2 when it could not.
"""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from itertools import accumulate

WIDTH = 1200
CHROMIUM_TIMEOUT = 60


def fail(message):
    print(f"report_browser_check: {message}", file=sys.stderr)
    sys.exit(2)


def ensure_chromium():
    """Installs Debian's chromium and a font when missing; returns the browser's path."""
    browser = shutil.which("chromium")
    fonts = subprocess.run(["fc-list"], capture_output=True, text=True).stdout if shutil.which("fc-list") else ""
    if browser and "DejaVu Sans" in fonts:
        return browser
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    print("report_browser_check: installing chromium and fonts-dejavu-core with apt-get", file=sys.stderr)
    for command in (["apt-get", "update", "-qq"],
                    ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium", "fonts-dejavu-core"]):
        result = subprocess.run(prefix + command, capture_output=True, text=True, env=env)
        if result.returncode != 0:
            fail(f"`{' '.join(prefix + command)}` failed ({result.returncode}): {result.stderr.strip()[-800:]}\n"
                 "Install Debian's chromium and fonts-dejavu-core (scripts/setup does) and run again.")
    browser = shutil.which("chromium")
    if not browser:
        fail("apt-get installed chromium but `chromium` is not on PATH.")
    return browser


def run_chromium(browser, profile, arguments, url):
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--hide-scrollbars", "--force-device-scale-factor=1", "--no-first-run",
               "--disable-extensions", "--disable-background-networking", f"--user-data-dir={profile}",
               *arguments, url]
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=CHROMIUM_TIMEOUT)
    except subprocess.TimeoutExpired:
        fail(f"chromium did not finish within {CHROMIUM_TIMEOUT} s: {' '.join(command)}")


PROBE = """
<script>
(function () {
  var charts = Array.prototype.map.call(document.querySelectorAll("svg.chart"), function (svg) {
    var box = svg.getBoundingClientRect();
    return { id: svg.id, x: box.left + window.scrollX, y: box.top + window.scrollY,
             width: box.width, height: box.height,
             shapes: svg.querySelectorAll("polyline, polygon, rect, circle, path").length };
  });
  var probe = document.createElement("pre");
  probe.id = "quorum-probe";
  probe.textContent = JSON.stringify({ width: document.documentElement.scrollWidth,
                                       height: document.documentElement.scrollHeight, charts: charts });
  document.body.appendChild(probe);
})();
</script>
"""


def measure_layout(browser, html_path, work):
    html = open(html_path, encoding="utf-8").read()
    if "</body>" not in html:
        fail(f"{html_path} has no </body>.")
    probe_path = os.path.join(work, "probe.html")
    with open(probe_path, "w", encoding="utf-8") as probe_file:
        probe_file.write(html.replace("</body>", PROBE + "</body>", 1))
    result = run_chromium(browser, os.path.join(work, "profile-probe"),
                          ["--dump-dom", f"--window-size={WIDTH},2000"], "file://" + probe_path)
    match = re.search(r'<pre id="quorum-probe">(.*?)</pre>', result.stdout, re.S)
    if not match:
        fail(f"the probe found nothing (chromium exit {result.returncode}); stderr: {result.stderr[-1500:]}")
    text = match.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return json.loads(text)


def unpaeth_channel(filtered, above):
    """Undoes the Paeth filter on one channel of one row (bytes, one per pixel).

    Paeth predicts from left a, up b and upper-left c of the same channel. Where b == c (the
    row above is flat, as most of a page is), |p - a| = |b - c| = 0 makes the predictor a, so
    the row is a running sum like the Sub filter: those spans are summed with
    itertools.accumulate, and only the pixels under an edge in the row above take the full
    predictor in Python.
    """
    width = len(filtered)
    out = bytearray(width)
    out[0] = (filtered[0] + above[0]) & 255
    changes = (int.from_bytes(above[1:], "big") ^ int.from_bytes(above[:-1], "big")).to_bytes(width - 1, "big")
    start = 1
    for match in re.finditer(rb"[^\x00]", changes):
        edge = match.start() + 1
        if edge > start:
            out[start:edge] = bytes(map((255).__and__, accumulate(filtered[start:edge], initial=out[start - 1])))[1:]
        a, b, c = out[edge - 1], above[edge], above[edge - 1]
        pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
        predictor = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
        out[edge] = (filtered[edge] + predictor) & 255
        start = edge + 1
    if start < width:
        out[start:] = bytes(map((255).__and__, accumulate(filtered[start:], initial=out[start - 1])))[1:]
    return out


def decode_png(path, max_rows=None):
    """RGB(A) 8-bit non-interlaced PNG -> (width, rows decoded, channels, rows as bytes).

    Decodes the first `max_rows` rows only, when given (the charts end above the run tables).
    """
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail(f"{path} is not a PNG.")
    offset, compressed, header = 8, [], None
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        chunk = data[offset + 8:offset + 8 + length]
        offset += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            compressed.append(chunk)
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in (2, 6) or interlace != 0:
        fail(f"unsupported PNG (depth {depth}, colour type {colour}, interlace {interlace}).")
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(compressed))
    stride = width * channels
    rows, previous = [], bytes(stride)
    # Lane-wise (a + b) mod 256 on whole rows at once, via big integers (no carries between bytes).
    low = int.from_bytes(b"\x7f" * stride, "big")
    high = int.from_bytes(b"\x80" * stride, "big")
    for y in range(height if max_rows is None else min(height, max_rows)):
        start = y * (stride + 1)
        kind, line = raw[start], raw[start + 1:start + 1 + stride]
        if kind == 0:
            row = line
        elif kind == 2:
            a, b = int.from_bytes(line, "big"), int.from_bytes(previous, "big")
            row = (((a & low) + (b & low)) ^ ((a ^ b) & high)).to_bytes(stride, "big")
        elif kind == 1:
            row = bytearray(stride)
            for channel in range(channels):
                row[channel::channels] = bytes(map((255).__and__, accumulate(line[channel::channels])))
            row = bytes(row)
        elif kind == 4:
            row = bytearray(stride)
            for channel in range(channels):
                row[channel::channels] = unpaeth_channel(line[channel::channels], previous[channel::channels])
            row = bytes(row)
        elif kind == 3:
            row = bytearray(stride)
            for i in range(stride):
                left = row[i - channels] if i >= channels else 0
                row[i] = (line[i] + ((left + previous[i]) >> 1)) & 255
            row = bytes(row)
        else:
            fail(f"unknown PNG filter {kind} in row {y}.")
        rows.append(row)
        previous = row
    return width, len(rows), channels, rows


def measure_region(image, box):
    width, height, channels, rows = image
    left, top = max(0, int(box["x"])), max(0, int(box["y"]))
    right, bottom = min(width, int(box["x"] + box["width"])), min(height, int(box["y"] + box["height"]))
    total = non_white = coloured = 0
    for y in range(top, bottom):
        row = rows[y]
        for x in range(left, right):
            i = x * channels
            r, g, b = row[i], row[i + 1], row[i + 2]
            total += 1
            if r < 245 or g < 245 or b < 245:
                non_white += 1
                if max(r, g, b) - min(r, g, b) > 60:
                    coloured += 1
    return {"nonWhiteFraction": non_white / total if total else 0.0, "colouredPixels": coloured}


def main():
    if len(sys.argv) != 3:
        fail("usage: report_browser_check.py REPORT.html OUT_DIR")
    html_path, out_dir = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    os.makedirs(out_dir, exist_ok=True)
    browser = ensure_chromium()
    with tempfile.TemporaryDirectory(prefix="quorum-browser-") as work:
        layout = measure_layout(browser, html_path, work)
        height = max(600, int(layout["height"]) + 10)
        screenshot = os.path.join(out_dir, "report.png")
        if os.path.exists(screenshot):
            os.remove(screenshot)
        result = run_chromium(browser, os.path.join(work, "profile-shot"),
                              ["--enable-logging=stderr", "--v=0", f"--screenshot={screenshot}",
                               f"--window-size={WIDTH},{height}"], "file://" + html_path)
        if not os.path.exists(screenshot):
            fail(f"chromium wrote no screenshot (exit {result.returncode}); stderr: {result.stderr[-1500:]}")
        console = [line for line in result.stderr.splitlines()
                   if ":CONSOLE" in line or "Uncaught" in line or "Failed to load resource" in line]
    bottom = max([int(chart["y"] + chart["height"]) + 1 for chart in layout["charts"]], default=1)
    image = decode_png(screenshot, max_rows=bottom)
    full_height = struct.unpack(">I", open(screenshot, "rb").read()[20:24])[0]
    charts = []
    for chart in layout["charts"]:
        charts.append({**chart, **measure_region(image, chart)})
    print(json.dumps({"screenshot": screenshot, "width": image[0], "height": full_height,
                      "consoleErrors": console, "charts": charts}))


if __name__ == "__main__":
    main()
