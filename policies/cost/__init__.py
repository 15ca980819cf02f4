"""The llm-infra cost pack."""
