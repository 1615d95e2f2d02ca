"""Evaluation: data set loaders, the synthetic retrieval benchmark's environment and runner.

`evals` drives the product from outside (DESIGN.md); nothing in `memory`, `nodes` or `graphs`
imports from it.
"""
