"""The llm-infra security pack."""
