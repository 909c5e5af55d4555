"""CoinPulse's Cloud Run functions: ``main.py`` declares the entry points, packages the logic."""
