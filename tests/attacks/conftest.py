"""Hostile inputs, made by code: each test module here attacks one thing the pipeline must
withstand (a poison email, a planted file, a formula in a name...), and its first line says which.

Each attack reproduced a failure of the code before its fix; the fixtures of ``tests/conftest.py``
(settings in a temporary data home, on SQLite or PostgreSQL) are used as they are.
"""
