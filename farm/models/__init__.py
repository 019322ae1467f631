"""Models: the registry of model specs and its built-in presets."""
