from tests.engine import client, image, pytest_runtest_makereport, service, settings  # noqa: F401
