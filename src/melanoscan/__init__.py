"""melanoscan: a skin-lesion screening aid (melanoma / nevus / seborrheic keratosis).

It screens; it does not diagnose. See docs/model-card.md for what the model can and cannot do.
"""

__version__ = "0.1.0"
