"""DejaVu fonts for PDFs, so Cyrillic and Kazakh names print (Debian: fonts-dejavu-core)."""

import functools
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FALLBACK_DIRS = [
    "/usr/share/fonts/truetype/dejavu",  # Debian, Ubuntu
    "/usr/share/fonts/dejavu",  # Fedora, Arch
    "/usr/share/fonts/TTF",
    "/usr/local/share/fonts",
    "/Library/Fonts",
]
FONTS = {
    "Serif": "DejaVuSerif.ttf",
    "Serif-Bold": "DejaVuSerif-Bold.ttf",
    "Sans": "DejaVuSans.ttf",
    "Sans-Bold": "DejaVuSans-Bold.ttf",
}


class FontMissing(ImproperlyConfigured):
    pass


def _find(filename):
    dirs = [settings.PDF_FONT_DIR] if settings.PDF_FONT_DIR else []
    dirs += FALLBACK_DIRS
    for directory in dirs:
        path = Path(directory) / filename
        if path.is_file():
            return path
    raise FontMissing(
        f"The PDF font {filename} was not found in "
        f"{', '.join(str(d) for d in dirs)}. Install Debian's fonts-dejavu-core "
        "(make install does) or set PDF_FONT_DIR to a folder that holds it."
    )


@functools.cache
def register_fonts():
    """Register the fonts once per process; returns the names to use."""
    for name, filename in FONTS.items():
        pdfmetrics.registerFont(TTFont(f"DejaVu{name}", str(_find(filename))))
    return {name: f"DejaVu{name}" for name in FONTS}
