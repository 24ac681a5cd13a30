"""The organisers' admin for letters, a module per page.

- letter.py: the letter's list and change page, its lifecycle buttons, and the
  list of pages below that hang off a letter;
- paper.py: typing in paper sign-ups, printing numbered sheets;
- imports.py: importing paper sign-ups from a CSV file;
- delivery.py: the signed PDF, the contacts CSV, the delivery record;
- updates.py: updates to signatories, their preview and sending;
- inlines.py: translations, replies and the lifecycle's audit on the letter page.

Every page about one letter opens with `letter_page` (base.py): the letter
from the URL, if this user may.
"""

from letters.admin import delivery, letter, paper, updates  # noqa: F401 - registers them
