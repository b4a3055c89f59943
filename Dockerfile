# datalinks against an external PostgreSQL (DATABASE_URL); the embedded server is for laptops.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATALINKS_HOST=0.0.0.0 \
    DATALINKS_PORT=8000 \
    DATALINKS_MIGRATIONS_DIR=/app/migrations \
    DATALINKS_DATA_DIR=/var/lib/datalinks

WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY src ./src
COPY migrations ./migrations
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /var/lib/datalinks --create-home datalinks

USER datalinks
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/ready', timeout=2)" || exit 1
CMD ["datalinks", "serve"]
