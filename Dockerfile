# Aiguillage: small, non-root image running `aiguillage run`.
# The install steps are the ones `./dev test` runs in CI (pinned lock, then the project).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    AIGUILLAGE_DATA_DIR=/data \
    AIGUILLAGE_WEB_PORT=8080

RUN useradd --create-home --uid 10001 aiguillage \
    && mkdir -p /data && chown aiguillage /data

WORKDIR /app
COPY requirements.lock ./
RUN python -m pip install --no-cache-dir -r requirements.lock

COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
COPY db ./db
COPY config ./config
RUN python -m pip install --no-cache-dir --no-deps .

USER aiguillage
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD python -c "import os,sys,urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('AIGUILLAGE_WEB_PORT','8080'), timeout=4); sys.exit(0)" || exit 1
ENTRYPOINT ["aiguillage"]
CMD ["run"]
