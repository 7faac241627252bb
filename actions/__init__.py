"""Thin rasa_sdk adapters: read the tracker, call one engagement service, utter by name."""
