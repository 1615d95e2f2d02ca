"""Evaluation: data set loaders, the learning-curve runner, and the learning benchmark's world.

`evals` drives the product from outside (DESIGN.md); nothing in `memory`, `nodes` or `graphs`
imports from it.
"""
