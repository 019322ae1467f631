"""Endpoints: OpenAI-compatible clients, pools with failover, environment configuration."""
