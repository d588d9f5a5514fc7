"""Constants shared by the room tests (a module of its own, not ``conftest``, so that test
folders importing helpers do not clash on that name)."""

SECRET = "rOOm-s3cret-7f3a9c1e5b2d4f60a8e1c3b5d7f9a2c4"
"""The test API secret: it must never appear in any output."""
KEY = "APIroomtest"
