# English pages: "Dec 3, 2026 18:00". A 24-hour clock as on the Japanese pages: exam times are Tokyo times
# candidates compare with JDLA's notices, and "6 p.m." beside "18:00" would only confuse.
DATE_FORMAT = "M j, Y"
DATETIME_FORMAT = "M j, Y H:i"
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
MONTH_DAY_FORMAT = "M j"
YEAR_MONTH_FORMAT = "F Y"
