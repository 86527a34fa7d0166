#!/bin/sh
# Container start: bring the schema, roles and document indexes up to date, then serve.
# With arguments (`docker compose run web python manage.py createsuperuser`) it runs
# those instead.
set -eu

if [ "$#" -gt 0 ]; then
    exec "$@"
fi

case "${GUNICORN_WORKERS:-3}" in
    ''|*[!0-9]*)
        echo "PHMS configuration error: GUNICORN_WORKERS='${GUNICORN_WORKERS}' is not a whole number" >&2
        exit 1
        ;;
esac

# Several web containers may start together; Django's migrate takes no lock, so with
# replicas run migrations once (e.g. `docker compose run --rm web python manage.py migrate`)
# before scaling out.
python manage.py migrate --noinput
python manage.py setup_roles
python manage.py ensure_documents

exec gunicorn phms.wsgi:application \
    --config /app/docker/gunicorn.conf.py \
    --bind 0.0.0.0:8000 \
    --workers "${GUNICORN_WORKERS:-3}" \
    --timeout "${GUNICORN_TIMEOUT:-60}" \
    --access-logfile - \
    --error-logfile -
