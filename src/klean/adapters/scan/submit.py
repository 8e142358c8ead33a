"""Entry point for spark-submit: the `klean scan` command with the Spark engine, on the submitting cluster.

    spark-submit --master yarn --deploy-mode client \\
        --archives klean-env.tar.gz#env --conf spark.pyspark.python=./env/bin/python \\
        "$(python -c 'import klean.adapters.scan.submit as m; print(m.__file__)')" \\
        /shared/catalog/ -o /shared/results/ --registry registry-snapshot.json
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    from klean.adapters.cli import app

    app(args=["scan", *(sys.argv[1:] if argv is None else argv), "--engine", "spark"], prog_name="klean")


if __name__ == "__main__":
    main()
