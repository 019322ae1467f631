# A farm GPU worker on the vLLM image: `farm worker --model M --gpus all` hosts vLLM on the
# container's GPUs (one replica per GPU or tensor-parallel group) and consumes M's queue.
#   docker build -f docker/worker.Dockerfile -t farm-worker .
#   docker run --gpus all --ipc=host -v /srv/models:/models \
#     -e FARM_DATABASE_URL=... -e FARM_BROKER_URL=... farm-worker \
#     farm worker --model qwen3-8b --gpus all
#
# The vLLM release is pinned: the family presets' tool-call parsers are checked against its
# parser list (farm/models/families.py, PARSERS_CHECKED_AGAINST). Change both together.
FROM vllm/vllm-openai:v0.12.0

WORKDIR /opt/farm
COPY pyproject.toml README.md alembic.ini ./
COPY farm ./farm
COPY workers ./workers
COPY migrations ./migrations
# vLLM is already in the image: install the farm without touching torch or vllm.
RUN pip install --no-cache-dir . && farm --version

# FARM_MODEL_STORE holds models imported with `farm models import/unpack`; a stored model
# is served with the Hugging Face offline variables set. The vLLM examples directory (tool
# chat templates named by the presets) ships with this image at /vllm-workspace/examples.
ENV FARM_HOME=/var/lib/farm \
    FARM_MODEL_STORE=/models \
    FARM_VLLM_EXAMPLES_DIR=/vllm-workspace/examples \
    VLLM_CACHE_ROOT=/var/cache/vllm \
    VLLM_NO_USAGE_STATS=1 \
    DO_NOT_TRACK=1 \
    CUDA_DEVICE_ORDER=PCI_BUS_ID
VOLUME ["/var/lib/farm", "/models", "/var/cache/vllm"]

# The base image's entrypoint starts vLLM itself; the farm starts it instead.
ENTRYPOINT []
CMD ["farm", "worker", "--help"]
