"""Fixtures for onboarding tests."""

from tests.issue5_harness import harness  # noqa: F401 - the e2e fixture
