"""Records -> a pandas frame, downloads, history."""
