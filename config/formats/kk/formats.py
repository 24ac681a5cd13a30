"""Numbers as Kazakh writes them: "6 000 003", a non-breaking space between thousands.

Django has no formats for Kazakh, so a count grouped for English ("6,000,003")
and Russian ("6 000 003") came out as "6000003" on a Kazakh page. Dates are unchanged.
"""

DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\xa0"
NUMBER_GROUPING = 3
