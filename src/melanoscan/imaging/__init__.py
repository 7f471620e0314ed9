"""Image intake: safe decoding of untrusted uploads and the model's preprocessing."""
