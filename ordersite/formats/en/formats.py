"""One way to write dates and times in English, everywhere: staff lists and
timelines, the customer's page, emails and invoices ("29 Nov 2026", "29 Nov 2026,
14:25", in the configured time zone). Other languages use Django's formats for
their locale. Templates ask for DATE_FORMAT / SHORT_DATETIME_FORMAT (or print a
date as it is); this module decides what those are.
"""

DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
# What people type in date fields: ISO first (the browsers' date inputs send it).
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d %b %Y"]
