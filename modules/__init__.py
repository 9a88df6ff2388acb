"""Constructs of the SageMaker Studio + EMR platform, one per concern.

Each construct takes a typed props object and exposes what others need as
attributes; ``main.py`` wires them into stacks.
"""
