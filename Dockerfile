# Front-end packages from the npm registry, built in their own stage.
FROM node:20-slim AS assets
WORKDIR /assets
COPY package.json package-lock.json ./
# Only what the app serves: the development packages (axe-core, for the browser tests) stay out.
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error

FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN useradd --create-home --uid 1000 app

COPY . .
COPY --from=assets /assets/node_modules ./node_modules
RUN pip install -e . && chown -R app:app /app

USER app
EXPOSE 8000

# Migrations and static files are brought up to date on every start, then gunicorn serves.
CMD ["sh", "-c", "python manage.py migrate --noinput && python manage.py collectstatic --noinput && exec gunicorn config.wsgi --bind 0.0.0.0:8000 --workers ${GUNICORN_WORKERS:-3} --access-logfile -"]
