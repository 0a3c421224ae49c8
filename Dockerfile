# Production image: Daphne on uvloop (portal/serve.py) serves HTTP and WebSocket; the same image runs the task worker.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=portal.settings.production PORTAL_VAR_DIR=/var/lib/portal

RUN apt-get update && apt-get install -y --no-install-recommends gettext libpq5 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /app --uid 1000 portal

WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir --no-deps -r requirements.lock

COPY --chown=portal:portal . .
# witness/ and erasures/ are mount points of their own volumes (docker-compose.yml): created here so the
# volumes start out owned by the portal user.
# collectstatic runs with production settings (manifest storage); its keys are throwaway build-time keys.
RUN mkdir -p /var/lib/portal/witness /var/lib/portal/erasures \
    && env $(DJANGO_SETTINGS_MODULE=portal.settings.development PORTAL_VAR_DIR=/tmp/build python manage.py generate_keys) \
       ALLOWED_HOSTS=build python manage.py collectstatic --no-input -v 0 \
    && rm -rf /tmp/build && chown -R portal:portal /var/lib/portal

USER portal
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"
CMD ["python", "-m", "portal.serve", "-b", "0.0.0.0", "-p", "8000", "--proxy-headers", "portal.asgi:application"]
