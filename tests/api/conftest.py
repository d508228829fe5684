from tests.analytics.conftest import cohort_blueprint  # noqa: F401  (a small scored form to list)
