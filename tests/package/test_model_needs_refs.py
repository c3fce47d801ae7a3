"""The model file's own references, read without loading it (lambdaserve.package.needs.pickle_refs)."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import joblib
import numpy as np
import pytest

from lambdaserve.errors import BuildError
from lambdaserve.package.needs.pickle_refs import pickle_refs, skops_refs
from lambdaserve.package.needs.resolve import (
    installed_with,
    model_file_modules,
    to_needs,
    unmapped_notes,
    unmet,
)


def _tiny_forest() -> object:
    from sklearn.ensemble import RandomForestClassifier

    x = np.arange(40, dtype=float).reshape(20, 2)
    return RandomForestClassifier(n_estimators=2, max_depth=2, random_state=0).fit(x, [0, 1] * 10)


@pytest.mark.parametrize("compress", [0, ("zlib", 3), ("gzip", 3), ("bz2", 3), ("xz", 3), ("lzma", 3),
                                      ("lz4", 3)])
def test_joblib_files_are_read_through_their_arrays_and_any_compression(tmp_path: Path,
                                                                         compress: object) -> None:
    path = tmp_path / "model.joblib"
    joblib.dump(_tiny_forest(), path, compress=compress)
    refs = pickle_refs(path)
    # The trees' raw numpy bytes lie between opcodes: stepping over them wrongly would lose the rest.
    assert ("sklearn.ensemble._forest", "RandomForestClassifier") in refs.globals
    assert ("sklearn.tree._classes", "DecisionTreeClassifier") in refs.globals
    assert ("joblib.numpy_pickle", "NumpyArrayWrapper") in refs.globals
    assert refs.compression == ("" if compress == 0 else compress[0])  # type: ignore[index]


def test_an_lz4_joblib_file_pins_lz4_for_the_function(tmp_path: Path) -> None:
    import lz4

    path = tmp_path / "model.joblib"
    joblib.dump(_tiny_forest(), path, compress="lz4")
    found = model_file_modules(path, "sklearn")
    assert found["lz4"].startswith("the model file is lz4-compressed")
    needs, _ = to_needs(found, [])
    assert f"lz4=={lz4.__version__}" in [n.requirement for n in needs]
    # without it in function.requirements, build refuses the project naming lz4
    assert [n.distribution for n in unmet(needs, ["scikit-learn==1.0", "joblib==1.0"])] == ["lz4"]
    # a plain joblib file needs no lz4
    joblib.dump(_tiny_forest(), path, compress=3)
    assert "lz4" not in model_file_modules(path, "sklearn")


def test_an_lz4_joblib_file_without_lz4_installed_is_refused_naming_lz4(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "model.joblib"
    joblib.dump(_tiny_forest(), path, compress="lz4")
    script = ("import sys\nsys.modules['lz4'] = None  # as if lz4 were not installed\n"
              "from lambdaserve.errors import BuildError\n"
              "from lambdaserve.package.needs.pickle_refs import pickle_refs\n"
              "try:\n    pickle_refs(__import__('pathlib').Path(sys.argv[1]))\n"
              "except BuildError as exc:\n    print(exc.message, '|', exc.hint)\n")
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True,
                          timeout=120, check=True)
    assert "compressed with lz4, and the lz4 package is not installed" in done.stdout
    assert "pip install lz4" in done.stdout


def test_an_object_array_in_a_joblib_file_is_read_as_the_nested_pickle_it_is(tmp_path: Path) -> None:
    from fractions import Fraction

    path = tmp_path / "model.joblib"
    joblib.dump({"names": np.array([Fraction(1, 3), "b"], dtype=object), "after": Path("x")}, path)
    refs = pickle_refs(path)
    assert "fractions" in refs.modules  # inside the object array's nested pickle
    assert "pathlib" in refs.modules  # after it: the stream was resumed at the right byte


class _Boom:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("touch BOOM",))


def test_reading_a_hostile_pickle_runs_nothing_and_names_what_it_would_call(tmp_path: Path) -> None:
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(_Boom()))
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        refs = pickle_refs(path)
    finally:
        os.chdir(cwd)
    assert refs.modules == {os.system.__module__}
    assert not (tmp_path / "BOOM").exists()


@pytest.mark.parametrize(("content", "why"), [
    (b"this is not a model\n", "it is not a pickle"),
    (b"x" + b"not zlib", "it is not a pickle"),  # 'x' is zlib's magic byte, the rest is not zlib
    (pickle.dumps({"weights": [1.0, 2.0]}), "plain data"),
])
def test_a_file_that_is_not_a_model_is_refused_with_a_clear_message(tmp_path: Path, content: bytes,
                                                                      why: str) -> None:
    path = tmp_path / "model.joblib"
    path.write_bytes(content)
    with pytest.raises(BuildError, match=why) as caught:
        model_file_modules(path, "sklearn")
    assert "model.joblib is not a model lambdaserve can read" in caught.value.message


def test_a_skops_file_names_its_types_from_its_schema(tmp_path: Path) -> None:
    import skops.io as sio

    path = tmp_path / "model.skops"
    sio.dump(_tiny_forest(), path)
    refs = skops_refs(path)
    assert ("sklearn.ensemble._forest", "RandomForestClassifier") in refs.globals
    assert model_file_modules(path, "sklearn")["skops"] == "the runtime reads .skops files with skops.io"


def test_needs_map_modules_to_pinned_distributions_and_drop_the_stdlib_and_project_code(
        tmp_path: Path) -> None:
    (tmp_path / "my_features.py").write_text("")
    found = {"sklearn": "x", "yaml": "y", "collections": "z", "my_features": "w", "not_installed_mod": "v"}
    needs, unmapped = to_needs(found, [tmp_path])
    by_dist = {n.distribution: n for n in needs}
    import sklearn
    import yaml

    assert by_dist["scikit-learn"].requirement == f"scikit-learn=={sklearn.__version__}"
    assert by_dist["pyyaml"].requirement == f"pyyaml=={yaml.__version__}"  # module != distribution
    assert set(by_dist) == {"scikit-learn", "pyyaml"}
    assert unmapped == {"not_installed_mod": "v"}  # reported, never guessed as a requirement
    assert unmapped_notes(unmapped)[0].startswith("not_installed_mod: v, but it is not installed here")
    assert unmapped_notes({"sklearn": "x"}, ["scikit-learn==1.0"]) == []  # a requirement plainly provides it


def test_a_need_is_met_by_a_requirement_or_what_it_pulls_in_but_not_by_an_unrelated_one() -> None:
    needs, _ = to_needs({"numpy": "a", "joblib": "b", "yaml": "c"}, [])
    assert "numpy" in installed_with(["scikit-learn==1.0"])  # scikit-learn requires numpy
    assert [n.distribution for n in unmet(needs, ["scikit-learn==1.0"])] == ["pyyaml"]
    assert unmet(needs, ["scikit-learn==1.0", "PyYAML==6.0"]) == []


def test_a_model_folder_is_read_through_the_one_model_file_the_runtime_would_load(tmp_path: Path) -> None:
    joblib.dump(_tiny_forest(), tmp_path / "model.joblib")
    (tmp_path / "notes.txt").write_text("not a model")
    assert model_file_modules(tmp_path, "sklearn")["sklearn"] == (
        "the model file references sklearn.ensemble._forest.RandomForestClassifier")
