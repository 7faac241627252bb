"""Fusion's engagement core: customers, rewards, ladder, fusion score, campaigns.

Knows nothing of Rasa (a test enforces it): actions and the bot call into it.
"""
