"""Custom Rasa NLU components (part of the model's inputs: changing them retrains)."""
