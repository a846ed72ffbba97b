#!/usr/bin/env python3
"""Loads a Quorum TRL preference export with Hugging Face `datasets` (as TRL's DPOTrainer is fed)
and prints what a trainer would see, as JSON, for Tests/TrainingTests/TRLExportTests.

    bash scripts/trl_python_setup          # datasets==5.2.0
    python3 scripts/trl_export_check.py pairs.jsonl

Prints {"columns", "rows", "features", "conversational", "records"}: the column names, the row
count, the feature types as datasets inferred them, whether every row is conversational by TRL's
rule (`trl.data_utils.is_conversational`: the prompt is a list of messages with a "role"), and
the records read back.
"""
import json, sys
import datasets


def is_conversational(example):
    # TRL's rule: a supported key whose value is a list of dicts carrying "role" and "content".
    for key in ("prompt", "chosen", "rejected", "completion", "messages"):
        value = example.get(key)
        if isinstance(value, list) and value and isinstance(value[0], dict) and "role" in value[0]:
            return True
    return False


def main():
    ds = datasets.load_dataset("json", data_files=sys.argv[1], split="train")
    records = [dict(row) for row in ds]
    json.dump({
        "columns": ds.column_names,
        "rows": ds.num_rows,
        "features": {k: repr(v) for k, v in ds.features.items()},
        "conversational": [is_conversational(r) for r in records],
        "records": records,
    }, sys.stdout)


if __name__ == "__main__":
    main()
