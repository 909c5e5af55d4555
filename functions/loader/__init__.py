"""The GCS-finalize loader: each finalized lake object becomes warehouse rows exactly once."""
