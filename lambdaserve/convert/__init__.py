"""The slim path: a scikit-learn or torch model converted to ONNX, verified, ready to build."""
