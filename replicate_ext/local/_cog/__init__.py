"""The `cog` runtime: Cog models (`cog.yaml` + `predict.py`) served with Cog's own runtime, coglet.

This package is the only part of the project that imports `cog`, and it does so only when a Cog model is
served; the built-in demo models and `replicate_ext.local` predictors never need it. It needs the `cog` extra
(`pip install 'replicate-ext[cog]'`, cog 0.23.1), which exists for Linux x86_64/aarch64 (glibc) and macOS on
Apple silicon.

- `_reference`: which models are Cog models (a folder with `cog.yaml`, a module that imports `cog`), and
  whether Cog can run here. Imports nothing of Cog.
- `_inspect`: run in a child process in the model's folder; imports the model with Cog's inspector and
  describes it (its OpenAPI schema and its inputs), so the server never imports the model's code.
- `_schema`: the version's OpenAPI document, laid out as Cog's build writes it, and Cog's input checks.
- `_spec`: `CogSpec`, the `ModelSpec` of a Cog model.
- `_process`: one coglet server (and its worker) per version and mode, on a loopback port.
- `_runtime`: `CogRuntime`, the `Runtime` that queues jobs, runs them on coglet and translates its events.
"""
