"""Previews, histograms and the one-batch trace: the right tensors for the right sample."""

from __future__ import annotations

import numpy as np
import pytest

from neurocanvas.core import functional as F
from neurocanvas.core import manual_seed, nn, optim
from neurocanvas.core.tensor import Tensor
from neurocanvas.core.training.probes.capture import node_outputs
from neurocanvas.core.training.probes.health import HealthProbe
from neurocanvas.core.training.probes.histograms import HistogramProbe, heat_map, histogram
from neurocanvas.core.training.probes.passes import probe_pass
from neurocanvas.core.training.probes.preview import PreviewProbe, sample_preview
from neurocanvas.core.training.probes.trace import TraceProbe
from tests.core.probes.helpers import probed_step


def small_cnn() -> nn.Sequential:
    manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 4 * 4, 2)
    )


def test_preview_shows_the_chosen_samples_feature_maps() -> None:
    model = small_cnn()
    x = np.random.default_rng(0).standard_normal((5, 1, 4, 4)).astype(np.float32)
    preview = sample_preview(model, x[3], index=3)
    conv = model[0]
    expected = F.relu(conv(Tensor(x[3:4]))).detach().numpy()[0]
    assert preview["index"] == 3
    np.testing.assert_array_equal(preview["input"], x[3])
    assert preview["outputs"]["1"].shape == (3, 4, 4)
    np.testing.assert_allclose(preview["outputs"]["1"], expected, rtol=1e-6)
    np.testing.assert_allclose(preview["outputs"]["3"], model(Tensor(x[3:4])).detach().numpy()[0])


def test_previews_run_in_eval_mode_and_restore_the_mode() -> None:
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.9))
    x = np.ones((1, 3), np.float32)
    out = node_outputs(model, x)
    np.testing.assert_array_equal(out["1"], out["0"])  # dropout off while previewing
    assert model.training


def test_preview_probe_follows_the_sample_chosen_between_steps() -> None:
    model = nn.Sequential(nn.Linear(2, 2))
    probe = PreviewProbe(min_interval_s=0)
    x = np.array([[1, 2], [3, 4]], np.float32)
    y = np.zeros((2, 2), np.float32)
    assert probed_step(model, x, y, [probe])[1] == {}  # nothing chosen: nothing to do
    probe.set_sample(np.array([5.0, -1.0], np.float32), index=7)
    _, out = probed_step(model, x, y, [probe], step=2)
    expected = (
        model(Tensor(np.array([[5.0, -1.0]], np.float32))).detach().numpy()[0]
    )  # after the step
    assert out["preview"]["index"] == 7 and out["preview"]["step"] == 2
    np.testing.assert_allclose(out["preview"]["outputs"]["0"], expected, rtol=1e-6)


def test_histograms_record_weights_grads_outputs_and_the_update_ratio() -> None:
    manual_seed(1)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    probe = HistogramProbe(bins=10, every=1, min_interval_s=0)
    x = np.random.default_rng(0).standard_normal((16, 4)).astype(np.float32)
    y = np.ones((16, 1), np.float32)
    before = model[0].weight.detach().numpy().copy()
    opt = optim.SGD(model.parameters(), lr=0.05)
    _, out = probed_step(model, x, y, [probe], optimizer=opt)
    rec = out["histograms"]["0"][-1]
    after = model[0].weight.detach().numpy()
    assert rec["update_ratio"] == pytest.approx(
        np.linalg.norm(after - before) / np.linalg.norm(before), rel=1e-6
    )
    assert rec["weights"]["counts"].sum() == 32 and rec["weights"]["hi"] == after.max()
    assert rec["grads"]["counts"].sum() == 32
    assert rec["acts"]["counts"].sum() == 16 * 8
    relu = out["histograms"]["1"][-1]
    assert relu["weights"] is None and relu["update_ratio"] is None
    assert relu["acts"]["lo"] == 0.0


def test_history_is_thinned_evenly_when_full() -> None:
    model = nn.Sequential(nn.Linear(1, 1))
    probe = HistogramProbe(bins=4, every=1, min_interval_s=0, max_records=4)
    x, y = np.ones((2, 1), np.float32), np.zeros((2, 1), np.float32)
    steps = []
    for s in range(1, 12):
        _, out = probed_step(model, x, y, [probe], step=s)
        if out:
            steps = [r["step"] for r in out["histograms"]["0"]]
    # 1-4 fill it; 5 thins to [1, 3, 5] (stride 2); 7, 9 overfill: [1, 5, 9] (stride 4)
    assert steps == [1, 5, 9]


def test_heat_map_rebins_columns_onto_one_range() -> None:
    a = histogram(np.array([0.0, 0.0, 1.0]), 2)  # [0, .5): 2, [.5, 1]: 1
    b = histogram(np.array([2.0, 3.0]), 2)
    img = heat_map([{"step": 1, "w": a}, {"step": 5, "w": b}], "w", rows=3)
    assert img["lo"] == 0.0 and img["hi"] == 3.0
    np.testing.assert_allclose(img["image"][0], [1.0, 0.0, 0.0])  # centres 0.25, 0.75
    np.testing.assert_allclose(img["image"][1], [0.0, 0.0, 1.0])  # centres 2.25, 2.75
    assert list(img["steps"]) == [1, 5]


def test_trace_records_each_stage_of_one_step_for_the_chosen_row() -> None:
    manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    x = np.array([[1, 2], [0.5, -1], [3, 0]], np.float32)
    y = np.array([[1], [0], [2]], np.float32)
    probe = TraceProbe()
    assert probed_step(model, x, y, [probe])[1] == {}  # not armed
    probe.arm(sample=1)
    w0 = model[2].weight.detach().numpy().copy()
    h = model[1](model[0](Tensor(x)))
    pred = model[2](h)
    opt = optim.SGD(model.parameters(), lr=0.1)
    loss, out = probed_step(model, x, y, [probe], optimizer=opt, step=2)
    trace = out["trace"]
    assert trace["stale_grad_norm"] > 0  # the first step's gradients, still there
    assert trace["order"] == ["0", "1", "2"]
    assert trace["loss"] == pytest.approx(loss)
    np.testing.assert_array_equal(trace["input"], x[1])
    np.testing.assert_allclose(trace["nodes"]["1"]["output"], h.detach().numpy()[1], rtol=1e-6)
    # d mean((p - y)^2) / d p for row 1
    grad_out = 2 * (pred.detach().numpy()[1] - y[1]) / 3
    np.testing.assert_allclose(trace["nodes"]["2"]["grad"], grad_out, rtol=1e-5)
    w = trace["nodes"]["2"]["params"]["weight"]
    np.testing.assert_array_equal(w["value"], w0)
    np.testing.assert_allclose(w["change"], -0.1 * w["grad"], rtol=1e-5, atol=1e-7)
    assert not probe.armed
    assert probed_step(model, x, y, [probe], step=3)[1] == {}  # once only


def test_probe_pass_leaves_weights_grads_and_running_stats_alone() -> None:
    manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 1))
    state = {k: v.copy() for k, v in model.state_dict().items()}
    model[0].weight.grad = Tensor(np.full((4, 3), 7.0, np.float32))
    x = np.random.default_rng(0).standard_normal((8, 3)).astype(np.float32)
    out = probe_pass(model, nn.MSELoss(), x, np.zeros((8, 1), np.float32), [HealthProbe()])
    assert set(out["health"]["layers"]) == {"0", "1", "2", "3"}
    assert out["health"]["layers"]["0"]["param_grad_norm"] > 0
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, state[k])
    np.testing.assert_array_equal(model[0].weight.grad.numpy(), 7.0)
    assert model[3].weight.grad is None and model.training


@pytest.mark.parametrize("values", [[1.0, 1.0 + 1e-7, 1.0], [0.25, 0.25], [3e8, 3e8 + 1]])
def test_histogram_of_nearly_equal_values_still_has_its_bins(values) -> None:
    hist = histogram(np.array(values, np.float32), 32)
    assert hist["counts"].sum() == len(values) and len(hist["counts"]) == 32
    assert hist["lo"] <= min(values) and hist["hi"] >= max(values)
