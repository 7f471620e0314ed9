"""The screening itself, once: image bytes and a loaded model in, the full outcome out. No Flask.

- `decision.decide`: the 0.5 rule, the melanoma and carcinoma alerts and the advice (the only copy).
- `pipeline.Screener`: decode -> model -> suitability gates -> decide, for one upload or a batch.
- `answer.answer`: the outcome as people read it (ko/en message, disclaimer, hospitals link).

The HTTP API, the command line and the evaluation all call these, so a new step (a photo-suitability
gate, a heat map) is added here and reaches every client.
"""
