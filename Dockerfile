# lash-temporal worker image: slim, non-root, nothing secret baked in.
#   docker build -t lash-temporal .
#   docker run --rm -e LASH_TEMPORAL_ADDRESS=... -e LASH_TEMPORAL_STORE=... \
#     -e LASH_EXECUTION_STATE_KEY=... lash-temporal worker
# Keys (LASH_EXECUTION_STATE_KEY, OPENAI_API_KEY) come from the environment or from secret files
# at run time (see docker-compose.yml); they are never part of the image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY checkpoint ./checkpoint
COPY activities ./activities
COPY workflows ./workflows
RUN pip install . && useradd --create-home --uid 10001 lash

USER lash
WORKDIR /home/lash
ENTRYPOINT ["lash-temporal"]
CMD ["worker"]
