"""Adapters: turn framework arguments or config mappings into a ``TrainingPlan``.

Framework-free: they read plain mappings (keyword arguments, parsed YAML/JSON) only.
"""
