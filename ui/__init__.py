"""Qt widgets only: render engine state, forward user intent. Never computes a speed."""
