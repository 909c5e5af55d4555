"""Running the Beam pipeline on Flink through Beam's portable FlinkRunner (docs/pipeline.md)."""
