"""Model backends: the embedded offline model and any OpenAI-compatible endpoint."""
