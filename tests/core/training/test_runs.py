"""Run records on their own: from a snapshot, labels with mid-run changes, JSON and CSV."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from neurocanvas.core.training import Trainer, TrainingConfig, TrainingControl
from neurocanvas.core.training.runs import CSV_COLUMNS, RunRecord, describe_changes, write_runs_csv
from tests.core.test_trainer import blob_data, mlp


def test_a_record_reads_its_numbers_from_the_final_snapshot():
    control = TrainingControl()
    trainer = Trainer(mlp(2, 3), blob_data(), TrainingConfig(epochs=3, lr=0.01), control)
    for _ in range(4):
        trainer.step()
    control.set(lr=0.1)
    snap = trainer.run()
    record = RunRecord.from_snapshot(1, "initial weights", trainer.config.to_dict(), snap)
    assert record.final_train_loss == snap.train_loss[-1]
    assert record.best_val_loss == np.min(snap.val_loss)
    assert record.accuracy == snap.val_acc[-1] and record.steps == snap.step == 9
    assert record.ended == "finished"
    assert record.label() == "#1 lr 0.01, adam (lr 0.01 → 0.1 at step 4)"


def test_a_burst_of_slider_changes_reads_as_one_change():
    changes = [(300, "lr", 0.01, 0.02), (301, "lr", 0.02, 0.05), (303, "lr", 0.05, 0.1)]
    assert describe_changes(changes) == "lr 0.01 → 0.1 at step 300"


def test_records_round_trip_through_json_and_refuse_bad_ones():
    record = RunRecord(2, "continued", {"lr": 0.1}, [(5, "lr", 0.1, 1.0)], 0.5, 0.4)
    assert RunRecord.from_dict(record.to_dict()) == record
    with pytest.raises(ValueError, match="not valid"):
        RunRecord.from_dict({"number": "two", "start": "x", "settings": {}})


def test_the_csv_has_a_header_and_one_row_per_run(tmp_path):
    runs = [RunRecord(1, "initial weights", {"lr": 0.01, "optimizer": "sgd"}, steps=10)]
    path = tmp_path / "runs.csv"
    write_runs_csv(runs, path)
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert rows[0]["lr"] == "0.01" and rows[0]["final_val_loss"] == "" and rows[0]["steps"] == "10"


def test_a_long_runs_record_reads_the_whole_run_from_a_bounded_series():
    from neurocanvas.core.training.series import Series
    from tests.widgets.test_long_run_plots import long_snap

    steps = Series(chunk=100, keep=2, max_buckets=16)
    y = np.linspace(2.0, 1.0, 10_000)
    y[777] = 0.25  # the best loss, long gone from the exact window
    for v in y:
        steps.append(float(v))
    record = RunRecord.from_snapshot(1, "initial weights", {"lr": 0.1}, long_snap(steps))
    assert record.best_train_loss == 0.25 and record.final_train_loss == 1.0
    assert len(record.curve) <= 300 and record.curve[0][0] <= 700 and record.curve[-1][0] == 10_000
