"""Packaged model files: int8 ONNX, tokenizer, metadata and the common-word list (see MODEL_CARD.md)."""
