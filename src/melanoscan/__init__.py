"""melanoscan: a skin-lesion screening aid (melanoma / nevus / seborrheic keratosis).

It screens; it does not diagnose. See docs/model-card.md for what the model can and cannot do.
"""

# The package's version, read by pyproject.toml (setuptools dynamic) and the OpenAPI document. The model has
# its own version, in its metadata (models/melanoscan.json).
__version__ = "2.0.0.dev0"
