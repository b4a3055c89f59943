"""The web console: static pages served at /console that drive the public API from the browser."""
