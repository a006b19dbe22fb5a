# One image for every Dateline process (API, worker, beat, migrations).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
RUN pip install . && useradd --system --uid 10001 dateline
USER dateline
EXPOSE 8000
CMD ["dateline", "api", "--host", "0.0.0.0", "--port", "8000"]
