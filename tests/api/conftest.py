from tests.analytics.conftest import cohort_blueprint, hr_world  # noqa: F401  (a scored form; two organizations' data)
