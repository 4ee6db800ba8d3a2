"""Benchmark: reading a scanned plan appendix, page by page, against the target of under 10 s CPU a page.

The 2021 appendix (seeds/plan-2021.csv) is rendered as the tests render it (`tests/docrender.py`): DOCX,
a text PDF by LibreOffice, then a 300 dpi "scan" (grey paper, blur, 1 degree of skew, noise, JPEG 75).
Each page is read with `read_scan_page`, the way an upload's job reads it. Prints, per page, the rows
read, the CPU seconds (this process plus the tesseract processes it waited for) and the wall seconds;
then the total and the worst page against the target. Rendering is not timed.

    python bench/documents.py              # 300 dpi, table
    python bench/documents.py --dpi 200    # another resolution
    python bench/documents.py --json       # the figures as JSON
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from docrender import degrade, known_table, to_docx, to_scan, to_text_pdf  # noqa: E402

from tracker.documents.scan import read_scan_page, scans_readable  # noqa: E402

TARGET_CPU_S = 10.0  # a page, the scan reader's budget
DAMAGE = dict(paper=235, blur=0.6, rotate=1.0, noise=8.0, jpeg=75)  # as in tests/test_documents_scan.py


def _cpu() -> float:
    """CPU seconds of this process and of the children it has waited for (tesseract runs as a subprocess)."""
    times = os.times()
    return time.process_time() + times.children_user + times.children_system


def render(dpi: int) -> list:
    """The known table as degraded scans, one image a page."""
    with tempfile.TemporaryDirectory(prefix="tracker-documents-bench-") as folder:
        pdf = to_text_pdf(to_docx(known_table(), Path(folder) / "plan.docx"), Path(folder))
        return [degrade(page, seed=number, **DAMAGE) for number, page in enumerate(to_scan(pdf, dpi))]


def measure(dpi: int) -> dict:
    pages = render(dpi)
    measured = []
    for number, page in enumerate(pages, 1):
        cpu, wall = _cpu(), time.perf_counter()
        rows = read_scan_page(page, number)
        measured.append({"page": number, "rows": len(rows), "cpu_s": _cpu() - cpu,
                         "wall_s": time.perf_counter() - wall, "pixels": f"{page.width}x{page.height}"})
    return {"dpi": dpi, "pages": measured, "cpu_s": sum(p["cpu_s"] for p in measured),
            "wall_s": sum(p["wall_s"] for p in measured), "worst_cpu_s": max(p["cpu_s"] for p in measured),
            "target_cpu_s": TARGET_CPU_S}


def table(result: dict) -> None:
    print(f"Scan reader, the 2021 appendix at {result['dpi']} dpi ({len(result['pages'])} pages; "
          f"target under {TARGET_CPU_S:.0f} s CPU a page, tesseract's CPU included)")
    header = f"{'page':<6} | {'pixels':>11} | {'rows':>4} | {'CPU s':>6} | {'wall s':>6}"
    print(header)
    print("-" * len(header))
    for page in result["pages"]:
        print(f"{page['page']:<6} | {page['pixels']:>11} | {page['rows']:>4} | {page['cpu_s']:6.2f} | "
              f"{page['wall_s']:6.2f}")
    pages = len(result["pages"])
    verdict = "within" if result["worst_cpu_s"] < TARGET_CPU_S else "OVER"
    print(f"total {result['cpu_s']:.2f} s CPU, {result['wall_s']:.2f} s wall; per page {result['cpu_s'] / pages:.2f} s "
          f"CPU on average, {result['worst_cpu_s']:.2f} s at worst: {verdict} the target")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dpi", type=int, default=300, help="scan resolution (default 300)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if not scans_readable():
        raise SystemExit("tesseract with the Vietnamese language (vie) is not installed")
    result = measure(args.dpi)
    if args.json:
        print(json.dumps(result))
    else:
        table(result)


if __name__ == "__main__":
    main()
