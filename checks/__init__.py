"""What good customer data looks like: pandera models, the named rule checks and the triage of failures."""
