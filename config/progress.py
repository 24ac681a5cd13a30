"""A progress bar for management commands, on a terminal only (nothing in a log or a pipe)."""

import time


def terminal_progress(stream, label=""):
    """progress(done, total) drawing "[#####.....] 40,000/100,000 12 s" on `stream`, or None.

    `stream` is a command's self.stderr; the bar is drawn only when it is a
    terminal, so logs and pipes get the summary line alone.
    """
    if not stream.isatty():
        return None
    started = time.monotonic()

    def show(done, total):
        width = 30
        filled = int(width * done / total) if total else width
        seconds = time.monotonic() - started
        stream.write(
            f"\r{label}[{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} {seconds:.0f} s",
            ending="",
        )
        if done >= total:
            stream.write("")

    return show
