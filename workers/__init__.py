"""The Celery app and tasks, and the GPU side: server lifecycle, GPU slots, model store."""
