"""The project's date formats per language (FORMAT_MODULE_PATH), over Django's own for that language.

Only what differs from Django's locale data is here: a moment the product records (a check, an alert, a run)
is written with its minutes on a 24-hour clock in every language ("8 Dec 2026, 02:00", and in Russian the
same with the month's name in the genitive), where Django's en_GB says "2 a.m." and its ru drops the leading
zero; `crm.vocabulary.when` adds the zone. Two names are ours (Django has no such names):
`DATETIME_SECONDS_FORMAT`, the same with seconds, for evidence, and `DAY_MONTH_FORMAT`, a day without its
year for a chart's axis (`crm.vocabulary.day_and_month`). A language added to LANGUAGES gets a module here
too (tests/i18n/test_dates.py checks it).
"""
