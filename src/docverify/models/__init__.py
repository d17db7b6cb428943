"""ONNX models shipped with docverify (package data), listed with their SHA-256 in ``registry.json``."""
