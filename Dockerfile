# Two images from one build: `app` (gunicorn, Celery worker and beat) and `proxy` (Caddy with the collected
# static files of the same release, so the proxy never serves another release's assets).
FROM python:3.11-slim AS app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
# xmlsec1: pysaml2 checks SAML signatures with it (organizations/saml.py).
RUN apt-get update && apt-get install -y --no-install-recommends xmlsec1 && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# Static files are collected at build time; the proxy serves them, whitenoise is the fallback without it.
RUN DEBUG=false SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput
RUN useradd --create-home moshi
USER moshi
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "-c", "config/gunicorn.conf.py"]

FROM caddy:2 AS proxy
COPY --from=app /app/staticfiles /srv/static
COPY ops/Caddyfile /etc/caddy/Caddyfile

# The default target stays the application image.
FROM app
