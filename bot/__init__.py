"""The composition root and the Rasa-side adapters: CLI, action server, channels, NLU component."""
