"""``socsim layer``: simulate one generated layer (filled in by the core simulator)."""
