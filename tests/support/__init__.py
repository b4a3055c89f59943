"""What the tests share and are not tests themselves: fixtures' building blocks, servers and
databases a test starts, the suite's plugins (figures, marks). conftest.py stays in tests/,
since pytest reads it from the folder of the tests it applies to."""
