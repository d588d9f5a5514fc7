"""`import agentconsole.offline` stays cheap: heavy modules load only when a name is used."""

from __future__ import annotations

import subprocess
import sys


def _loaded_after(code: str) -> set[str]:
    probe = (
        f"{code}\nimport sys\n"
        "print(' '.join(m for m in ('onnxruntime', 'livekit.agents', 'moonshine_cpp') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    return set(out.stdout.split())


def test_package_import_is_lazy() -> None:
    assert _loaded_after("import agentconsole.offline as o; o.__all__") == set()


def test_stt_class_does_not_load_onnxruntime_until_used() -> None:
    loaded = _loaded_after("from agentconsole.offline import MoonshineSTT; MoonshineSTT()")
    assert "livekit.agents" in loaded
    assert "onnxruntime" not in loaded
    # The moonshine-cpp package (AVX-512 native code) is located, never imported.
    loaded = _loaded_after("from agentconsole.offline import moonshine; moonshine.load_model()")
    assert "onnxruntime" in loaded and "moonshine_cpp" not in loaded
