"""Side-by-side measurements the README quotes. Not tests: they print figures, never assert."""
