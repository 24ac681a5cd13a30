"""Delivery at scale: the signed-letter PDF and the staff CSV, time and peak memory.

Prints, in one run, for 1,000, 10,000 and 100,000 approved signatures: the
ReportLab PDF's time and peak memory growth, the CSV's at 100,000, and
WeasyPrint rendering the same 10,000-name letter from an equivalent HTML
template, with the ratio between the two. Each measurement runs in its own
process, so one's memory does not hide in another's.

Usage: .venv/bin/python bench/pdf_delivery.py
Needs PostgreSQL (BENCH_DATABASE_URL, dropped and recreated) and, for the
comparison, WeasyPrint: `make bench-deps` installs it into .venv (never a
runtime dependency).
"""

import argparse
import html
import json
import os
import resource
import subprocess
import sys
import time

from _common import DEFAULT_URL, add_signatories, django_setup

SIZES = [1_000, 10_000, 100_000]


def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def weasyprint_html(letter):
    """The same letter as the ReportLab path prints, as HTML for WeasyPrint."""
    from signatories.models import Signatory

    rows = Signatory.objects.filter(letter=letter).for_delivery()
    count = rows.count()
    names = "".join(
        f'<li class="{"org" if kind == "organisation" else ""}">'
        f"{html.escape(f'{name} ({affiliation})' if affiliation else name)}</li>"
        for kind, name, affiliation in rows.values_list("kind", "name", "affiliation").iterator()
    )
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in letter.paragraphs)
    return f"""<!doctype html><html><head><meta charset="utf-8"><style>
      @page {{ size: A4; margin: 20mm;
        @bottom-left {{ content: "{html.escape(letter.title)} · {count:,} signatures";
                        font-size: 8pt; }}
        @bottom-right {{ content: "Page " counter(page) " of " counter(pages); font-size: 8pt; }} }}
      body {{ font-family: "DejaVu Serif"; font-size: 11pt; }}
      ul {{ font-family: "DejaVu Sans"; font-size: 9.5pt; list-style: none; padding: 0;
            columns: 2; column-gap: 8mm; break-before: page; }}
      li.org {{ font-weight: bold; }}
    </style></head><body>
      <h1>{html.escape(letter.title)}</h1><p>To: {html.escape(letter.addressee)}</p>
      <p>{html.escape(letter.salutation)}</p>{paragraphs}<p>{html.escape(letter.closing)}</p>
      <h2>{count:,} signatures</h2><ul>{names}</ul></body></html>"""


def child(kind, slug, url):
    """Measure one render in this process; print a JSON line."""
    django_setup(url, fresh=False)
    from letters.csv_export import csv_lines
    from letters.models import Letter
    from letters.pdf import render_letter_pdf

    letter = Letter.objects.select_related("campaign", "hand_in_event").get(slug=slug)
    if kind == "weasyprint":
        import weasyprint

        weasyprint.HTML(string="<p>warm</p>").write_pdf()
    else:
        render_letter_pdf(Letter.objects.get(slug="warm-up"), os.devnull)
    base = rss_mb()
    start = time.perf_counter()
    if kind == "pdf":
        with open(os.devnull, "wb") as out:
            render_letter_pdf(letter, out)
    elif kind == "csv":
        with open(os.devnull, "w") as out:
            for line in csv_lines(letter):
                out.write(line)
    else:
        import weasyprint

        weasyprint.HTML(string=weasyprint_html(letter)).write_pdf(os.devnull)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "growth_mb": max(peak_mb() - base, 0.0)}))


def measure(kind, slug, url):
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, slug],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "BENCH_DATABASE_URL": url},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--child", nargs=2, metavar=("KIND", "SLUG"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    if args.child:
        child(*args.child, url)
        return

    django_setup(url, fresh=True)
    from letters.models import Letter
    from tests.factories import LetterFactory

    LetterFactory(slug="warm-up", status=Letter.Status.OPEN)
    start = time.perf_counter()
    for size in SIZES:
        add_signatories(LetterFactory(slug=f"letter-{size}", status=Letter.Status.OPEN), size)
    print(f"setup: {sum(SIZES):,} signatories in {time.perf_counter() - start:.1f} s")

    results = {}
    for size in SIZES:
        results[size] = measure("pdf", f"letter-{size}", url)
        r = results[size]
        print(
            f"ReportLab PDF {size:>7,} names: {r['seconds']:7.2f} s, "
            f"peak memory growth {r['growth_mb']:6.1f} MB"
        )
    r = measure("csv", f"letter-{SIZES[-1]}", url)
    print(
        f"staff CSV     {SIZES[-1]:>7,} rows:  {r['seconds']:7.2f} s, "
        f"peak memory growth {r['growth_mb']:6.1f} MB"
    )
    try:
        import weasyprint  # noqa: F401
    except ImportError:
        print("WeasyPrint not installed: run `make bench-deps` for the comparison.")
        return
    w = measure("weasyprint", "letter-10000", url)
    rl = results[10_000]
    print(
        f"WeasyPrint    {10_000:>7,} names: {w['seconds']:7.2f} s, peak memory growth "
        f"{w['growth_mb']:6.1f} MB"
    )
    print(
        f"ratio at 10,000 names: ReportLab is {w['seconds'] / rl['seconds']:.1f}x faster and uses "
        f"{w['growth_mb'] / max(rl['growth_mb'], 0.1):.1f}x less memory"
    )
    print(
        "aims (issue 5): at least 10x faster than WeasyPrint; 100,000-name PDF and CSV under 150 MB"
    )


if __name__ == "__main__":
    main()
