"""What Dataflow workers install (``--setup_file``): the core and the pipeline packages only.

Apache Beam itself comes with the worker image of the same version; everything else
the pipeline imports ships with apache-beam[gcp] (google-cloud-storage, pyarrow).
"""

import setuptools

setuptools.setup(
    name="coinpulse-beam-pipeline",
    version="0.1.0",
    packages=setuptools.find_packages(include=["coinpulse", "coinpulse.*", "beam_pipeline*"]),
    package_data={"coinpulse.schemas": ["*.json"]},
    install_requires=[],
)
