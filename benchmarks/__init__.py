"""Side-by-side measurements whose figures the README quotes. Not tests: they print, never assert."""
