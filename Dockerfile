# cas serve in a container. Build: docker build -t cas-gateway .
# Run:  docker run -p 8080:8080 -e CAS_API_KEYS=change-me \
#         -v $PWD/meters.yaml:/etc/cas/registry.yaml:ro -v cas-state:/data cas-gateway
# Without credentials configured the gateway only listens on the container's loopback.
FROM python:3.11-slim

WORKDIR /app
COPY pyproject.toml README.md ./
COPY cas ./cas
COPY generated ./generated
COPY schemas ./schemas
RUN pip install --no-cache-dir . \
    && useradd --system --home /data cas \
    && mkdir -p /data /etc/cas && chown cas /data

ENV CAS_SCHEMA_DIR=/app/schemas \
    CAS_DB=/data/cas.db
USER cas
EXPOSE 8080
CMD ["cas", "serve", "--registry", "/etc/cas/registry.yaml", "--host", "0.0.0.0", "--port", "8080"]
