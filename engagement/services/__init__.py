"""The service layer: load, call the pure core, persist, commit — one transaction each."""
