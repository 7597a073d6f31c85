"""Demo data for trying IMS: ``manage.py seed_demo`` (users of every role, services,
vendors). Above every entity app, so it may seed any of them."""
