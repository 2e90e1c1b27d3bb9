# Django's date format syntax (https://docs.djangoproject.com/en/stable/ref/templates/builtins/#date): the
# day, the month's name in the genitive, the year with its abbreviation, then the time ("8 декабря 2026 ...,
# 02:00"). The noqa: ruff takes the abbreviation's lone Cyrillic letter for a Latin look-alike.
DATETIME_FORMAT = "j E Y г., H:i"  # noqa: RUF001
DATETIME_SECONDS_FORMAT = "j E Y г., H:i:s"  # noqa: RUF001
DAY_MONTH_FORMAT = "d.m"  # 14.06: a chart's axis, where the year would not fit
