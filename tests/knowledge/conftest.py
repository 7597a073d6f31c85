from tests.incidents.conftest import make, people, svc, vendor  # noqa: F401 - the incident fixtures
