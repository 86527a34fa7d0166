# PHMS web application: Django under gunicorn. Built by docker-compose.yml.
#
# Two stages: the builder compiles mysqlclient (it has no Linux wheel) with gcc,
# pkg-config and the client headers; the runtime image keeps only the shared client
# library, so no compiler ships to production.

FROM python:3.11-slim AS builder

RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc pkg-config default-libmysqlclient-dev \
 && rm -rf /var/lib/apt/lists/*

COPY requirements.txt constraints.txt /tmp/
RUN pip wheel --no-cache-dir --wheel-dir /wheels -r /tmp/requirements.txt -c /tmp/constraints.txt


FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MPLCONFIGDIR=/tmp/matplotlib

# libmariadb3 is the client library mysqlclient links against; its caching_sha2_password
# plugin authenticates against MySQL 8.4's default scheme.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libmariadb3 \
 && rm -rf /var/lib/apt/lists/*

COPY --from=builder /wheels /wheels
COPY requirements.txt constraints.txt /tmp/
RUN pip install --no-cache-dir --no-index --find-links /wheels -r /tmp/requirements.txt \
    -c /tmp/constraints.txt \
 && rm -rf /wheels /tmp/requirements.txt /tmp/constraints.txt

RUN groupadd --system phms && useradd --system --gid phms --home-dir /app --shell /usr/sbin/nologin phms

WORKDIR /app
# Code stays owned by root (read-only to the app); only var/ is writable.
COPY . /app

# The key below exists only for this one command (settings refuse to load without one
# when DEBUG is off); it is not stored in the image's environment. The real SECRET_KEY
# comes from the environment at run time.
RUN DEBUG=false SECRET_KEY=build-only-collectstatic-key-not-used-at-runtime \
    python manage.py collectstatic --noinput -v0 \
 && chown -R phms:phms /app/var \
 && chmod 0755 /app/docker/entrypoint.sh

USER phms

EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "/app/docker/healthcheck.py"]

ENTRYPOINT ["/app/docker/entrypoint.sh"]
