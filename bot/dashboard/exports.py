"""CSV exports of dashboard views."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from qualification.csvcells import csv_cell
from storage.pipeline import PipelineRow

PIPELINE_COLUMNS = (
    "id",
    "name",
    "email",
    "company",
    "stage",
    "score",
    "owner",
    "source_channel",
    "source_campaign",
    "last_activity",
)

# One rule for every CSV Baton writes: text a spreadsheet would run as a formula is quoted.
cell = csv_cell


def pipeline_csv(rows: Iterable[PipelineRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(PIPELINE_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                cell(row.id),
                cell(row.name),
                cell(row.email),
                cell(row.company),
                cell(row.stage),
                cell(row.score),
                cell(row.owner_name),
                cell(row.source_channel),
                cell(row.source_campaign),
                cell(row.last_activity.isoformat()),
            ]
        )
    return out.getvalue()
