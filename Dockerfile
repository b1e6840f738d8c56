# One image for every Vigil process (web, capture, detect, default, beat); the command differs.
FROM python:3.11-slim-bookworm
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 VIGIL_VENV=/opt/venv PATH=/opt/venv/bin:$PATH
# An image is a deployment: production by default (no DEBUG; a secret key and host names required).
ENV VIGIL_ENV=production
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends ffmpeg gettext && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt pyproject.toml ./
COPY bin/setup bin/vendor bin/
COPY vendor.json ./
COPY vigilsite vigilsite
COPY cameras cameras
COPY events events
COPY detection detection
COPY system system
RUN bin/setup
COPY . .
# The translations (msgfmt, as compilemessages does; manage.py would need the production settings here).
RUN for po in locale/*/LC_MESSAGES/*.po; do msgfmt --check -o "${po%.po}.mo" "$po"; done
RUN useradd --system --uid 1000 --home /var/lib/vigil vigil && mkdir -p /var/lib/vigil && chown vigil /var/lib/vigil
USER vigil
EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "vigilsite.asgi:application"]
