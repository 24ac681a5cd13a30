"""The commands' progress bar: drawn on a terminal, never into a log or a pipe."""

import io

from django.core.management.base import OutputWrapper

from config.progress import terminal_progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_terminal_gets_a_bar_that_ends_on_its_own_line():
    out = Terminal()
    show = terminal_progress(OutputWrapper(out), "Adding: ")
    show(40_000, 100_000)
    show(100_000, 100_000)
    text = out.getvalue()
    assert "\rAdding: [############..................] 40,000/100,000" in text
    assert "[##############################] 100,000/100,000" in text
    assert text.endswith("\n")


def test_a_pipe_or_a_log_gets_no_bar():
    assert terminal_progress(OutputWrapper(io.StringIO())) is None
