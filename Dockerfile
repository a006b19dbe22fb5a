# One image for every Dateline process (API, worker, beat, migrations).
#
# The builder installs the locked dependencies (requirements.lock: exact versions with their
# hashes, wheels only) and then Dateline itself into a virtual environment; the runtime stage is
# a fresh slim image with only that environment copied in: no pip, no caches, no sources, no
# build tools. Pin the base image by digest (--build-arg PYTHON_IMAGE=python:3.11-slim@sha256:…)
# for byte-for-byte rebuilds.
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PATH=/opt/venv/bin:$PATH
RUN python -m venv /opt/venv
WORKDIR /src
# Dependencies first, so this layer is rebuilt only when the lock changes. Every locked package
# has a wheel for CPython 3.11 on linux x86_64; one that needs compiling fails here, loudly
# (install its build tools in this stage, never in the runtime one).
COPY requirements.lock ./
RUN pip install --require-hashes --only-binary :all: -r requirements.lock
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
RUN pip install --no-deps . && pip uninstall --yes pip

FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH
COPY --from=builder /opt/venv /opt/venv
RUN useradd --system --uid 10001 --no-create-home dateline
USER dateline
EXPOSE 8000
CMD ["dateline", "api", "--host", "0.0.0.0", "--port", "8000"]
