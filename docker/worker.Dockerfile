# A farm worker on the vLLM base image: it hosts vLLM on its GPUs and consumes one model's
# queue. Build from the repository root: docker build -f docker/worker.Dockerfile .
FROM vllm/vllm-openai:v0.11.0
WORKDIR /opt/farm
COPY pyproject.toml README.md alembic.ini ./
COPY farm ./farm
COPY workers ./workers
COPY migrations ./migrations
RUN pip install --no-cache-dir -e .
ENV VLLM_NO_USAGE_STATS=1 DO_NOT_TRACK=1 CUDA_DEVICE_ORDER=PCI_BUS_ID
ENTRYPOINT []
CMD ["farm", "worker", "--help"]
