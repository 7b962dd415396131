"""The spec tool: turns Replicate's published OpenAPI document into the project's `openapi.yaml`.

python -m tools.spectool update --upstream FILE [--out openapi.yaml]
python -m tools.spectool diff --upstream FILE [--spec openapi.yaml] [--verbose]
python -m tools.spectool fixes
"""
