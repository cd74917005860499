# Tickertone API / worker image: `docker compose build`, or `docker build -t tickertone .`
# The same image runs every role; the command picks it (python -m tickertone_app serve | worker | db migrate).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    TICKERTONE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000

WORKDIR /app

# Dependencies first, so this layer is rebuilt only when pyproject.toml or constraints.txt change:
# the runtime list of pyproject.toml, pinned by constraints.txt (the same pins as `make`).
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt -c constraints.txt \
    && rm /tmp/requirements.txt

# The code runs from the source tree (python -m puts /app on the path; api/docs.py reads
# openapi/openapi.yaml beside the packages), so it is copied rather than pip-installed.
COPY . .
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin tickertone \
    && python -m compileall -q core db cache scoring services schema api worker seeds
USER tickertone

EXPOSE 8000
CMD ["python", "-m", "tickertone_app", "serve"]
