"""Offline pre-annotation past one machine: article shards (JSONL or Parquet, at any fsspec
URL) through a Dask cluster into prediction shards (`shards` reads and writes them, `runner`
drives the cluster). Outside `preannotate/`, whose every file is part of the rules' version.
"""
