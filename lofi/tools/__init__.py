"""Benchmark and evaluation."""
