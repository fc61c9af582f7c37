"""Event models: one module per producing service, past-tense names, CloudEvents types."""
