"""Checking helpers for sst-rewrite output: removing the injected forms of
docs/abi.md from a Python AST (strip) and comparing two ASTs node by node,
line numbers included (compare). Standard library only."""
