"""Dataset import filters (placeholder: the real implementation is being written)."""

from __future__ import annotations

from jinja2.ext import Extension


def _not_ready(*_args: object) -> str:
    raise NotImplementedError("dataset import is not implemented yet")


class DatasetExtension(Extension):
    """Registers the dataset-import filters the questionnaire uses."""

    def __init__(self, environment):  # type: ignore[no-untyped-def]
        super().__init__(environment)
        for name in ("dataset_file_problem", "infer_dataset_mode", "dataset_mode_mismatch",
                     "guess_metadata_field", "metadata_field_missing"):
            environment.filters[name] = _not_ready
