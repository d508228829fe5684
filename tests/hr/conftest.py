from tests.hr.drills import g_drill  # noqa: F401  (drill assignments' tests share it)
