"""datalinks: Membrane's data-link API on your own PostgreSQL."""

__version__ = "0.1.0"
