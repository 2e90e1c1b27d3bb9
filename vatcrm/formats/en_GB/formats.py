# Django's date format syntax (https://docs.djangoproject.com/en/stable/ref/templates/builtins/#date).
DATETIME_FORMAT = "j M Y, H:i"  # '8 Dec 2026, 02:00'
DATETIME_SECONDS_FORMAT = "j M Y, H:i:s"  # '8 Dec 2026, 02:00:05'
DAY_MONTH_FORMAT = "d/m"  # 14/06: a chart's axis, where the year would not fit
