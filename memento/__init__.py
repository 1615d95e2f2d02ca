"""Memento's front door: public imports and the `memento` CLI."""
