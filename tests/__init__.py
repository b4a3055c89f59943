import pytest

# Before conftest.py imports tests/support: pytest rewrites the asserts of test files and
# plugins only, and a helper such as `assert_error` shows the values that failed only if its
# asserts are rewritten too (the plugins, imported by conftest.py first, would warn otherwise).
pytest.register_assert_rewrite("tests.support")
