# Dates the Japanese way (2026年12月3日 18:00), as UX.md asks; Django's own ja formats fill in the rest.
# Templates use these names (|date:"DATETIME_FORMAT"), never a literal pattern, so English pages get theirs.
DATE_FORMAT = "Y年n月j日"
DATETIME_FORMAT = "Y年n月j日 H:i"
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = "Y/m/d"
SHORT_DATETIME_FORMAT = "Y/m/d H:i"
MONTH_DAY_FORMAT = "n月j日"
YEAR_MONTH_FORMAT = "Y年n月"
