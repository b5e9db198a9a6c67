# qmsgap server image: the same offline stack as `make run`, for a shared server.
# Build: docker build -t qmsgap .      Run: docker run -p 8000:8000 -v qmsgap-data:/data qmsgap
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    QMSGAP_DATA_DIR=/data \
    QMSGAP_SERVER__HOST=0.0.0.0

WORKDIR /app
# torch first and pinned: an unpinned torch would pull several GB of CUDA libraries.
RUN pip install "torch==2.13.0" --index-url https://download.pytorch.org/whl/cpu
COPY pyproject.toml README.md ./
COPY core core
COPY ingest ingest
COPY mapping mapping
COPY clauses clauses
COPY service service
COPY frontend frontend
COPY eval eval
RUN pip install ".[postgres]" && qmsgap config >/dev/null

RUN useradd --create-home --uid 10001 qmsgap && mkdir -p /data && chown qmsgap /data
USER qmsgap
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
CMD ["qmsgap", "serve"]
