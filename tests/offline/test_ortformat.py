"""Moonshine's ORT-format files read back as ONNX (`agentconsole.offline.ortformat`).

Real weights from the `moonshine-cpp` wheel, real onnxruntime: the converted graphs must compute
what the files compute, and onnxruntime must fold their int8 weights once, at load.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")

from agentconsole.offline import moonshine  # noqa: E402
from agentconsole.offline.ortformat import UnsupportedModel, ort_to_onnx  # noqa: E402


def _options(**config: str) -> Any:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.log_severity_level = 3
    for key, value in config.items():
        opts.add_session_config_entry(key, value)
    return opts


def _sessions(name: str) -> tuple[Any, Any]:
    """The file as it is, and its converted graph."""
    import onnxruntime as ort

    path = moonshine.model_dir() / name
    cpu = ["CPUExecutionProvider"]
    as_file = ort.InferenceSession(str(path), _options(), providers=cpu)
    converted = ort.InferenceSession(
        ort_to_onnx(path).SerializeToString(), _options(), providers=cpu
    )
    return as_file, converted


def _speechlike(seconds: float = 1.5) -> np.ndarray:
    rng = np.random.default_rng(7)
    t = np.arange(int(seconds * moonshine.SAMPLE_RATE)) / moonshine.SAMPLE_RATE
    voiced = 0.3 * np.sin(2 * np.pi * 140 * t) * (1 + np.sin(2 * np.pi * 3 * t))
    return (voiced + 0.01 * rng.standard_normal(t.size)).astype(np.float32)


def test_the_converted_encoder_and_decoder_compute_what_the_files_do() -> None:
    enc_file, enc_onnx = _sessions("encoder_model.ort")
    audio = _speechlike()[np.newaxis, :]
    hidden = enc_file.run(None, {"input_values": audio})[0]
    hidden_onnx = enc_onnx.run(None, {"input_values": audio})[0]
    assert hidden.shape == hidden_onnx.shape
    np.testing.assert_allclose(hidden_onnx, hidden, rtol=1e-3, atol=1e-3)

    dec_file, dec_onnx = _sessions("decoder_model_merged.ort")
    past = [i for i in dec_file.get_inputs() if i.name.startswith("past_key_values.")]
    heads, head_dim = int(past[0].shape[1]), int(past[0].shape[3])
    empty = np.zeros((0, heads, 1, head_dim), dtype=np.float32)
    feed = {
        "input_ids": np.array([[1]], dtype=np.int64),
        "encoder_hidden_states": hidden,
        "use_cache_branch": np.array([False]),
        **{i.name: empty for i in past},
    }
    first, *cache = dec_file.run(None, feed)
    first_onnx, *_ = dec_onnx.run(None, feed)
    np.testing.assert_allclose(first_onnx, first, rtol=1e-3, atol=1e-3)
    assert int(first_onnx[0, -1].argmax()) == int(first[0, -1].argmax())

    # a step with the key/value cache: the other branch of the decoder's If
    names = [o.name.replace("present.", "past_key_values.", 1) for o in dec_file.get_outputs()[1:]]
    step = {
        "input_ids": np.array([[int(first[0, -1].argmax())]], dtype=np.int64),
        "encoder_hidden_states": hidden,
        "use_cache_branch": np.array([True]),
        **dict(zip(names, cache, strict=True)),
    }
    second = dec_file.run(None, step)[0]
    second_onnx = dec_onnx.run(None, step)[0]
    np.testing.assert_allclose(second_onnx, second, rtol=1e-3, atol=1e-3)


def test_the_int8_weights_are_folded_once_at_load(tmp_path: Path) -> None:
    """After loading, no node in the decoder's graph (or its branches) reads an int8 weight,
    and the weights the branches share are held once, in the main graph."""
    saved = tmp_path / "decoder.onnx"
    opts = _options()
    opts.optimized_model_filepath = str(saved)
    moonshine._session(moonshine.model_dir() / "decoder_model_merged.ort", opts)
    optimized = onnx.load(str(saved))

    def graphs(g: Any) -> list[Any]:
        out = [g]
        for node in g.node:
            for attr in node.attribute:
                if attr.type == onnx.AttributeProto.GRAPH:
                    out.extend(graphs(attr.g))
        return out

    int8 = {t.name for t in optimized.graph.initializer if t.data_type == onnx.TensorProto.INT8}
    for g in graphs(optimized.graph):
        readers = [n.name for n in g.node if int8 & set(n.input)]
        assert readers == [], f"{g.name}: int8 weights still turned to float per call: {readers}"
    main, *branches = graphs(optimized.graph)
    assert branches, "the decoder's If is gone: the test no longer looks at the branches"
    for branch in branches:
        big = [t.name for t in branch.initializer if np.prod(t.dims) > 1_000_000]
        assert big == [], f"{branch.name} holds its own copy of weights: {big}"
    assert sum(np.prod(t.dims) for t in main.initializer) > 40_000_000  # the float weights


def test_an_unreadable_file_is_run_as_it_is(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    """A file the reader cannot translate still loads, from the ORT file, with a warning."""
    from agentconsole.offline import ortformat

    monkeypatch.setenv("AGENTCONSOLE_CACHE_DIR", str(tmp_path))  # nothing cached

    def refuse(path: Path) -> Any:
        raise UnsupportedModel(f"fused node in {path.name}")

    monkeypatch.setattr(ortformat, "ort_to_onnx", refuse)
    with caplog.at_level(logging.WARNING, logger=moonshine.__name__):
        session = moonshine._session(moonshine.model_dir() / "encoder_model.ort", _options())
    hidden = session.run(None, {"input_values": _speechlike()[np.newaxis, :]})[0]
    assert hidden.ndim == 3
    assert "running encoder_model.ort as it is" in caplog.text
    assert "fused node in encoder_model.ort" in caplog.text


def test_the_onnx_form_is_kept_for_the_next_process(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The first load converts and writes the cache; the next one reads the cached file
    (onnxruntime loads it without Python's lock); a damaged entry is converted again; an
    unwritable cache only costs the reuse."""
    from agentconsole.offline import ortformat

    monkeypatch.setenv("AGENTCONSOLE_CACHE_DIR", str(tmp_path / "cache"))
    conversions: list[str] = []
    real = ortformat.ort_to_onnx

    def counted(path: Path) -> Any:
        conversions.append(path.name)
        return real(path)

    monkeypatch.setattr(ortformat, "ort_to_onnx", counted)
    source = moonshine.model_dir() / "encoder_model.ort"
    first = moonshine._as_onnx(source)
    assert isinstance(first, bytes)
    cached = list((tmp_path / "cache" / "moonshine").glob("encoder_model-*.onnx"))
    assert len(cached) == 1 and cached[0].read_bytes() == first
    assert moonshine._as_onnx(source) == cached[0]
    assert conversions == ["encoder_model.ort"]
    audio = {"input_values": _speechlike()[np.newaxis, :]}
    from_cache = moonshine._session(source, _options()).run(None, audio)[0]
    import onnxruntime as ort

    from_bytes = ort.InferenceSession(first, _options(), providers=["CPUExecutionProvider"])
    np.testing.assert_array_equal(from_cache, from_bytes.run(None, audio)[0])

    cached[0].write_bytes(b"half a file")  # damaged: converted again, and still right
    np.testing.assert_array_equal(
        moonshine._session(source, _options()).run(None, audio)[0], from_cache
    )
    assert conversions == ["encoder_model.ort"] * 2

    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the cache folder would be")
    monkeypatch.setenv("AGENTCONSOLE_CACHE_DIR", str(blocked))
    assert isinstance(moonshine._as_onnx(source), bytes)
